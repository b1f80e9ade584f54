// Tiny i18n: zh-CN by default, English on request. Static markup uses
// data-i18n="key" (text) and data-i18n-ph="key" (placeholder). The server's vocabulary (statuses, actions, roles,
// coverage, zone roles, urgencies) comes from vocab.js, generated from package vocab, under these keys:
// s_<status>, a_<action>, r_<role>, and the value itself for coverage, zone roles and urgencies.
import { VOCAB } from './vocab.js';

const dict = {
  zh: {
    product: 'everymeter 每一米', tagline: '网格化管理 · 每一米都有人负责',
    username: '用户名', password: '密码', login: '登录', logout: '退出', lang: 'EN',
    login_failed: '登录失败',
    failed_since: '自上次登录以来，您的账号有 {n} 次登录失败。如果不是您本人，请联系管理员。',
    v_planner: '规划', v_inspector: '巡查', v_unit: '处置', v_leader: '领导', v_eval: '测评', v_moderate: '举报审核', v_volunteer: '志愿巡查',
    percent_covered: '覆盖率',
    unit: '单位', km: '公里', m: '米', gaps: '空白路段', no_gaps: '没有空白路段', more_gaps: '另有 {n} 条较短的空白路段（在地图上以红色虚线显示）', search_asset: '搜索道路、市场、公园…',
    draw_zone: '画责任区', assign_range: '分配路段', name: '名称', role: '角色', kind: '类型',
    save: '保存', cancel: '取消', delete: '删除', confirm_delete: '确定删除？',
    person: '责任人', phone: '电话', from_m: '起点(米)', to_m: '终点(米)',
    pick_first: '在道路上点击起点', pick_second: '在同一道路上点击终点',
    diff_asset: '两点不在同一条道路上：{a} / {b}', no_asset: '附近没有道路',
    saved: '已保存', deleted: '已删除', draw_hint: '在地图上画出多边形，双击或点击首点结束',
    edit_hint: '拖动顶点修改形状，然后保存', zone: '责任区', legend: '图例', units_none: '无',
    patrol_start: '开始巡查', patrol_stop: '结束巡查', patrol_layer: '巡查图层（距上次巡查天数）', patrol_today: '今日已巡查 {km} 公里', patrol_stale_near: '附近 {n} 段 7 天未巡查',
    locate: '定位', on_map: '在地图上查看', locate_fail: '无法定位，请在地图上点选位置', tap_hint: '点击地图标记问题位置',
    owner: '责任单位', why: '原因', ambiguous: '靠近分界，可能有多个责任单位', nobody: '无人负责',
    category: '问题类别', note: '描述', urgency: '紧急程度',
    photo: '照片', choose_photo: '拍照或选择照片', submit: '上报', queued: '网络不可用，已存入待发队列', queue: '待发',
    outbox_discard: '待发队列中还有 {n} 条未发送的上报。退出后这些上报将被删除，不会发送。确定退出吗？',
    sent: '已上报', dup: '附近有 {n} 条相似问题', my_reports: '我的上报', to_verify: '附近待核查',
    none: '暂无', close: '关闭',
    after_photo: '处置后照片', need_photo: '请先选择处置后照片',
    left: '剩余 {t}', over: '超时 {t}', d: '天', h: '小时', min: '分',
    heat: '热力图', all: '全部', since: '时间', d7: '近7天', d30: '近30天', d90: '近90天', overdue_only: '仅超期',
    ranking: '单位排名', rank: '名次', on_time: '按期处置率', closure: '结案率', rework_rate: '返工率',
    overdue_now: '当前超期', per_km: '每公里', satisfaction: '满意率', patrol_rate: '巡查达标率', frontage_rate: '门前三包', score: '得分', too_few: '样本不足',
    trend: '趋势（每日）', created: '新增', closed: '结案', points: '{n} 个点',
    network: '网络错误', error: '出错了',
  },
  en: {
    product: 'everymeter 每一米', tagline: 'Grid management · every meter has an owner',
    username: 'Username', password: 'Password', login: 'Sign in', logout: 'Sign out', lang: '中文',
    login_failed: 'Sign-in failed',
    failed_since: '{n} failed sign-in attempts on your account since your last sign-in. If that was not you, tell an admin.',
    v_planner: 'Planner', v_inspector: 'Inspector', v_unit: 'Unit', v_leader: 'Leader', v_eval: 'Evaluation', v_moderate: 'Moderation', v_volunteer: 'Volunteer',
    percent_covered: 'Covered',
    unit: 'Unit', km: 'km', m: 'm', gaps: 'Gaps', no_gaps: 'No gaps', more_gaps: '{n} shorter gaps more (red dashes on the map)', search_asset: 'Search roads, markets, parks…',
    draw_zone: 'Draw zone', assign_range: 'Assign range', name: 'Name', role: 'Role', kind: 'Kind',
    save: 'Save', cancel: 'Cancel', delete: 'Delete', confirm_delete: 'Delete this?',
    person: 'Person', phone: 'Phone', from_m: 'From (m)', to_m: 'To (m)',
    pick_first: 'Click the start point on a road', pick_second: 'Click the end point on the same road',
    diff_asset: 'The two points are on different roads: {a} / {b}', no_asset: 'No road near this point',
    saved: 'Saved', deleted: 'Deleted', draw_hint: 'Draw a polygon; double-click or click the first point to finish',
    edit_hint: 'Drag vertices to change the shape, then save', zone: 'Zone', legend: 'Legend', units_none: 'none',
    patrol_start: 'Start patrol', patrol_stop: 'Stop patrol', patrol_layer: 'Patrol layer (days since last visit)', patrol_today: 'Patrolled today: {km} km', patrol_stale_near: '{n} stretches nearby not patrolled in 7 days',
    locate: 'Locate me', on_map: 'Show on map', locate_fail: 'Location unavailable; tap the map instead', tap_hint: 'Tap the map to pin a problem',
    owner: 'Responsible', why: 'Why', ambiguous: 'Near a boundary: more than one unit may own this', nobody: 'Nobody',
    category: 'Category', note: 'Note', urgency: 'Urgency',
    photo: 'Photo', choose_photo: 'Take or choose a photo', submit: 'Submit', queued: 'Offline: saved to the outbox', queue: 'Outbox',
    outbox_discard: '{n} unsent report(s) are still in the outbox. Signing out deletes them; they will not be sent. Sign out anyway?',
    sent: 'Reported', dup: '{n} similar reports nearby', my_reports: 'My reports', to_verify: 'To verify near me',
    none: 'Nothing here', close: 'Close',
    after_photo: 'After photo', need_photo: 'Choose an after photo first',
    left: '{t} left', over: '{t} overdue', d: 'd', h: 'h', min: 'min',
    heat: 'Heat map', all: 'All', since: 'Since', d7: 'Last 7 days', d30: 'Last 30 days', d90: 'Last 90 days', overdue_only: 'Overdue only',
    ranking: 'Unit ranking', rank: 'Rank', on_time: 'On time', closure: 'Closure', rework_rate: 'Rework',
    overdue_now: 'Overdue', per_km: 'Per km', satisfaction: 'Satisfied', patrol_rate: 'Patrol target met', frontage_rate: 'Shop frontage', score: 'Score', too_few: 'too few',
    trend: 'Trend (daily)', created: 'Created', closed: 'Closed', points: '{n} points',
    network: 'Network error', error: 'Error',
  },
};

