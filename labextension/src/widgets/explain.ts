import './explain.css';
// mlnb explain panel: SHAP bar, beeswarm, waterfall and dependence plots drawn as SVG.
// User strings (feature and class names) only ever go through textContent. Colours are CSS
// classes (explain.css) built from JupyterLab's theme variables.
import { h } from '../dom';
import { hideStaticFallback } from './fallback';
import { formatCount, formatDelta, formatNumber } from '../format';
import { RenderProps, WidgetModel, svg } from './panelKit';

interface Output {
  name: string;
  importance: number[];
  values: number[][];
  base: number[];
}

interface Payload {
  features: string[];
  rows: number[];
  data: (number | null)[][];
  outputs: Output[];
  default_output: number;
  explainer: string;
  output: string;
}

interface ExplainState {
  payload: Payload | Record<string, never>;
  output_index: number;
  row: number;
  feature: number;
}

type Model = WidgetModel<ExplainState>;
type Scale = (x: number) => number;

const TOP = 12;
/** Steps of the beeswarm's low → high colour ramp (classes mlnb-shap-c0 … c10). */
const RAMP = 10;

function labelWidth(labels: string[]): number {
  // room for the longest label (about 6 px per character at 10 px), within reason
  const longest = Math.max(0, ...labels.map(t => t.length));
  return Math.min(300, Math.max(80, 12 + 6 * longest));
}

function order(importance: number[], n: number): number[] {
  return importance
    .map((v, i): [number, number] => [v, i])
    .sort((a, b) => b[0] - a[0])
    .slice(0, n)
    .map(p => p[1]);
}

function scale(lo: number, hi: number, a: number, b: number): Scale {
  const span = hi - lo || 1;
  return x => a + ((x - lo) / span) * (b - a);
}

function rampClass(t: number | null): string {
  return t === null || Number.isNaN(t) ? 'mlnb-shap-missing' : `mlnb-shap-c${Math.round(t * RAMP)}`;
}

function svgBox(width: number, height: number, cls: string, label: string): SVGSVGElement {
  return svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: cls, role: 'img', 'aria-label': label });
}

function text(x: number, y: number, content: string, anchor = 'start', cls = ''): SVGTextElement {
  const attrs: Record<string, string | number> = { x, y, 'text-anchor': anchor };
  if (cls) {
    attrs.class = cls;
  }
  return svg('text', attrs, content);
}

function axisLabels(root: SVGSVGElement, names: string[], idx: number[], y: Scale, left: number): void {
  idx.forEach((j, k) => root.appendChild(text(left - 4, y(k) + 3, names[j], 'end')));
}

function drawBar(p: Payload, out: Output): SVGSVGElement {
  const idx = order(out.importance, TOP);
  const left = labelWidth(idx.map(j => p.features[j]));
  const W = left + 250;
  const rowH = 20;
  const H = idx.length * rowH + 30;
  const root = svgBox(W, H, 'mlnb-explain-bar', `mean absolute SHAP value of the top ${formatCount(idx.length, 'feature')}`);
  const max = Math.max(...idx.map(j => out.importance[j]), 1e-12);
  const x = scale(0, max, left, W - 40);
  const y: Scale = k => 6 + k * rowH + rowH / 2;
  idx.forEach((j, k) => {
    const v = out.importance[j];
    root.appendChild(
      svg('rect', { x: left, y: y(k) - 7, width: Math.max(1, x(v) - left), height: 14, class: 'mlnb-shap-pos' })
    );
    root.appendChild(text(x(v) + 3, y(k) + 3, formatNumber(v), 'start', 'mlnb-value'));
  });
  axisLabels(root, p.features, idx, y, left);
  root.appendChild(text((left + W) / 2, H - 4, 'mean(|SHAP value|)', 'middle'));
  return root;
}

function columnRange(p: Payload, j: number): [number, number] {
  const col = p.data
    .map(r => r[j])
    .filter((v): v is number => v !== null)
    .sort((a, b) => a - b);
  if (!col.length) {
    return [0, 1];
  }
  return [col[Math.floor(col.length * 0.05)], col[Math.floor((col.length - 1) * 0.95)]];
}

