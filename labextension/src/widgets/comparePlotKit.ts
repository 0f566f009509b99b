// Shared parts of the compare panel's plots: the data they read, axis scales with sane ticks,
// theme colours read from JupyterLab's CSS variables, captions, notes and labelled controls.
import { h } from '../dom';
import { formatCount, formatNumber } from '../format';
import { numericOf as tableNumericOf } from './compareData';

export const SVGNS = 'http://www.w3.org/2000/svg';

// -- the data the plots read (decoded by compareData) -----------------------------------------
export interface Column {
  key: string;
  kind: string;
  num?: Float64Array | null;
  codes?: Int32Array | null;
  dict?: string[] | null;
  text?: string[];
  date?: boolean;
}

export interface TableState {
  n: number;
  cols: Map<string, Column>;
  runIds: string[];
  names: string[];
  complete: boolean;
}

export interface Model {
  get(name: string): any; // eslint-disable-line @typescript-eslint/no-explicit-any
  set(name: string, value: unknown): void;
  save_changes(): void;
  on?(event: string, fn: () => void): void;
  off?(event: string, fn: () => void): void;
}

export interface PlotContext {
  model: Model;
  root: HTMLElement;
  plotEl: HTMLElement;
  controls: HTMLElement;
  state: TableState;
  selected: Set<string>;
  width: number;
}

export const numericOf = tableNumericOf as (col: Column) => { values: Float64Array; categories: string[] | null };

const BASE_KEYS = new Set(['run_name', 'status', 'start_time', 'duration']);

/** Data keys of the table (params, metrics, tags) that pass ``pred``. */
export function keysOf(state: TableState, pred: (key: string) => boolean = () => true): string[] {
  return [...state.cols.keys()].filter(k => !BASE_KEYS.has(k) && pred(k));
}

export function short(key: string): string {
  const i = key.indexOf('.');
  return i < 0 ? key : key.slice(i + 1);
}

export function clip(text: string, n = 16): string {
  return text.length <= n ? text : `${text.slice(0, n - 1)}\u2026`;
}

/** The rows a plot draws: every run of the table, or the selected ones when there are any. */
export function focusRows(ctx: PlotContext): number[] {
  const { state, selected } = ctx;
  const out: number[] = [];
  const any = selected.size > 0;
  for (let i = 0; i < state.n; i++) {
    if (!any || selected.has(state.runIds[i])) {
      out.push(i);
    }
  }
  return out;
}

/** "all 143 runs" or "5 selected runs": what a plot is drawn from. */
export function scopeText(ctx: PlotContext, rows: number): string {
  return ctx.selected.size > 0 ? formatCount(rows, 'selected run') : `all ${formatCount(rows, 'run')}`;
}

/** The primary metric: the first metric in the table's visible column order. */
export function primaryMetric(ctx: PlotContext): string | null {
  const cols: string[] = ctx.model.get('columns') || [];
  const visible = cols.find(k => k.startsWith('metrics.') && ctx.state.cols.has(k));
  return visible ?? keysOf(ctx.state, k => k.startsWith('metrics.'))[0] ?? null;
}

// -- scales -----------------------------------------------------------------------------------
export interface Tick {
  v: number; // in scale units (log10 of the value on a log axis)
  label: string;
}

export interface Scale {
  key: string;
  raw: Float64Array; // values in data units (category rank for text), NaN where missing
  values: Float64Array; // values in scale units
  categories: string[] | null;
  log: boolean;
  lo: number;
  hi: number;
  ticks: Tick[];
  missing: number; // rows without a value
  present: number; // rows with a value
}

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f >= 7.07 ? 10 : f >= 3.16 ? 5 : f >= 1.41 ? 2 : 1) * mag;
}

/**
 * The domain and ticks of values spanning [lo, hi]: no padding beyond the data; a single value
 * gets ±5 % of itself (±0.5 around 0) with one tick at the value, and never leaves [0, 1] when
 * the value lies in it.
 */
export function rangeScale(lo: number, hi: number, count = 5): { lo: number; hi: number; ticks: Tick[] } {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    return { lo: 0, hi: 1, ticks: [] };
  }
  if (lo === hi) {
    const v = lo;
    const d = v === 0 ? 0.5 : Math.abs(v) * 0.05;
    let a = v - d;
    let b = v + d;
    if (v >= 0 && v <= 1) {
      a = Math.max(0, a);
      b = Math.min(1, b);
    }
    return { lo: a, hi: b, ticks: [{ v, label: formatNumber(v) }] };
  }
  const step = niceStep(hi - lo, count);
  const ticks: Tick[] = [];
  const eps = step * 1e-9;
  for (let k = Math.ceil((lo - eps) / step); k * step <= hi + eps; k++) {
    const v = Number((k * step).toPrecision(12));
    ticks.push({ v, label: formatNumber(v) });
  }
  if (ticks.length < 2) {
    return { lo, hi, ticks: [{ v: lo, label: formatNumber(lo) }, { v: hi, label: formatNumber(hi) }] };
  }
  return { lo, hi, ticks };
}

