// Moderator's view (群众举报审核, admins — the moderation routes' role): residents' public reports waiting for
// moderation, oldest first, each with its photos, its place on the map and the open cases near it; accept files
// it as a case (routed like any report), merge makes it follow one of those cases, reject closes it with a reason
// the resident reads, and a photo can be hidden before anything is published.
import { api, qs, getToken } from './api.js';
import { getLang } from './i18n.js';
import { SETS } from './vocab.js';
import { h, toast, toastErr, fmtTime, statusLabel } from './ui.js';
import { fitOnce, ensureView } from './map.js';
import { network } from './network.js';

const L = window.L;
const WORDS = {
  zh: {
    title: '群众举报审核', none: '没有待审核的举报', reporter: '举报人', anonymous: '未留名', address: '地址', photos: '照片',
    no_photo: '无照片', hide: '隐藏照片', hidden: '已隐藏', near: '附近未结案件（{r} 米内）', near_none: '附近没有未结案件',
    accept: '受理立案', merge: '合并到此案', reject: '不予受理', reason: '理由（举报人可见）', need_reason: '不予受理需填写理由',
    accepted: '已立案（案件 {id}）', merged: '已合并到案件 {id}', rejected: '已不予受理', photo_hidden: '照片已隐藏', m: '米',
    focus: '在地图上查看',
  },
  en: {
    title: 'Public report moderation', none: 'Nothing waits for moderation', reporter: 'Reporter', anonymous: 'anonymous', address: 'Address',
    photos: 'Photos', no_photo: 'no photo', hide: 'Hide photo', hidden: 'hidden', near: 'Open cases within {r} m', near_none: 'No open case nearby',
    accept: 'Accept as a case', merge: 'Merge into this case', reject: 'Reject', reason: 'Reason (the resident reads it)',
    need_reason: 'A rejection needs a reason', accepted: 'Accepted (case {id})', merged: 'Merged into case {id}', rejected: 'Rejected',
    photo_hidden: 'Photo hidden', m: 'm', focus: 'Show on the map',
  },
};
const w = (k, vars = {}) => (WORDS[getLang() === 'en' ? 'en' : 'zh'][k] || k).replace(/\{(\w+)\}/g, (_, v) => vars[v] ?? '');
// How far the open cases shown as possible duplicates may be (the public page's own suggestion radius).
const NEAR_M = 150;

const scale = (lat) => [111320 * Math.cos((lat * Math.PI) / 180), 110540];
const dist = (a, b) => { const [kx, ky] = scale(a[1]); return Math.hypot((a[0] - b[0]) * kx, (a[1] - b[1]) * ky); };

// photoURL fetches a photo with the session's credentials (an <img src> sends no bearer token) as a blob URL.
async function photoURL(id, urls) {
  const tok = getToken();
  const res = await fetch(`/api/v1/moderation/photos/${id}/thumb`, { headers: tok ? { Authorization: 'Bearer ' + tok } : {}, credentials: 'same-origin' });
  if (!res.ok) throw new Error('HTTP ' + res.status);
  const u = URL.createObjectURL(await res.blob());
  urls.push(u);
  return u;
}

