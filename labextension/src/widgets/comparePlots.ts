// The compare panel's plots: parallel coordinates (comparePlotParallel), scatter, box, contour
// and metric history. Each draws from every run of the table unless runs are selected, says so
// in a caption, and says why when it has nothing to draw.
import { h } from '../dom';
import { formatCount, formatNumber } from '../format';
import { cellText } from './compareData';
import { applyBrushes, drawParallel } from './comparePlotParallel';
import {
  Column,
  PALETTE,
  PlotContext,
  caption,
  clip,
  emptyNote,
  focusRows,
  frameAxes,
  keysOf,
  layered,
  rangeScale,
  scaleFor,
  scopeText,
  select,
  short,
  svgEl,
  themeOf,
  viridis,
} from './comparePlotKit';
import { decorateTabs, watchColumns, watchTheme } from './comparePlotHooks';

export { applyBrushes, drawParallel };
export { MAX_LINES } from './comparePlotParallel';
export const PLOTS = ['parallel', 'scatter', 'box', 'contour', 'history'];

const textOf = cellText as (col: Column, i: number) => string;

/** "3 runs lack metrics.f1 and are not drawn" (or "" when every run is drawn). */
function lackText(count: number, keys: string[]): string {
  if (!count) return '';
  const which = keys.length === 1 ? keys[0] : `${keys.slice(0, -1).join(', ')} or ${keys[keys.length - 1]}`;
  return `; ${formatCount(count, 'run')} ${count === 1 ? 'lacks' : 'lack'} ${which} and ${count === 1 ? 'is' : 'are'} not drawn`;
}

function bothText(keys: string[]): string {
  return keys.length === 2 ? `both ${keys[0]} and ${keys[1]}` : `${keys.slice(0, -1).join(', ')} and ${keys[keys.length - 1]}`;
}

// -- scatter ------------------------------------------------------------------------------------
function drawScatter(ctx: PlotContext): void {
  const { model, state, controls, root } = ctx;
  const keys = keysOf(state);
  controls.append(select(ctx, 'scatter_x', keys, 'x'), select(ctx, 'scatter_y', keys, 'y'));
  const xk: string = model.get('scatter_x');
  const yk: string = model.get('scatter_y');
  const xc = state.cols.get(xk);
  const yc = state.cols.get(yk);
  if (!xc || !yc) return emptyNote(ctx, 'choose x and y');
  const rows = focusRows(ctx);
  const xs = scaleFor(xk, xc, rows);
  const ys = scaleFor(yk, yc, rows);
  const lackX = new Set<number>();
  const lackY = new Set<number>();
  const pts: [number, number, number][] = [];
  const W = Math.min(ctx.width, 760);
  const H = 320;
  const box = { x0: 60, x1: W - 20, y0: 16, y1: H - 44 };
  const px = (v: number) => box.x0 + ((v - xs.lo) / (xs.hi - xs.lo || 1)) * (box.x1 - box.x0);
  const py = (v: number) => box.y1 - ((v - ys.lo) / (ys.hi - ys.lo || 1)) * (box.y1 - box.y0);
  for (const i of rows) {
    const okX = Number.isFinite(xs.values[i]);
    const okY = Number.isFinite(ys.values[i]);
    if (!okX) lackX.add(i);
    if (!okY) lackY.add(i);
    if (okX && okY) pts.push([px(xs.values[i]), py(ys.values[i]), i]);
  }
  const lacking = rows.length - pts.length;
  const lackKeys = [lackY.size ? yk : '', lackX.size ? xk : ''].filter(Boolean);
  if (!pts.length) {
    caption(ctx, `${scopeText(ctx, rows.length)}`, 0);
    return emptyNote(ctx, `no run has ${bothText([yk, xk])}`);
  }
  caption(ctx, `${scopeText(ctx, rows.length)}${lackText(lacking, lackKeys)}`, pts.length);
  const { wrap, g, svg } = layered(W, H, `scatter of ${short(yk)} against ${short(xk)}`);
  const theme = themeOf(root);
  g.fillStyle = theme.brand;
  g.globalAlpha = 0.75;
  g.beginPath();
  for (const [x, y] of pts) {
    if (pts.length > 2000) g.rect(x - 1.5, y - 1.5, 3, 3);
    else {
      g.moveTo(x + 3, y);
      g.arc(x, y, 3, 0, 2 * Math.PI);
    }
  }
  g.fill();
  g.globalAlpha = 1;
  frameAxes(svg, box, xs, ys, short(xk) + (xs.log ? ' (log)' : ''), short(yk) + (ys.log ? ' (log)' : ''));
  const tip = h('div', { class: 'mlnb-tooltip' });
  tip.style.display = 'none';
  wrap.appendChild(tip);
  const params = keysOf(state, k => k.startsWith('params.')).slice(0, 12);
  wrap.addEventListener('mousemove', ev => {
    const r = wrap.getBoundingClientRect();
    const mx = ev.clientX - r.left;
    const my = ev.clientY - r.top;
    let best: [number, number, number] | null = null;
    let bd = 64;
    for (const p of pts) {
      const d = (p[0] - mx) ** 2 + (p[1] - my) ** 2;
      if (d < bd) {
        bd = d;
        best = p;
      }
    }
    if (!best) {
      tip.style.display = 'none';
      return;
    }
    const i = best[2];
    const lines: Node[] = [h('b', {}, state.names[i])];
    for (const k of params) lines.push(h('div', {}, `${short(k)} = ${textOf(state.cols.get(k)!, i)}`));
    lines.push(h('div', {}, `${short(yk)} = ${textOf(yc, i)}`));
    tip.replaceChildren(...lines);
    tip.style.cssText = `display:block;left:${best[0] + 10}px;top:${best[1] + 10}px`;
  });
  wrap.addEventListener('mouseleave', () => (tip.style.display = 'none'));
  wrap.dataset.points = String(pts.length);
  ctx.plotEl.appendChild(wrap);
  root.dataset.plotDrawnAt = performance.now().toFixed(0);
}