// a log axis pays off when most values crowd the low end of a linear one (C, alpha, learning
// rates on a grid): the median below a fifth of the largest value; uniform metrics stay linear
function skewed(raw: Float64Array, rows: ArrayLike<number>, hi: number): boolean {
  const present: number[] = [];
  for (let j = 0; j < rows.length; j++) {
    const v = raw[rows[j]];
    if (Number.isFinite(v)) present.push(v);
  }
  present.sort((a, b) => a - b);
  return present[Math.floor((present.length - 1) / 2)] < hi / 5;
}

/** A scale for column ``key`` over ``rows``: log10 where positive values span two decades and
 * crowd the low end. */
export function scaleFor(key: string, col: Column, rows: ArrayLike<number>): Scale {
  const { values: raw, categories } = numericOf(col);
  let lo = Infinity;
  let hi = -Infinity;
  let missing = 0;
  let positive = true;
  for (let j = 0; j < rows.length; j++) {
    const v = raw[rows[j]];
    if (!Number.isFinite(v)) {
      missing++;
      continue;
    }
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    if (v <= 0) positive = false;
  }
  const present = rows.length - missing;
  const base = { key, raw, categories, missing, present };
  if (present === 0) {
    return { ...base, values: raw, log: false, lo: 0, hi: 1, ticks: [] };
  }
  if (categories) {
    const k = categories.length;
    const every = k <= 12 ? 1 : Math.ceil(k / 10);
    const ticks = categories
      .map((c, r) => ({ v: r, label: clip(c, 14) }))
      .filter(t => t.v % every === 0 || t.v === k - 1);
    return k === 1 || lo === hi
      ? { ...base, values: raw, log: false, lo: lo - 1, hi: hi + 1, ticks: [{ v: lo, label: clip(categories[lo], 14) }] }
      : { ...base, values: raw, log: false, lo: 0, hi: k - 1, ticks };
  }
  if (positive && hi / lo >= 100 && skewed(raw, rows, hi)) {
    const values = new Float64Array(raw.length);
    for (let i = 0; i < raw.length; i++) values[i] = raw[i] > 0 ? Math.log10(raw[i]) : NaN;
    const a = Math.log10(lo);
    const b = Math.log10(hi);
    const ticks: Tick[] = [];
    for (let p = Math.ceil(a - 1e-9); p <= b + 1e-9; p++) ticks.push({ v: p, label: formatNumber(10 ** p) });
    return { ...base, values, log: true, lo: a, hi: b, ticks };
  }
  return { ...base, values: raw, log: false, ...rangeScale(lo, hi) };
}

/** Scale units -> data units (and back) of ``s``. */
export const toData = (s: Scale, v: number): number => (s.log ? 10 ** v : v);
export const toScale = (s: Scale, v: number): number => (s.log ? Math.log10(v) : v);

// -- colours ----------------------------------------------------------------------------------
export interface Theme {
  text: string;
  muted: string;
  faint: string;
  grid: string;
  brand: string;
  background: string;
}

function cssVar(el: Element, name: string, fallback: string): string {
  const v = getComputedStyle(el).getPropertyValue(name).trim();
  return v || fallback;
}

/** The panel's colours now (read at draw time, so a theme switch redraws right). */
export function themeOf(el: Element): Theme {
  return {
    text: cssVar(el, '--jp-ui-font-color1', '#1f1f1f'),
    muted: cssVar(el, '--jp-ui-font-color2', '#616161'),
    faint: cssVar(el, '--jp-ui-font-color3', '#9e9e9e'),
    grid: cssVar(el, '--jp-border-color2', '#e0e0e0'),
    brand: cssVar(el, '--jp-brand-color1', '#1976d2'),
    background: cssVar(el, '--jp-layout-color0', '#ffffff'),
  };
}

