// Inspector view (mobile first): full-screen map, locate, tap to pin → who
// owns this spot and why, report form with photo; offline outbox; my
// reports; resolved reports near me to verify or send back for rework.
import { api, qs, bboxOf } from './api.js';
import { t } from './i18n.js';
import { h, toast, toastErr, options, statusLabel, fmtTime, dot, catName, fileButton } from './ui.js';
import { network, STYLES } from './network.js';
import { send, enqueue, uuid, flush } from './outbox.js';
import * as patrol from './patrol.js';
import { onView } from './map.js';

const L = window.L;
const lbl = (k, tag = 'span', a = {}) => h(tag, { 'data-i18n': k, text: t(k), ...a });

export function mount({ map, panel, categories }) {
  const catByCode = new Map(categories.map((c) => [c.code, c]));
  network(map, { style: STYLES.gaps }); // the network with its gaps, where a report finds no owner
  const pins = L.layerGroup().addTo(map);
  const me = L.layerGroup().addTo(map);
  let pin = null, draft = null;

  // ---- patrol recording: the route walked today drawn as it grows; chunks wait in IndexedDB while offline
  // (the line is made at the first fix: Leaflet cannot draw an empty polyline)
  const walkedGroup = L.layerGroup().addTo(map);
  let walked = null;
  const onFix = (lon, lat) => {
    if (walked) walked.addLatLng([lat, lon]);
    else walked = L.polyline([[lat, lon]], { color: '#16a34a', weight: 5, opacity: 0.8, interactive: false }).addTo(walkedGroup);
    patrolBtn.dataset.fixes = String(Number(patrolBtn.dataset.fixes || 0) + 1);
    patrolBtn.dataset.lastLon = String(lon);
  };
  const patrolQueue = h('span', { id: 'patrol-queue', 'data-testid': 'patrol-queue', class: 'count', 'data-n': '0' });
  const patrolBtn = h('button', { type: 'button', id: 'patrol-btn', 'data-testid': 'patrol-btn', 'data-recording': 'false', onclick: togglePatrol }, lbl('patrol_start'));
  async function togglePatrol() {
    if (patrol.recording()) {
      await patrol.stop();
      patrolBtn.replaceChildren(lbl('patrol_start'));
    } else if (patrol.start(onFix)) {
      patrolBtn.replaceChildren(lbl('patrol_stop'));
    }
    patrolBtn.dataset.recording = String(patrol.recording());
  }
  // ---- what the server knows: my route of today (blue) and the stretches near me nobody walked in 7 days
  // (red dashes; of my unit's grid when I have one), reloaded as the map moves and when uploads finish
  const todayRoute = L.geoJSON(null, { interactive: false, style: () => ({ color: '#2563eb', weight: 7, opacity: 0.45 }) }).addTo(map);
  const staleNear = L.geoJSON(null, { interactive: false, style: () => ({ color: '#dc2626', weight: 4, opacity: 0.85, dashArray: '4 6' }) }).addTo(map);
  const nearInfo = h('span', { id: 'patrol-near', 'data-testid': 'patrol-near', class: 'count', 'data-route-m': '0', 'data-stale': '0' });
  const loadToday = onView(map, async (bbox, signal) => {
    const r = await api('/api/v1/patrols/today' + qs({ bbox }), { signal });
    todayRoute.clearLayers().addData(r.route);
    staleNear.clearLayers();
    if (r.stale) staleNear.addData(r.stale);
    const n = r.stale ? r.stale.features.length : 0;
    nearInfo.dataset.routeM = r.walked_m.toFixed(1);
    nearInfo.dataset.stale = String(n);
    nearInfo.textContent = t('patrol_today', { km: (r.walked_m / 1000).toFixed(2) }) + ' · ' + t('patrol_stale_near', { n });
  });
  map.whenReady(() => loadToday());
  const onQueue = (e) => {
    patrolQueue.dataset.n = e.detail; patrolQueue.textContent = e.detail ? String(e.detail) : '';
    if (!Number(e.detail)) loadToday();
  };
  document.addEventListener('patrolqueue', onQueue);

  // ---- map toolbar
  const bar = L.control({ position: 'topright' });
  bar.onAdd = () => {
    const div = h('div', { class: 'leaflet-bar toolbar' },
      h('button', { type: 'button', id: 'locate-me', 'data-testid': 'locate-me', onclick: locate }, '◎ ', lbl('locate')),
      h('button', { type: 'button', id: 'my-reports-btn', 'data-testid': 'my-reports-btn', onclick: showMine }, lbl('my_reports')),
      h('button', { type: 'button', id: 'to-verify-btn', 'data-testid': 'to-verify-btn', onclick: showVerify }, lbl('to_verify')),
      patrolBtn, patrolQueue, nearInfo);
    L.DomEvent.disableClickPropagation(div);
    return div;
  };
  bar.addTo(map);

  // ---- bottom sheet
  const body = h('div', { class: 'sheet-body' });
  const sheet = h('section', { id: 'sheet', class: 'sheet', 'data-testid': 'sheet', hidden: true },
    h('button', { type: 'button', id: 'sheet-close', class: 'close', 'aria-label': t('close'), onclick: closeSheet }, '×'), body);
  const tapHint = lbl('tap_hint', 'p', { class: 'hint floating', id: 'tap-hint' });
  panel.append(tapHint, sheet);
  function openSheet(...kids) { body.replaceChildren(...kids); sheet.hidden = false; tapHint.hidden = true; }
  function closeSheet() { sheet.hidden = true; tapHint.hidden = false; if (pin) { map.removeLayer(pin); pin = null; } draft = null; }

  function locate() {
    if (!navigator.geolocation) return toast(t('locate_fail'), 'error');
    navigator.geolocation.getCurrentPosition((p) => {
      const ll = L.latLng(p.coords.latitude, p.coords.longitude);
      me.clearLayers();
      L.circle(ll, { radius: p.coords.accuracy, color: '#2563eb', weight: 1, fillOpacity: 0.1, interactive: false }).addTo(me);
      L.circleMarker(ll, { radius: 6, color: '#fff', weight: 2, fillColor: '#2563eb', fillOpacity: 1, interactive: false }).addTo(me);
      map.fitted = true; // a late first fit must not pull the map away from here
      map.setView(ll, Math.max(map.getZoom(), 17));
      pinAt(ll);
    }, () => toast(t('locate_fail'), 'error'), { enableHighAccuracy: true, timeout: 10000, maximumAge: 30000 });
  }

  // ---- pin → owner → form
  map.on('click', (e) => pinAt(e.latlng));

  async function pinAt(ll) {
    map.fitted = true;
    if (pin) pin.setLatLng(ll); else pin = L.marker(ll, { draggable: true }).addTo(map).on('dragend', () => pinAt(pin.getLatLng()));
    draft = { key: uuid(), lonlat: [+ll.lng.toFixed(7), +ll.lat.toFixed(7)] };
    const d = draft;
    const owner = h('div', { id: 'owner-info', 'data-testid': 'owner-info', class: 'owner' }, '…');
    openSheet(owner, form());
    keepVisible(ll);
    try {
      const o = await api('/api/v1/owner' + qs({ lon: d.lonlat[0], lat: d.lonlat[1] }));
      if (draft !== d) return;
      d.asset_id = o.asset && o.asset.id;
      const names = (o.units || []).map((u) => u.name).join('、');
      owner.replaceChildren(
        h('div', {}, lbl('owner'), ': ', h('b', { id: 'owner-units', text: names || t('nobody') })),
        o.person || o.phone ? h('div', {}, o.person || '', ' ', o.phone ? h('a', { href: 'tel:' + o.phone, text: o.phone }) : '') : '',
        o.asset ? h('div', { class: 'muted', text: `${o.asset.name || '#' + o.asset.id} · ${Math.round(o.measure_m || 0)} ${t('m')}` }) : '',
        h('div', { class: 'muted' }, lbl('why'), ': ', h('span', { id: 'owner-reason', text: o.reason || o.decided_by || '' })),
        o.ambiguous ? lbl('ambiguous', 'div', { class: 'warn-text' }) : '');
      keepVisible(ll); // the sheet grew
    } catch (e) {
      if (draft !== d) return;
      owner.replaceChildren(h('b', { text: e.status === 404 ? t('nobody') : e.network ? t('network') : e.message }));
    }
  }

  // The sheet covers the lower part of a phone's map: pan the pin into the part still visible.
  function keepVisible(ll) {
    requestAnimationFrame(() => {
      const box = map.getContainer().getBoundingClientRect(), s = sheet.getBoundingClientRect();
      const p = map.latLngToContainerPoint(ll), top = s.top - box.top;
      if (p.y > top - 30 && p.x >= s.left - box.left && p.x <= s.right - box.left) map.panBy([0, p.y - top / 2]);
    });
  }

  function form() {
    const cat = h('select', { id: 'report-category', 'data-testid': 'report-category', required: true });
    options(cat, categories.filter((c) => c.active !== false).map((c) => ({ value: c.code, label: catName(c), group: c.group })), { empty: '—' });
    const note = h('textarea', { id: 'report-note', 'data-testid': 'report-note', rows: 2, maxlength: 4000 });
    const urg = h('select', { id: 'report-urgency', 'data-testid': 'report-urgency' });
    options(urg, [{ value: 'normal', label: t('normal') }, { value: 'urgent', label: t('urgent') }]);
    const photo = h('input', { id: 'report-photo', 'data-testid': 'report-photo', type: 'file', accept: 'image/*', capture: 'environment' });
    const btn = h('button', { id: 'report-submit', 'data-testid': 'report-submit', 'data-i18n': 'submit', text: t('submit') });
    const f = h('form', { id: 'report-form', class: 'form' },
      h('label', {}, lbl('category'), cat), h('label', {}, lbl('note'), note),
      h('div', { class: 'row' }, h('label', {}, lbl('urgency'), urg), h('label', {}, lbl('photo'), fileButton(photo))), btn);
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      const d = draft;
      if (!d) return;
      d.body = { geometry: { type: 'Point', coordinates: d.lonlat }, category: cat.value, description: note.value.trim(), urgency: urg.value };
      if (d.asset_id) d.body.asset_id = d.asset_id;
      if (photo.files[0] && !d.report_id) { d.photo = photo.files[0]; d.photoName = photo.files[0].name; }
      btn.disabled = true;
      try {
        if (!navigator.onLine) throw Object.assign(new Error('offline'), { network: true });
        const res = await send(d);
        toast(t('sent') + (res && res.duplicates && res.duplicates.length ? ' · ' + t('dup', { n: res.duplicates.length }) : ''));
        closeSheet();
        flush();
      } catch (err) {
        if (err.network) { await enqueue(d); toast(t('queued')); closeSheet(); } else toastErr(err); // draft (and key) kept for retry
      } finally { btn.disabled = false; }
    });
    return f;
  }

  // ---- lists
  const item = (f, ...extra) => {
    const p = f.properties || {};
    return h('li', { 'data-report-id': p.id ?? f.id },
      dot(p.light), h('b', { text: catName(catByCode.get(p.category)) || p.category }), ' ',
      h('span', { class: 'badge', text: statusLabel(p.status) }), ' ', h('small', { text: fmtTime(p.created_at) }),
      p.unit_name ? h('div', { class: 'muted', text: p.unit_name }) : '', p.description ? h('div', { text: p.description }) : '', ...extra);
  };
  function showPins(fc) {
    pins.clearLayers();
    L.geoJSON(fc, { pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 7, color: '#fff', weight: 2, fillColor: '#7c3aed', fillOpacity: 1 }) }).addTo(pins);
  }

  async function showMine() {
    try {
      const fc = await api('/api/v1/reports' + qs({ mine: 1 }));
      const fs = fc.features || [];
      showPins(fc);
      openSheet(h('h3', {}, lbl('my_reports')), h('ul', { id: 'my-reports', 'data-testid': 'my-reports', class: 'list' }, fs.length ? fs.map((f) => item(f)) : lbl('none', 'li', { class: 'muted' })));
    } catch (e) { toastErr(e); }
  }

  async function showVerify() {
    try {
      const fc = await api('/api/v1/reports' + qs({ status: 'resolved', bbox: bboxOf(map) }));
      const fs = fc.features || [];
      showPins(fc);
      openSheet(h('h3', {}, lbl('to_verify')), h('ul', { id: 'verify-list', 'data-testid': 'verify-list', class: 'list' },
        fs.length ? fs.map((f) => {
          const id = f.properties.id ?? f.id;
          const note = h('input', { class: 'verify-note', 'data-i18n-ph': 'note', placeholder: t('note') });
          const act = (action) => async (ev) => {
            const li = ev.target.closest('li');
            try {
              await api(`/api/v1/reports/${id}/transitions`, { method: 'POST', body: { action, note: note.value.trim() } });
              toast(t('a_' + action));
              li.remove();
            } catch (e) { toastErr(e); }
          };
          const btn = (action, cls) => h('button', { type: 'button', class: cls, 'data-testid': action + '-btn', 'data-action': action, 'data-i18n': 'a_' + action, text: t('a_' + action), onclick: act(action) });
          // Only the verdicts the server's workflow allows this user now (actions): not on a report they resolved.
          const acts = [btn('verify', 'ok'), btn('rework', 'danger')].filter((b) => (f.properties.actions || []).includes(b.dataset.action));
          return item(f, h('div', { class: 'row' }, note, acts));
        }) : lbl('none', 'li', { class: 'muted' })));
    } catch (e) { toastErr(e); }
  }

  return () => {};
}