// -- box plot -----------------------------------------------------------------------------------
function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function drawBox(ctx: PlotContext): void {
  const { model, state, controls, root } = ctx;
  const metrics = keysOf(state, k => k.startsWith('metrics.'));
  const groups = keysOf(state, k => !k.startsWith('metrics.'));
  controls.append(select(ctx, 'box_metric', metrics, 'metric'), select(ctx, 'box_group', groups, 'group by'));
  const mk: string = model.get('box_metric');
  const gk: string = model.get('box_group');
  const mc = state.cols.get(mk);
  const gc = state.cols.get(gk);
  if (!mc || !gc || !mc.num) return emptyNote(ctx, 'choose a metric and a group');
  const rows = focusRows(ctx);
  const byGroup = new Map<string, number[]>();
  let lacking = 0;
  for (const i of rows) {
    const v = mc.num[i];
    if (!Number.isFinite(v)) {
      lacking++;
      continue;
    }
    const k = textOf(gc, i) || '(none)';
    if (!byGroup.has(k)) byGroup.set(k, []);
    byGroup.get(k)!.push(v);
  }
  if (!byGroup.size) {
    caption(ctx, scopeText(ctx, rows.length), 0);
    return emptyNote(ctx, `no run has ${mk}`);
  }
  const names = [...byGroup.keys()].sort().slice(0, 30);
  let text = `${scopeText(ctx, rows.length)}${lackText(lacking, [mk])}`;
  if (byGroup.size > names.length) text += `; the first ${names.length} of ${formatCount(byGroup.size, 'group')} shown`;
  caption(ctx, text, rows.length - lacking);
  const W = Math.min(ctx.width, 760);
  const H = 320;
  const box = { x0: 60, x1: W - 20, y0: 16, y1: H - 44 };
  const svg = svgEl('svg', { width: W, height: H, class: 'mlnb-svg mlnb-box', role: 'img', 'aria-label': `box plot of ${short(mk)} by ${short(gk)}` });
  let lo = Infinity;
  let hi = -Infinity;
  for (const k of names) for (const v of byGroup.get(k)!) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  const ys = rangeScale(lo, hi);
  const py = (v: number) => box.y1 - ((v - ys.lo) / (ys.hi - ys.lo || 1)) * (box.y1 - box.y0);
  frameAxes(svg, box, { lo: 0, hi: 1, ticks: [] }, ys, short(gk), short(mk));
  const band = (box.x1 - box.x0) / Math.max(1, names.length);
  names.forEach((name, j) => {
    const v = byGroup.get(name)!.sort((a, b) => a - b);
    const q1 = quantile(v, 0.25);
    const q2 = quantile(v, 0.5);
    const q3 = quantile(v, 0.75);
    const iqr = q3 - q1;
    const wl = v.find(x => x >= q1 - 1.5 * iqr)!;
    const wh = [...v].reverse().find(x => x <= q3 + 1.5 * iqr)!;
    const cx = box.x0 + band * (j + 0.5);
    const bw = Math.min(40, band * 0.6);
    const label = svgEl('text', { x: cx, y: box.y1 + 14, 'text-anchor': 'middle', class: 'mlnb-tick' }, `${clip(name, 12)} (${formatNumber(v.length)})`);
    label.appendChild(svgEl('title', {}, name));
    svg.append(
      svgEl('line', { x1: cx, x2: cx, y1: py(wl), y2: py(wh), class: 'mlnb-whisker' }),
      svgEl('rect', { x: cx - bw / 2, y: py(q3), width: bw, height: Math.max(1, py(q1) - py(q3)), class: 'mlnb-boxrect', fill: PALETTE[j % PALETTE.length] }),
      svgEl('line', { x1: cx - bw / 2, x2: cx + bw / 2, y1: py(q2), y2: py(q2), class: 'mlnb-median' }),
      label,
    );
    for (const x of v) if (x < wl || x > wh) svg.appendChild(svgEl('circle', { cx, cy: py(x), r: 2, class: 'mlnb-outlier' }));
  });
  ctx.plotEl.appendChild(svg);
  root.dataset.plotDrawnAt = performance.now().toFixed(0);
}

