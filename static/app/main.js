// everymeter web app entry point.
//
// Plain ES modules, no bundler: there is no build step beyond copying the
// pinned npm vendor files (Leaflet, Leaflet-Geoman, markercluster, heat) into
// /vendor/ with scripts/build-assets.sh. The app stays small and auditable,
// and works under a strict CSP (script-src 'self'; no inline scripts, no
// inline handlers, no style attributes in markup). Vendor libraries are UMD
// scripts loaded by classic <script defer> tags before this module.
//
// Stable ids for browser tests (data-testid mirrors the id where given):
//   login:     #login-form, #login-username, #login-password, #login-submit, #login-error
//   header:    #app-title, #user-name, #user-role, #lang-switch, #logout, #queue-count (outbox size)
//   tabs:      #view-tabs, #tab-planner, #tab-inspector, #tab-unit, #tab-leader (admin only);
//              body[data-view] = planner|inspector|unit|leader; #map, #panel, #toast
//   planner:   #coverage-percent[data-value=raw percent], #coverage-covered-km, #coverage-gap-km, #coverage-overlap-km,
//              #unit-km (per-unit table), #gap-list (li > button[data-asset-id]), #gap-count,
//              #asset-search, #asset-results, #legend, #mode-hint,
//              #draw-zone, #zone-form, #zone-name, #zone-unit, #zone-role, #zone-kind, #zone-save,
//              #zone-delete (click twice), #zone-cancel,
//              #assign-range, #assign-form, #assign-asset[data-asset-id], #assign-from, #assign-to,
//              #assign-unit, #assign-role, #assign-person, #assign-phone, #assign-save, #assign-cancel
//   inspector: #locate-me, #my-reports-btn, #to-verify-btn, #tap-hint, #sheet, #sheet-close,
//              #owner-info, #owner-units, #owner-reason, #report-form, #report-category,
//              #report-note, #report-urgency, #report-photo, #report-submit,
//              #my-reports, #verify-list (li[data-report-id] with [data-testid=verify-btn|rework-btn])
//   unit:      #queue (li[data-report-id][data-light] with [data-testid=accept-btn|resolve-btn|
//              return-btn], then resolve-photo + resolve-confirm or return-confirm), #queue-size
//   leader:    #heat-layer (leaflet.heat canvas), #heat-count[data-n], #heat-filters,
//              #filter-category, #filter-unit, #filter-since, #filter-overdue,
//              #ranking (tr.too-few for too_few units), #trend, #trend-chart (svg)
//   volunteer: see volunteer.js (#patrol-btn, #checkin-btn, #checkin-result, #vol-today)
// Test hooks (read by the browser tests in webtest/): window.everymeterMap is the current view's Leaflet
// map; #map[data-loaded=N] is set once N road pieces of the network are drawn (planner), with a
// performance mark 'everymeter:network-drawn'.
import { api, setToken, setUnauthorizedHandler } from './api.js';
import { t, setLang, getLang, applyI18n } from './i18n.js';
import { h, $, toast, toastErr } from './ui.js';
import { createMap } from './map.js';
import * as outbox from './outbox.js';
import * as patrol from './patrol.js';

const VIEWS = {
  planner: () => import('./planner.js'),
  inspector: () => import('./inspector.js'),
  unit: () => import('./unit.js'),
  leader: () => import('./leader.js'),
  eval: () => import('./evaluation.js'),
  moderate: () => import('./moderation.js'),
  volunteer: () => import('./volunteer.js'),
};
const ROLE_VIEWS = { admin: ['planner', 'inspector', 'unit', 'leader', 'eval', 'moderate'], planner: ['planner'], inspector: ['inspector', 'eval'], unit_staff: ['unit'], leader: ['leader', 'eval'], volunteer: ['volunteer'] };
// Volunteers only record walks and check in: the staff's shared data (units, categories) is refused to them, so
// their app does not ask for it (the offline base map they draw like everyone).
const staff = (role) => role !== 'volunteer';

let me = null, ctx = null, map = null, cleanup = null, seq = 0;

function showLogin() {
  teardown();
  me = null;
  patrol.setUser(null);
  outbox.setUser(null); // drafts stay stored under their author (a lapsed session signs back in and sends them)
  document.body.dataset.view = 'login';
  $('#app-view').hidden = true;
  $('#login-view').hidden = false;
  $('#logout').hidden = true;
  $('#view-tabs').hidden = true;
  $('#user-name').textContent = '';
  $('#user-role').textContent = '';
  $('#login-username').focus();
}

function teardown() {
  seq++;
  if (cleanup) { try { cleanup(); } catch (e) { console.warn(e); } cleanup = null; }
  if (map) { map.remove(); map = null; }
  window.everymeterMap = null;
}