function drawBeeswarm(p: Payload, out: Output): SVGSVGElement {
  const idx = order(out.importance, TOP);
  const left = labelWidth(idx.map(j => p.features[j]));
  const W = left + 280;
  const rowH = 24;
  const H = idx.length * rowH + 44;
  const root = svgBox(W, H, 'mlnb-explain-beeswarm', 'SHAP value of every row for the top features');
  let lo = 0;
  let hi = 0;
  for (const j of idx) {
    for (const r of out.values) {
      lo = Math.min(lo, r[j]);
      hi = Math.max(hi, r[j]);
    }
  }
  const x = scale(lo, hi, left + 4, W - 10);
  const y: Scale = k => 6 + k * rowH + rowH / 2;
  root.appendChild(svg('line', { x1: x(0), x2: x(0), y1: 0, y2: H - 36, class: 'mlnb-axis' }));
  let seed = 1;
  const rand = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5;
  idx.forEach((j, k) => {
    const [clo, chi] = columnRange(p, j);
    out.values.forEach((r, i) => {
      const v = p.data[i][j];
      const t = v === null ? null : Math.min(1, Math.max(0, (v - clo) / (chi - clo || 1)));
      root.appendChild(svg('circle', { cx: x(r[j]), cy: y(k) + rand() * rowH * 0.6, r: 2, class: rampClass(t) }));
    });
  });
  axisLabels(root, p.features, idx, y, left);
  root.appendChild(text((left + W) / 2, H - 18, 'SHAP value', 'middle'));
  root.appendChild(text((left + W) / 2, H - 4, 'colour: feature value, low → high (grey: missing)', 'middle'));
  return root;
}

function drawWaterfall(p: Payload, out: Output, row: number): SVGSVGElement {
  const vals = out.values[row];
  const base = out.base[row];
  const idx = vals
    .map((v, i): [number, number] => [Math.abs(v), i])
    .sort((a, b) => b[0] - a[0])
    .map(q => q[1]);
  const shown = idx.slice(0, 10);
  const rest = idx.slice(10);
  const items: [string, number][] = shown.map(j => [`${p.features[j]} = ${formatNumber(p.data[row][j])}`, vals[j]]);
  if (rest.length) {
    items.push([formatCount(rest.length, 'other feature'), rest.reduce((a, j) => a + vals[j], 0)]);
  }
  const left = labelWidth(items.map(it => it[0]));
  const W = left + 260;
  const rowH = 20;
  const H = items.length * rowH + 34;
  const root = svgBox(W, H, 'mlnb-explain-waterfall', `SHAP contributions for row ${p.rows[row]}`);
  // cumulative from the base value at the bottom to f(x) at the top
  const lefts: number[] = [];
  let acc = base;
  for (let k = items.length - 1; k >= 0; k--) {
    lefts[k] = acc;
    acc += items[k][1];
  }
  const fx = acc;
  const all = [base, fx, ...lefts, ...lefts.map((l, k) => l + items[k][1])];
  const x = scale(Math.min(...all), Math.max(...all), left, W - 50);
  const y: Scale = k => 6 + k * rowH + rowH / 2;
  items.forEach(([label, v], k) => {
    const a = x(lefts[k]);
    const b = x(lefts[k] + v);
    root.appendChild(
      svg('rect', {
        x: Math.min(a, b),
        y: y(k) - 7,
        width: Math.max(1, Math.abs(b - a)),
        height: 14,
        class: v >= 0 ? 'mlnb-shap-pos' : 'mlnb-shap-neg'
      })
    );
    root.appendChild(text(Math.max(a, b) + 3, y(k) + 3, formatDelta(v)));
    root.appendChild(text(left - 4, y(k) + 3, label, 'end'));
  });
  root.appendChild(svg('line', { x1: x(base), x2: x(base), y1: 0, y2: H - 24, class: 'mlnb-axis mlnb-dashed' }));
  root.appendChild(
    text((left + W) / 2, H - 4, `E[f(X)] = ${formatNumber(base)} → f(x) = ${formatNumber(fx)}`, 'middle')
  );
  return root;
}

