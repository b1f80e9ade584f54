// Patrol recording (巡查轨迹): start/stop with navigator.geolocation.watchPosition. Fixes are kept in
// IndexedDB (a day of fixes outgrows localStorage) in chunks of CHUNK fixes; each closed chunk is uploaded
// as a GeoJSON LineString with properties.times under its own Idempotency-Key, so a chunk whose answer was
// lost is recorded once when retried. Pending chunks are retried on 'online' and every 30 s, and belong to
// the user who recorded them (nothing is sent for anyone else).
import { api } from './api.js';
import { toast, toastErr } from './ui.js';

const CHUNK = 40;
let user = null;
let watch = null;
let current = null; // the open chunk
let seq = 0;

function open() {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open('em_patrol', 1);
    r.onupgradeneeded = () => r.result.createObjectStore('chunks', { keyPath: 'key' });
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}
// store(mode, fn): fn gets the object store; resolves with the value of the request fn returns, if any.
async function store(mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction('chunks', mode);
    const req = fn(tx.objectStore('chunks'));
    tx.oncomplete = () => { db.close(); resolve(req ? req.result : undefined); };
    tx.onerror = () => { db.close(); reject(tx.error); };
  });
}
const put = (c) => store('readwrite', (s) => s.put(c));
const all = () => store('readonly', (s) => s.getAll());

// pending is the number of closed chunks of the signed-in user not yet recorded by the server.
export async function pending() {
  return (await all()).filter((c) => c.user_id === user && c.closed).length;
}
async function report() {
  const n = await pending();
  document.dispatchEvent(new CustomEvent('patrolqueue', { detail: n }));
}

export function setUser(id) { user = id == null ? null : id; if (id == null) stop(); }
export const recording = () => watch !== null;

function fresh(from) {
  const key = `${current ? current.patrol : (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()))}:${++seq}`;
  return { key, patrol: key.split(':')[0], user_id: user, closed: false, fixes: from ? [from] : [] };
}

async function close() {
  if (!current || current.fixes.length < 2) return;
  current.closed = true;
  await put(current);
  const last = current.fixes[current.fixes.length - 1];
  current = fresh(last); // the next chunk starts where this one ended, so no meter falls between them
  await report();
  flush();
}

// start begins a patrol; onFix(lon, lat) is told of every fix.
export function start(onFix) {
  if (!navigator.geolocation) { toast('定位不可用 / location unavailable', 'error'); return false; }
  if (watch !== null) return true;
  seq = 0;
  current = null;
  current = fresh();
  watch = navigator.geolocation.watchPosition(async (p) => {
    const fix = [+p.coords.longitude.toFixed(7), +p.coords.latitude.toFixed(7), new Date(p.timestamp || Date.now()).toISOString()];
    const prev = current.fixes[current.fixes.length - 1];
    if (prev && prev[2] > fix[2]) fix[2] = prev[2]; // a clock step back must not reverse the track
    current.fixes.push(fix);
    await put(current);
    if (onFix) onFix(fix[0], fix[1]);
    if (current.fixes.length >= CHUNK) await close();
  }, (err) => {
    // The watch keeps trying after an error: a fix lost mid-walk (a tunnel, a moved emulated position) is no
    // news to the walker, so only a refusal or having no position at all yet is told.
    console.warn('patrol: position', err.code, err.message);
    if (err.code === 1 || (current && !current.fixes.length)) toast('无法定位 / location unavailable', 'error');
  }, { enableHighAccuracy: true, maximumAge: 0 });
  return true;
}

// stop ends the patrol and queues what is left of it.
export async function stop() {
  if (watch === null) return;
  navigator.geolocation.clearWatch(watch);
  watch = null;
  await close();
}

let flushing = false;
// flush uploads the signed-in user's closed chunks, oldest first; a chunk stays until the server has it.
export async function flush() {
  if (flushing || user == null || !navigator.onLine) return;
  flushing = true;
  try {
    for (const c of (await all()).filter((x) => x.user_id === user && x.closed)) {
      const body = { type: 'Feature', properties: { times: c.fixes.map((f) => f[2]) },
        geometry: { type: 'LineString', coordinates: c.fixes.map((f) => [f[0], f[1]]) } };
      try {
        await api('/api/v1/patrols', { method: 'POST', body, headers: { 'Idempotency-Key': 'patrol:' + c.key } });
      } catch (e) {
        if (e.network || e.status >= 500 || e.status === 401) break; // later
        toastErr(e); // refused for good (e.g. 422): do not retry for ever
      }
      await store('readwrite', (s) => s.delete(c.key));
    }
  } finally {
    flushing = false;
    report();
  }
}

window.addEventListener('online', () => flush());
setInterval(() => flush(), 30000);