async function boot() {
  try { me = await api('/api/v1/auth/me', { noAuthRedirect: true }); } catch (e) {
    if (!e.network && e.status !== 401) toastErr(e);
    return showLogin();
  }
  const [units, categories] = !staff(me.role) ? [[], []] : await Promise.all([
    api('/api/v1/units').then((r) => (r && r.items) || []).catch(() => []),
    api('/api/v1/categories').then((r) => (r && r.items) || []).catch(() => []),
  ]);
  const byId = new Map(units.map((u) => [String(u.id), u]));
  ctx = { me, units, categories, unitName: (id) => (byId.get(String(id)) || {}).name || '#' + id };

  $('#login-view').hidden = true;
  $('#app-view').hidden = false;
  $('#logout').hidden = false;
  $('#user-name').textContent = me.username + (me.unit_name ? ' · ' + me.unit_name : '');
  $('#user-role').dataset.i18n = 'r_' + me.role;
  $('#user-role').textContent = t('r_' + me.role);

  const views = ROLE_VIEWS[me.role] || [];
  const tabs = $('#view-tabs');
  tabs.replaceChildren(...views.map((v) => h('button', { type: 'button', id: 'tab-' + v, 'data-testid': 'tab-' + v, 'data-view': v, 'data-i18n': 'v_' + v, text: t('v_' + v), onclick: () => show(v) })));
  tabs.hidden = views.length < 2;
  outbox.setUser(me.id);
  patrol.setUser(me.id);
  patrol.flush();
  outbox.start();
  const last = sessionStorage.getItem('em_tab');
  show(views.includes(last) ? last : views[0]);
}

async function show(name) {
  if (!name) return;
  teardown();
  const my = seq;
  sessionStorage.setItem('em_tab', name);
  document.body.dataset.view = name;
  for (const b of $('#view-tabs').children) b.setAttribute('aria-selected', b.dataset.view === name);
  const old = $('#map');
  const fresh = h('div', { id: 'map', 'data-testid': 'map' });
  old.replaceWith(fresh);
  const panel = $('#panel');
  panel.replaceChildren();
  map = createMap(fresh);
  window.everymeterMap = map;
  try {
    const mod = await VIEWS[name]();
    if (my !== seq) return;
    cleanup = mod.mount({ ...ctx, map, panel });
  } catch (e) { toastErr(e); }
  applyI18n(panel);
}

// ---- wiring (no inline handlers: CSP)
setUnauthorizedHandler(() => { setToken(null); if (me) showLogin(); });

$('#login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const err = $('#login-error');
  err.textContent = '';
  $('#login-submit').disabled = true;
  try {
    const r = await api('/api/v1/auth/login', { method: 'POST', body: { username: $('#login-username').value.trim(), password: $('#login-password').value }, noAuthRedirect: true });
    setToken(r.token);
    $('#login-password').value = '';
    await boot();
    // Someone else may have been trying this account: say so once, right after signing in.
    const n = r.failed_attempts_since_last_login;
    if (n > 0) toast(t('failed_since', { n }), 'error');
  } catch (ex) {
    err.textContent = ex.network ? t('network') : ex.message || t('login_failed');
  } finally { $('#login-submit').disabled = false; }
});

$('#logout').addEventListener('click', async () => {
  // On a shared phone the next user must not inherit this user's unsent drafts: warn, then delete them.
  const n = outbox.count();
  if (n && !window.confirm(t('outbox_discard', { n }))) return;
  outbox.clear();
  try { await api('/api/v1/auth/logout', { method: 'POST', noAuthRedirect: true }); } catch { /* token is dropped anyway */ }
  setToken(null);
  sessionStorage.removeItem('em_tab');
  // The offline copies of this user's data (who they are, their units) go too.
  if (window.caches) await caches.delete('em-data-v1').catch(() => {});
  if (navigator.serviceWorker && navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage('signed-out');
  showLogin();
});

$('#lang-switch').addEventListener('click', () => setLang(getLang() === 'en' ? 'zh' : 'en'));

const qc = $('#queue-count');
const showQueue = (n) => { qc.hidden = !n; qc.textContent = t('queue') + ' ' + n; qc.dataset.n = n; };
document.addEventListener('outbox', (e) => showQueue(e.detail));
document.addEventListener('langchange', () => showQueue(outbox.count()));
showQueue(outbox.count());

applyI18n();
boot();

// The service worker (sw.js) keeps the app shell for opening with no signal; scope / (Service-Worker-Allowed).
if ('serviceWorker' in navigator && window.isSecureContext) {
  navigator.serviceWorker.register('/app/sw.js', { scope: '/' }).catch((e) => console.warn('service worker', e));
}