const prefixes = { status: 's_', action: 'a_', role: 'r_', coverage: '', zone_role: '', urgency: '' };
for (const [kind, prefix] of Object.entries(prefixes)) {
  for (const [value, l] of Object.entries(VOCAB[kind].labels)) {
    dict.zh[prefix + value] = l.zh;
    dict.en[prefix + value] = l.en;
  }
}

let lang = localStorage.getItem('em_lang') === 'en' ? 'en' : 'zh';

export const getLang = () => lang;

export function t(key, vars) {
  let s = dict[lang][key] ?? dict.zh[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? '');
  return s;
}

// register adds a view's own texts (each view module keeps its keys beside its markup).
export function register(zh, en) { Object.assign(dict.zh, zh); Object.assign(dict.en, en); }

export function applyI18n(root = document) {
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
  root.querySelectorAll('[data-i18n]').forEach((e) => { e.textContent = t(e.dataset.i18n); });
  root.querySelectorAll('[data-i18n-ph]').forEach((e) => { e.placeholder = t(e.dataset.i18nPh); });
}

export function setLang(l) {
  lang = l === 'en' ? 'en' : 'zh';
  localStorage.setItem('em_lang', lang);
  applyI18n();
  document.dispatchEvent(new CustomEvent('langchange'));
}
