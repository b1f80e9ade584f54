// Planner's 门前三包 tools: register a shop by a click on the map, see and drag the two ends of its frontage
// (drawn on its side of the street, offset from the centreline), sign its agreement, and watch both sides of
// the street: covered stretches green, the rest grey, each side drawn a few meters off the centreline.
import { api, qs } from './api.js';
import { getLang } from './i18n.js';
import { h, toast, toastErr } from './ui.js';

const L = window.L;
const WORDS = {
  zh: {
    shops: '门前三包', add_shop: '登记商户', place_shop: '在地图上点击商户门口位置', shop_name: '商户名称', licence: '营业执照号',
    contact: '联系人', phone: '电话', save: '保存', cancel: '取消', sign: '签订责任书', print: '打印责任书', frontage: '门前责任段',
    no_frontage: '附近 40 米内没有道路', left: '左侧', right: '右侧', covered: '已包', agreement: '责任书', valid_to: '有效至', none: '未签订',
    signed: '已签订', saved: '已保存', m: '米',
  },
  en: {
    shops: 'Shop frontages', add_shop: 'Register a shop', place_shop: 'Click the shop door on the map', shop_name: 'Shop name', licence: 'Licence no.',
    contact: 'Contact', phone: 'Phone', save: 'Save', cancel: 'Cancel', sign: 'Sign the agreement', print: 'Print the agreement', frontage: 'Frontage',
    no_frontage: 'no street within 40 m', left: 'left', right: 'right', covered: 'covered', agreement: 'Agreement', valid_to: 'valid to', none: 'not signed',
    signed: 'signed', saved: 'saved', m: 'm',
  },
};
const w = (k) => (WORDS[getLang() === 'en' ? 'en' : 'zh'][k] || k);
const SIDE_OFFSET_M = 4; // how far from the centreline each side is drawn

// Local metric frame around a latitude: meters per degree of longitude and latitude.
const scale = (lat) => [111320 * Math.cos((lat * Math.PI) / 180), 110540];

// Cumulative lengths (m) of a [lon, lat] path.
function measures(c) {
  const out = [0];
  for (let i = 1; i < c.length; i++) {
    const [kx, ky] = scale(c[i][1]);
    out.push(out[i - 1] + Math.hypot((c[i][0] - c[i - 1][0]) * kx, (c[i][1] - c[i - 1][1]) * ky));
  }
  return out;
}

// The part of a path between two measures.
function sub(c, from, to) {
  const m = measures(c), out = [];
  const at = (x) => {
    let i = 1;
    while (i < m.length - 1 && m[i] < x) i++;
    const t = m[i] > m[i - 1] ? (x - m[i - 1]) / (m[i] - m[i - 1]) : 0;
    return [c[i - 1][0] + t * (c[i][0] - c[i - 1][0]), c[i - 1][1] + t * (c[i][1] - c[i - 1][1])];
  };
  out.push(at(from));
  for (let i = 0; i < c.length; i++) if (m[i] > from && m[i] < to) out.push(c[i]);
  out.push(at(to));
  return out;
}

// A path shifted d meters to its left (negative: right), vertex by vertex along the mean normal.
function offset(c, d) {
  return c.map((p, i) => {
    const [kx, ky] = scale(p[1]);
    const a = c[Math.max(0, i - 1)], b = c[Math.min(c.length - 1, i + 1)];
    const dx = (b[0] - a[0]) * kx, dy = (b[1] - a[1]) * ky, n = Math.hypot(dx, dy) || 1;
    return [p[0] - (dy / n) * d / kx, p[1] + (dx / n) * d / ky];
  });
}

const ll = (c) => c.map(([x, y]) => [y, x]);
const lineOf = (g) => (g.type === 'LineString' ? g.coordinates : g.type === 'MultiLineString' ? g.coordinates.flat() : []);

