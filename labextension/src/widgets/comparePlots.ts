// @ts-nocheck
// The compare panel's plots: parallel coordinates, scatter, box, contour and metric history.
import { h, s, fmtNum, short, numericOf, cellText } from "./compareData";

export const MAX_LINES = 2000;
export const PLOTS = ["parallel", "scatter", "box", "contour", "history"];
export const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

// -- plot helpers ---------------------------------------------------------------------------
function focusRows(ctx) {
  const { state } = ctx;
  const out = [];
  const any = ctx.selected.size > 0;
  for (let i = 0; i < state.n; i++) if (!any || ctx.selected.has(state.runIds[i])) out.push(i);
  return out;
}

function extent(values, rows) {
  let lo = Infinity, hi = -Infinity;
  for (const i of rows) {
    const v = values[i];
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (lo === Infinity) return [0, 1];
  if (lo === hi) return [lo - 0.5, hi + 0.5];
  return [lo, hi];
}

// a log10 axis when every value is positive and they span two decades or more (C, alpha, lr)
function logScaled(values, rows, categories) {
  const [lo, hi] = extent(values, rows);
  let positive = !categories && lo > 0;
  if (positive) for (const i of rows) if (values[i] <= 0) positive = false;
  if (!positive || hi / lo < 100) return { values, log: false, t: (v) => v, inv: (v) => v };
  return { values: values.map((v) => (v > 0 ? Math.log10(v) : NaN)), log: true, t: Math.log10, inv: (v) => 10 ** v };
}

function select(ctx, trait, options, label) {
  const wrap = h("label", { class: "mlnb-ctl" }, label + " ");
  const sel = h("select", { "data-trait": trait });
  for (const key of options) {
    const opt = h("option", { value: key }, short(key));
    opt.title = key;
    sel.appendChild(opt);
  }
  sel.value = ctx.model.get(trait);
  sel.addEventListener("change", () => {
    ctx.model.set(trait, sel.value);
    ctx.model.save_changes();
  });
  wrap.appendChild(sel);
  return wrap;
}

function canvasFor(width, height) {
  const canvas = h("canvas", { width: width * 2, height: height * 2, style: `width:${width}px;height:${height}px` });
  const g = canvas.getContext("2d");
  g.scale(2, 2);
  return { canvas, g };
}

function axisLabels(svg, x0, x1, y0, y1, xr, yr, xl, yl) {
  svg.append(
    s("line", { x1: x0, y1: y1, x2: x1, y2: y1, class: "mlnb-axis" }),
    s("line", { x1: x0, y1: y0, x2: x0, y2: y1, class: "mlnb-axis" }),
    s("text", { x: x0, y: y1 + 14, class: "mlnb-tick" }, fmtNum(xr[0])),
    s("text", { x: x1, y: y1 + 14, class: "mlnb-tick", "text-anchor": "end" }, fmtNum(xr[1])),
    s("text", { x: (x0 + x1) / 2, y: y1 + 28, class: "mlnb-label", "text-anchor": "middle" }, xl),
    s("text", { x: x0 - 4, y: y1, class: "mlnb-tick", "text-anchor": "end" }, fmtNum(yr[0])),
    s("text", { x: x0 - 4, y: y0 + 8, class: "mlnb-tick", "text-anchor": "end" }, fmtNum(yr[1])),
    s("text", { x: 12, y: (y0 + y1) / 2, class: "mlnb-label", transform: `rotate(-90 12 ${(y0 + y1) / 2})`, "text-anchor": "middle" }, yl),
  );
}

function viridis(t) {
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const x = Math.min(0.9999, Math.max(0, t)) * (stops.length - 1);
  const k = Math.floor(x), f = x - k;
  const c = stops[k].map((v, j) => Math.round(v + f * (stops[k + 1][j] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}


function layered(width, height) {
  const wrap = h("div", { class: "mlnb-layer", style: `width:${width}px;height:${height}px` });
  const { canvas, g } = canvasFor(width, height);
  const svg = s("svg", { width, height, class: "mlnb-svg" });
  wrap.append(canvas, svg);
  return { wrap, canvas, g, svg };
}

function keysOf(state, pred = () => true) {
  return [...state.cols.keys()].filter((k) => !["run_name", "status", "start_time"].includes(k) && pred(k));
}

// -- parallel coordinates -------------------------------------------------------------------
export function drawParallel(ctx) {
  const { model, state, controls, plotEl } = ctx;
  const axes = model.get("axes").filter((k) => state.cols.has(k));
  const chooser = h("select", { multiple: "", size: "4", class: "mlnb-axes", "data-trait": "axes" });
  for (const key of keysOf(state)) {
    const opt = h("option", { value: key }, short(key));
    opt.selected = axes.includes(key);
    chooser.appendChild(opt);
  }
  chooser.addEventListener("change", () => {
    model.set("axes", [...chooser.selectedOptions].map((o) => o.value));
    model.save_changes();
  });
  const clear = h("button", { class: "mlnb-clear-brush" }, "clear brushes");
  clear.addEventListener("click", () => applyBrushes(ctx, {}));
  controls.append(h("label", { class: "mlnb-ctl" }, "axes "), chooser, clear);
  if (axes.length < 2) {
    plotEl.appendChild(h("div", { class: "mlnb-note" }, "choose at least two axes"));
    return;
  }
  const W = ctx.width, H = 320, top = 30, bottom = H - 34, left = 60, right = W - 60;
  const all = Array.from({ length: state.n }, (_, i) => i);
  const dims = axes.map((key, j) => {
    const { values: raw, categories } = numericOf(state.cols.get(key));
    const sc = logScaled(raw, all, categories);
    const [lo, hi] = extent(sc.values, all);
    return { key, raw, values: sc.values, log: sc.log, t: sc.t, inv: sc.inv, categories, lo, hi, x: left + (j * (right - left)) / (axes.length - 1) };
  });
  const yOf = (d, v) => bottom - ((v - d.lo) / (d.hi - d.lo)) * (bottom - top);
  const valueOf = (d, y) => d.lo + ((bottom - y) / (bottom - top)) * (d.hi - d.lo);
  const { wrap, g, svg } = layered(W, H);
  const any = ctx.selected.size > 0;
  const stroke = (rows, color, alpha) => {
    g.strokeStyle = color;
    g.globalAlpha = alpha;
    g.lineWidth = 1;
    g.beginPath();
    for (const i of rows) {
      let pen = false;
      for (const d of dims) {
        const v = d.values[i];
        if (!Number.isFinite(v)) {
          pen = false;
          continue;
        }
        const y = yOf(d, v);
        if (pen) g.lineTo(d.x, y);
        else g.moveTo(d.x, y);
        pen = true;
      }
    }
    g.stroke();
  };
  // software-rendered canvases choke on tens of thousands of translucent segments: past
  // MAX_LINES runs an evenly spaced sample is drawn (brushing still tests every run)
  const sample = (rows) => (rows.length <= MAX_LINES ? rows : rows.filter((_, j) => j % Math.ceil(rows.length / MAX_LINES) === 0));
  const chosen = any ? all.filter((i) => ctx.selected.has(state.runIds[i])) : all;
  const rest = any ? sample(all.filter((i) => !ctx.selected.has(state.runIds[i]))) : [];
  const drawn = sample(chosen);
  if (rest.length) stroke(rest, "#999", 0.15);
  stroke(drawn, any ? "#e4572e" : "#1f77b4", Math.max(0.08, Math.min(0.8, 8 / Math.sqrt(drawn.length || 1))));
  if (drawn.length + rest.length < state.n) {
    svg.appendChild(s("text", { x: W - 4, y: H - 4, "text-anchor": "end", class: "mlnb-tick" }, `drawing ${drawn.length + rest.length} of ${state.n} runs`));
  }
  g.globalAlpha = 1;
  const brushes = model.get("brushes") || {};
  for (const d of dims) {
    svg.appendChild(s("line", { x1: d.x, y1: top, x2: d.x, y2: bottom, class: "mlnb-axis" }));
    svg.appendChild(s("text", { x: d.x, y: top - 12, "text-anchor": "middle", class: "mlnb-label" }, short(d.key) + (d.log ? " (log)" : "")));
    if (d.categories && d.categories.length <= 12) {
      d.categories.forEach((c, r) => svg.appendChild(s("text", { x: d.x + 4, y: yOf(d, r) + 3, class: "mlnb-tick" }, c)));
    } else {
      svg.appendChild(s("text", { x: d.x + 4, y: bottom + 12, class: "mlnb-tick" }, fmtNum(d.inv(d.lo))));
      svg.appendChild(s("text", { x: d.x + 4, y: top + 4, class: "mlnb-tick" }, fmtNum(d.inv(d.hi))));
    }
    const b = brushes[d.key];
    if (b) {
      const y1 = yOf(d, d.t(b[1])), y2 = yOf(d, d.t(b[0]));
      svg.appendChild(s("rect", { x: d.x - 8, y: Math.min(y1, y2), width: 16, height: Math.abs(y2 - y1), class: "mlnb-brush" }));
    }
    const hit = s("rect", { x: d.x - 15, y: top, width: 30, height: bottom - top, class: "mlnb-pc-axis", "data-key": d.key });
    hit.addEventListener("pointerdown", (ev) => {
      ev.preventDefault();
      const box = svg.getBoundingClientRect();
      const start = ev.clientY - box.top;
      const temp = s("rect", { x: d.x - 8, y: start, width: 16, height: 0, class: "mlnb-brush" });
      svg.appendChild(temp);
      const move = (e) => {
        const y = Math.max(top, Math.min(bottom, e.clientY - box.top));
        temp.setAttribute("y", Math.min(start, y));
        temp.setAttribute("height", Math.abs(y - start));
      };
      const up = (e) => {
        window.removeEventListener("pointermove", move);
        window.removeEventListener("pointerup", up);
        const y = Math.max(top, Math.min(bottom, e.clientY - box.top));
        const next = { ...(model.get("brushes") || {}) };
        if (Math.abs(y - start) < 3) delete next[d.key];
        else next[d.key] = [d.inv(valueOf(d, Math.max(y, start))), d.inv(valueOf(d, Math.min(y, start)))];
        applyBrushes(ctx, next, dims);
      };
      window.addEventListener("pointermove", move);
      window.addEventListener("pointerup", up);
    });
    svg.appendChild(hit);
  }
  plotEl.appendChild(wrap);
}

export function applyBrushes(ctx, brushes, dims = null) {
  const { model, state } = ctx;
  const keys = Object.keys(brushes).filter((k) => state.cols.has(k));
  const values = new Map((dims || []).map((d) => [d.key, d.raw]));
  for (const k of keys) if (!values.has(k)) values.set(k, numericOf(state.cols.get(k)).values);
  const ids = [];
  if (keys.length) {
    for (let i = 0; i < state.n; i++) {
      let ok = true;
      for (const k of keys) {
        const v = values.get(k)[i];
        if (!(v >= brushes[k][0] && v <= brushes[k][1])) {
          ok = false;
          break;
        }
      }
      if (ok) ids.push(state.runIds[i]);
    }
  }
  model.set("brushes", brushes);
  model.set("selected", ids);
  model.save_changes();
}

// -- scatter --------------------------------------------------------------------------------
function drawScatter(ctx) {
  const { model, state, controls, plotEl } = ctx;
  const keys = keysOf(state);
  controls.append(select(ctx, "scatter_x", keys, "x"), select(ctx, "scatter_y", keys, "y"));
  const xc = state.cols.get(model.get("scatter_x")), yc = state.cols.get(model.get("scatter_y"));
  if (!xc || !yc) return plotEl.appendChild(h("div", { class: "mlnb-note" }, "choose x and y"));
  const rows = focusRows(ctx);
  const xn = numericOf(xc), yn = numericOf(yc);
  const xs = logScaled(xn.values, rows, xn.categories), ys = logScaled(yn.values, rows, yn.categories);
  const xv = xs.values, yv = ys.values;
  const W = Math.min(ctx.width, 760), H = 320, x0 = 60, x1 = W - 20, y0 = 16, y1 = H - 40;
  const xr = extent(xv, rows), yr = extent(yv, rows);
  const px = (v) => x0 + ((v - xr[0]) / (xr[1] - xr[0])) * (x1 - x0);
  const py = (v) => y1 - ((v - yr[0]) / (yr[1] - yr[0])) * (y1 - y0);
  const { wrap, g, svg } = layered(W, H);
  g.fillStyle = "#1f77b4";
  g.globalAlpha = 0.7;
  const pts = [];
  for (const i of rows) {
    if (!Number.isFinite(xv[i]) || !Number.isFinite(yv[i])) continue;
    const x = px(xv[i]), y = py(yv[i]);
    pts.push([x, y, i]);
    if (rows.length > MAX_LINES) {
      g.fillRect(x - 1.5, y - 1.5, 3, 3); // thousands of arcs are slow on a software canvas
    } else {
      g.beginPath();
      g.arc(x, y, 3, 0, 2 * Math.PI);
      g.fill();
    }
  }
  axisLabels(svg, x0, x1, y0, y1, xr.map(xs.inv), yr.map(ys.inv), short(xc.key) + (xs.log ? " (log)" : ""), short(yc.key) + (ys.log ? " (log)" : ""));
  const tip = h("div", { class: "mlnb-tooltip", style: "display:none" });
  wrap.appendChild(tip);
  const params = keysOf(state, (k) => k.startsWith("params.")).slice(0, 12);
  wrap.addEventListener("mousemove", (ev) => {
    const box = wrap.getBoundingClientRect();
    const mx = ev.clientX - box.left, my = ev.clientY - box.top;
    let best = null, bd = 64;
    for (const p of pts) {
      const d = (p[0] - mx) ** 2 + (p[1] - my) ** 2;
      if (d < bd) (bd = d), (best = p);
    }
    if (!best) return (tip.style.display = "none");
    const i = best[2];
    const lines = [h("b", {}, state.names[i])];
    for (const k of params) lines.push(h("div", {}, `${short(k)} = ${cellText(state.cols.get(k), i)}`));
    lines.push(h("div", {}, `${short(yc.key)} = ${cellText(yc, i)}`));
    tip.replaceChildren(...lines);
    tip.style.cssText = `display:block;left:${best[0] + 10}px;top:${best[1] + 10}px`;
  });
  wrap.addEventListener("mouseleave", () => (tip.style.display = "none"));
  plotEl.appendChild(wrap);
}

// -- box plot -------------------------------------------------------------------------------
function quantile(sorted, q) {
  const pos = (sorted.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function drawBox(ctx) {
  const { model, state, controls, plotEl } = ctx;
  const metrics = keysOf(state, (k) => k.startsWith("metrics."));
  const groups = keysOf(state, (k) => !k.startsWith("metrics."));
  controls.append(select(ctx, "box_metric", metrics, "metric"), select(ctx, "box_group", groups, "group by"));
  const mc = state.cols.get(model.get("box_metric")), gc = state.cols.get(model.get("box_group"));
  if (!mc || !gc) return plotEl.appendChild(h("div", { class: "mlnb-note" }, "choose a metric and a group"));
  const byGroup = new Map();
  for (const i of focusRows(ctx)) {
    const v = mc.num[i];
    if (!Number.isFinite(v)) continue;
    const k = cellText(gc, i);
    if (!byGroup.has(k)) byGroup.set(k, []);
    byGroup.get(k).push(v);
  }
  const names = [...byGroup.keys()].sort().slice(0, 30);
  const W = Math.min(ctx.width, 760), H = 320, x0 = 60, x1 = W - 20, y0 = 16, y1 = H - 40;
  const svg = s("svg", { width: W, height: H, class: "mlnb-svg mlnb-box" });
  let lo = Infinity, hi = -Infinity;
  for (const k of names) for (const v of byGroup.get(k)) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  if (lo === Infinity) (lo = 0), (hi = 1);
  if (lo === hi) (lo -= 0.5), (hi += 0.5);
  const py = (v) => y1 - ((v - lo) / (hi - lo)) * (y1 - y0);
  axisLabels(svg, x0, x1, y0, y1, ["", ""], [lo, hi], short(gc.key), short(mc.key));
  const band = (x1 - x0) / Math.max(1, names.length);
  names.forEach((name, j) => {
    const v = byGroup.get(name).sort((a, b) => a - b);
    const q1 = quantile(v, 0.25), q2 = quantile(v, 0.5), q3 = quantile(v, 0.75), iqr = q3 - q1;
    const wl = v.find((x) => x >= q1 - 1.5 * iqr), wh = [...v].reverse().find((x) => x <= q3 + 1.5 * iqr);
    const cx = x0 + band * (j + 0.5), bw = Math.min(40, band * 0.6);
    svg.append(
      s("line", { x1: cx, x2: cx, y1: py(wl), y2: py(wh), class: "mlnb-whisker" }),
      s("rect", { x: cx - bw / 2, y: py(q3), width: bw, height: Math.max(1, py(q1) - py(q3)), class: "mlnb-boxrect", fill: COLORS[j % COLORS.length] }),
      s("line", { x1: cx - bw / 2, x2: cx + bw / 2, y1: py(q2), y2: py(q2), class: "mlnb-median" }),
      s("text", { x: cx, y: y1 + 14, "text-anchor": "middle", class: "mlnb-tick" }, `${name} (${v.length})`),
    );
    for (const x of v) if (x < wl || x > wh) svg.appendChild(s("circle", { cx, cy: py(x), r: 2, class: "mlnb-outlier" }));
  });
  plotEl.appendChild(svg);
}

// -- contour --------------------------------------------------------------------------------
function drawContour(ctx) {
  const { model, state, controls, plotEl } = ctx;
  const numeric = keysOf(state, (k) => !!state.cols.get(k).num);
  const metrics = numeric.filter((k) => k.startsWith("metrics."));
  controls.append(select(ctx, "contour_x", numeric, "x"), select(ctx, "contour_y", numeric, "y"), select(ctx, "contour_z", metrics, "metric"));
  const [xc, yc, zc] = ["contour_x", "contour_y", "contour_z"].map((t) => state.cols.get(model.get(t)));
  if (!xc || !yc || !zc) return plotEl.appendChild(h("div", { class: "mlnb-note" }, "choose two numeric params and a metric"));
  let pts = focusRows(ctx).filter((i) => [xc, yc, zc].every((c) => Number.isFinite(c.num[i])));
  if (pts.length > 1500) pts = pts.filter((_, j) => j % Math.ceil(pts.length / 1500) === 0);
  const W = Math.min(ctx.width, 760), H = 320, x0 = 60, x1 = W - 90, y0 = 16, y1 = H - 40;
  const xr = extent(xc.num, pts), yr = extent(yc.num, pts), zr = extent(zc.num, pts);
  const { wrap, g, svg } = layered(W, H);
  if (pts.length) {
    const G = 40, levels = 10;
    const nx = pts.map((i) => (xc.num[i] - xr[0]) / (xr[1] - xr[0]));
    const ny = pts.map((i) => (yc.num[i] - yr[0]) / (yr[1] - yr[0]));
    const cw = (x1 - x0) / G, ch = (y1 - y0) / G;
    for (let gx = 0; gx < G; gx++) {
      for (let gy = 0; gy < G; gy++) {
        const cx = (gx + 0.5) / G, cy = (gy + 0.5) / G;
        let num = 0, den = 0;
        for (let k = 0; k < pts.length; k++) {
          const w = 1 / ((nx[k] - cx) ** 2 + (ny[k] - cy) ** 2 + 1e-6);
          num += w * zc.num[pts[k]];
          den += w;
        }
        const t = Math.floor((((num / den) - zr[0]) / (zr[1] - zr[0])) * levels) / (levels - 1);
        g.fillStyle = viridis(t);
        g.fillRect(x0 + gx * cw, y1 - (gy + 1) * ch, cw + 0.5, ch + 0.5);
      }
    }
    g.fillStyle = "#000";
    for (let k = 0; k < pts.length; k++) g.fillRect(x0 + nx[k] * (x1 - x0) - 1.5, y1 - ny[k] * (y1 - y0) - 1.5, 3, 3);
    for (let j = 0; j <= 20; j++) {
      g.fillStyle = viridis(j / 20);
      g.fillRect(x1 + 30, y1 - ((j + 1) * (y1 - y0)) / 21, 14, (y1 - y0) / 21 + 0.5);
    }
  }
  axisLabels(svg, x0, x1, y0, y1, xr, yr, short(xc.key), short(yc.key));
  svg.append(
    s("text", { x: x1 + 48, y: y0 + 8, class: "mlnb-tick" }, fmtNum(zr[1])),
    s("text", { x: x1 + 48, y: y1, class: "mlnb-tick" }, fmtNum(zr[0])),
    s("text", { x: x1 + 30, y: y0 - 4, class: "mlnb-tick" }, short(zc.key)),
  );
  plotEl.appendChild(wrap);
}

// -- metric history -------------------------------------------------------------------------
function drawHistory(ctx) {
  const { model, state, controls, plotEl } = ctx;
  controls.append(select(ctx, "history_metric", keysOf(state, (k) => k.startsWith("metrics.")), "metric"));
  const hist = model.get("history") || {};
  if (hist.metric !== model.get("history_metric")) return plotEl.appendChild(h("div", { class: "mlnb-note" }, "loading history\u2026"));
  const series = hist.series || [];
  const W = Math.min(ctx.width, 760), H = 320, x0 = 60, x1 = W - 160, y0 = 16, y1 = H - 40;
  let sx = [Infinity, -Infinity], sy = [Infinity, -Infinity];
  for (const ser of series) {
    ser.steps.forEach((st, j) => {
      const v = ser.values[j];
      if (v === null || !Number.isFinite(v)) return;
      sx = [Math.min(sx[0], st), Math.max(sx[1], st)];
      sy = [Math.min(sy[0], v), Math.max(sy[1], v)];
    });
  }
  if (sx[0] === Infinity) return plotEl.appendChild(h("div", { class: "mlnb-note" }, "no values logged for this metric"));
  if (sx[0] === sx[1]) sx = [sx[0] - 0.5, sx[1] + 0.5];
  if (sy[0] === sy[1]) sy = [sy[0] - 0.5, sy[1] + 0.5];
  const svg = s("svg", { width: W, height: H, class: "mlnb-svg mlnb-history" });
  axisLabels(svg, x0, x1, y0, y1, sx, sy, "step", short(hist.metric));
  series.forEach((ser, j) => {
    const color = COLORS[j % COLORS.length];
    const pts = ser.steps
      .map((st, k) => [st, ser.values[k]])
      .filter((p) => p[1] !== null && Number.isFinite(p[1]))
      .map(([st, v]) => `${x0 + ((st - sx[0]) / (sx[1] - sx[0])) * (x1 - x0)},${y1 - ((v - sy[0]) / (sy[1] - sy[0])) * (y1 - y0)}`);
    svg.appendChild(s("polyline", { points: pts.join(" "), fill: "none", stroke: color, "stroke-width": 1.5 }));
    svg.appendChild(s("rect", { x: x1 + 12, y: y0 + j * 16, width: 10, height: 10, fill: color }));
    svg.appendChild(s("text", { x: x1 + 26, y: y0 + j * 16 + 9, class: "mlnb-tick" }, ser.name));
  });
  plotEl.appendChild(svg);
}

export const DRAW = { parallel: drawParallel, scatter: drawScatter, box: drawBox, contour: drawContour, history: drawHistory };
