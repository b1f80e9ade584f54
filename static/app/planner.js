// Planner view: coverage map (covered by unit colour, gaps red dashed,
// overlaps orange), summary, gap list, asset search, zone drawing/editing
// with Leaflet-Geoman, and range assignment by two clicks on a road.
import { api, qs } from './api.js';
import { t } from './i18n.js';
import { h, $, toast, toastErr, km, unitColor, idv, debounce, options } from './ui.js';
import { fitOnce, ensureView } from './map.js';
import { network } from './network.js';
import { mountShops } from './shops.js';
import { mountImports } from './imports.js';

const L = window.L;
const lbl = (k, tag = 'span', a = {}) => h(tag, { 'data-i18n': k, text: t(k), ...a });
const GAP_ROWS = 200;

// Follow `links` rel=next (bounded) and merge the features.
export async function fetchAll(url, pages = 20) {
  const out = { type: 'FeatureCollection', features: [] };
  while (url && pages-- > 0) {
    const fc = await api(url);
    out.features.push(...((fc && fc.features) || []));
    const next = ((fc && fc.links) || []).find((l) => l.rel === 'next');
    url = next ? next.href : null;
  }
  return out;
}

// snapIgnore: zone vertices snap to other zones, never onto a road — a zone edge lying on a road's
// centreline would make that road half in, half out (Geoman reads the option from the layer).
export function segStyle(f) {
  const p = f.properties || {};
  if (p.status === 'gap') return { color: '#d62728', weight: 4, dashArray: '7 6', opacity: 0.95, snapIgnore: true };
  if (p.status === 'overlap') return { color: '#ff7f0e', weight: 6, opacity: 0.95, snapIgnore: true };
  return { color: unitColor(p.unit_ids && p.unit_ids[0]), weight: 4, opacity: 0.9, snapIgnore: true };
}