export function mount({ map, panel, categories }) {
  const catName = new Map(categories.map((c) => [c.code, getLang() === 'en' ? c.name_en || c.name_zh : c.name_zh]));
  network(map, { fit: false });
  const pins = L.featureGroup().addTo(map);
  const nearLayer = L.featureGroup().addTo(map);
  const size = h('span', { id: 'moderation-size', class: 'count', 'data-n': '0' });
  const list = h('ul', { id: 'moderation-queue', 'data-testid': 'moderation-queue', class: 'list queue' });
  panel.append(h('section', { class: 'card' }, h('h3', { text: w('title') }, ' ', size), list));
  const urls = [];
  const markers = new Map();
  let alive = true;

  async function load() {
    let items;
    try { items = ((await api('/api/v1/moderation/queue')) || {}).items || []; } catch (e) { toastErr(e); ensureView(map); return; }
    if (!alive) return;
    size.textContent = '(' + items.length + ')';
    size.dataset.n = items.length;
    pins.clearLayers(); nearLayer.clearLayers(); markers.clear();
    list.replaceChildren(...(items.length ? items.map(row) : [h('li', { class: 'muted', text: w('none') })]));
    for (const it of items) {
      const m = L.circleMarker([it.lat, it.lon], { radius: 8, color: '#b45309', fillColor: '#f59e0b', fillOpacity: 0.9 })
        .bindTooltip(catName.get(it.category) || it.category_name || it.category).on('click', () => focus(it));
      markers.set(String(it.id), m);
      pins.addLayer(m);
    }
    map.getContainer().dataset.moderationPins = String(items.length);
    if (items.length) fitOnce(map, pins);
    ensureView(map);
  }

  function focus(it) {
    map.setView([it.lat, it.lon], Math.max(map.getZoom(), 17));
    const li = list.querySelector(`li[data-public-id="${it.id}"]`);
    if (li) { li.scrollIntoView({ behavior: 'smooth', block: 'nearest' }); li.classList.add('flash'); setTimeout(() => li.classList.remove('flash'), 1500); }
  }

  async function decide(it, body, done) {
    try {
      const p = await api(`/api/v1/moderation/reports/${it.id}/decision`, { method: 'POST', body });
      toast(w(done, { id: p.report_id }));
      await load();
    } catch (e) { toastErr(e); }
  }

  function row(it) {
    const who = [it.nickname || w('anonymous'), it.phone].filter(Boolean).join(' · ');
    const photos = h('div', { class: 'photos' });
    for (const ph of it.photos || []) {
      const img = h('img', { alt: w('photos'), 'data-photo-id': ph.id, width: 120 });
      photoURL(ph.id, urls).then((u) => { img.src = u; }).catch(toastErr);
      const hide = h('button', { type: 'button', class: 'hide-photo', 'data-photo-id': ph.id, text: ph.hidden ? w('hidden') : w('hide'), disabled: ph.hidden,
        onclick: async () => {
          try { await api(`/api/v1/moderation/photos/${ph.id}/hide`, { method: 'POST' }); toast(w('photo_hidden')); await load(); } catch (e) { toastErr(e); }
        } });
      photos.append(h('figure', { class: ph.hidden ? 'photo hidden' : 'photo', 'data-hidden': String(!!ph.hidden) }, img, hide));
    }
    if (!(it.photos || []).length) photos.append(h('span', { class: 'muted', text: w('no_photo') }));
    const near = h('ul', { class: 'list near-cases', 'data-loaded': 'false' });
    nearCases(it, near);
    const reason = h('input', { class: 'reject-reason', placeholder: w('reason'), maxlength: 1000 });
    const actions = h('div', { class: 'row' },
      h('button', { type: 'button', class: 'accept', 'data-testid': 'moderation-accept', text: w('accept'), onclick: () => decide(it, { action: 'accept' }, 'accepted') }),
      reason,
      h('button', { type: 'button', class: 'reject', 'data-testid': 'moderation-reject', text: w('reject'),
        onclick: () => (reason.value.trim() ? decide(it, { action: 'reject', reason: reason.value.trim() }, 'rejected') : toast(w('need_reason'), 'error')) }));
    return h('li', { 'data-public-id': it.id, 'data-code': it.code },
      h('div', {}, h('b', { text: catName.get(it.category) || it.category_name || it.category }), ' ', h('span', { class: 'muted', text: fmtTime(it.created_at) }),
        ' ', h('button', { type: 'button', class: 'link', text: w('focus'), onclick: () => focus(it) })),
      it.description ? h('p', { text: it.description }) : null,
      it.address ? h('p', { class: 'muted', text: w('address') + '：' + it.address }) : null,
      h('p', { class: 'muted', text: w('reporter') + '：' + who }),
      photos, near, actions);
  }

  // nearCases lists the open cases within NEAR_M of the report, nearest first, each with a merge button.
  async function nearCases(it, ul) {
    const [kx, ky] = scale(it.lat);
    const dx = NEAR_M / kx, dy = NEAR_M / ky;
    const bbox = [it.lon - dx, it.lat - dy, it.lon + dx, it.lat + dy].map((v) => v.toFixed(7)).join(',');
    let fc;
    try { fc = await api('/api/v1/reports' + qs({ bbox, status: SETS.open_statuses.join(',') })); } catch (e) { toastErr(e); return; }
    if (!alive) return;
    const cases = (fc.features || []).filter((f) => f.geometry)
      .map((f) => ({ f, d: dist(f.geometry.coordinates, [it.lon, it.lat]) })).filter((x) => x.d <= NEAR_M).sort((a, b) => a.d - b.d);
    ul.replaceChildren(h('li', { class: 'muted', text: cases.length ? w('near', { r: NEAR_M }) : w('near_none') }),
      ...cases.map(({ f, d }) => {
        const p = f.properties, id = p.id ?? f.id;
        const [lon, lat] = f.geometry.coordinates;
        nearLayer.addLayer(L.circleMarker([lat, lon], { radius: 5, color: '#1d4ed8', fillOpacity: 0.7 }).bindTooltip('#' + id));
        return h('li', { 'data-report-id': id, 'data-distance-m': d.toFixed(1) },
          `#${id} ${catName.get(p.category) || p.category || ''} · ${statusLabel(p.status)} · ${d.toFixed(0)} ${w('m')} `,
          h('button', { type: 'button', class: 'merge', text: w('merge'), onclick: () => decide(it, { action: 'merge', report_id: Number(id) }, 'merged') }));
      }));
    ul.dataset.loaded = 'true';
  }

  load();
  return () => { alive = false; for (const u of urls) URL.revokeObjectURL(u); };
}
