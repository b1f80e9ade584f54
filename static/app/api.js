// Fetch wrapper: Bearer token from sessionStorage, CSRF header for cookie
// sessions, problem+json errors turned into ApiError(detail), and the app's
// language sent as Accept-Language so the server answers in it.
import { getLang } from './i18n.js';

const TOKEN = 'em_token';
export const getToken = () => sessionStorage.getItem(TOKEN);
export const setToken = (tok) => (tok ? sessionStorage.setItem(TOKEN, tok) : sessionStorage.removeItem(TOKEN));

export class ApiError extends Error {
  constructor(status, message, problem) {
    super(message);
    this.status = status;
    this.problem = problem || {};
    this.network = status === 0;
  }
}

let onUnauthorized = () => {};
export const setUnauthorizedHandler = (fn) => { onUnauthorized = fn; };

function csrf() {
  const m = document.cookie.match(/(?:^|;\s*)em_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : '';
}

// api(path, {method, body, headers, signal}) → parsed JSON (or null on 204).
export async function api(path, opts = {}) {
  const method = opts.method || 'GET';
  const headers = {
    Accept: 'application/json, application/problem+json',
    'Accept-Language': getLang() === 'en' ? 'en' : 'zh-CN',
    ...(opts.headers || {}),
  };
  const tok = getToken();
  if (tok) headers.Authorization = 'Bearer ' + tok;
  if (method !== 'GET' && csrf()) headers['X-CSRF-Token'] = csrf();
  let body = opts.body;
  if (body !== undefined && !(body instanceof FormData)) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body, signal: opts.signal, credentials: 'same-origin' });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, e.message || 'network error');
  }
  if (res.status === 204) return null;
  const ct = res.headers.get('Content-Type') || '';
  const data = ct.includes('json') ? await res.json().catch(() => null) : null;
  if (!res.ok) {
    if (res.status === 401 && !opts.noAuthRedirect) onUnauthorized();
    const p = data || {};
    const fields = (p.errors || []).map((e) => (e.field ? e.field + ': ' : '') + e.detail).join('; ');
    const head = p.detail || p.title || res.statusText || 'HTTP ' + res.status;
    // The server's detail often already lists the field errors: say them once.
    throw new ApiError(res.status, fields && !head.includes(fields) ? head + ' — ' + fields : head, p);
  }
  return data;
}

// qs({a:1,b:'',c:null}) → "?a=1" (empty values dropped).
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, v);
  const s = u.toString();
  return s ? '?' + s : '';
}

export const bboxOf = (map) => map.getBounds().toBBoxString(); // minLon,minLat,maxLon,maxLat