/** Categorical colours of medium lightness: readable on light and dark backgrounds alike. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

// a sequential scale (blue -> teal -> green -> orange -> red) that stays visible on both themes
const RAMP = [
  [76, 110, 220],
  [44, 159, 184],
  [90, 174, 97],
  [230, 145, 50],
  [215, 60, 50],
];

export function ramp(t: number): string {
  const x = Math.min(0.9999, Math.max(0, t)) * (RAMP.length - 1);
  const k = Math.floor(x);
  const f = x - k;
  const c = RAMP[k].map((v, j) => Math.round(v + f * (RAMP[k + 1][j] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export function viridis(t: number): string {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const x = Math.min(0.9999, Math.max(0, t)) * (stops.length - 1);
  const k = Math.floor(x);
  const f = x - k;
  const c = stops[k].map((v, j) => Math.round(v + f * (stops[k + 1][j] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

// -- DOM pieces -------------------------------------------------------------------------------
export function svgEl(tag: string, attrs: Record<string, string | number> = {}, text: string | null = null): SVGElement {
  const node = document.createElementNS(SVGNS, tag) as SVGElement;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

/** A canvas under an SVG overlay, both ``width`` × ``height`` CSS pixels. */
export function layered(width: number, height: number, label: string) {
  const wrap = h('div', { class: 'mlnb-layer', attrs: { role: 'img', 'aria-label': label } });
  wrap.style.width = `${width}px`;
  wrap.style.height = `${height}px`;
  const ratio = Math.max(1, Math.min(2, window.devicePixelRatio || 1));
  const canvas = h('canvas');
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const g = canvas.getContext('2d') as CanvasRenderingContext2D;
  g.scale(ratio, ratio);
  const svg = svgEl('svg', { width, height, class: 'mlnb-svg' }) as SVGSVGElement;
  wrap.append(canvas, svg);
  return { wrap, canvas, g, svg };
}

/** The caption above a plot: what it is drawn from, and what it could not draw. */
export function caption(ctx: PlotContext, text: string, drawn: number): HTMLElement {
  const el = h('div', { class: 'mlnb-plot-caption' }, text);
  el.dataset.drawn = String(drawn);
  ctx.plotEl.appendChild(el);
  return el;
}

/** Why a plot is empty, said where the plot would be. */
export function emptyNote(ctx: PlotContext, text: string): void {
  const el = h('div', { class: 'mlnb-note mlnb-plot-empty' }, text);
  ctx.plotEl.appendChild(el);
  ctx.root.dataset.plotDrawnAt = performance.now().toFixed(0);
}

/** A labelled select bound to model trait ``trait``. */
export function select(ctx: PlotContext, trait: string, options: string[], label: string): HTMLElement {
  const sel = h('select', { attrs: { 'data-trait': trait } });
  for (const key of options) {
    const opt = h('option', { title: key }, short(key));
    opt.value = key;
    sel.appendChild(opt);
  }
  sel.value = ctx.model.get(trait);
  sel.addEventListener('change', () => {
    ctx.model.set(trait, sel.value);
    ctx.model.save_changes();
  });
  return h('label', { class: 'mlnb-ctl' }, `${label} `, sel);
}

/** Axis lines, ticks and labels of an x/y plot frame. */
export function frameAxes(
  svg: SVGElement,
  box: { x0: number; x1: number; y0: number; y1: number },
  xs: { lo: number; hi: number; ticks: Tick[] },
  ys: { lo: number; hi: number; ticks: Tick[] },
  xLabel: string,
  yLabel: string,
): void {
  const { x0, x1, y0, y1 } = box;
  const px = (v: number) => x0 + ((v - xs.lo) / (xs.hi - xs.lo || 1)) * (x1 - x0);
  const py = (v: number) => y1 - ((v - ys.lo) / (ys.hi - ys.lo || 1)) * (y1 - y0);
  svg.append(
    svgEl('line', { x1: x0, y1, x2: x1, y2: y1, class: 'mlnb-axis' }),
    svgEl('line', { x1: x0, y1: y0, x2: x0, y2: y1, class: 'mlnb-axis' }),
  );
  for (const t of xs.ticks) {
    const x = px(t.v);
    svg.append(
      svgEl('line', { x1: x, x2: x, y1: y0, y2: y1, class: 'mlnb-grid' }),
      svgEl('text', { x, y: y1 + 14, class: 'mlnb-tick mlnb-xtick', 'text-anchor': 'middle' }, t.label),
    );
  }
  for (const t of ys.ticks) {
    const y = py(t.v);
    svg.append(
      svgEl('line', { x1: x0, x2: x1, y1: y, y2: y, class: 'mlnb-grid' }),
      svgEl('text', { x: x0 - 4, y: y + 3, class: 'mlnb-tick mlnb-ytick', 'text-anchor': 'end' }, t.label),
    );
  }
  const my = (y0 + y1) / 2;
  svg.append(
    svgEl('text', { x: (x0 + x1) / 2, y: y1 + 30, class: 'mlnb-label', 'text-anchor': 'middle' }, xLabel),
    svgEl('text', { x: 12, y: my, class: 'mlnb-label', transform: `rotate(-90 12 ${my})`, 'text-anchor': 'middle' }, yLabel),
  );
}