export function mount({ map, panel, units, unitName }) {
  const unitOpts = units.map((u) => ({ value: u.id, label: u.name }));
  const zoneStyle = (f) => ({ color: unitColor(f.properties.unit_id), weight: 1.5, dashArray: f.properties.role === 'support' ? '3 4' : null, fillOpacity: 0.06 });

  // ---- layers
  const areaLayer = L.geoJSON(null, {
    style: { color: '#4c9a6a', weight: 1, fillColor: '#9fd3a8', fillOpacity: 0.35 },
    onEachFeature: (f, l) => l.bindTooltip(f.properties.name || '', { sticky: true }),
  }).addTo(map);
  const zoneLayer = L.geoJSON(null, { style: zoneStyle, onEachFeature: (f, l) => l.on('click', (e) => { if (!mode) { L.DomEvent.stop(e); editZone(l); } }) }).addTo(map);
  const fitPad = window.innerWidth > 700 ? { paddingTopLeft: [160, 10], paddingBottomRight: [10, 10] } : {}; // keep the open legend off the roads
  // The network coloured by owner, gaps and overlaps; drawn and fitted by the module every view uses.
  const net = network(map, { style: segStyle, onEachFeature: segPopup, fitPad });
  const segLayer = net.layer;
  const marks = L.layerGroup().addTo(map);
  const hl = L.geoJSON(null, { interactive: false, snapIgnore: true, style: { color: '#000', weight: 9, opacity: 0.35, snapIgnore: true } }).addTo(map);

  // Not bindPopup: it stops the click, and while drawing a zone or picking a range the click on a road
  // must reach the map (a Geoman vertex, a range end).
  function segPopup(f, l) {
    l.on('click', (e) => {
      if (mode) return;
      const p = f.properties;
      const names = (p.unit_ids || []).map(unitName).join('、') || t('units_none');
      L.popup().setLatLng(e.latlng).setContent(h('div', {}, h('b', { text: p.asset_name || '#' + p.asset_id }),
        h('div', { text: `${t(p.status)} · ${Math.round(p.from_m)}–${Math.round(p.to_m)} ${t('m')}` }),
        h('div', { text: `${t('unit')}: ${names}` }))).openOn(map);
    });
  }

  // ---- panel
  const pctEl = h('span', { id: 'coverage-percent', 'data-testid': 'coverage-percent', class: 'big', text: '—' });
  const kpi = (id, k, cls) => h('div', { class: 'kpi ' + cls }, h('b', { id, text: '—' }), ' ', lbl('km'), h('br'), lbl(k, 'small'));
  const unitTable = h('table', { id: 'unit-km', 'data-testid': 'unit-km', class: 'grid' });
  const gapList = h('ul', { id: 'gap-list', 'data-testid': 'gap-list', class: 'list' });
  const gapCount = h('span', { id: 'gap-count', class: 'count' });
  const search = h('input', { id: 'asset-search', 'data-testid': 'asset-search', type: 'search', 'data-i18n-ph': 'search_asset', placeholder: t('search_asset') });
  const results = h('ul', { id: 'asset-results', class: 'list' });
  const hint = h('p', { id: 'mode-hint', class: 'hint', hidden: true });

  const zName = h('input', { id: 'zone-name', name: 'name', required: true });
  const zUnit = h('select', { id: 'zone-unit', name: 'unit_id', required: true });
  const zRole = h('select', { id: 'zone-role', name: 'role' });
  const zKind = h('input', { id: 'zone-kind', name: 'kind', list: 'zone-kinds', value: '网格' });
  const zDel = h('button', { type: 'button', id: 'zone-delete', class: 'danger', 'data-i18n': 'delete', text: t('delete') });
  const zoneForm = h('form', { id: 'zone-form', class: 'card form', hidden: true },
    h('h3', {}, lbl('zone')),
    h('label', {}, lbl('name'), zName), h('label', {}, lbl('unit'), zUnit), h('label', {}, lbl('role'), zRole),
    h('label', {}, lbl('kind'), zKind),
    h('datalist', { id: 'zone-kinds' }, ['网格', '路段', '门前三包', '背街小巷', '市场', '公园'].map((v) => h('option', { value: v }))),
    h('div', { class: 'row' }, h('button', { id: 'zone-save', 'data-i18n': 'save', text: t('save') }), zDel,
      h('button', { type: 'button', id: 'zone-cancel', 'data-i18n': 'cancel', text: t('cancel'), onclick: () => endZone(true) })));

  const aInfo = h('p', { id: 'assign-asset' });
  const aFrom = h('input', { id: 'assign-from', type: 'number', step: '0.1', min: '0', required: true });
  const aTo = h('input', { id: 'assign-to', type: 'number', step: '0.1', min: '0', required: true });
  const aUnit = h('select', { id: 'assign-unit', required: true });
  const aRole = h('select', { id: 'assign-role' });
  const aPerson = h('input', { id: 'assign-person', autocomplete: 'name' });
  const aPhone = h('input', { id: 'assign-phone', type: 'tel', autocomplete: 'tel' });
  const assignForm = h('form', { id: 'assign-form', class: 'card form', hidden: true },
    h('h3', {}, lbl('assign_range')), aInfo,
    h('div', { class: 'row' }, h('label', {}, lbl('from_m'), aFrom), h('label', {}, lbl('to_m'), aTo)),
    h('label', {}, lbl('unit'), aUnit), h('label', {}, lbl('role'), aRole),
    h('label', {}, lbl('person'), aPerson), h('label', {}, lbl('phone'), aPhone),
    h('div', { class: 'row' }, h('button', { id: 'assign-save', 'data-i18n': 'save', text: t('save') }),
      h('button', { type: 'button', id: 'assign-cancel', 'data-i18n': 'cancel', text: t('cancel'), onclick: () => endAssign() })));

  const roleOpts = () => [{ value: 'lead', label: t('lead') }, { value: 'support', label: t('support') }];
  const fillSelects = () => {
    for (const s of [zUnit, aUnit]) { const v = s.value; options(s, unitOpts, { empty: '—' }); s.value = v; }
    for (const s of [zRole, aRole]) { const v = s.value || 'lead'; options(s, roleOpts()); s.value = v; }
  };
  fillSelects();

  panel.append(
    h('section', { class: 'card', id: 'coverage-card' },
      h('div', { class: 'headline' }, pctEl, lbl('percent_covered', 'small')),
      h('div', { class: 'kpis' }, kpi('coverage-covered-km', 'covered', 'ok'), kpi('coverage-gap-km', 'gap', 'bad'), kpi('coverage-overlap-km', 'overlap', 'warn')),
      unitTable),
    h('section', { class: 'card tools' },
      h('div', { class: 'row' },
        h('button', { type: 'button', id: 'draw-zone', 'data-testid': 'draw-zone', 'data-i18n': 'draw_zone', text: t('draw_zone'), onclick: startDraw }),
        h('button', { type: 'button', id: 'assign-range', 'data-testid': 'assign-range', 'data-i18n': 'assign_range', text: t('assign_range'), onclick: startAssign })),
      hint),
    zoneForm, assignForm,
    h('section', { class: 'card' }, search, results),
    h('section', { class: 'card' }, h('h3', {}, lbl('gaps'), ' ', gapCount), gapList));

  mountShops({ map, panel }); // 门前三包: shops, frontages, agreements, both sides of a street
  mountImports({ map, panel, onApplied: () => refresh() }); // zones and units from the county's own files

  // ---- legend
  const legend = L.control({ position: 'bottomleft' });
  legend.onAdd = () => h('details', { class: 'legend', id: 'legend', open: window.innerWidth > 700 },
    h('summary', {}, lbl('legend')),
    h('div', {}, h('i', { class: 'sw gap' }), lbl('gap')), h('div', {}, h('i', { class: 'sw overlap' }), lbl('overlap')),
    units.map((u) => { const sw = h('i', { class: 'sw' }); sw.style.background = unitColor(u.id); return h('div', {}, sw, u.name); }));
  legend.addTo(map);

  // ---- data
  async function loadSummary() {
    const c = await api('/api/v1/coverage');
    if (!pctEl.isConnected) return; // the view was left while the answer was on its way
    const r = c.total_m ? c.covered_m / c.total_m : 0;
    let p = c.percent ?? r * 100;
    if (c.total_m && Math.abs(p - r) < 0.01 && Math.abs(p - 100 * r) > 1) p *= 100; // tolerate a 0–1 fraction
    if (p >= 100 && c.gap_m > 0) p = 99.99;
    pctEl.textContent = (Math.floor(p * 10) / 10).toFixed(1) + '%';
    pctEl.dataset.value = c.percent ?? p; // raw figure for tests
    $('#coverage-covered-km').textContent = km(c.covered_m);
    $('#coverage-gap-km').textContent = km(c.gap_m);
    $('#coverage-overlap-km').textContent = km(c.overlap_m);
    unitTable.replaceChildren(
      h('thead', {}, h('tr', {}, h('th', {}, lbl('unit')), h('th', {}, lbl('lead'), ' km'), h('th', {}, lbl('support'), ' km'), h('th', {}, lbl('overlap'), ' km'))),
      h('tbody', {}, (c.by_unit || []).slice().sort((a, b) => b.lead_m - a.lead_m).map((u) => {
        const sw = h('i', { class: 'sw' }); sw.style.background = unitColor(u.unit_id);
        return h('tr', { 'data-unit-id': u.unit_id }, h('td', {}, sw, u.name || unitName(u.unit_id)), h('td', { text: km(u.lead_m) }), h('td', { text: km(u.support_m) }), h('td', { text: km(u.overlap_m) }));
      })));
  }

  async function loadGaps() {
    const fc = await api('/api/v1/coverage/gaps' + qs({ min_length_m: 20 }));
    const fs = (fc.features || []).sort((a, b) => (b.properties.length_m || 0) - (a.properties.length_m || 0));
    gapCount.textContent = '(' + fs.length + ')';
    // The longest gaps first, at most GAP_ROWS of them: a list of thousands helps nobody (and costs a
    // whole network's worth of DOM); the rest are on the map.
    const rest = fs.length - GAP_ROWS;
    gapList.replaceChildren(...(fs.length ? fs.slice(0, GAP_ROWS).map((f) => {
      const p = f.properties;
      return h('li', {}, h('button', { type: 'button', class: 'link', 'data-asset-id': p.asset_id, onclick: () => zoomTo(f) },
        h('b', { text: p.asset_name || '#' + p.asset_id }), ` ${Math.round(p.length_m)} ${t('m')} `,
        h('small', { text: `(${Math.round(p.from_m)}–${Math.round(p.to_m)})` })));
    }) : [lbl('no_gaps', 'li', { class: 'muted' })]), ...(rest > 0 ? [h('li', { class: 'muted', id: 'gap-more', text: t('more_gaps', { n: rest }) })] : []));
  }

  function zoomTo(f) {
    hl.clearLayers().addData(f);
    const b = hl.getBounds();
    if (b.isValid()) map.fitBounds(b, { maxZoom: 18, padding: [30, 30] });
    setTimeout(() => hl.clearLayers(), 4000);
  }

  const reloadSegs = net.reload;

  // Zones and areas stay under the road pieces so clicks hit roads first.
  const sink = () => { zoneLayer.bringToBack(); areaLayer.bringToBack(); };
  async function loadZones() { zoneLayer.clearLayers().addData(await fetchAll('/api/v1/zones')); sink(); }
  async function loadAreas() {
    const [m, p] = await Promise.all([fetchAll('/api/v1/assets?kind=market'), fetchAll('/api/v1/assets?kind=park')]);
    areaLayer.clearLayers().addData(m).addData(p);
    sink();
  }
  const refresh = () => Promise.all([loadSummary(), loadGaps(), reloadSegs(), loadZones()]).catch(toastErr);

  (async () => {
    await net.ready;
    loadZones().then(() => fitOnce(map, zoneLayer, fitPad)).catch(toastErr).finally(() => ensureView(map));
    loadAreas().catch(toastErr);
    loadSummary().catch(toastErr);
    loadGaps().catch(toastErr);
  })();

  // ---- search
  search.addEventListener('input', debounce(async () => {
    const q = search.value.trim();
    if (!q) return results.replaceChildren();
    try {
      const fc = await api('/api/v1/assets' + qs({ q, limit: 20 }));
      results.replaceChildren(...(fc.features || []).map((f) => h('li', {},
        h('button', { type: 'button', class: 'link', onclick: () => zoomTo(f) }, h('b', { text: f.properties.name || '#' + f.id }), ' ', h('small', { text: f.properties.kind })))));
      if (!(fc.features || []).length) results.replaceChildren(lbl('none', 'li', { class: 'muted' }));
    } catch (e) { toastErr(e); }
  }, 300));

  // ---- modes: 'draw' | 'edit' | 'assign' | null
  let mode = null, drawn = null, editing = null, picks = [];
  const setHint = (k) => { hint.hidden = !k; if (k) { hint.dataset.i18n = k; hint.textContent = t(k); } };

  function reset() {
    if (mode === 'draw' && map.pm) map.pm.disableDraw();
    endZone(false); endAssign();
  }

  function startDraw() {
    reset();
    if (!map.pm) return toast('Leaflet-Geoman missing', 'error');
    mode = 'draw';
    setHint('draw_hint');
    map.pm.enableDraw('Polygon', { snappable: true, allowSelfIntersection: false, pathOptions: { color: '#333' } });
  }
  map.on('pm:create', (e) => {
    if (mode !== 'draw') return;
    drawn = e.layer;
    showZoneForm({ role: 'lead', kind: '网格' }, false);
  });

  function editZone(layer) {
    reset();
    mode = 'edit';
    editing = layer;
    layer.pm.enable({ allowSelfIntersection: false });
    setHint('edit_hint');
    showZoneForm(layer.feature.properties, true);
  }

  function showZoneForm(p, isEdit) {
    zName.value = p.name || '';
    zUnit.value = p.unit_id ?? '';
    zRole.value = p.role || 'lead';
    zKind.value = p.kind || '网格';
    zDel.hidden = !isEdit;
    zDel.textContent = t('delete');
    zoneForm.hidden = false;
    zName.focus();
  }

  function endZone(reload) {
    if (drawn) { map.removeLayer(drawn); drawn = null; }
    if (editing) { editing.pm.disable(); editing = null; if (reload) loadZones().catch(toastErr); }
    zoneForm.hidden = true;
    if (mode === 'draw' || mode === 'edit') { mode = null; setHint(null); }
  }

  zoneForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const layer = drawn || editing;
    if (!layer) return;
    const props = { name: zName.value.trim(), unit_id: idv(zUnit.value), role: zRole.value, kind: zKind.value.trim() || '网格' };
    const feature = { type: 'Feature', geometry: layer.toGeoJSON().geometry, properties: props };
    try {
      if (editing) await api('/api/v1/zones/' + zoneId(editing), { method: 'PATCH', body: feature });
      else await api('/api/v1/zones', { method: 'POST', body: feature });
      toast(t('saved'));
      endZone(false);
      await refresh();
    } catch (err) { toastErr(err); }
  });

  const zoneId = (l) => l.feature.id ?? l.feature.properties.id;
  let delArmed = 0;
  zDel.addEventListener('click', async () => {
    if (!editing) return;
    if (Date.now() - delArmed > 4000) { delArmed = Date.now(); zDel.textContent = t('confirm_delete'); return; }
    try {
      await api('/api/v1/zones/' + zoneId(editing), { method: 'DELETE' });
      toast(t('deleted'));
      editing.pm.disable(); editing = null;
      endZone(false);
      await refresh();
    } catch (err) { toastErr(err); }
  });

  // ---- assign range: two clicks on the same asset
  function startAssign() {
    reset();
    mode = 'assign';
    picks = [];
    marks.clearLayers();
    setHint('pick_first');
    map.getContainer().classList.add('picking');
  }
  function endAssign() {
    assignForm.hidden = true;
    marks.clearLayers();
    picks = [];
    map.getContainer().classList.remove('picking');
    if (mode === 'assign') { mode = null; setHint(null); }
  }

  async function onMapClick(e) {
    if (mode !== 'assign' || picks.length >= 2) return;
    const { lat, lng } = e.latlng;
    let o;
    try { o = await api('/api/v1/owner' + qs({ lon: lng.toFixed(7), lat: lat.toFixed(7) })); } catch (err) {
      return toast(err.status === 404 ? t('no_asset') : err.message, 'error');
    }
    if (!o || !o.asset || o.measure_m === undefined || o.measure_m === null) return toast(t('no_asset'), 'error');
    picks.push(o);
    L.circleMarker(e.latlng, { radius: 7, color: '#000', fillColor: '#fff', fillOpacity: 1, weight: 2 }).addTo(marks);
    if (picks.length === 1) return setHint('pick_second');
    const [a, b] = picks;
    if (a.asset.id !== b.asset.id) {
      toast(t('diff_asset', { a: a.asset.name || '#' + a.asset.id, b: b.asset.name || '#' + b.asset.id }), 'error');
      picks = []; marks.clearLayers(); return setHint('pick_first');
    }
    const from = Math.min(a.measure_m, b.measure_m), to = Math.max(a.measure_m, b.measure_m);
    aInfo.textContent = `${a.asset.name || '#' + a.asset.id} (#${a.asset.id})`;
    aInfo.dataset.assetId = a.asset.id;
    aFrom.value = from.toFixed(1);
    aTo.value = to.toFixed(1);
    assignForm.hidden = false;
    setHint(null);
  }
  map.on('click', onMapClick);

  assignForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { unit_id: idv(aUnit.value), from_m: Number(aFrom.value), to_m: Number(aTo.value), role: aRole.value, person: aPerson.value.trim(), phone: aPhone.value.trim() };
    try {
      await api(`/api/v1/assets/${aInfo.dataset.assetId}/assignments`, { method: 'POST', body });
      toast(t('saved'));
      mode = 'assign'; endAssign();
      await refresh();
    } catch (err) { toastErr(err); }
  });

  const onLang = () => { fillSelects(); loadSummary().catch(() => {}); loadGaps().catch(() => {}); };
  document.addEventListener('langchange', onLang);
  return () => {
    document.removeEventListener('langchange', onLang);
    if (map.pm) map.pm.disableDraw();
  };
}
