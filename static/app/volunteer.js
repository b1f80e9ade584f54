// Volunteer view (志愿者, mobile first): a volunteer records their walks and checks in at stretches, nothing
// else (issue 13; their presence is a layer of its own, never inspection). So the view only calls what the
// volunteer role may call: POST /api/v1/patrols (through patrol.js: offline chunks, per user),
// POST /api/v1/patrols/checkins and GET /api/v1/patrols/today, over the offline base map (the policy's
// base_map entry: public geography, street names included). No network layer: the volunteer's MapData scope is
// none.
//
// Stable ids for browser tests: #patrol-btn[data-recording][data-fixes][data-last-lon], #patrol-queue[data-n],
// #checkin-btn, #checkin-result[data-state=ok|far|error][data-asset-id], #vol-today[data-route-m].
import { api, qs } from './api.js';
import { t, register } from './i18n.js';
import { h, toast, toastErr } from './ui.js';
import * as patrol from './patrol.js';
import { onView, ensureView } from './map.js';

const L = window.L;
const lbl = (k, tag = 'span', a = {}) => h(tag, { 'data-i18n': k, text: t(k), ...a });

register({
  vol_start: '开始志愿巡查', vol_stop: '结束志愿巡查', vol_checkin: '签到', vol_locating: '正在定位…',
  vol_checked_in: '已签到：{name}', vol_today: '今日志愿巡查 {km} 公里',
}, {
  vol_start: 'Start volunteer walk', vol_stop: 'Stop volunteer walk', vol_checkin: 'Check in', vol_locating: 'Locating…',
  vol_checked_in: 'Checked in: {name}', vol_today: 'Walked today: {km} km',
});

export function mount({ map, panel }) {
  ensureView(map);
  const me = L.layerGroup().addTo(map);
  const mark = (lat, lon) => {
    me.clearLayers();
    L.circleMarker([lat, lon], { radius: 6, color: '#fff', weight: 2, fillColor: '#2563eb', fillOpacity: 1, interactive: false }).addTo(me);
  };

  // ---- recording: the walk drawn as it grows (green); the chunks wait in IndexedDB while offline
  const walkedGroup = L.layerGroup().addTo(map);
  let walked = null;
  const onFix = (lon, lat) => {
    if (walked) walked.addLatLng([lat, lon]);
    else walked = L.polyline([[lat, lon]], { color: '#16a34a', weight: 5, opacity: 0.8, interactive: false }).addTo(walkedGroup);
    if (!map.getBounds().contains([lat, lon])) map.panTo([lat, lon]); // keep the walker on the screen
    patrolBtn.dataset.fixes = String(Number(patrolBtn.dataset.fixes || 0) + 1);
    patrolBtn.dataset.lastLon = String(lon);
  };
  const patrolBtn = h('button', { type: 'button', id: 'patrol-btn', 'data-testid': 'patrol-btn', 'data-recording': String(patrol.recording()), onclick: toggle },
    lbl(patrol.recording() ? 'vol_stop' : 'vol_start'));
  const patrolQueue = h('span', { id: 'patrol-queue', 'data-testid': 'patrol-queue', class: 'count', 'data-n': '0' });
  async function toggle() {
    if (patrol.recording()) await patrol.stop();
    else patrol.start(onFix);
    patrolBtn.replaceChildren(lbl(patrol.recording() ? 'vol_stop' : 'vol_start'));
    patrolBtn.dataset.recording = String(patrol.recording());
  }

  // ---- check-in: the current position → the nearest stretch within reach, named back
  const result = h('p', { id: 'checkin-result', 'data-testid': 'checkin-result', class: 'hint floating', 'aria-live': 'polite', hidden: true });
  const checkinBtn = h('button', { type: 'button', id: 'checkin-btn', 'data-testid': 'checkin-btn', onclick: checkin }, lbl('vol_checkin'));
  const say = (state, text, assetId = '') => {
    result.hidden = false;
    result.dataset.state = state;
    result.dataset.assetId = String(assetId);
    result.textContent = text;
  };
  function checkin() {
    if (!navigator.geolocation) return toast(t('locate_fail'), 'error');
    checkinBtn.disabled = true;
    say('locating', t('vol_locating'));
    navigator.geolocation.getCurrentPosition(async (p) => {
      const lon = +p.coords.longitude.toFixed(7), lat = +p.coords.latitude.toFixed(7);
      mark(lat, lon);
      map.fitted = true;
      map.setView([lat, lon], Math.max(map.getZoom(), 17));
      try {
        const r = await api('/api/v1/patrols/checkins', { method: 'POST', body: { lon, lat } });
        say('ok', t('vol_checked_in', { name: r.checkin.name || '#' + r.checkin.asset_id }), r.checkin.asset_id);
        toast(result.textContent);
      } catch (e) {
        // 400 on the position: no road or alley within reach — the server's words say how far it looked
        const far = e.status === 400 && (e.problem.errors || []).find((x) => x.field === 'lon');
        if (far) say('far', far.detail);
        else { say('error', e.message || t('error')); toastErr(e); }
      } finally { checkinBtn.disabled = false; }
    }, () => { checkinBtn.disabled = false; say('error', t('locate_fail')); }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 0 });
  }

  // ---- my route of today as the server matched it (blue), reloaded as the map moves and when uploads finish
  const todayRoute = L.geoJSON(null, { interactive: false, style: () => ({ color: '#2563eb', weight: 7, opacity: 0.45 }) }).addTo(map);
  const todayInfo = h('span', { id: 'vol-today', 'data-testid': 'vol-today', class: 'count', 'data-route-m': '0' });
  const loadToday = onView(map, async (bbox, signal) => {
    const r = await api('/api/v1/patrols/today' + qs({ bbox }), { signal });
    todayRoute.clearLayers();
    if (r.route) todayRoute.addData(r.route);
    todayInfo.dataset.routeM = r.walked_m.toFixed(1);
    todayInfo.textContent = t('vol_today', { km: (r.walked_m / 1000).toFixed(2) });
  });
  map.whenReady(() => loadToday());
  const onQueue = (e) => {
    patrolQueue.dataset.n = e.detail; patrolQueue.textContent = e.detail ? String(e.detail) : '';
    if (!Number(e.detail)) loadToday();
  };
  document.addEventListener('patrolqueue', onQueue);

  // Where am I: the map opens at the volunteer's position (there is no network to fit to).
  if (navigator.geolocation) {
    navigator.geolocation.getCurrentPosition((p) => {
      if (map.fitted || !map._container) return;
      mark(p.coords.latitude, p.coords.longitude);
      map.setView([p.coords.latitude, p.coords.longitude], 17);
    }, () => {}, { enableHighAccuracy: true, timeout: 10000, maximumAge: 30000 });
  }

  const bar = L.control({ position: 'topright' });
  bar.onAdd = () => {
    const div = h('div', { class: 'leaflet-bar toolbar' }, patrolBtn, patrolQueue, checkinBtn, todayInfo);
    L.DomEvent.disableClickPropagation(div);
    return div;
  };
  bar.addTo(map);
  panel.append(result);

  return () => document.removeEventListener('patrolqueue', onQueue);
}
