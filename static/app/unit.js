// Unit staff view: my unit's queue sorted by deadline with the traffic
// light, accept / resolve (after photo required) / return as not ours.
import { api, qs } from './api.js';
import { t } from './i18n.js';
import { SETS } from './vocab.js';
import { h, toast, toastErr, statusLabel, fmtTime, dot, remaining, catName, fileButton } from './ui.js';
import { fitOnce, ensureView } from './map.js';
import { network } from './network.js';

const L = window.L;
const lbl = (k, tag = 'span', a = {}) => h(tag, { 'data-i18n': k, text: t(k), ...a });

export function mount({ map, panel, categories }) {
  const catByCode = new Map(categories.map((c) => [c.code, c]));
  // The road network under the pins for orientation; the first view is the queue's (fit below).
  network(map, { fit: false });
  const group = L.markerClusterGroup ? L.markerClusterGroup({ maxClusterRadius: 40 }) : L.featureGroup();
  group.addTo(map);
  const list = h('ul', { id: 'queue', 'data-testid': 'queue', class: 'list queue' });
  panel.append(h('section', { class: 'card' }, h('h3', {}, lbl('v_unit'), ' ', h('span', { id: 'queue-size', class: 'count' })), list));
  let features = [];
  const markers = new Map();

  async function load() {
    try {
      const fc = await api('/api/v1/reports' + qs({ status: SETS.running_statuses.join(',') }));
      features = (fc.features || []).sort((a, b) => (Date.parse(a.properties.deadline) || Infinity) - (Date.parse(b.properties.deadline) || Infinity));
      render();
      group.clearLayers(); markers.clear();
      for (const f of features) {
        if (!f.geometry) continue;
        const [lon, lat] = f.geometry.coordinates;
        const icon = L.divIcon({ className: 'pin ' + (f.properties.light || 'none'), iconSize: [16, 16] });
        const m = L.marker([lat, lon], { icon }).on('click', () => focusItem(f.properties.id ?? f.id));
        markers.set(String(f.properties.id ?? f.id), m);
        group.addLayer(m);
      }
      if (!map.hadSavedView) fitOnce(map, group);
      ensureView(map);
    } catch (e) { toastErr(e); ensureView(map); }
  }

  function focusItem(id) {
    const li = list.querySelector(`li[data-report-id="${CSS.escape(String(id))}"]`);
    if (li) { li.scrollIntoView({ behavior: 'smooth', block: 'nearest' }); li.classList.add('flash'); setTimeout(() => li.classList.remove('flash'), 1500); }
  }

  async function transition(id, body) {
    await api(`/api/v1/reports/${id}/transitions`, { method: 'POST', body });
    toast(t('a_' + body.action));
    await load();
  }

  function render() {
    list.parentElement.querySelector('#queue-size').textContent = '(' + features.length + ')';
    list.replaceChildren(...(features.length ? features.map(row) : [lbl('none', 'li', { class: 'muted' })]));
  }

  function row(f) {
    const p = f.properties || {};
    const id = p.id ?? f.id;
    const extra = h('div', { class: 'action-form', hidden: true });
    const btn = (action, on) => h('button', { type: 'button', 'data-testid': action + '-btn', 'data-action': action, 'data-i18n': 'a_' + action, text: t('a_' + action), onclick: on });
    const guard = (fn) => async (ev) => { const b = ev.currentTarget; b.disabled = true; try { await fn(); } catch (e) { toastErr(e); } finally { b.disabled = false; } };
    const accept = btn('accept', guard(() => transition(id, { action: 'accept' })));
    const resolve = btn('resolve', () => {
      const file = h('input', { type: 'file', accept: 'image/*', capture: 'environment', class: 'resolve-photo', 'data-testid': 'resolve-photo' });
      const note = h('input', { class: 'resolve-note', 'data-i18n-ph': 'note', placeholder: t('note') });
      extra.replaceChildren(h('label', { class: 'file-field' }, lbl('after_photo'), fileButton(file)), note,
        h('button', { type: 'button', class: 'ok', 'data-testid': 'resolve-confirm', text: t('a_resolve'), onclick: guard(async () => {
          if (!file.files[0]) return toast(t('need_photo'), 'error');
          const fd = new FormData();
          fd.append('file', file.files[0], file.files[0].name);
          const ph = await api(`/api/v1/reports/${id}/photos`, { method: 'POST', body: fd });
          await transition(id, { action: 'resolve', photo_id: ph.id, note: note.value.trim() });
        }) }));
      extra.hidden = false;
    });
    const ret = btn('return', () => {
      const note = h('input', { class: 'return-note', required: true, 'data-i18n-ph': 'note', placeholder: t('note') });
      extra.replaceChildren(note, h('button', { type: 'button', class: 'danger', 'data-testid': 'return-confirm', text: t('a_return'), onclick: guard(async () => {
        if (!note.value.trim()) return note.focus();
        await transition(id, { action: 'return', note: note.value.trim() });
      }) }));
      extra.hidden = false;
    });
    // The buttons are the steps this user may take now, as the server's workflow answers them (actions).
    const acts = [accept, resolve, ret].filter((b) => (p.actions || []).includes(b.dataset.action));
    return h('li', { 'data-report-id': id, 'data-light': p.light || '', class: 'light-' + (p.light || 'none') },
      h('div', { class: 'row head' }, dot(p.light), h('b', { text: catName(catByCode.get(p.category)) || p.category }),
        h('span', { class: 'badge', text: statusLabel(p.status) }), p.urgency === 'urgent' ? lbl('urgent', 'span', { class: 'badge bad' }) : ''),
      h('div', { class: 'remaining ' + (p.light || ''), text: remaining(p.deadline) }),
      p.description ? h('div', { text: p.description }) : '',
      h('small', { class: 'muted', text: fmtTime(p.created_at) + (p.routing && p.routing.reason ? ' · ' + p.routing.reason : '') }),
      h('div', { class: 'row' }, acts, h('button', { type: 'button', class: 'link on-map', 'data-i18n': 'on_map', text: t('on_map'), onclick: () => { const m = markers.get(String(id)); if (m) { map.setView(m.getLatLng(), Math.max(map.getZoom(), 17)); } } })),
      extra);
  }

  load();
  const tick = setInterval(() => { // keep remaining times fresh without wiping open forms
    for (const f of features) {
      const li = list.querySelector(`li[data-report-id="${CSS.escape(String(f.properties.id ?? f.id))}"] .remaining`);
      if (li) li.textContent = remaining(f.properties.deadline);
    }
  }, 60000);
  const poll = setInterval(load, 120000);
  const onLang = () => render();
  document.addEventListener('langchange', onLang);
  return () => { clearInterval(tick); clearInterval(poll); document.removeEventListener('langchange', onLang); };
}
