// Planner's zone and unit import: pick a county file (a .zip of a shapefile's parts, a .gpkg or a .geojson), see
// its features on the map with the unit each goes to and any problem, then confirm. The server reads the file
// exactly as `everymeter import FILE --kind zone|unit` does; nothing is written before the confirmation.
import { api } from './api.js';
import { getLang, register } from './i18n.js';
import { h, toast, toastErr, unitColor, fileButton } from './ui.js';

const L = window.L;
const WORDS = {
  zh: {
    title: '导入网格或单位', kind: '导入内容', zone: '网格（面）', unit: '责任单位', file: '文件（.zip / .gpkg / .geojson）',
    unit_field: '责任单位字段（可空）', name_field: '名称字段（可空）', territory: '同时把单位的面作为牵头网格',
    srs: '坐标系（可空；文件没有 .prj 时填写，如 EPSG:4548）', encoding: '属性编码（可空；如 GBK、UTF-8）',
    preview: '上传并预览', confirm: '确认导入', cancel: '取消', features: '要素', zones: '网格', units: '单位',
    problems: '问题', warnings: '提示', none: '无', applied: '已导入：新增 {i}，更新 {u}，未变 {s}', expires: '预览保留至',
    choose: '选择文件', lead: '牵头', support: '配合', fix_first: '请先修正文件中的问题再导入',
  },
  en: {
    title: 'Import zones or units', kind: 'Import', zone: 'Zones (polygons)', unit: 'Units', file: 'File (.zip / .gpkg / .geojson)',
    unit_field: 'Unit attribute (optional)', name_field: 'Name attribute (optional)', territory: "Also make each unit's polygon its lead zone",
    srs: 'Coordinate system (optional; for a file without .prj, e.g. EPSG:4548)', encoding: 'Attribute encoding (optional; e.g. GBK, UTF-8)',
    preview: 'Upload and preview', confirm: 'Confirm import', cancel: 'Cancel', features: 'features', zones: 'zones', units: 'units',
    problems: 'Problems', warnings: 'Warnings', none: 'none', applied: 'Imported: {i} new, {u} updated, {s} unchanged', expires: 'Preview kept until',
    choose: 'Choose file', lead: 'lead', support: 'support', fix_first: 'Fix the problems in the file before importing',
  },
};
register({ choose_file: '选择文件' }, { choose_file: 'Choose a file' });
const w = (k, vars = {}) => (WORDS[getLang() === 'en' ? 'en' : 'zh'][k] || k).replace(/\{(\w+)\}/g, (_, v) => vars[v] ?? '');

