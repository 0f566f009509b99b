// Parallel coordinates: the params that differ among the runs, then the primary metric, one
// line per run coloured by that metric. A run without a value on an axis passes through the
// axis's "missing" band at its foot instead of vanishing or breaking into stray segments.
import { h } from '../dom';
import { formatCount, formatNumber } from '../format';
import {
  PlotContext,
  Scale,
  caption,
  clip,
  emptyNote,
  keysOf,
  layered,
  numericOf,
  primaryMetric,
  ramp,
  scaleFor,
  scopeText,
  short,
  svgEl,
  themeOf,
  toData,
  toScale,
} from './comparePlotKit';

/** Lines drawn at most (an even sample past it; brushing still tests every run). */
export const MAX_LINES = 20000;
/** Params shown at most by the automatic axes. */
export const MAX_AUTO_PARAMS = 10;
const BUCKETS = 10;

interface Dim extends Scale {
  x: number;
}

function differs(ctx: PlotContext, key: string): boolean {
  const col = ctx.state.cols.get(key);
  if (!col) return false;
  const { values } = numericOf(col);
  let first: number | undefined;
  for (let i = 0; i < ctx.state.n; i++) {
    const v = values[i];
    const norm = Number.isFinite(v) ? v : NaN;
    if (first === undefined) first = norm;
    else if (!(norm === first || (Number.isNaN(norm) && Number.isNaN(first)))) return true;
  }
  return false;
}

/**
 * The axes: the ``axes`` trait when set, else the params that differ among the table's runs
 * (in the table's column order, at most MAX_AUTO_PARAMS) followed by the primary metric.
 */
export function parallelAxes(ctx: PlotContext): { axes: string[]; auto: boolean; primary: string | null } {
  const { state, model } = ctx;
  const primary = primaryMetric(ctx);
  const chosen = ((model.get('axes') as string[]) || []).filter(k => state.cols.has(k));
  if (chosen.length) {
    return { axes: chosen, auto: false, primary };
  }
  const visible = ((model.get('columns') as string[]) || []).filter(k => k.startsWith('params.') && state.cols.has(k));
  const rest = keysOf(state, k => k.startsWith('params.') && !visible.includes(k));
  const params = [...visible, ...rest].filter(k => differs(ctx, k)).slice(0, MAX_AUTO_PARAMS);
  return { axes: primary ? [...params, primary] : params, auto: true, primary };
}

function axesChooser(ctx: PlotContext, axes: string[], auto: boolean): void {
  const { model, state, controls } = ctx;
  const chooser = h('select', { class: 'mlnb-axes', attrs: { multiple: '', size: '4', 'data-trait': 'axes' } });
  for (const key of keysOf(state)) {
    const opt = h('option', { title: key }, short(key));
    opt.value = key;
    opt.selected = axes.includes(key);
    chooser.appendChild(opt);
  }
  chooser.addEventListener('change', () => {
    model.set('axes', Array.from(chooser.selectedOptions).map(o => o.value));
    model.save_changes();
  });
  const automatic = h('button', { class: 'mlnb-plot-button', title: 'differing params, then the primary metric' }, 'automatic axes');
  automatic.type = 'button';
  automatic.disabled = auto;
  automatic.addEventListener('click', () => {
    model.set('axes', []);
    model.save_changes();
  });
  const clear = h('button', { class: 'mlnb-plot-button mlnb-clear-brush' }, 'clear brushes');
  clear.type = 'button';
  clear.addEventListener('click', () => applyBrushes(ctx, {}));
  controls.append(h('label', { class: 'mlnb-ctl' }, 'axes ', chooser), automatic, clear);
}

