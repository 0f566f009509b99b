// @ts-nocheck
import "./explain.css";
import { hideStaticFallback } from "./fallback";
// mlnb explain panel: SHAP bar, beeswarm, waterfall and dependence plots drawn as SVG.
// User strings (feature and class names) only ever go through textContent.

const SVGNS = "http://www.w3.org/2000/svg";
const RED = "#ff0051";
const BLUE = "#008bfb";
const TOP = 12;

function h(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  if (text !== null) node.textContent = String(text);
  return node;
}

function s(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = String(text);
  return node;
}

function fmt(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  return Math.abs(x) >= 1000 || (Math.abs(x) < 0.001 && x !== 0) ? x.toExponential(2) : (+x.toPrecision(3)).toString();
}

function labelWidth(labels) {
  // room for the longest label (about 6 px per character at 10 px), within reason
  const longest = Math.max(0, ...labels.map((t) => String(t).length));
  return Math.min(300, Math.max(80, 12 + 6 * longest));
}

function order(importance, n) {
  return importance.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]).slice(0, n).map((p) => p[1]);
}

function scale(lo, hi, a, b) {
  const span = hi - lo || 1;
  return (x) => a + ((x - lo) / span) * (b - a);
}

function colour(t) {
  // blue (low) -> purple -> red (high); grey when unknown
  if (t === null || Number.isNaN(t)) return "#aaa";
  const c0 = [0, 139, 251], c1 = [255, 0, 81];
  const mix = c0.map((v, i) => Math.round(v + (c1[i] - v) * t));
  return `rgb(${mix[0]},${mix[1]},${mix[2]})`;
}