// mountImports adds the import card to the planner's panel; onApplied runs after a confirmed import (the planner
// reloads its coverage panel, zones and network).
export function mountImports({ map, panel, onApplied }) {
  const kind = h('select', { id: 'import-kind', 'data-testid': 'import-kind' },
    h('option', { value: 'zone', text: w('zone') }), h('option', { value: 'unit', text: w('unit') }));
  const file = h('input', { id: 'import-file', 'data-testid': 'import-file', type: 'file', accept: '.zip,.gpkg,.geojson,.json' });
  const unitField = h('input', { id: 'import-unit-field', name: 'unit_field', autocomplete: 'off' });
  const nameField = h('input', { id: 'import-name-field', name: 'name_field', autocomplete: 'off' });
  const territory = h('input', { id: 'import-territory', type: 'checkbox' });
  const srs = h('input', { id: 'import-srs', name: 'srs', autocomplete: 'off', placeholder: 'EPSG:4548' });
  const encoding = h('input', { id: 'import-encoding', name: 'encoding', autocomplete: 'off', placeholder: 'GBK' });
  const previewBtn = h('button', { type: 'button', id: 'import-preview', 'data-testid': 'import-preview', text: w('preview'), onclick: upload });
  const confirmBtn = h('button', { type: 'button', id: 'import-confirm', 'data-testid': 'import-confirm', text: w('confirm'), hidden: true, onclick: confirm });
  const cancelBtn = h('button', { type: 'button', id: 'import-cancel', text: w('cancel'), hidden: true, onclick: reset });
  const summary = h('div', { id: 'import-summary', 'data-testid': 'import-summary' });
  let pending = null;

  const layer = L.geoJSON(null, {
    style: (f) => (f.properties.error
      ? { color: '#c0392b', weight: 2.5, dashArray: '4 3', fillColor: '#e74c3c', fillOpacity: 0.25 }
      : { color: unitColor(f.properties.unit_id ?? f.properties.unit_code), weight: 2, fillOpacity: 0.2 }),
    onEachFeature: (f, l) => {
      const p = f.properties;
      const text = [p.name || '#' + p.feature, p.unit_name ? '→ ' + p.unit_name + (p.role ? ' · ' + w(p.role) : '') : '', p.error || ''].filter(Boolean).join('\n');
      l.bindTooltip(text, { sticky: true });
    },
  }).addTo(map);

  panel.append(h('section', { class: 'card form', id: 'import-card' },
    h('h3', { text: w('title') }),
    h('label', {}, w('kind'), kind),
    h('label', {}, w('file'), fileButton(file, 'choose_file')),
    h('label', {}, w('unit_field'), unitField),
    h('label', {}, w('name_field'), nameField),
    h('label', {}, w('srs'), srs),
    h('label', {}, w('encoding'), encoding),
    h('label', { class: 'check' }, territory, ' ', w('territory')),
    h('div', { class: 'row' }, previewBtn, confirmBtn, cancelBtn),
    summary));

  function reset() {
    pending = null;
    layer.clearLayers();
    summary.replaceChildren();
    delete summary.dataset.drawn;
    confirmBtn.hidden = cancelBtn.hidden = true;
  }

  async function upload() {
    const f = file.files[0];
    if (!f) return toast(w('choose'), 'error');
    reset();
    const fd = new FormData();
    fd.append('file', f, f.name);
    if (unitField.value.trim()) fd.append('unit_field', unitField.value.trim());
    if (nameField.value.trim()) fd.append('name_field', nameField.value.trim());
    if (territory.checked) fd.append('territory', 'true');
    if (srs.value.trim()) fd.append('srs', srs.value.trim());
    if (encoding.value.trim()) fd.append('encoding', encoding.value.trim());
    previewBtn.disabled = true;
    try {
      pending = await api('/api/v1/imports?kind=' + encodeURIComponent(kind.value), { method: 'POST', body: fd });
      const fc = await api(`/api/v1/imports/${pending.id}/preview`);
      layer.addData(fc);
      const b = layer.getBounds();
      if (b.isValid()) map.fitBounds(b, { padding: [30, 30] });
      show(pending);
      summary.dataset.drawn = layer.getLayers().length; // what the map shows (read by the browser test)
    } catch (e) {
      toastErr(e);
    } finally {
      previewBtn.disabled = false;
    }
  }

  function show(s) {
    const errs = s.errors || [];
    summary.replaceChildren(
      h('p', { id: 'import-counts', text: `${s.file}: ${s.features} ${w('features')} · ${s.zones} ${w('zones')} · ${s.units} ${w('units')}` }),
      ...(s.warnings || []).map((x) => h('p', { class: 'hint', text: w('warnings') + ': ' + x })),
      h('h4', { text: `${w('problems')} (${errs.length})` }),
      h('ul', { id: 'import-errors', 'data-testid': 'import-errors', class: 'list' },
        errs.length ? errs.map((e) => h('li', { 'data-index': e.index, text: `${e.feature}: ${e.detail}` })) : [h('li', { class: 'muted', text: w('none') })]),
      ...(s.expires_at ? [h('p', { class: 'small muted', text: w('expires') + ' ' + new Date(s.expires_at).toLocaleTimeString() })] : []));
    cancelBtn.hidden = false;
    confirmBtn.hidden = false;
    confirmBtn.disabled = errs.length > 0;
    confirmBtn.title = errs.length ? w('fix_first') : '';
  }

  async function confirm() {
    if (!pending) return;
    confirmBtn.disabled = true;
    try {
      const r = await api(`/api/v1/imports/${pending.id}/confirm`, { method: 'POST' });
      const c = r.kind === 'unit' ? r.units : r.zones;
      toast(w('applied', { i: c.inserted, u: c.updated, s: c.unchanged }));
      reset();
      if (onApplied) await onApplied();
    } catch (e) {
      confirmBtn.disabled = false;
      toastErr(e);
    }
  }
}
