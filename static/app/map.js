// Leaflet map setup shared by all views. Offline by default: the base map is drawn from this server's own
// vector tiles (basemap.js); online base maps only when GET /api/v1/config enables them.
import { api, qs, bboxOf } from './api.js';
import { addBaseMap } from './basemap.js';
import { debounce } from './ui.js';

const L = window.L;
const OSM = '© OpenStreetMap contributors';
let config = null;

export async function loadConfig() {
  if (config) return config;
  try { config = (await api('/api/v1/config', { noAuthRedirect: true })) || {}; } catch { config = {}; }
  return config;
}

const VIEW_KEY = 'em_view';
// createMap(el) builds a view's map with the offline base map under it (every role may draw it: the policy's
// base_map entry).
export function createMap(el) {
  const saved = JSON.parse(localStorage.getItem(VIEW_KEY) || 'null');
  // One canvas renderer for all vector layers: fast with thousands of road
  // pieces, and clicks on stacked layers resolve to the topmost one.
  const map = L.map(el, { maxZoom: 20, zoomControl: true, attributionControl: true, renderer: L.canvas({ tolerance: 8 }) });
  map.attributionControl.addAttribution(OSM);
  if (saved) map.setView(saved.c, saved.z);
  map.hadSavedView = !!saved;
  map.on('dragstart', () => { map.fitted = true; }); // the user has taken the map: no automatic fit after this
  map.on('moveend', () => {
    const c = map.getCenter();
    localStorage.setItem(VIEW_KEY, JSON.stringify({ c: [c.lat, c.lng], z: map.getZoom() }));
  });
  loadConfig().then((cfg) => {
    if (!map._container) return;
    addBaseMap(map, cfg);
    if (cfg.tile_url) {
      L.tileLayer(cfg.tile_url, { maxZoom: 20, attribution: cfg.attribution && cfg.attribution !== OSM ? cfg.attribution : '' }).addTo(map);
    }
  });
  return map;
}

// Mark the road network as drawn once the canvas has painted it (Leaflet redraws on the next frame):
// #map[data-loaded=N] and the performance mark 'everymeter:network-drawn' (read by the browser tests).
export function markDrawn(map, n) {
  const el = map.getContainer();
  requestAnimationFrame(() => requestAnimationFrame(() => {
    el.dataset.loaded = n;
    if (!performance.getEntriesByName('everymeter:network-drawn').length) performance.mark('everymeter:network-drawn');
  }));
}

// Fit the map once to data bounds when there is no saved view.
export function fitOnce(map, layer, opts = {}) {
  if (map.fitted) return;
  const b = layer.getBounds && layer.getBounds();
  if (b && b.isValid()) { map.fitBounds(b, { maxZoom: 17, ...opts }); map.fitted = true; }
}
export function ensureView(map) {
  if (!map._loaded) map.setView([34.75, 113.65], 14); // fallback until data arrives
}

// Reload `fn(bbox, signal)` on moveend (debounced 250 ms), aborting stale calls.
export function onView(map, fn) {
  let ctl;
  const run = () => {
    if (!map._loaded) return Promise.resolve();
    if (ctl) ctl.abort();
    ctl = new AbortController();
    return fn(bboxOf(map), ctl.signal).catch((e) => { if (e.name !== 'AbortError') console.warn(e); });
  };
  const d = debounce(run, 250);
  map.on('moveend', d);
  return run;
}

// Coverage pieces within the current view (or everything when bbox is empty).
export const segments = (bbox, signal) => api('/api/v1/coverage/segments' + qs({ bbox }), { signal });
