// DOM helpers (no innerHTML with data), toast, formatting, unit colours.
import { t, getLang } from './i18n.js';

// h('div', {class, id, dataset-ish 'data-x', onclick: fn, text}, ...children)
export function h(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else if (k === 'value') e.value = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids.flat()) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
  return e;
}
export const $ = (sel, root = document) => root.querySelector(sel);

let toastTimer;
export function toast(msg, kind = 'info') {
  const box = $('#toast');
  box.textContent = msg;
  box.className = 'toast show ' + kind;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.className = 'toast'; }, kind === 'error' ? 6000 : 3000);
}
export const toastErr = (e) => (console.warn(e), toast(e && e.network ? t('network') : (e && e.message) || t('error'), 'error'));

export const km = (m) => ((m || 0) / 1000).toFixed(2);
export const pct = (x) => (x === null || x === undefined ? '—' : (x <= 1 ? x * 100 : x).toFixed(1) + '%');
export const fmtTime = (s) => (s ? new Date(s).toLocaleString(getLang() === 'en' ? 'en-GB' : 'zh-CN', { dateStyle: 'short', timeStyle: 'short' }) : '');
export const statusLabel = (s) => t('s_' + s).replace(/^s_/, '');

export function duration(ms) {
  const m = Math.round(Math.abs(ms) / 60000), d = Math.floor(m / 1440), hh = Math.floor((m % 1440) / 60);
  if (d) return d + t('d') + (hh ? hh + t('h') : '');
  if (hh) return hh + t('h') + (m % 60 ? (m % 60) + t('min') : '');
  return (m % 60) + t('min');
}
export function remaining(deadline) {
  if (!deadline) return '';
  const ms = new Date(deadline) - Date.now();
  return ms >= 0 ? t('left', { t: duration(ms) }) : t('over', { t: duration(ms) });
}

// Stable colour per unit id (hash into a palette without red/orange,
// which mean gap/overlap on the map).
const PALETTE = ['#1f77b4', '#2ca02c', '#9467bd', '#17becf', '#8c564b', '#e377c2', '#7f7f00', '#1a3f8f', '#008080', '#6b3fa0', '#3c8d3c', '#5f6b7a'];
export function unitColor(id) {
  if (id === undefined || id === null) return '#888';
  let x = 0;
  for (const ch of String(id)) x = (x * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[x % PALETTE.length];
}
export const idv = (v) => (/^\d+$/.test(v) ? Number(v) : v);

export function debounce(fn, ms) {
  let tm;
  return (...a) => { clearTimeout(tm); tm = setTimeout(() => fn(...a), ms); };
}

// <select> from items [{value,label}] (optgroups if groups given).
export function options(sel, items, { empty } = {}) {
  sel.replaceChildren();
  if (empty !== undefined) sel.append(h('option', { value: '', text: empty }));
  const groups = new Map();
  for (const it of items) {
    const o = h('option', { value: it.value, text: it.label });
    if (it.group) {
      if (!groups.has(it.group)) sel.append(groups.set(it.group, h('optgroup', { label: it.group })).get(it.group));
      groups.get(it.group).append(o);
    } else sel.append(o);
  }
}

export function dot(light) {
  return h('span', { class: 'dot ' + (light || 'none'), title: light || '' });
}

export const catName = (c) => (c ? (getLang() === 'en' ? c.name_en || c.name_zh : c.name_zh || c.name_en) : '');

// A file input dressed as a button that says what it does in the page's language, then shows the chosen
// file's name (the browser's own "Choose File / No file chosen" ignores the page language). Put it inside
// a <label> so that a tap anywhere on it opens the camera or the picker.
export function fileButton(input, key = 'choose_photo') {
  const name = h('span', { class: 'file-name' });
  input.classList.add('file-input');
  input.addEventListener('change', () => { name.textContent = input.files[0] ? input.files[0].name : ''; });
  return h('span', { class: 'file-btn' }, input, h('span', { class: 'file-act', 'data-i18n': key, text: t(key) }), name);
}
