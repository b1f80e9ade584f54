// The service worker: the app shell (page, modules, styles, vendor scripts) is cached when the app is installed
// and served from the cache when there is no signal, so the inspector view opens in a basement or a field; the
// data the first screen needs (who is signed in, units, categories, the network and the base-map tiles) is
// fetched from the network first and falls back to the last copy. Writes are never cached: the outbox
// (outbox.js) keeps unsent reports. The copies of the signed-in user's data are deleted at sign-out.
//
// Served from /app/sw.js with Service-Worker-Allowed: / so that its scope is the whole app.
const SHELL_CACHE = 'em-shell-v1';
const DATA_CACHE = 'em-data-v1';

// Every file the app loads (static_test.go holds this list to static/app and index.html).
const SHELL = [
  '/',
  '/app/api.js', '/app/app.css', '/app/basemap.js', '/app/citizen.css', '/app/citizen.js', '/app/evaluation.js', '/app/i18n.js',
  '/app/icon.svg', '/app/imports.js', '/app/inspector.js', '/app/leader.js', '/app/main.js', '/app/manifest.json', '/app/map.js', '/app/moderation.js', '/app/network.js',
  '/app/outbox.js', '/app/patrol.js', '/app/planner.js', '/app/shops.js', '/app/ui.js', '/app/unit.js', '/app/vocab.js', '/app/volunteer.js',
  '/vendor/leaflet/leaflet.css', '/vendor/leaflet/leaflet.js', '/vendor/geoman/leaflet-geoman.css', '/vendor/geoman/leaflet-geoman.min.js',
  '/vendor/markercluster/MarkerCluster.css', '/vendor/markercluster/MarkerCluster.Default.css',
  '/vendor/markercluster/leaflet.markercluster.js', '/vendor/heat/leaflet-heat.js', '/vendor/protomaps/protomaps-leaflet.js',
  '/vendor/leaflet/images/marker-icon.png', '/vendor/leaflet/images/marker-icon-2x.png', '/vendor/leaflet/images/marker-shadow.png',
  '/vendor/leaflet/images/layers.png', '/vendor/leaflet/images/layers-2x.png',
];

// GET requests whose last answer stands in when offline; ignoreSearch: any copy of the network beats none.
const DATA = [
  { test: (p) => p === '/api/v1/auth/me' || p === '/api/v1/config' || p === '/api/v1/units' || p === '/api/v1/categories' },
  { test: (p) => p === '/api/v1/coverage/segments', ignoreSearch: true },
  { test: (p) => p.startsWith('/tiles/basemap/') },
];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(SHELL_CACHE).then((c) => Promise.all(SHELL.map((u) => c.add(new Request(u, { cache: 'reload' })).catch(() => {}))))
    .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== SHELL_CACHE && k !== DATA_CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('message', (e) => {
  if (e.data === 'signed-out') e.waitUntil(caches.delete(DATA_CACHE));
});

// networkFirst answers from the network (keeping a copy of good answers) and from the cache when it fails.
async function networkFirst(req, cacheName, matchOpts) {
  try {
    const res = await fetch(req);
    if (res.ok) {
      const copy = res.clone();
      caches.open(cacheName).then((c) => c.put(req, copy)).catch(() => {});
    }
    return res;
  } catch (err) {
    const hit = await caches.match(req, { cacheName, ...matchOpts });
    if (hit) return hit;
    throw err;
  }
}

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return; // online base maps go straight to their servers
  const p = url.pathname;
  // Only the app itself is the shell: other pages (the briefing, exports, photos) go to the server as they are.
  if (p === '/' || p === '/index.html') {
    e.respondWith(networkFirst(new Request('/'), SHELL_CACHE));
    return;
  }
  if (p.startsWith('/app/') || p.startsWith('/vendor/')) {
    e.respondWith(networkFirst(req, SHELL_CACHE, { ignoreSearch: true }));
    return;
  }
  const d = DATA.find((x) => x.test(p));
  if (d) e.respondWith(networkFirst(req, DATA_CACHE, { ignoreSearch: !!d.ignoreSearch }));
});