function drawDependence(p: Payload, out: Output, j: number): SVGSVGElement {
  const W = 420;
  const H = 260;
  const left = 50;
  const bottom = 34;
  const root = svgBox(W, H, 'mlnb-explain-dependence', `SHAP value against the value of ${p.features[j]}`);
  const pts = out.values
    .map((r, i): [number | null, number] => [p.data[i][j], r[j]])
    .filter((q): q is [number, number] => q[0] !== null);
  const xs = pts.map(q => q[0]);
  const ys = pts.map(q => q[1]);
  const top = Math.max(0, ...ys);
  const low = Math.min(0, ...ys);
  const x = scale(Math.min(...xs), Math.max(...xs), left, W - 10);
  const y = scale(low, top, H - bottom, 8);
  root.appendChild(svg('line', { x1: left, x2: W - 10, y1: y(0), y2: y(0), class: 'mlnb-axis' }));
  let seed = 7;
  const jitter = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 2;
  for (const [a, b] of pts) {
    root.appendChild(svg('circle', { cx: x(a) + jitter(), cy: y(b), r: 2.2, class: 'mlnb-shap-neg mlnb-point' }));
  }
  root.appendChild(text((left + W) / 2, H - 4, p.features[j], 'middle'));
  root.appendChild(svg('text', { x: 10, y: H / 2, transform: `rotate(-90 10 ${H / 2})`, 'text-anchor': 'middle' }, 'SHAP value'));
  root.appendChild(text(left - 4, y(top) + 8, formatNumber(top), 'end'));
  root.appendChild(text(left - 4, y(low), formatNumber(low), 'end'));
  return root;
}

function card(title: string, body: Element): HTMLElement {
  return h('div', { class: 'mlnb-explain-card' }, h('h4', {}, title), body);
}

function select(
  label: string,
  options: [number, string][],
  value: number,
  onChange: (v: number) => void,
  cls: string
): HTMLLabelElement {
  const sel = h('select', { class: cls });
  for (const [v, name] of options) {
    const option = h('option', { attrs: { value: String(v) } }, name);
    option.selected = v === value;
    sel.appendChild(option);
  }
  sel.addEventListener('change', () => onChange(Number(sel.value)));
  return h('label', {}, `${label} `, sel);
}

function setter(model: Model, key: 'output_index' | 'row' | 'feature'): (v: number) => void {
  return v => {
    model.set(key, v);
    model.save_changes();
  };
}

function isPayload(p: ExplainState['payload']): p is Payload {
  return Array.isArray((p as Partial<Payload>).outputs) && (p as Payload).outputs.length > 0;
}

function render({ model, el }: RenderProps<ExplainState>): () => void {
  hideStaticFallback(el, 'explain'); // the static version above hides once this is drawn
  el.classList.add('mlnb-explain');
  const draw = (): void => {
    const p = model.get('payload');
    if (!p || !isPayload(p)) {
      el.replaceChildren(h('div', { class: 'mlnb-explain-note' }, 'no explanation'));
      return;
    }
    const k = Math.min(model.get('output_index'), p.outputs.length - 1);
    const out = p.outputs[k];
    const row = Math.min(Math.max(model.get('row'), 0), p.rows.length - 1);
    const feat = Math.min(Math.max(model.get('feature'), 0), p.features.length - 1);
    const summary = `${p.explainer} explainer · ${formatCount(p.rows.length, 'row')} · ${formatCount(
      p.features.length,
      'feature'
    )} · output: ${p.output}`;
    const byImportance = order(out.importance, p.features.length).map((j): [number, string] => [j, p.features[j]]);
    const controls = h(
      'div',
      { class: 'mlnb-explain-controls' },
      h('span', { class: 'mlnb-explain-note' }, summary),
      p.outputs.length > 1
        ? select('class', p.outputs.map((o, i): [number, string] => [i, o.name]), k, setter(model, 'output_index'), 'mlnb-explain-class')
        : null,
      select('row', p.rows.map((r, i): [number, string] => [i, String(r)]), row, setter(model, 'row'), 'mlnb-explain-row'),
      select('feature', byImportance, feat, setter(model, 'feature'), 'mlnb-explain-feature')
    );
    const grid = h(
      'div',
      { class: 'mlnb-explain-grid' },
      card('Global importance', drawBar(p, out)),
      card('Beeswarm', drawBeeswarm(p, out)),
      card(`Waterfall · row ${p.rows[row]}`, drawWaterfall(p, out, row)),
      card(`Dependence · ${p.features[feat]}`, drawDependence(p, out, feat))
    );
    el.replaceChildren(controls, grid);
  };
  const events = ['payload', 'output_index', 'row', 'feature'].map(name => `change:${name}`);
  for (const ev of events) {
    model.on(ev, draw);
  }
  draw();
  return () => {
    for (const ev of events) {
      model.off(ev, draw);
    }
  };
}

export default { render };