// -- contour ------------------------------------------------------------------------------------
function drawContour(ctx: PlotContext): void {
  const { model, state, controls, root } = ctx;
  const numeric = keysOf(state, k => !!state.cols.get(k)!.num);
  const metrics = numeric.filter(k => k.startsWith('metrics.'));
  controls.append(select(ctx, 'contour_x', numeric, 'x'), select(ctx, 'contour_y', numeric, 'y'), select(ctx, 'contour_z', metrics, 'metric'));
  const names: string[] = ['contour_x', 'contour_y', 'contour_z'].map(t => model.get(t));
  const cols = names.map(k => state.cols.get(k));
  if (cols.some(c => !c || !c.num)) return emptyNote(ctx, 'choose two numeric params and a metric');
  const [xc, yc, zc] = cols.map(c => c!.num!) as [Float64Array, Float64Array, Float64Array];
  const rows = focusRows(ctx);
  let pts = rows.filter(i => Number.isFinite(xc[i]) && Number.isFinite(yc[i]) && Number.isFinite(zc[i]));
  const lacking = rows.length - pts.length;
  const lackKeys = names.filter((_, j) => rows.some(i => !Number.isFinite([xc, yc, zc][j][i])));
  if (!pts.length) {
    caption(ctx, scopeText(ctx, rows.length), 0);
    return emptyNote(ctx, `no run has ${bothText(names)}`);
  }
  caption(ctx, `${scopeText(ctx, rows.length)}${lackText(lacking, lackKeys)}`, pts.length);
  if (pts.length > 1500) pts = pts.filter((_, j) => j % Math.ceil(pts.length / 1500) === 0);
  const W = Math.min(ctx.width, 760);
  const H = 320;
  const box = { x0: 60, x1: W - 100, y0: 16, y1: H - 44 };
  const ext = (a: Float64Array) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const i of pts) (lo = Math.min(lo, a[i])), (hi = Math.max(hi, a[i]));
    return rangeScale(lo, hi);
  };
  const xs = ext(xc);
  const ys = ext(yc);
  const zs = ext(zc);
  const { wrap, g, svg } = layered(W, H, `contour of ${short(names[2])} over ${short(names[0])} and ${short(names[1])}`);
  const G = 40;
  const levels = 10;
  const nx = pts.map(i => (xc[i] - xs.lo) / (xs.hi - xs.lo || 1));
  const ny = pts.map(i => (yc[i] - ys.lo) / (ys.hi - ys.lo || 1));
  const cw = (box.x1 - box.x0) / G;
  const ch = (box.y1 - box.y0) / G;
  for (let gx = 0; gx < G; gx++) {
    for (let gy = 0; gy < G; gy++) {
      const cx = (gx + 0.5) / G;
      const cy = (gy + 0.5) / G;
      let num = 0;
      let den = 0;
      for (let k = 0; k < pts.length; k++) {
        const w = 1 / ((nx[k] - cx) ** 2 + (ny[k] - cy) ** 2 + 1e-6);
        num += w * zc[pts[k]];
        den += w;
      }
      const t = Math.floor(((num / den - zs.lo) / (zs.hi - zs.lo || 1)) * levels) / (levels - 1);
      g.fillStyle = viridis(t);
      g.fillRect(box.x0 + gx * cw, box.y1 - (gy + 1) * ch, cw + 0.5, ch + 0.5);
    }
  }
  const theme = themeOf(root);
  g.fillStyle = theme.text;
  g.strokeStyle = theme.background;
  for (let k = 0; k < pts.length; k++) {
    const x = box.x0 + nx[k] * (box.x1 - box.x0) - 2;
    const y = box.y1 - ny[k] * (box.y1 - box.y0) - 2;
    g.fillRect(x, y, 4, 4);
    g.strokeRect(x, y, 4, 4);
  }
  for (let j = 0; j <= 20; j++) {
    g.fillStyle = viridis(j / 20);
    g.fillRect(box.x1 + 30, box.y1 - ((j + 1) * (box.y1 - box.y0)) / 21, 14, (box.y1 - box.y0) / 21 + 0.5);
  }
  frameAxes(svg, box, xs, ys, short(names[0]), short(names[1]));
  for (const t of zs.ticks) {
    const y = box.y1 - ((t.v - zs.lo) / (zs.hi - zs.lo || 1)) * (box.y1 - box.y0);
    svg.appendChild(svgEl('text', { x: box.x1 + 48, y: y + 3, class: 'mlnb-tick' }, t.label));
  }
  svg.appendChild(svgEl('text', { x: box.x1 + 30, y: box.y0 - 4, class: 'mlnb-tick' }, clip(short(names[2]), 14)));
  ctx.plotEl.appendChild(wrap);
  root.dataset.plotDrawnAt = performance.now().toFixed(0);
}