export function drawParallel(ctx: PlotContext): void {
  const t0 = performance.now();
  const { model, state, root } = ctx;
  const { axes, auto, primary } = parallelAxes(ctx);
  axesChooser(ctx, axes, auto);
  if (axes.length < 2) {
    emptyNote(
      ctx,
      auto
        ? `no param differs among the ${formatCount(state.n, 'run')} and no second axis: choose axes`
        : 'choose at least two axes',
    );
    return;
  }
  const any = ctx.selected.size > 0;
  const all = Array.from({ length: state.n }, (_, i) => i);
  const chosen = any ? all.filter(i => ctx.selected.has(state.runIds[i])) : all;
  const W = ctx.width;
  const H = 360;
  const top = 44;
  const bottom = H - 74;
  const missY = bottom + 34;
  const left = 50;
  const right = W - 150;
  const dims: Dim[] = axes.map((key, j) => ({
    ...scaleFor(key, state.cols.get(key)!, all),
    x: left + (j * (right - left)) / (axes.length - 1),
  }));
  const yOf = (d: Dim, v: number) =>
    Number.isFinite(v) ? bottom - ((v - d.lo) / (d.hi - d.lo || 1)) * (bottom - top) : missY;
  const valueOf = (d: Dim, y: number) => d.lo + ((bottom - y) / (bottom - top)) * (d.hi - d.lo);
  const colorDim = primary ? scaleFor(primary, state.cols.get(primary)!, chosen) : null;
  const { wrap, g, svg } = layered(W, H, `parallel coordinates of ${axes.map(short).join(', ')}`);
  wrap.classList.add('mlnb-pc');
  const theme = themeOf(root);
  const evenly = (rows: number[], max: number) => {
    if (rows.length <= max) return rows;
    const step = rows.length / max;
    return Array.from({ length: max }, (_, j) => rows[Math.floor(j * step)]);
  };
  // one path per colour: thousands of lines cost a handful of strokes, not one per run
  const stroke = (rows: number[], color: string, alpha: number) => {
    if (!rows.length) return;
    g.strokeStyle = color;
    g.globalAlpha = alpha;
    g.lineWidth = 1;
    g.beginPath();
    for (const i of rows) {
      for (let j = 0; j < dims.length; j++) {
        const d = dims[j];
        const y = yOf(d, d.values[i]);
        if (j === 0) g.moveTo(d.x, y);
        else g.lineTo(d.x, y);
      }
    }
    g.stroke();
  };
  const drawn = evenly(chosen, MAX_LINES);
  const alpha = Math.max(0.06, Math.min(0.85, 10 / Math.sqrt(drawn.length || 1)));
  if (any) {
    stroke(evenly(all.filter(i => !ctx.selected.has(state.runIds[i])), MAX_LINES), theme.faint, 0.12);
  }
  const buckets: number[][] = Array.from({ length: BUCKETS + 1 }, () => []);
  const cv = colorDim?.values;
  const span = colorDim ? colorDim.hi - colorDim.lo || 1 : 1;
  for (const i of drawn) {
    const v = cv ? cv[i] : NaN;
    buckets[Number.isFinite(v) ? Math.min(BUCKETS - 1, Math.floor(((v - colorDim!.lo) / span) * BUCKETS)) : BUCKETS].push(i);
  }
  stroke(buckets[BUCKETS], theme.faint, alpha);
  for (let b = 0; b < BUCKETS; b++) stroke(buckets[b], cv ? ramp((b + 0.5) / BUCKETS) : theme.brand, alpha);
  g.globalAlpha = 1;

  const brushes: Record<string, [number, number]> = model.get('brushes') || {};
  for (const d of dims) {
    const missingDrawn = d.values ? drawn.reduce((n, i) => n + (Number.isFinite(d.values[i]) ? 0 : 1), 0) : 0;
    const label = svgEl('text', { x: d.x, y: top - 24, 'text-anchor': 'middle', class: 'mlnb-label' }, clip(short(d.key), 18) + (d.log ? ' (log)' : ''));
    label.appendChild(svgEl('title', {}, d.key));
    svg.append(svgEl('line', { x1: d.x, y1: top, x2: d.x, y2: bottom, class: 'mlnb-axis' }), label);
    for (const t of d.ticks) {
      const y = yOf(d, t.v);
      svg.append(
        svgEl('line', { x1: d.x - 3, x2: d.x, y1: y, y2: y, class: 'mlnb-axis' }),
        svgEl('text', { x: d.x + 5, y: y + 3, class: 'mlnb-tick mlnb-pc-tick', 'data-key': d.key }, t.label),
      );
    }
    if (d.missing) {
      svg.append(
        svgEl('line', { x1: d.x - 10, x2: d.x + 10, y1: missY, y2: missY, class: 'mlnb-missing-band', 'data-key': d.key }),
        svgEl('text', { x: d.x + 12, y: missY + 3, class: 'mlnb-tick mlnb-missing-label' }, 'missing'),
      );
    }
    const b = brushes[d.key];
    if (b) {
      const y1 = yOf(d, toScale(d, b[1]));
      const y2 = yOf(d, toScale(d, b[0]));
      svg.appendChild(svgEl('rect', { x: d.x - 8, y: Math.min(y1, y2), width: 16, height: Math.abs(y2 - y1), class: 'mlnb-brush' }));
    }
    const hit = svgEl('rect', {
      x: d.x - 15,
      y: top,
      width: 30,
      height: bottom - top,
      class: 'mlnb-pc-axis',
      'data-key': d.key,
      'data-missing': missingDrawn,
      'data-lo': formatNumber(toData(d, d.lo)),
      'data-hi': formatNumber(toData(d, d.hi)),
      'data-ticks': JSON.stringify(d.ticks.map(t => t.label)),
      'data-log': String(d.log),
    });
    hit.addEventListener('pointerdown', ev => brushAxis(ctx, svg, d, dims, ev as PointerEvent, top, bottom, valueOf));
    svg.appendChild(hit);
  }
  if (colorDim && primary) legend(svg, colorDim, right + 40, top, bottom);

  const lacking = dims.filter(d => d.missing).length;
  let text = `${scopeText(ctx, chosen.length)}, coloured by ${short(primary ?? '') || 'run'}`;
  if (drawn.length < chosen.length) text += ` (${formatCount(drawn.length, 'line')} drawn, an even sample)`;
  if (lacking) text += `; runs without a value pass through the \u201cmissing\u201d band`;
  if (any) text += '; other runs in grey';
  caption(ctx, text, drawn.length);
  wrap.dataset.axes = JSON.stringify(axes);
  wrap.dataset.auto = String(auto);
  wrap.dataset.primary = primary ?? '';
  wrap.dataset.lines = String(drawn.length);
  ctx.plotEl.appendChild(wrap);
  root.dataset.plotDrawnAt = performance.now().toFixed(0);
  root.dataset.plotMs = (performance.now() - t0).toFixed(1);
}