function svgBox(width, height, cls) {
  return s("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: cls });
}

function axisLabels(svg, names, idx, y, left) {
  idx.forEach((j, k) => {
    const label = s("text", { x: left - 4, y: y(k) + 3, "text-anchor": "end" }, names[j]);
    svg.appendChild(label);
  });
}

function drawBar(p, out) {
  const idx = order(out.importance, TOP);
  const left = labelWidth(idx.map((j) => p.features[j]));
  const W = left + 250, rowH = 20, H = idx.length * rowH + 30;
  const svg = svgBox(W, H, "mlnb-explain-bar");
  const max = Math.max(...idx.map((j) => out.importance[j]), 1e-12);
  const x = scale(0, max, left, W - 40);
  const y = (k) => 6 + k * rowH + rowH / 2;
  idx.forEach((j, k) => {
    svg.appendChild(s("rect", { x: left, y: y(k) - 7, width: Math.max(1, x(out.importance[j]) - left), height: 14, fill: RED }));
    svg.appendChild(s("text", { x: x(out.importance[j]) + 3, y: y(k) + 3 }, fmt(out.importance[j])));
  });
  axisLabels(svg, p.features, idx, y, left);
  svg.appendChild(s("text", { x: (left + W) / 2, y: H - 4, "text-anchor": "middle" }, "mean(|SHAP value|)"));
  return svg;
}

function columnRange(p, j) {
  const col = p.data.map((r) => r[j]).filter((v) => v !== null).sort((a, b) => a - b);
  if (!col.length) return [0, 1];
  return [col[Math.floor(col.length * 0.05)], col[Math.floor((col.length - 1) * 0.95)]];
}

function drawBeeswarm(p, out) {
  const idx = order(out.importance, TOP);
  const left = labelWidth(idx.map((j) => p.features[j]));
  const W = left + 280, rowH = 24, H = idx.length * rowH + 44;
  const svg = svgBox(W, H, "mlnb-explain-beeswarm");
  let lo = 0, hi = 0;
  for (const j of idx) for (const r of out.values) { lo = Math.min(lo, r[j]); hi = Math.max(hi, r[j]); }
  const x = scale(lo, hi, left + 4, W - 10);
  const y = (k) => 6 + k * rowH + rowH / 2;
  svg.appendChild(s("line", { x1: x(0), x2: x(0), y1: 0, y2: H - 36, stroke: "#999" }));
  let seed = 1;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5;
  idx.forEach((j, k) => {
    const [clo, chi] = columnRange(p, j);
    out.values.forEach((r, i) => {
      const v = p.data[i][j];
      const t = v === null ? null : Math.min(1, Math.max(0, (v - clo) / (chi - clo || 1)));
      svg.appendChild(s("circle", { cx: x(r[j]), cy: y(k) + rand() * rowH * 0.6, r: 2, fill: colour(t), "fill-opacity": 0.8 }));
    });
  });
  axisLabels(svg, p.features, idx, y, left);
  svg.appendChild(s("text", { x: (left + W) / 2, y: H - 18, "text-anchor": "middle" }, "SHAP value"));
  svg.appendChild(s("text", { x: (left + W) / 2, y: H - 4, "text-anchor": "middle" }, "colour: feature value, blue low → red high"));
  return svg;
}

function drawWaterfall(p, out, row) {
  const vals = out.values[row], base = out.base[row];
  const idx = vals.map((v, i) => [Math.abs(v), i]).sort((a, b) => b[0] - a[0]).map((q) => q[1]);
  const shown = idx.slice(0, 10), rest = idx.slice(10);
  const items = shown.map((j) => [`${p.features[j]} = ${fmt(p.data[row][j])}`, vals[j]]);
  if (rest.length) items.push([`${rest.length} other features`, rest.reduce((a, j) => a + vals[j], 0)]);
  const left = labelWidth(items.map((it) => it[0]));
  const W = left + 260, rowH = 20, H = items.length * rowH + 34;
  const svg = svgBox(W, H, "mlnb-explain-waterfall");
  // cumulative from the base value at the bottom to f(x) at the top
  const lefts = [];
  let acc = base;
  for (let k = items.length - 1; k >= 0; k--) { lefts[k] = acc; acc += items[k][1]; }
  const fx = acc;
  const all = [base, fx, ...lefts, ...lefts.map((l, k) => l + items[k][1])];
  const x = scale(Math.min(...all), Math.max(...all), left, W - 50);
  const y = (k) => 6 + k * rowH + rowH / 2;
  items.forEach(([label, v], k) => {
    const a = x(lefts[k]), b = x(lefts[k] + v);
    svg.appendChild(s("rect", { x: Math.min(a, b), y: y(k) - 7, width: Math.max(1, Math.abs(b - a)), height: 14, fill: v >= 0 ? RED : BLUE }));
    svg.appendChild(s("text", { x: Math.max(a, b) + 3, y: y(k) + 3 }, (v >= 0 ? "+" : "") + fmt(v)));
    svg.appendChild(s("text", { x: left - 4, y: y(k) + 3, "text-anchor": "end" }, label));
  });
  svg.appendChild(s("line", { x1: x(base), x2: x(base), y1: 0, y2: H - 24, stroke: "#999", "stroke-dasharray": "3 2" }));
  svg.appendChild(s("text", { x: (left + W) / 2, y: H - 4, "text-anchor": "middle" }, `E[f(X)] = ${fmt(base)} → f(x) = ${fmt(fx)}`));
  return svg;
}

function drawDependence(p, out, j) {
  const W = 420, H = 260, left = 50, bottom = 34;
  const svg = svgBox(W, H, "mlnb-explain-dependence");
  const pts = out.values.map((r, i) => [p.data[i][j], r[j]]).filter((q) => q[0] !== null);
  const xs = pts.map((q) => q[0]), ys = pts.map((q) => q[1]);
  const x = scale(Math.min(...xs), Math.max(...xs), left, W - 10);
  const y = scale(Math.min(0, ...ys), Math.max(0, ...ys), H - bottom, 8);
  svg.appendChild(s("line", { x1: left, x2: W - 10, y1: y(0), y2: y(0), stroke: "#999" }));
  for (const [a, b] of pts) svg.appendChild(s("circle", { cx: x(a) + (Math.random() - 0.5) * 2, cy: y(b), r: 2.2, fill: BLUE, "fill-opacity": 0.7 }));
  svg.appendChild(s("text", { x: (left + W) / 2, y: H - 4, "text-anchor": "middle" }, p.features[j]));
  svg.appendChild(s("text", { x: 10, y: H / 2, transform: `rotate(-90 10 ${H / 2})`, "text-anchor": "middle" }, "SHAP value"));
  svg.appendChild(s("text", { x: left - 4, y: y(Math.max(0, ...ys)) + 8, "text-anchor": "end" }, fmt(Math.max(0, ...ys))));
  svg.appendChild(s("text", { x: left - 4, y: y(Math.min(0, ...ys)), "text-anchor": "end" }, fmt(Math.min(0, ...ys))));
  return svg;
}

function card(title, body) {
  const c = h("div", { class: "mlnb-explain-card" });
  c.appendChild(h("h4", {}, title));
  c.appendChild(body);
  return c;
}

function select(options, value, onChange, cls) {
  const sel = h("select", { class: cls });
  options.forEach(([v, label]) => {
    const o = h("option", { value: String(v) }, label);
    if (v === value) o.selected = true;
    sel.appendChild(o);
  });
  sel.addEventListener("change", () => onChange(Number(sel.value)));
  return sel;
}

function render({ model, el }) {
  el.classList.add("mlnb-explain");
  hideStaticFallback(el, "explain"); // the static version above hides once this is drawn
  const draw = () => {
    const p = model.get("payload");
    el.replaceChildren();
    if (!p || !p.outputs || !p.outputs.length) { el.appendChild(h("div", { class: "mlnb-explain-note" }, "no explanation")); return; }
    const k = Math.min(model.get("output_index"), p.outputs.length - 1);
    const out = p.outputs[k];
    const row = Math.min(Math.max(model.get("row"), 0), p.rows.length - 1);
    const feat = Math.min(Math.max(model.get("feature"), 0), p.features.length - 1);
    const controls = h("div", { class: "mlnb-explain-controls" });
    controls.appendChild(h("span", { class: "mlnb-explain-note" }, `${p.explainer} explainer · ${p.rows.length} rows · output: ${p.output}`));
    if (p.outputs.length > 1) {
      const lab = h("label", {}, "class ");
      lab.appendChild(select(p.outputs.map((o, i) => [i, o.name]), k, (v) => { model.set("output_index", v); model.save_changes(); }, "mlnb-explain-class"));
      controls.appendChild(lab);
    }
    const rowLab = h("label", {}, "row ");
    rowLab.appendChild(select(p.rows.map((r, i) => [i, String(r)]), row, (v) => { model.set("row", v); model.save_changes(); }, "mlnb-explain-row"));
    controls.appendChild(rowLab);
    const featLab = h("label", {}, "feature ");
    const byImportance = order(out.importance, p.features.length).map((j) => [j, p.features[j]]);
    featLab.appendChild(select(byImportance, feat, (v) => { model.set("feature", v); model.save_changes(); }, "mlnb-explain-feature"));
    controls.appendChild(featLab);
    el.appendChild(controls);
    const grid = h("div", { class: "mlnb-explain-grid" });
    grid.appendChild(card("Global importance", drawBar(p, out)));
    grid.appendChild(card("Beeswarm", drawBeeswarm(p, out)));
    grid.appendChild(card(`Waterfall · row ${p.rows[row]}`, drawWaterfall(p, out, row)));
    grid.appendChild(card(`Dependence · ${p.features[feat]}`, drawDependence(p, out, feat)));
    el.appendChild(grid);
  };
  for (const name of ["payload", "output_index", "row", "feature"]) model.on(`change:${name}`, draw);
  draw();
  return () => { for (const name of ["payload", "output_index", "row", "feature"]) model.off(`change:${name}`, draw); };
}

export default { render };
