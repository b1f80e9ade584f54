// Leader view: heat map of problems (leaflet.heat) with filters, unit
// ranking table, and a created-vs-closed trend drawn as inline SVG.
import { api, qs } from './api.js';
import { t } from './i18n.js';
import { h, toastErr, options, pct, catName } from './ui.js';
import { onView } from './map.js';
import { network } from './network.js';
import { fetchAll } from './planner.js';

const L = window.L;
const lbl = (k, tag = 'span', a = {}) => h(tag, { 'data-i18n': k, text: t(k), ...a });
const SVG = 'http://www.w3.org/2000/svg';
const s = (tag, attrs = {}, ...kids) => { const e = document.createElementNS(SVG, tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); e.append(...kids); return e; };

export function mount({ map, panel, categories, units }) {
  // The road network for orientation, over the base map.
  const net = network(map);
  // Problems read as warmth: yellow for a few, deep red where they pile up.
  const heat = L.heatLayer([], { radius: 26, blur: 16, maxZoom: 17, minOpacity: 0.45,
    gradient: { 0.2: '#fde047', 0.45: '#fb923c', 0.7: '#ef4444', 1: '#7f1d1d' } }).addTo(map);
  const tag = () => { const c = heat._canvas; if (c) { c.id = 'heat-layer'; c.dataset.testid = 'heat-layer'; } };
  tag();

  const fCat = h('select', { id: 'filter-category', 'data-testid': 'filter-category' });
  const fUnit = h('select', { id: 'filter-unit', 'data-testid': 'filter-unit' });
  const fSince = h('select', { id: 'filter-since', 'data-testid': 'filter-since' });
  const fOver = h('input', { type: 'checkbox', id: 'filter-overdue', 'data-testid': 'filter-overdue' });
  const count = h('span', { id: 'heat-count', 'data-testid': 'heat-count', class: 'count' });
  const fill = () => {
    const keep = [fCat.value, fUnit.value, fSince.value];
    options(fCat, categories.map((c) => ({ value: c.code, label: catName(c), group: c.group })), { empty: t('all') });
    options(fUnit, units.map((u) => ({ value: u.id, label: u.name })), { empty: t('all') });
    options(fSince, [{ value: '', label: t('all') }, { value: '7', label: t('d7') }, { value: '30', label: t('d30') }, { value: '90', label: t('d90') }]);
    [fCat.value, fUnit.value, fSince.value] = keep;
  };
  fill();
  const ranking = h('table', { id: 'ranking', 'data-testid': 'ranking', class: 'grid' });
  const trend = h('div', { id: 'trend', 'data-testid': 'trend' });
  panel.append(
    h('section', { class: 'card form', id: 'heat-filters' }, h('h3', {}, lbl('heat'), ' ', count),
      h('label', {}, lbl('category'), fCat), h('label', {}, lbl('unit'), fUnit),
      h('div', { class: 'row' }, h('label', {}, lbl('since'), fSince), h('label', { class: 'check' }, fOver, lbl('overdue_only')))),
    h('section', { class: 'card' }, h('h3', {}, lbl('ranking')), h('div', { class: 'scroll-x' }, ranking)),
    h('section', { class: 'card' }, h('h3', {}, lbl('trend')), trend));

  // ---- heat
  const filters = () => ({
    category: fCat.value, unit_id: fUnit.value,
    since: fSince.value ? new Date(Date.now() - fSince.value * 864e5).toISOString() : '',
  });
  async function loadHeat(bbox, signal) {
    let pts;
    if (fOver.checked) { // the heatmap endpoint has no overdue filter; build points from overdue reports
      const fc = await fetchAll('/api/v1/reports' + qs({ ...filters(), overdue: 1, bbox }), 10);
      pts = fc.features.filter((f) => f.geometry).map((f) => [f.geometry.coordinates[1], f.geometry.coordinates[0], 1]);
    } else {
      const r = await api('/api/v1/heatmap' + qs({ ...filters(), bbox, zoom: map.getZoom(), format: 'points' }), { signal });
      pts = (r && r.points) || [];
    }
    const max = pts.reduce((m, p) => Math.max(m, p[2] ?? 1), 1);
    heat.setOptions({ max });
    heat.setLatLngs(pts);
    tag();
    count.textContent = t('points', { n: pts.length });
    count.dataset.n = pts.length;
  }
  // Patrol layer: every stretch coloured by the days since someone last walked it (grey: not in a year).
  const patrolColor = (d) => (d === null || d === undefined ? '#9ca3af' : d < 1 ? '#15803d' : d < 3 ? '#84cc16' : d < 7 ? '#f59e0b' : '#dc2626');
  const patrolLayer = L.geoJSON(null, { interactive: false, style: (f) => ({ color: patrolColor(f.properties.days_since), weight: 4, opacity: 0.85 }) }).addTo(map);
  const patrolInfo = h('span', { id: 'patrol-layer', 'data-testid': 'patrol-layer', class: 'count', 'data-today-m': '0' });
  async function loadPatrols(bbox, signal) {
    const fc = await api('/api/v1/patrols/layer' + qs({ bbox }), { signal });
    patrolLayer.clearLayers().addData(fc);
    const today = ((fc && fc.features) || []).filter((f) => f.properties.days_since === 0).reduce((m, f) => m + f.properties.to_m - f.properties.from_m, 0);
    patrolInfo.dataset.todayM = today.toFixed(1);
    // Test hooks: meters drawn as walked in the layer's year, and of those not walked for a week or more (stale).
    const walked = ((fc && fc.features) || []).filter((f) => f.properties.days_since !== null && f.properties.days_since !== undefined);
    patrolInfo.dataset.patrolledM = walked.reduce((m, f) => m + f.properties.to_m - f.properties.from_m, 0).toFixed(1);
    patrolInfo.dataset.staleM = walked.filter((f) => f.properties.days_since >= 7).reduce((m, f) => m + f.properties.to_m - f.properties.from_m, 0).toFixed(1);
    patrolInfo.textContent = t('patrol_today', { km: (today / 1000).toFixed(2) });
  }
  panel.append(h('section', { class: 'card' }, h('h3', {}, lbl('patrol_layer')), patrolInfo));
  const reload = onView(map, (bbox, signal) => Promise.all([
    loadPatrols(bbox, signal).catch((e) => { if (e.name !== 'AbortError') toastErr(e); }),
    loadHeat(bbox, signal).catch((e) => { if (e.name !== 'AbortError') toastErr(e); }),
  ]));
  // The heat map asks for a bbox (cells are sized to the zoom): once the network has fitted the map, load it.
  net.ready.then(() => reload());
  for (const el of [fCat, fUnit, fSince, fOver]) el.addEventListener('change', reload);

  // ---- ranking
  let rows = [];
  function renderRanking() {
    const num = (v, d = 1) => (v === null || v === undefined ? '—' : Number(v).toFixed(d));
    ranking.replaceChildren(
      h('thead', {}, h('tr', {}, ['rank', 'unit', 'on_time', 'closure', 'rework_rate', 'overdue_now', 'per_km', 'satisfaction', 'patrol_rate', 'frontage_rate', 'score'].map((k) => h('th', {}, lbl(k))))),
      h('tbody', {}, rows.map((u) => {
        const r = u.rates || {};
        return h('tr', { class: u.too_few ? 'too-few' : '', 'data-unit-id': u.unit_id, title: u.too_few ? t('too_few') : '' },
          h('td', { text: u.too_few || !u.rank ? '—' : u.rank }), h('td', { text: u.name }),
          h('td', { text: pct(r.on_time) }), h('td', { text: pct(r.closure) }), h('td', { text: pct(r.rework) }),
          h('td', { text: u.overdue_now ?? 0 }), h('td', { text: num(u.per_km, 2) }),
          h('td', { class: 'satisfaction', 'data-value': r.satisfaction ?? '', text: pct(r.satisfaction) }),
          // 巡查达标率 and 门前三包 coverage are context beside the score, not part of it (issue 13, issue 16).
          h('td', { class: 'patrol-rate', 'data-value': u.patrol_rate ?? '', text: pct(u.patrol_rate) }),
          h('td', { class: 'frontage-rate', 'data-value': u.frontage?.rate ?? '', text: pct(u.frontage?.rate) }),
          h('td', { text: u.too_few ? '—' : num(u.score) }));
      })));
  }
  api('/api/v1/stats/units').then((r) => {
    const items = (r && r.items) || [];
    rows = [...items.filter((u) => !u.too_few && u.rank).sort((a, b) => a.rank - b.rank), ...items.filter((u) => u.too_few || !u.rank)];
    renderRanking();
  }).catch(toastErr);

  // ---- trend (inline SVG, no chart library)
  let series = [];
  function renderTrend() {
    const W = 320, H = 150, P = { l: 28, r: 8, t: 10, b: 22 };
    const n = series.length;
    if (!n) return trend.replaceChildren(lbl('none', 'p', { class: 'muted' }));
    const max = Math.max(1, ...series.map((d) => Math.max(d.created || 0, d.closed || 0)));
    const x = (i) => P.l + (n === 1 ? (W - P.l - P.r) / 2 : (i * (W - P.l - P.r)) / (n - 1));
    const y = (v) => H - P.b - ((v || 0) * (H - P.t - P.b)) / max;
    const line = (k) => s('polyline', { class: 'ln ' + k, points: series.map((d, i) => `${x(i).toFixed(1)},${y(d[k]).toFixed(1)}`).join(' ') });
    const day = (v) => String(v).slice(5, 10);
    const svg = s('svg', { id: 'trend-chart', 'data-testid': 'trend-chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': t('trend') },
      s('line', { class: 'axis', x1: P.l, y1: H - P.b, x2: W - P.r, y2: H - P.b }),
      s('line', { class: 'axis', x1: P.l, y1: P.t, x2: P.l, y2: H - P.b }),
      s('text', { x: P.l - 4, y: P.t + 8, 'text-anchor': 'end' }, String(max)),
      s('text', { x: P.l - 4, y: H - P.b, 'text-anchor': 'end' }, '0'),
      s('text', { x: P.l, y: H - 6 }, day(series[0].t)),
      s('text', { x: W - P.r, y: H - 6, 'text-anchor': 'end' }, day(series[n - 1].t)),
      line('created'), line('closed'),
      ...series.map((d, i) => s('circle', { class: 'pt created', cx: x(i), cy: y(d.created), r: 2 }, s('title', {}, `${d.t}: ${t('created')} ${d.created}, ${t('closed')} ${d.closed}`))));
    trend.replaceChildren(svg, h('div', { class: 'keys' }, h('i', { class: 'sw created' }), lbl('created'), ' ', h('i', { class: 'sw closed' }), lbl('closed')));
  }
  api('/api/v1/stats/trend' + qs({ interval: 'day' })).then((r) => { series = (r && r.items) || []; renderTrend(); }).catch(toastErr);

  const onLang = () => { fill(); renderRanking(); renderTrend(); };
  document.addEventListener('langchange', onLang);
  return () => document.removeEventListener('langchange', onLang);
}