// -- metric history -----------------------------------------------------------------------------
interface Series {
  name: string;
  steps: number[];
  values: (number | null)[];
}

function drawHistory(ctx: PlotContext): void {
  const { model, state, controls, root } = ctx;
  controls.append(select(ctx, 'history_metric', keysOf(state, k => k.startsWith('metrics.')), 'metric'));
  const hist: { metric?: string; series?: Series[] } = model.get('history') || {};
  if (hist.metric !== model.get('history_metric')) {
    const note = h('div', { class: 'mlnb-note' }, 'loading history\u2026');
    ctx.plotEl.appendChild(note);
    return;
  }
  const series = hist.series || [];
  const n = ctx.selected.size;
  caption(
    ctx,
    n
      ? `${formatCount(series.length, 'selected run')}${series.length < n ? ` (the first ${formatNumber(series.length)} of ${formatNumber(n)})` : ''}`
      : `the first ${formatCount(series.length, 'run')} of ${formatNumber(state.n)} (select runs to choose which)`,
    series.length,
  );
  let sx = [Infinity, -Infinity];
  let sy = [Infinity, -Infinity];
  for (const ser of series) {
    ser.steps.forEach((st, j) => {
      const v = ser.values[j];
      if (v === null || !Number.isFinite(v)) return;
      sx = [Math.min(sx[0], st), Math.max(sx[1], st)];
      sy = [Math.min(sy[0], v), Math.max(sy[1], v)];
    });
  }
  if (sx[0] === Infinity) return emptyNote(ctx, `no run drawn here logged ${hist.metric}`);
  const xs = rangeScale(sx[0], sx[1]);
  const ys = rangeScale(sy[0], sy[1]);
  const W = Math.min(ctx.width, 760);
  const H = 320;
  const box = { x0: 60, x1: W - 160, y0: 16, y1: H - 44 };
  const svg = svgEl('svg', { width: W, height: H, class: 'mlnb-svg mlnb-history', role: 'img', 'aria-label': `history of ${short(hist.metric || '')}` });
  frameAxes(svg, box, xs, ys, 'step', short(hist.metric || ''));
  series.forEach((ser, j) => {
    const color = PALETTE[j % PALETTE.length];
    const pts = ser.steps
      .map((st, k) => [st, ser.values[k]] as [number, number | null])
      .filter((p): p is [number, number] => p[1] !== null && Number.isFinite(p[1]))
      .map(([st, v]) => `${box.x0 + ((st - xs.lo) / (xs.hi - xs.lo || 1)) * (box.x1 - box.x0)},${box.y1 - ((v - ys.lo) / (ys.hi - ys.lo || 1)) * (box.y1 - box.y0)}`);
    svg.appendChild(svgEl('polyline', { points: pts.join(' '), fill: 'none', stroke: color, 'stroke-width': 1.5 }));
    svg.appendChild(svgEl('rect', { x: box.x1 + 12, y: box.y0 + j * 16, width: 10, height: 10, fill: color }));
    svg.appendChild(svgEl('text', { x: box.x1 + 26, y: box.y0 + j * 16 + 9, class: 'mlnb-tick' }, clip(ser.name, 22)));
  });
  ctx.plotEl.appendChild(svg);
  root.dataset.plotDrawnAt = performance.now().toFixed(0);
}

// -- entry --------------------------------------------------------------------------------------
const DRAWERS: Record<string, (ctx: PlotContext) => void> = {
  parallel: drawParallel,
  scatter: drawScatter,
  box: drawBox,
  contour: drawContour,
  history: drawHistory,
};

function run(name: string, ctx: PlotContext): void {
  decorateTabs(ctx);
  const redraw = () => {
    if (!ctx.state || !ctx.state.n) return;
    ctx.controls.replaceChildren();
    ctx.plotEl.replaceChildren();
    const current = ctx.model.get('plot');
    run(DRAWERS[current] ? current : 'parallel', ctx);
  };
  watchTheme(ctx, redraw);
  watchColumns(ctx, redraw);
  DRAWERS[name](ctx);
}

/** The drawing function of each plot tab (the panel clears controls and plot before calling). */
export const DRAW: Record<string, (ctx: PlotContext) => void> = Object.fromEntries(
  PLOTS.map(p => [p, (ctx: PlotContext) => run(p, ctx)]),
);
