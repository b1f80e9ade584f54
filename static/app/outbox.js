// Offline outbox for inspector reports. A draft keeps its Idempotency-Key
// for every retry, so a report that reached the server before the network
// dropped is not filed twice. Drafts live in localStorage (photos are
// downscaled to a JPEG data URL to fit); retried on 'online' and every 30 s.
import { api } from './api.js';
import { toast } from './ui.js';

const KEY = 'em_outbox';
const load = () => { try { return JSON.parse(localStorage.getItem(KEY) || '[]'); } catch { return []; } };
function save(list) {
  try { localStorage.setItem(KEY, JSON.stringify(list)); } catch {
    for (const d of list) if (d.photo) { d.photo = null; d.photoDropped = true; } // quota: keep the reports, drop photos
    localStorage.setItem(KEY, JSON.stringify(list));
  }
  document.dispatchEvent(new CustomEvent('outbox', { detail: list.length }));
}
export const count = () => load().length;

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16)); // insecure context fallback (RFC 4122 v4)
  b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

// send(draft): POST the report (once), then its photo. Mutates draft so a
// partial success is remembered. Returns the POST response.
export async function send(d) {
  if (!d.report_id) {
    d.result = await api('/api/v1/reports', { method: 'POST', body: d.body, headers: { 'Idempotency-Key': d.key } });
    d.report_id = d.result.report.id;
  }
  if (d.photo) {
    const blob = d.photo instanceof Blob ? d.photo : fromDataURL(d.photo);
    const fd = new FormData();
    fd.append('file', blob, d.photoName || 'photo.jpg');
    await api(`/api/v1/reports/${d.report_id}/photos`, { method: 'POST', body: fd });
    d.photo = null;
  }
  return d.result;
}

// data: URL → Blob without fetch() (CSP connect-src 'self' forbids data:).
function fromDataURL(u) {
  const [head, b64] = u.split(',');
  const bin = atob(b64), a = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) a[i] = bin.charCodeAt(i);
  return new Blob([a], { type: (head.match(/data:([^;]+)/) || [])[1] || 'image/jpeg' });
}

// Downscale an image File to a JPEG data URL (max 1600 px) for storage.
async function toDataURL(file) {
  try {
    const bmp = await createImageBitmap(file);
    const s = Math.min(1, 1600 / Math.max(bmp.width, bmp.height));
    const c = document.createElement('canvas');
    c.width = Math.round(bmp.width * s); c.height = Math.round(bmp.height * s);
    c.getContext('2d').drawImage(bmp, 0, 0, c.width, c.height);
    return c.toDataURL('image/jpeg', 0.8);
  } catch {
    return file.size < 2e6 ? new Promise((ok) => { const r = new FileReader(); r.onload = () => ok(r.result); r.onerror = () => ok(null); r.readAsDataURL(file); }) : null;
  }
}

export async function enqueue(d) {
  const item = { ...d, queued_at: new Date().toISOString() };
  if (item.photo instanceof Blob) {
    item.photo = await toDataURL(item.photo);
    if (item.photo && item.photo.startsWith('data:image/jpeg')) item.photoName = (item.photoName || 'photo').replace(/\.\w+$/, '') + '.jpg';
  }
  const list = load().filter((x) => x.key !== item.key);
  list.push(item);
  save(list);
}

const permanent = (e) => !e.network && e.status >= 400 && e.status < 500 && ![401, 408, 429].includes(e.status);
let busy = false;
export async function flush() {
  if (busy || !navigator.onLine || !count()) return;
  busy = true;
  try {
    for (const d of load()) {
      try {
        await send(d);
        save(load().filter((x) => x.key !== d.key));
      } catch (e) {
        if (permanent(e)) { save(load().filter((x) => x.key !== d.key)); toast(e.message, 'error'); continue; }
        save(load().map((x) => (x.key === d.key ? d : x))); // remember report_id if the POST went through
        break;
      }
    }
  } finally { busy = false; }
}

let started = false;
export function start() {
  if (started) return;
  started = true;
  window.addEventListener('online', flush);
  setInterval(flush, 30000);
  flush();
}
