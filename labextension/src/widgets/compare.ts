// @ts-nocheck
import "./compare.css";
// mlnb compare panel: a virtualized runs table and plots, drawn from columnar arrays.
// Every user string goes through textContent (never innerHTML), so a run named
// "<img src=x onerror=...>" stays text.
import { h, decode, sortOrder } from "./compareData";
import { renderTable } from "./compareTable";
import { PLOTS, DRAW, drawParallel } from "./comparePlots";
import { hideStaticFallback } from "./fallback";

// -- the widget -----------------------------------------------------------------------------
function render({ model, el }) {
  el.classList.add("mlnb-compare");
  hideStaticFallback(el, "compare"); // the static version above hides once this is drawn
  const root = h("div", { class: "mlnb-compare-root" });
  const banner = h("div", { class: "mlnb-banner" });
  const tableEl = h("div", { class: "mlnb-table" });
  const tabs = h("div", { class: "mlnb-tabs" });
  const controls = h("div", { class: "mlnb-plot-controls" });
  const plotEl = h("div", { class: "mlnb-plot" });
  root.append(banner, tableEl, tabs, controls, plotEl);
  el.appendChild(root);
  const ctx = { model, el, root, tableEl, plotEl, controls, state: null, order: null, selected: new Set(), width: 900 };

  const load = () => {
    ctx.state = decode(model.get("data") || {});
    ctx.order = sortOrder(ctx.state, model.get("sort"));
    ctx.selected = new Set(model.get("selected") || []);
  };
  const drawTabs = () => {
    tabs.replaceChildren(
      ...PLOTS.map((p) => {
        const b = h("button", { class: "mlnb-tab" + (model.get("plot") === p ? " mlnb-active" : ""), "data-plot": p }, p);
        b.addEventListener("click", () => {
          model.set("plot", p);
          model.save_changes();
        });
        return b;
      }),
    );
  };
  const drawPlot = () => {
    ctx.width = Math.max(600, Math.min(1200, (el.clientWidth || 920) - 20));
    controls.replaceChildren();
    plotEl.replaceChildren();
    drawTabs();
    const draw = DRAW[model.get("plot")] || drawParallel;
    if (ctx.state.n) draw(ctx);
  };
  const drawBanner = () => {
    const st = ctx.state;
    banner.textContent = st.complete ? "" : `showing the ${st.n} most recent runs; loading the rest\u2026`;
    if (!st.complete && ctx.requested !== st.version) {
      ctx.requested = st.version;
      root.dataset.loadAllSentAt = performance.now().toFixed(0);
      setTimeout(() => model.send({ type: "load_all" }), 0);
    }
  };
  const keepScroll = (fn) => {
    const sc = tableEl.querySelector(".mlnb-tscroll");
    const top = sc ? sc.scrollTop : 0, left = sc ? sc.scrollLeft : 0;
    fn();
    const next = tableEl.querySelector(".mlnb-tscroll");
    if (next) (next.scrollTop = top), (next.scrollLeft = left), next.dispatchEvent(new Event("scroll"));
  };
  const full = () => {
    const t0 = performance.now();
    load();
    keepScroll(() => renderTable(ctx));
    drawPlot();
    drawBanner();
    root.dataset.renderMs = (performance.now() - t0).toFixed(1);
    root.dataset.rows = String(ctx.state.n);
    root.dataset.complete = String(ctx.state.complete);
    root.dataset[ctx.state.complete ? "completeAt" : "firstAt"] = t0.toFixed(0);
  };
  full();

  const onSort = () => {
    const t0 = ctx.sortStarted ?? performance.now();
    ctx.order = sortOrder(ctx.state, model.get("sort"));
    keepScroll(() => renderTable(ctx));
    root.dataset.sortMs = (performance.now() - t0).toFixed(1);
    ctx.sortStarted = null;
  };
  const onSelected = () => {
    ctx.selected = new Set(model.get("selected") || []);
    keepScroll(() => renderTable(ctx));
    drawPlot();
  };
  const onTable = () => keepScroll(() => renderTable(ctx));
  const handlers = [
    ["change:data", full],
    ["change:sort", onSort],
    ["change:selected", onSelected],
    ["change:columns", onTable],
    ["change:transpose", onTable],
  ];
  for (const t of ["plot", "axes", "brushes", "scatter_x", "scatter_y", "box_metric", "box_group", "contour_x", "contour_y", "contour_z", "history_metric", "history"]) {
    handlers.push([`change:${t}`, drawPlot]);
  }
  for (const [ev, fn] of handlers) model.on(ev, fn);
  return () => {
    for (const [ev, fn] of handlers) model.off(ev, fn);
  };
}

export default { render };
