// Evaluation view (测评与整改): an admin creates a mock evaluation round; an evaluator scores its sites on the
// phone — each verdict goes through the per-user outbox (outbox.js, kind 'eval'), so scoring works without
// signal and syncs when the phone is back online; everyone with the tab reads the scores, the rectification
// ledger (整改台账, also as .xlsx) and the leaders' readiness view.
//
// Stable ids for browser tests:
//   round form (admins): #round-form, #round-name, #round-start, #round-end, #round-rectify,
//     #sample-<site type> (number of sites to draw), #round-evaluators input[type=checkbox][value=user id], #round-create
//   #rounds li[data-round-id] > button; #round-detail[data-round-id]
//   #sites li[data-site-id][data-scored=n] > button (open the checklist); #checklist li[data-item-id]
//     with button[data-outcome=pass|fail|na] (aria-pressed), input.value for count/measure items, input.note;
//     #site-save (queues the verdicts), #site-close
//   #county-score[data-value], #type-scores tr[data-type], #unit-scores tr
//   #ledger tr[data-report-id][data-rectified][data-overdue], #ledger-totals[data-total][data-rectified][data-open],
//   #ledger-xlsx (downloads the .xlsx)
//   feedback list (admins): #feedback-form, #feedback-file, #feedback-rectify, #feedback-import, #feedback-result[data-filed]
//     [data-already][data-unlocated] with #feedback-unlocated li; #feedback-ledger-btn shows that ledger in #round-detail
//   #readiness: #readiness-units tr[data-share], #readiness-types tr, #readiness-overdue[data-n], #trend-list li[data-county]
import { api } from './api.js';
import { t, register } from './i18n.js';
import { VOCAB } from './vocab.js';
import { h, toast, toastErr, statusLabel, fmtTime } from './ui.js';
import { ensureView } from './map.js';
import { network } from './network.js';
import * as outbox from './outbox.js';

register({
  ev_new_round: '新建测评轮次', ev_round_name: '轮次名称', ev_start: '开始日期', ev_end: '结束日期', ev_rectify: '整改期限',
  ev_sample: '随机抽取点位数', ev_evaluators: '测评员', ev_create: '创建', ev_rounds: '测评轮次', ev_sites: '测评点位',
  ev_score_site: '评分', ev_save_site: '保存本点位', ev_scores: '得分', ev_county: '全县预估得分', ev_by_type: '按点位类型',
  ev_by_unit: '按责任单位', ev_ledger: '整改台账', ev_xlsx: '导出 Excel', ev_readiness: '迎检准备', ev_share: '按期整改率',
  ev_overdue: '超期未整改', ev_trend: '得分趋势', ev_queued: '评分已存入待发队列，联网后自动同步', ev_created: '已创建测评轮次',
  ev_value: '数值', ev_note: '备注', ev_site: '点位', ev_item: '测评项目', ev_status: '状态', ev_deadline: '整改期限',
  ev_rectified: '已整改', ev_open: '未整改', ev_rebound: '反弹', ev_items: '问题数', ev_none: '暂无测评轮次',
  ev_feedback: '导入测评反馈问题清单', ev_import: '导入', ev_fb_ledger: '反馈问题整改台账',
  ev_fb_result: '共 {n} 行：新立案 {f}，此前已立案 {a}，无法定位 {u}（请手工定位）',
}, {
  ev_new_round: 'New evaluation round', ev_round_name: 'Round name', ev_start: 'Starts', ev_end: 'Ends', ev_rectify: 'Rectify by',
  ev_sample: 'Sites drawn at random', ev_evaluators: 'Evaluators', ev_create: 'Create', ev_rounds: 'Rounds', ev_sites: 'Sites',
  ev_score_site: 'Score', ev_save_site: 'Save this site', ev_scores: 'Scores', ev_county: 'Projected county score', ev_by_type: 'By site type',
  ev_by_unit: 'By unit', ev_ledger: 'Rectification ledger', ev_xlsx: 'Export Excel', ev_readiness: 'Readiness', ev_share: 'Rectified on time',
  ev_overdue: 'Overdue', ev_trend: 'Score trend', ev_queued: 'Scores queued; they sync when online', ev_created: 'Round created',
  ev_value: 'Value', ev_note: 'Note', ev_site: 'Site', ev_item: 'Item', ev_status: 'Status', ev_deadline: 'Deadline',
  ev_rectified: 'Rectified', ev_open: 'Open', ev_rebound: 'Rebound', ev_items: 'Items', ev_none: 'No rounds yet',
  ev_feedback: 'Import the evaluation feedback list', ev_import: 'Import', ev_fb_ledger: 'Feedback ledger',
  ev_fb_result: '{n} rows: {f} filed, {a} filed before, {u} to pin by hand',
});