export function mountShops({ map, panel }) {
  const sides = L.layerGroup().addTo(map);
  const front = L.layerGroup().addTo(map);
  const shopsLayer = L.layerGroup().addTo(map);
  let placing = false, current = null, street = null;

  const name = h('input', { id: 'shop-name', required: true });
  const licence = h('input', { id: 'shop-licence' });
  const contact = h('input', { id: 'shop-contact', autocomplete: 'name' });
  const phone = h('input', { id: 'shop-phone', type: 'tel' });
  const form = h('form', { id: 'shop-form', class: 'card form', hidden: true },
    h('h3', { text: w('add_shop') }),
    h('label', {}, w('shop_name'), name), h('label', {}, w('licence'), licence),
    h('label', {}, w('contact'), contact), h('label', {}, w('phone'), phone),
    h('div', { class: 'row' }, h('button', { id: 'shop-save', text: w('save') }),
      h('button', { type: 'button', id: 'shop-cancel', text: w('cancel'), onclick: () => { form.hidden = true; front.clearLayers(); } })));
  const title = h('b', { id: 'shop-title' });
  const frontageEl = h('p', { id: 'shop-frontage' });
  const agreementEl = h('p', { id: 'shop-agreement' });
  const sideEl = (s) => h('span', { id: 'side-' + s, class: 'kpi' }, '—');
  const sideLeft = sideEl('left'), sideRight = sideEl('right');
  const pdf = h('a', { id: 'shop-pdf', target: '_blank', text: w('print'), hidden: true });
  const detail = h('section', { id: 'shop-detail', class: 'card', hidden: true }, title, frontageEl, agreementEl,
    h('p', {}, w('left'), ': ', sideLeft, ' · ', w('right'), ': ', sideRight),
    h('div', { class: 'row' }, h('button', { type: 'button', id: 'shop-sign', text: w('sign'), onclick: sign }), pdf));
  const hint = h('p', { id: 'shop-hint', class: 'hint', hidden: true, text: w('place_shop') });
  panel.append(h('section', { class: 'card', id: 'shops-card' }, h('h3', { text: w('shops') }),
    h('button', { type: 'button', id: 'shop-add', text: w('add_shop'), onclick: () => { placing = true; hint.hidden = false; } }), hint), form, detail);

  // While placing, the click is taken in the capture phase, before a zone or a road under it gets it.
  let pin = null;
  map.getContainer().addEventListener('click', (ev) => {
    if (!placing) return;
    ev.stopPropagation();
    ev.preventDefault();
    placing = false; hint.hidden = true;
    const at = map.mouseEventToLatLng(ev);
    pin = [at.lng, at.lat];
    front.clearLayers();
    L.circleMarker(at, { radius: 7, color: '#6a3d9a', fillOpacity: 0.8 }).addTo(front);
    form.hidden = false;
    name.focus();
  }, true);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const props = { name: name.value.trim(), licence: licence.value.trim(), contact_person: contact.value.trim(), phone: phone.value.trim() };
    try {
      const f = await api('/api/v1/shops', { method: 'POST', body: { type: 'Feature', geometry: { type: 'Point', coordinates: pin }, properties: props } });
      form.hidden = true;
      toast(w('saved'));
      await show(f.properties.id);
    } catch (err) { toastErr(err); }
  });

  async function sign() {
    if (!current) return;
    const to = new Date(Date.now() + 365 * 864e5).toISOString().slice(0, 10);
    try {
      await api(`/api/v1/shops/${current.id}/agreements`, { method: 'POST', body: { valid_to: to, signed_by: current.contact_person || current.name } });
      toast(w('signed'));
      await show(current.id);
    } catch (err) { toastErr(err); }
  }

  // show draws one shop: its frontage with two draggable ends, and both sides of its street.
  async function show(id) {
    const f = await api(`/api/v1/shops/${id}`);
    current = f.properties;
    detail.hidden = false;
    title.textContent = current.name;
    const a = current.agreement;
    agreementEl.textContent = `${w('agreement')}: ` + (a ? `#${a.id} ${w('valid_to')} ${a.valid_to}` : w('none'));
    agreementEl.dataset.valid = a && a.valid ? 'true' : 'false';
    pdf.hidden = !a;
    pdf.href = `/api/v1/shops/${id}/agreement.pdf`;
    shopsLayer.clearLayers();
    L.geoJSON(f.geometry, { pointToLayer: (_, p) => L.circleMarker(p, { radius: 6, color: '#6a3d9a', fillOpacity: 0.9 }) }).addTo(shopsLayer);
    front.clearLayers();
    const fr = current.frontage;
    if (!fr) { frontageEl.textContent = w('no_frontage'); sides.clearLayers(); return; }
    frontageEl.textContent = `${w('frontage')}: ${fr.asset_name || '#' + fr.asset_id} ${w(fr.side)} ${fr.from_m.toFixed(1)}–${fr.to_m.toFixed(1)} ${w('m')}`;
    Object.assign(frontageEl.dataset, { assetId: fr.asset_id, side: fr.side, from: fr.from_m, to: fr.to_m });
    if (!street || street.id !== fr.asset_id) street = { id: fr.asset_id, c: lineOf((await api(`/api/v1/assets/${fr.asset_id}`)).geometry) };
    const d = fr.side === 'left' ? SIDE_OFFSET_M : -SIDE_OFFSET_M;
    L.polyline(ll(offset(sub(street.c, fr.from_m, fr.to_m), d * 1.6)), { color: '#6a3d9a', weight: 6, opacity: 0.9, interactive: false }).addTo(front);
    for (const end of ['from', 'to']) {
      const p = sub(offset(street.c, d * 1.6), fr[end + '_m'], fr[end + '_m'])[0];
      const mk = L.marker([p[1], p[0]], {
        draggable: true, autoPan: false,
        icon: L.divIcon({ className: 'frontage-end', html: `<div id="frontage-${end}" class="frontage-handle"></div>`, iconSize: [18, 18] }),
      }).addTo(front);
      mk.on('dragend', () => drag(end, mk.getLatLng()));
    }
    await drawSides();
  }

  // drag moves one end of the frontage to the meter of its street nearest where it was dropped.
  async function drag(end, at) {
    const fr = current.frontage;
    try {
      const o = await api('/api/v1/owner' + qs({ lon: at.lng.toFixed(7), lat: at.lat.toFixed(7) }));
      if (!o || !o.asset || o.asset.id !== fr.asset_id) throw new Error(w('no_frontage'));
      const ends = { from: fr.from_m, to: fr.to_m, [end]: o.measure_m };
      await api(`/api/v1/shops/${current.id}/frontage`, { method: 'PUT', body: { from_m: Math.min(ends.from, ends.to), to_m: Math.max(ends.from, ends.to) } });
    } catch (err) { toastErr(err); }
    await show(current.id);
  }

  // drawSides draws each side of the street offset from its centreline: covered green, the rest grey.
  async function drawSides() {
    const cov = await api(`/api/v1/assets/${street.id}/frontage`);
    sides.clearLayers();
    for (const s of cov.sides) {
      const d = s.side === 'left' ? SIDE_OFFSET_M : -SIDE_OFFSET_M;
      L.polyline(ll(offset(street.c, d)), { color: '#999', weight: 3, opacity: 0.8, interactive: false }).addTo(sides);
      let at = 0;
      for (const g of [...s.gaps, { from_m: s.length_m, to_m: s.length_m }]) {
        if (g.from_m > at) L.polyline(ll(offset(sub(street.c, at, g.from_m), d)), { color: '#2ca02c', weight: 4, interactive: false }).addTo(sides);
        at = g.to_m;
      }
      const el = s.side === 'left' ? sideLeft : sideRight;
      el.textContent = `${w('covered')} ${s.covered_m.toFixed(1)} / ${s.length_m.toFixed(0)} ${w('m')} (${s.percent.toFixed(1)}%)`;
      el.dataset.value = s.covered_m;
    }
  }
  return { show };
}
