// Offline outbox for inspector reports. A draft keeps its Idempotency-Key
// for every retry, so a report that reached the server before the network
// dropped is not filed twice. Drafts live in localStorage (photos are
// downscaled to a JPEG data URL to fit); retried on 'online' and every 30 s.
//
// A phone is often shared: the outbox is per user (em_outbox:<user id>), each
// draft carries the id of the user who queued it, and nothing is sent unless
// that user is the one signed in now. main.js warns before clear() at logout.
import { api } from './api.js';
import { toast } from './ui.js';

// LEGACY is the one key every user shared before the outbox was per user. Its
// drafts cannot be attributed to anyone, so they are dropped (never sent under
// whoever signs in next, and not kept: photos would fill the quota the
// per-user outboxes need, and nobody could see or send them again).
const LEGACY = 'em_outbox';
let user = null; // id of the signed-in user; null: no outbox
const keyOf = (id) => `${LEGACY}:${id}`;
const load = (id = user) => {
  if (id == null) return [];
  try { return JSON.parse(localStorage.getItem(keyOf(id)) || '[]'); } catch { return []; }
};
function save(list, id = user) {
  if (id == null) return;
  try { localStorage.setItem(keyOf(id), JSON.stringify(list)); } catch {
    for (const d of list) if (d.photo) { d.photo = null; d.photoDropped = true; } // quota: keep the reports, drop photos
    localStorage.setItem(keyOf(id), JSON.stringify(list));
  }
  if (id === user) document.dispatchEvent(new CustomEvent('outbox', { detail: count() }));
}
// mine: the drafts the signed-in user queued (a draft of someone else's, however it got here, is never theirs).
const mine = (d) => user != null && d.user_id === user;
export const count = () => load().filter(mine).length;

// setUser(id) switches the outbox to the signed-in user (null at sign-out).
export function setUser(id) {
  user = id == null ? null : id;
  const legacy = localStorage.getItem(LEGACY);
  if (legacy !== null) {
    let n = 0;
    try { n = JSON.parse(legacy).length || 0; } catch { /* unreadable: dropped all the same */ }
    localStorage.removeItem(LEGACY);
    console.warn(`outbox: dropped ${n} unsent draft(s) of the shared pre-per-user outbox; their author is unknown`);
  }
  document.dispatchEvent(new CustomEvent('outbox', { detail: count() }));
}

// clear() deletes the signed-in user's drafts from storage (logout, after the warning).
export function clear() {
  if (user == null) return;
  localStorage.removeItem(keyOf(user));
  document.dispatchEvent(new CustomEvent('outbox', { detail: 0 }));
}

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
  if (d.kind === 'eval') { // an evaluator's verdicts on one site of a round (evaluation.js): one idempotent POST
    d.result = await api(d.path, { method: 'POST', body: d.body });
    return d.result;
  }
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
  if (user == null) throw new Error('outbox: nobody is signed in');
  const owner = user;
  const item = { ...d, user_id: owner, queued_at: new Date().toISOString() };
  if (item.photo instanceof Blob) {
    item.photo = await toDataURL(item.photo);
    if (item.photo && item.photo.startsWith('data:image/jpeg')) item.photoName = (item.photoName || 'photo').replace(/\.\w+$/, '') + '.jpg';
  }
  const list = load(owner).filter((x) => x.key !== item.key);
  list.push(item);
  save(list, owner);
}

const permanent = (e) => !e.network && e.status >= 400 && e.status < 500 && ![401, 408, 429].includes(e.status);
let busy = false;
export async function flush() {
  if (busy || !navigator.onLine || !count()) return;
  busy = true;
  // owner: whose outbox this run empties. If someone else signs in meanwhile, the run stops before the next send.
  const owner = user;
  try {
    for (const d of load(owner)) {
      if (user !== owner) break;
      if (d.user_id !== owner) continue; // never send a draft under another user's name
      try {
        await send(d);
        save(load(owner).filter((x) => x.key !== d.key), owner);
      } catch (e) {
        if (permanent(e)) { save(load(owner).filter((x) => x.key !== d.key), owner); toast(e.message, 'error'); continue; }
        save(load(owner).map((x) => (x.key === d.key ? d : x)), owner); // remember report_id if the POST went through
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