const L = window.L;
const lbl = (k, tag = 'span', a = {}) => h(tag, { 'data-i18n': k, text: t(k), ...a });
const label = (kind, v) => ((VOCAB[kind] && VOCAB[kind].labels[v]) || { zh: v }).zh;
const fmt1 = (x) => (x === null || x === undefined ? '—' : Number(x).toFixed(1));
const day = (d) => d.toISOString().slice(0, 10);

export function mount({ map, panel, me }) {
  const isAdmin = me.role === 'admin';
  network(map, { fit: false }); // the network under the sites, as in every view; the round's sites fit the map
  const sitesLayer = L.featureGroup().addTo(map);
  const roundsList = h('ul', { id: 'rounds', 'data-testid': 'rounds', class: 'list' });
  const detail = h('div', { id: 'round-detail' });
  const readiness = h('section', { id: 'readiness', class: 'card' });
  if (isAdmin) panel.append(roundForm(), feedbackForm());
  panel.append(h('section', { class: 'card' }, h('h3', {}, lbl('ev_rounds')), roundsList), detail, readiness);
  let alive = true;

  function roundForm() {
    const today = new Date();
    const name = h('input', { id: 'round-name', required: true, value: `模拟测评 ${day(today)}` });
    const start = h('input', { id: 'round-start', type: 'date', value: day(today) });
    const end = h('input', { id: 'round-end', type: 'date', value: day(new Date(today.getTime() + 2 * 864e5)) });
    const rectify = h('input', { id: 'round-rectify', type: 'date', value: day(new Date(today.getTime() + 14 * 864e5)) });
    const samples = VOCAB.site_type.values.map((v) => h('label', { class: 'inline' }, label('site_type', v) + ' ',
      h('input', { id: 'sample-' + v, type: 'number', min: 0, max: 50, value: 0, 'data-type': v, class: 'num' })));
    const evaluators = h('div', { id: 'round-evaluators' });
    api('/api/v1/eval/evaluators').then((r) => {
      evaluators.replaceChildren(...(r.users || []).map((u) => h('label', { class: 'inline' },
        h('input', { type: 'checkbox', value: u.id, 'data-username': u.username, checked: u.role === 'inspector' }), ' ' + u.username)));
    }).catch(toastErr);
    const create = h('button', { id: 'round-create', type: 'submit', 'data-i18n': 'ev_create', text: t('ev_create') });
    const form = h('form', { id: 'round-form', class: 'card' }, h('h3', {}, lbl('ev_new_round')),
      h('label', {}, lbl('ev_round_name'), name), h('label', {}, lbl('ev_start'), start), h('label', {}, lbl('ev_end'), end),
      h('label', {}, lbl('ev_rectify'), rectify), h('fieldset', {}, h('legend', {}, lbl('ev_sample')), ...samples),
      h('fieldset', {}, h('legend', {}, lbl('ev_evaluators')), evaluators), create);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const sample = {};
      for (const i of form.querySelectorAll('input[data-type]')) if (Number(i.value) > 0) sample[i.dataset.type] = Number(i.value);
      const ids = [...evaluators.querySelectorAll('input:checked')].map((i) => Number(i.value));
      create.disabled = true;
      try {
        const r = await api('/api/v1/eval/rounds', { method: 'POST', body: { name: name.value.trim(), starts_on: start.value, ends_on: end.value, rectify_by: rectify.value, sample, evaluators: ids } });
        toast(t('ev_created'));
        await loadRounds();
        openRound(r.id);
      } catch (ex) { toastErr(ex); } finally { create.disabled = false; }
    });
    return form;
  }

  function feedbackForm() {
    const file = h('input', { id: 'feedback-file', type: 'file', accept: '.xlsx,.csv' });
    const rectify = h('input', { id: 'feedback-rectify', type: 'date', value: day(new Date(Date.now() + 14 * 864e5)) });
    const go = h('button', { id: 'feedback-import', type: 'submit', 'data-i18n': 'ev_import', text: t('ev_import') });
    const out = h('div', { id: 'feedback-result' });
    const show = h('button', { id: 'feedback-ledger-btn', type: 'button', 'data-i18n': 'ev_fb_ledger', text: t('ev_fb_ledger'), onclick: feedbackLedger });
    const form = h('form', { id: 'feedback-form', class: 'card' }, h('h3', {}, lbl('ev_feedback')), file, h('label', {}, lbl('ev_rectify'), rectify), go, show, out);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!file.files[0]) return;
      const fd = new FormData();
      fd.append('file', file.files[0]);
      if (rectify.value) fd.append('rectify_by', rectify.value);
      go.disabled = true;
      try {
        const r = await api('/api/v1/eval/feedback', { method: 'POST', body: fd });
        Object.assign(out.dataset, { filed: r.filed, already: r.already, unlocated: r.unlocated.length });
        out.replaceChildren(h('p', { text: t('ev_fb_result', { n: r.rows, f: r.filed, a: r.already, u: r.unlocated.length }) }),
          h('ul', { id: 'feedback-unlocated', class: 'list' }, ...r.unlocated.map((x) => h('li', { 'data-row': x.row, text: `${x.row}（${x.seq}）${x.place}：${x.reason}` }))));
        loadReadiness();
      } catch (ex) { toastErr(ex); } finally { go.disabled = false; }
    });
    return form;
  }

  async function feedbackLedger() {
    try {
      const l = await api('/api/v1/eval/feedback/ledger');
      delete detail.dataset.roundId;
      sitesLayer.clearLayers();
      detail.replaceChildren(ledgerCard(null, l));
    } catch (e) { toastErr(e); }
  }

  async function loadRounds() {
    const r = await api('/api/v1/eval/rounds');
    const rounds = r.rounds || [];
    roundsList.replaceChildren(...(rounds.length ? rounds.slice().reverse().map((x) => h('li', { 'data-round-id': x.id },
      h('button', { type: 'button', class: 'link', text: `${x.name}（${x.starts_on}）`, onclick: () => openRound(x.id) }))) : [lbl('ev_none', 'li')]));
    return rounds;
  }

  async function openRound(id) {
    let round, results, scores, ledger;
    try {
      [round, results, scores, ledger] = await Promise.all([api(`/api/v1/eval/rounds/${id}`), api(`/api/v1/eval/rounds/${id}/results`),
        api(`/api/v1/eval/rounds/${id}/scores`), api(`/api/v1/eval/rounds/${id}/ledger`)]);
    } catch (e) { return toastErr(e); }
    if (!alive) return;
    detail.dataset.roundId = id;
    const done = new Map();
    for (const r of results.results || []) done.set(r.site_id, (done.get(r.site_id) || 0) + 1);
    const canScore = isAdmin || (round.evaluators || []).includes(me.id);
    const sheet = h('div', { id: 'checklist-box' });
    const sites = h('ul', { id: 'sites', class: 'list' }, ...round.sites.map((s) => h('li', { 'data-site-id': s.id, 'data-scored': done.get(s.id) || 0 },
      h('span', { class: 'badge', text: label('site_type', s.site_type) }), ' ', s.name, s.unit_name ? ` · ${s.unit_name}` : '', ' ',
      canScore ? h('button', { type: 'button', 'data-testid': 'score-site', 'data-i18n': 'ev_score_site', text: t('ev_score_site'), onclick: () => checklist(round, s, sheet) }) : null)));
    sitesLayer.clearLayers();
    for (const s of round.sites) {
      const [lon, lat] = s.geometry.coordinates;
      L.circleMarker([lat, lon], { radius: 8, color: '#1a3f8f' }).bindTooltip(s.name).on('click', () => canScore && checklist(round, s, sheet)).addTo(sitesLayer);
    }
    if (round.sites.length) map.fitBounds(sitesLayer.getBounds().pad(0.3), { maxZoom: 16 });
    ensureView(map);
    detail.replaceChildren(
      h('section', { class: 'card' }, h('h3', {}, round.name, ' · ', lbl('ev_sites')), sites, sheet),
      scoreCard(scores), ledgerCard(id, ledger));
  }

  function checklist(round, site, box) {
    const items = round.items.filter((i) => i.site_type === site.site_type);
    const verdict = new Map();
    const rows = items.map((it) => {
      const li = h('li', { 'data-item-id': it.id });
      const buttons = ['pass', 'fail', 'na'].map((o) => h('button', { type: 'button', 'data-outcome': o, 'aria-pressed': 'false', text: label('outcome', o),
        onclick: () => { verdict.set(it.id, o); for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.outcome === o)); } }));
      const value = it.check_kind === 'yes_no' ? null : h('input', { type: 'number', step: 'any', class: 'value num', placeholder: `${it.comparator === 'max' ? '≤' : '≥'} ${it.threshold} ${it.unit_label}` });
      const note = h('input', { class: 'note', placeholder: t('ev_note') });
      li.append(h('div', {}, `${it.code} ${it.name_zh}（${it.weight}）`), h('div', { class: 'row' }, ...buttons, value, note));
      li.collect = () => {
        const r = { site_id: site.id, item_id: it.id, note: note.value.trim() };
        if (value && value.value !== '') r.value = Number(value.value);
        const o = verdict.get(it.id);
        if (o) r.outcome = o; else if (r.value === undefined) return null;
        return r;
      };
      return li;
    });
    const save = h('button', { id: 'site-save', type: 'button', 'data-i18n': 'ev_save_site', text: t('ev_save_site') });
    save.addEventListener('click', async () => {
      const results = rows.map((li) => li.collect()).filter(Boolean);
      if (!results.length) return;
      let at = null;
      try { at = await position(); } catch { /* no fix: the site's point is used */ }
      if (at) for (const r of results) r.geometry = { type: 'Point', coordinates: at };
      // Every verdict goes through the outbox, online or not: one path, retried until the server has it.
      await outbox.enqueue({ kind: 'eval', key: `eval:${round.id}:${site.id}`, path: `/api/v1/eval/rounds/${round.id}/results`, body: { results } });
      const li = document.querySelector(`#sites li[data-site-id="${site.id}"]`);
      if (li) li.dataset.scored = results.length;
      box.replaceChildren();
      if (!navigator.onLine) toast(t('ev_queued'));
      outbox.flush().then(() => { if (alive && navigator.onLine && !outbox.count()) openRound(round.id); });
    });
    box.replaceChildren(h('h4', {}, site.name), h('ul', { id: 'checklist', class: 'list' }, ...rows), save,
      h('button', { id: 'site-close', type: 'button', 'data-i18n': 'close', text: t('close'), onclick: () => box.replaceChildren() }));
  }

  // position is the phone's fix, if it has one quickly (a verdict is pinned where the evaluator stood).
  function position() {
    return new Promise((ok, fail) => {
      if (!navigator.geolocation) return fail(new Error('no geolocation'));
      navigator.geolocation.getCurrentPosition((p) => ok([p.coords.longitude, p.coords.latitude]), fail, { timeout: 3000, maximumAge: 60000 });
    });
  }

  function scoreCard(s) {
    return h('section', { id: 'scores', class: 'card' }, h('h3', {}, lbl('ev_scores')),
      h('p', {}, lbl('ev_county'), '：', h('strong', { id: 'county-score', 'data-value': s.county ?? '', text: fmt1(s.county) })),
      h('table', { id: 'type-scores' }, h('caption', {}, lbl('ev_by_type')), ...s.types.map((x) => h('tr', { 'data-type': x.key, 'data-score': x.score }, h('td', { text: x.name }), h('td', { text: fmt1(x.score) })))),
      h('table', { id: 'unit-scores' }, h('caption', {}, lbl('ev_by_unit')), ...s.units.map((x) => h('tr', { 'data-unit-id': x.key, 'data-score': x.score }, h('td', { text: x.name }), h('td', { text: fmt1(x.score) })))));
  }

  function ledgerCard(id, l) {
    const xlsx = h('button', { id: 'ledger-xlsx', type: 'button', 'data-i18n': 'ev_xlsx', text: t('ev_xlsx') });
    const path = id ? `/api/v1/eval/rounds/${id}/ledger?format=xlsx` : '/api/v1/eval/feedback/ledger?format=xlsx';
    xlsx.addEventListener('click', () => download(path, `整改台账-${id || '测评反馈'}.xlsx`));
    return h('section', { class: 'card' }, h('h3', {}, lbl('ev_ledger'), ' ', xlsx),
      h('p', { id: 'ledger-totals', 'data-total': l.total, 'data-rectified': l.rectified, 'data-open': l.open, 'data-overdue': l.overdue },
        `${t('ev_items')} ${l.total} · ${t('ev_rectified')} ${l.rectified} · ${t('ev_open')} ${l.open} · ${t('ev_overdue')} ${l.overdue} · ${t('ev_rebound')} ${l.rebounds}`),
      h('table', { id: 'ledger' }, h('tr', {}, ...['ev_site', 'ev_item', 'owner', 'ev_status', 'ev_deadline'].map((k) => lbl(k, 'th'))),
        ...l.rows.map((r) => h('tr', { 'data-report-id': r.report_id, 'data-rectified': String(r.rectified), 'data-overdue': String(r.overdue) },
          h('td', { text: r.site }), h('td', { text: r.item + (r.rebound ? '（反弹）' : '') }), h('td', { text: r.unit_name }),
          h('td', { text: statusLabel(r.status) }), h('td', { text: fmtTime(r.deadline) })))));
  }

  async function download(path, name) {
    try {
      const res = await fetch(path, { headers: { Authorization: 'Bearer ' + sessionStorage.getItem('em_token') }, credentials: 'same-origin' });
      if (!res.ok) throw new Error('HTTP ' + res.status);
      const a = h('a', { href: URL.createObjectURL(await res.blob()), download: name });
      document.body.append(a); a.click(); a.remove();
    } catch (e) { toastErr(e); }
  }

  async function loadReadiness() {
    let r;
    try { r = await api('/api/v1/eval/readiness'); } catch (e) { return toastErr(e); }
    if (!alive) return;
    const share = (x) => h('tr', { 'data-key': x.key, 'data-share': x.share_on_time }, h('td', { text: x.name }), h('td', { text: `${x.on_time}/${x.items}` }),
      h('td', { text: (x.share_on_time * 100).toFixed(0) + '%' }), h('td', { text: x.overdue }));
    readiness.replaceChildren(h('h3', {}, lbl('ev_readiness')),
      h('table', { id: 'readiness-units' }, h('caption', {}, lbl('ev_share'), ' · ', lbl('ev_by_unit')), ...r.by_unit.map(share)),
      h('table', { id: 'readiness-types' }, h('caption', {}, lbl('ev_share'), ' · ', lbl('ev_by_type')), ...r.by_site_type.map(share)),
      h('p', {}, lbl('ev_overdue'), '：', h('strong', { id: 'readiness-overdue', 'data-n': r.overdue.length, text: r.overdue.length })),
      h('h4', {}, lbl('ev_trend')), h('ul', { id: 'trend-list', class: 'list' }, ...r.trend.map((x) => h('li', { 'data-round-id': x.round_id, 'data-county': x.county ?? '' },
        `${x.name}（${x.starts_on}）：${fmt1(x.county)}`))));
  }

  loadRounds().then((rs) => { if (rs.length && alive) openRound(rs[rs.length - 1].id); }).catch(toastErr);
  loadReadiness();
  const onOutbox = () => { if (!outbox.count() && detail.dataset.roundId && navigator.onLine) { openRound(detail.dataset.roundId); loadReadiness(); } };
  document.addEventListener('outbox', onOutbox);
  return () => { alive = false; document.removeEventListener('outbox', onOutbox); };
}