function legend(svg: SVGElement, s: Scale, x: number, top: number, bottom: number): void {
  const title = svgEl('text', { x, y: top - 24, class: 'mlnb-label mlnb-legend-title' }, clip(short(s.key), 18));
  title.appendChild(svgEl('title', {}, s.key));
  svg.appendChild(title);
  const hgt = (bottom - top) / BUCKETS;
  for (let b = 0; b < BUCKETS; b++) {
    svg.appendChild(svgEl('rect', { x, y: bottom - (b + 1) * hgt, width: 12, height: hgt + 0.5, fill: ramp((b + 0.5) / BUCKETS) }));
  }
  for (const t of s.ticks) {
    const y = bottom - ((t.v - s.lo) / (s.hi - s.lo || 1)) * (bottom - top);
    svg.appendChild(svgEl('text', { x: x + 16, y: y + 3, class: 'mlnb-tick mlnb-legend-tick' }, t.label));
  }
}

function brushAxis(
  ctx: PlotContext,
  svg: SVGElement,
  d: Dim,
  dims: Dim[],
  ev: PointerEvent,
  top: number,
  bottom: number,
  valueOf: (d: Dim, y: number) => number,
): void {
  ev.preventDefault();
  const box = svg.getBoundingClientRect();
  const start = ev.clientY - box.top;
  const temp = svgEl('rect', { x: d.x - 8, y: start, width: 16, height: 0, class: 'mlnb-brush' });
  svg.appendChild(temp);
  const clamp = (e: PointerEvent) => Math.max(top, Math.min(bottom, e.clientY - box.top));
  const move = (e: PointerEvent) => {
    const y = clamp(e);
    temp.setAttribute('y', String(Math.min(start, y)));
    temp.setAttribute('height', String(Math.abs(y - start)));
  };
  const up = (e: PointerEvent) => {
    window.removeEventListener('pointermove', move);
    window.removeEventListener('pointerup', up);
    const y = clamp(e);
    const next: Record<string, [number, number]> = { ...(ctx.model.get('brushes') || {}) };
    if (Math.abs(y - start) < 3) delete next[d.key];
    else next[d.key] = [toData(d, valueOf(d, Math.max(y, start))), toData(d, valueOf(d, Math.min(y, start)))];
    applyBrushes(ctx, next, dims);
  };
  window.addEventListener('pointermove', move);
  window.addEventListener('pointerup', up);
}

/** Select the runs inside every brush (data units) and store the brushes in the model. */
export function applyBrushes(ctx: PlotContext, brushes: Record<string, [number, number]>, dims: Scale[] = []): void {
  const { model, state } = ctx;
  const keys = Object.keys(brushes).filter(k => state.cols.has(k));
  const values = new Map<string, Float64Array>(dims.map(d => [d.key, d.raw]));
  for (const k of keys) if (!values.has(k)) values.set(k, numericOf(state.cols.get(k)!).values);
  const ids: string[] = [];
  if (keys.length) {
    for (let i = 0; i < state.n; i++) {
      if (keys.every(k => {
        const v = values.get(k)![i];
        return v >= brushes[k][0] && v <= brushes[k][1];
      })) {
        ids.push(state.runIds[i]);
      }
    }
  }
  model.set('brushes', brushes);
  model.set('selected', ids);
  model.save_changes();
}
