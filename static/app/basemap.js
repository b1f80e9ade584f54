// The base map: land use, green areas, water, buildings, road names and place names drawn from everymeter's
// own basemap vector tiles (/tiles/basemap/{z}/{x}/{y}.mvt) with protomaps-leaflet (canvas 2D, no WebGL, no
// network beyond this server). Online base maps are optional and only offered when the server's settings
// enable them: 天地图 (WMTS with the county's key; CGCS2000, taken as WGS84 — they differ by centimetres) and
// 高德 (GCJ-02: its tiles are shifted on display so that they line up with the WGS84 data; nothing is stored
// converted).
import { getLang } from './i18n.js';

// This module's words (kept here rather than in i18n.js's shared table).
const WORDS = {
  zh: { base_offline: '离线底图', base_tianditu: '天地图', base_gaode: '高德地图（GCJ-02，仅显示时纠偏）',
    gaode_note: '高德地图 · 底图为 GCJ-02 坐标，显示时已平移对齐 WGS84 数据，数据本身未转换' },
  en: { base_offline: 'Offline base map', base_tianditu: 'Tianditu', base_gaode: 'Gaode (GCJ-02, shifted on display)',
    gaode_note: 'Gaode · GCJ-02 tiles shifted on display to line up with the WGS84 data; no data is converted' },
};
const t = (k) => (WORDS[getLang()] || WORDS.zh)[k];

const L = window.L;
const P = window.protomapsL;

const FONT = '"Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif';

function offlineLayer() {
  if (!P) return null;
  const fillBy = (colors, dflt) => (z, f) => colors[f.props.class] || dflt;
  const paintRules = [
    { dataLayer: 'landuse', symbolizer: new P.PolygonSymbolizer({ fill: fillBy({ commercial: '#f1e4df', park: '#c9e7c1', residential: '#ebe7de' }, '#e9e6dc') }) },
    { dataLayer: 'water', symbolizer: new P.PolygonSymbolizer({ fill: '#a8d0ef' }) },
    { dataLayer: 'building', minzoom: 14, symbolizer: new P.PolygonSymbolizer({ fill: '#d8cfc2', stroke: '#bfb3a2', width: 0.5 }) },
  ];
  const labelRules = [
    { dataLayer: 'place', symbolizer: new P.CenteredTextSymbolizer({ labelProps: ['name'], fill: (z, f) => (f.props.class === 'water' ? '#2f6f9f' : '#3f3f46'),
      stroke: '#ffffff', width: 3, fontFamily: FONT, fontWeight: 600, fontSize: (z, f) => (f.props.class === 'town' ? 16 : 13) }) },
    { dataLayer: 'roads', minzoom: 15, filter: (z, f) => f.props.class === 'road' || z >= 17,
      symbolizer: new P.LineLabelSymbolizer({ labelProps: ['name'], fill: '#44403c', stroke: '#ffffff', width: 3, fontFamily: FONT, fontSize: 12 }) },
  ];
  return P.leafletLayer({ url: '/tiles/basemap/{z}/{x}/{y}.mvt', paintRules, labelRules, backgroundColor: '#f4f2ec',
    maxDataZoom: 16, maxZoom: 20, attribution: '' });
}

// wgs2gcj converts WGS84 lon/lat to GCJ-02 (the published Krasovsky-ellipsoid offset formula).
export function wgs2gcj(lon, lat) {
  const a = 6378245.0, ee = 0.00669342162296594323;
  const tl = (x, y) => -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
    + (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3
    + (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3
    + (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3;
  const tn = (x, y) => 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
    + (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3
    + (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3
    + (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3;
  if (lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271) return [lon, lat]; // outside China: no offset
  let dLat = tl(lon - 105, lat - 35), dLon = tn(lon - 105, lat - 35);
  const rad = lat / 180 * Math.PI;
  let m = Math.sin(rad);
  m = 1 - ee * m * m;
  const s = Math.sqrt(m);
  dLat = (dLat * 180) / ((a * (1 - ee)) / (m * s) * Math.PI);
  dLon = (dLon * 180) / (a / s * Math.cos(rad) * Math.PI);
  return [lon + dLon, lat + dLat];
}

// A Gaode tile layer drawn where WGS84 data expects it: the GCJ-02 offset at the map's centre (it changes by
// centimetres across a county) is undone by moving the layer's pane, on display only.
function gaodeLayer(map) {
  const pane = map.getPane('gaode') || map.createPane('gaode');
  pane.style.zIndex = 150;
  const layer = L.tileLayer('https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}',
    { subdomains: '1234', maxZoom: 18, pane: 'gaode', attribution: t('gaode_note') });
  const shift = () => {
    const c = map.getCenter();
    const [glon, glat] = wgs2gcj(c.lng, c.lat);
    const p = map.latLngToLayerPoint(c), q = map.latLngToLayerPoint([glat, glon]);
    pane.style.transform = `translate(${p.x - q.x}px, ${p.y - q.y}px)`;
  };
  layer.on('add', () => { map.on('zoomend moveend', shift); shift(); });
  layer.on('remove', () => { map.off('zoomend moveend', shift); pane.style.transform = ''; });
  return layer;
}

function tiandituLayer(key) {
  const url = (layer) => `https://t{s}.tianditu.gov.cn/${layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=${layer}`
    + `&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=${encodeURIComponent(key)}`;
  const opts = { subdomains: '01234567', maxZoom: 18, attribution: '天地图' };
  return L.layerGroup([L.tileLayer(url('vec'), opts), L.tileLayer(url('cva'), opts)]);
}

const CHOICE = 'em_basemap';

// addBaseMap puts the offline base map on the map, with a switch to the online ones the settings enable
// (cfg.tianditu_key, cfg.gaode). The choice is kept per device; the default is always the offline map.
export function addBaseMap(map, cfg = {}) {
  const offline = offlineLayer();
  const layers = { [t('base_offline')]: offline };
  window.everymeterBase = offline; // test hook: the browser tests read what it drew
  let n = 0;
  offline.on('tileload', () => { map.getContainer().dataset.baseTiles = ++n; });
  if (cfg.tianditu_key) layers[t('base_tianditu')] = tiandituLayer(cfg.tianditu_key);
  if (cfg.gaode) layers[t('base_gaode')] = gaodeLayer(map);
  const names = Object.keys(layers);
  const saved = localStorage.getItem(CHOICE);
  const first = layers[saved] ? saved : names[0];
  layers[first].addTo(map);
  if (names.length > 1) {
    L.control.layers(layers, null, { position: 'bottomleft' }).addTo(map);
    map.on('baselayerchange', (e) => localStorage.setItem(CHOICE, e.name));
  }
  return layers[first];
}
