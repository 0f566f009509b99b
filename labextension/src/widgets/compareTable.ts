// @ts-nocheck
// The compare panel's runs table (virtualized) and its transposed view.
import { h, cellText, short } from "./compareData";

export const ROW_H = 24;

function widthOf(key) {
  return key === "run_name" ? 200 : key === "start_time" ? 150 : key === "status" ? 84 : 110;
}

export function renderTable(ctx) {
  const { model, state, tableEl } = ctx;
  tableEl.replaceChildren();
  const keys = ["run_name", "status", "start_time", ...model.get("columns").filter((k) => state.cols.has(k))];
  if (model.get("transpose")) return renderTransposed(ctx, keys);
  const template = `28px ${keys.map((k) => widthOf(k) + "px").join(" ")}`;
  const total = 28 + keys.reduce((a, k) => a + widthOf(k), 0);
  const sort = model.get("sort") || [];
  const header = h("div", { class: "mlnb-thead", style: `grid-template-columns:${template};width:${total}px` });
  const all = h("input", { type: "checkbox", class: "mlnb-select-all", title: "select all runs" });
  all.checked = state.n > 0 && ctx.selected.size === state.n;
  all.addEventListener("change", () => setSelected(ctx, all.checked ? state.runIds.slice() : []));
  header.appendChild(h("div", { class: "mlnb-th" })).appendChild(all);
  for (const key of keys) {
    const th = h("div", { class: "mlnb-th", "data-key": key, title: key });
    const mark = sort[0] === key ? (sort[1] === "desc" ? " \u25bc" : " \u25b2") : "";
    th.textContent = (key === "run_name" ? "run" : short(key)) + mark;
    if (key.startsWith("metrics.")) th.classList.add("mlnb-metric");
    th.addEventListener("click", () => {
      const t0 = performance.now();
      const cur = model.get("sort") || [];
      model.set("sort", [key, cur[0] === key && cur[1] === "asc" ? "desc" : "asc"]);
      model.save_changes();
      ctx.sortStarted = t0;
    });
    header.appendChild(th);
  }
  const scroller = h("div", { class: "mlnb-tscroll" });
  const body = h("div", { class: "mlnb-tbody", style: `height:${state.n * ROW_H}px;width:${total}px` });
  scroller.append(header, body);
  tableEl.appendChild(scroller);
  const order = ctx.order;
  const drawRows = () => {
    if (scroller.parentNode !== tableEl) return; // a stale frame of a replaced table
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW_H) - 5);
    const last = Math.min(state.n, first + Math.ceil((scroller.clientHeight || 400) / ROW_H) + 10);
    const frag = document.createDocumentFragment();
    for (let p = first; p < last; p++) {
      const i = order[p];
      const runId = state.runIds[i];
      const row = h("div", { class: "mlnb-tr", "data-run-id": runId, style: `top:${p * ROW_H}px;grid-template-columns:${template}` });
      if (ctx.selected.has(runId)) row.classList.add("mlnb-selected");
      const cb = h("input", { type: "checkbox", class: "mlnb-row-check" });
      cb.checked = ctx.selected.has(runId);
      cb.addEventListener("change", () => {
        const next = new Set(ctx.selected);
        if (cb.checked) next.add(runId);
        else next.delete(runId);
        setSelected(ctx, state.runIds.filter((r) => next.has(r)));
      });
      row.appendChild(h("div", { class: "mlnb-td" })).appendChild(cb);
      for (const key of keys) {
        const text = cellText(state.cols.get(key), i);
        row.appendChild(h("div", { class: "mlnb-td", title: text }, text));
      }
      frag.appendChild(row);
    }
    body.replaceChildren(frag);
  };
  let pending = false;
  scroller.addEventListener("scroll", () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      drawRows();
    });
  });
  drawRows();
}

function renderTransposed(ctx, keys) {
  const { state, tableEl } = ctx;
  let rows = state.runIds.map((_, i) => i).filter((i) => ctx.selected.has(state.runIds[i]));
  const note = rows.length ? "selected runs" : "first 50 runs (select runs to compare them)";
  if (!rows.length) rows = Array.from(ctx.order.slice(0, 50));
  rows = rows.slice(0, 200);
  const table = h("table", { class: "mlnb-transposed" });
  const head = h("tr");
  head.appendChild(h("th", {}, "key"));
  for (const i of rows) head.appendChild(h("th", {}, state.names[i]));
  table.appendChild(head);
  for (const key of keys.slice(1)) {
    const tr = h("tr");
    tr.appendChild(h("th", {}, short(key)));
    const col = state.cols.get(key);
    const texts = rows.map((i) => cellText(col, i));
    const differs = new Set(texts).size > 1;
    for (const t of texts) tr.appendChild(h("td", differs ? { class: "mlnb-differs" } : {}, t));
    table.appendChild(tr);
  }
  tableEl.append(h("div", { class: "mlnb-note" }, `transposed: ${note}`), h("div", { class: "mlnb-tscroll" }));
  tableEl.lastChild.appendChild(table);
}

export function setSelected(ctx, ids) {
  ctx.model.set("selected", ids);
  ctx.model.save_changes();
}
