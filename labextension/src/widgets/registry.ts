// @ts-nocheck
import "./compare.css";
import { hideStaticFallback } from "./fallback";
// mlnb registry panel: versions table and alias history timeline of one registered model.
// User strings (names, descriptions, aliases, users) are set with textContent only.

const SVGNS = "http://www.w3.org/2000/svg";
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

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

function fmt(v) {
  if (v === null || v === undefined) return "NaN";
  return Number.isInteger(v) ? String(v) : String(parseFloat(v.toPrecision(5)));
}

function when(ms) {
  return ms ? new Date(ms).toISOString().slice(0, 19).replace("T", " ") : "";
}

function versionsTable(model, root) {
  const versions = model.get("versions") || [];
  const chosen = model.get("selected_version");
  const table = h("table", { class: "mlnb-versions" });
  const head = h("tr");
  for (const t of ["version", "stage", "aliases", "source run", "metrics", "description", "created"]) head.appendChild(h("th", {}, t));
  table.appendChild(head);
  for (const v of versions) {
    const tr = h("tr", { class: "mlnb-version-row" + (v.version === chosen ? " mlnb-chosen" : ""), "data-version": String(v.version) });
    tr.appendChild(h("td", {}, `v${v.version}`));
    tr.appendChild(h("td", { class: `mlnb-stage mlnb-stage-${String(v.stage).toLowerCase()}` }, v.stage));
    const aliases = h("td", { class: "mlnb-aliases" });
    for (const a of v.aliases) aliases.appendChild(h("span", { class: "mlnb-alias", "data-alias": a }, `@${a}`));
    tr.appendChild(aliases);
    const src = h("td", { title: v.source });
    src.append(h("span", {}, v.run_name), h("span", { class: "mlnb-dim" }, ` ${String(v.run_id).slice(0, 8)}`));
    tr.appendChild(src);
    tr.appendChild(h("td", { class: "mlnb-metrics" }, Object.entries(v.metrics).slice(0, 6).map(([k, x]) => `${k}=${fmt(x)}`).join("  ")));
    tr.appendChild(h("td", { class: "mlnb-desc" }, v.description));
    tr.appendChild(h("td", { class: "mlnb-dim" }, when(v.created)));
    tr.addEventListener("click", () => {
      model.set("selected_version", v.version);
      model.save_changes();
    });
    table.appendChild(tr);
  }
  if (!versions.length) root.appendChild(h("div", { class: "mlnb-note" }, "no versions"));
  else root.appendChild(table);
}

function timeline(model, root) {
  const history = model.get("history") || [];
  if (!history.length) return;
  const aliases = [...new Set(history.map((x) => x.alias))].sort();
  const now = Date.now();
  const t0 = Math.min(...history.map((x) => x.set_time));
  const span = Math.max(now - t0, 1);
  const W = 760, lane = 26, left = 110, right = W - 20, H = 40 + lane * aliases.length;
  const svg = s("svg", { width: W, height: H, class: "mlnb-timeline" });
  svg.appendChild(s("text", { x: 4, y: 14, class: "mlnb-label" }, "alias history"));
  aliases.forEach((alias, j) => {
    const y = 24 + j * lane;
    svg.appendChild(s("text", { x: 4, y: y + 15, class: "mlnb-label" }, `@${alias}`));
    history.filter((x) => x.alias === alias).forEach((p) => {
      const x1 = left + ((p.set_time - t0) / span) * (right - left);
      const x2 = left + (((p.removed_time ?? now) - t0) / span) * (right - left);
      const g = s("g", { class: "mlnb-period" + (p.removed_time ? "" : " mlnb-current"), "data-alias": alias, "data-version": p.version });
      const rect = s("rect", { x: x1, y: y + 2, width: Math.max(4, x2 - x1), height: lane - 8, fill: COLORS[p.version % COLORS.length], "fill-opacity": p.removed_time ? 0.45 : 0.85 });
      const tip = `@${alias} -> v${p.version}, set ${when(p.set_time)} by ${p.set_by}` + (p.removed_time ? `, until ${when(p.removed_time)} (${p.reason ?? ""} by ${p.removed_by ?? ""})` : ", current");
      rect.appendChild(s("title", {}, tip));
      g.append(rect, s("text", { x: x1 + 4, y: y + 15, class: "mlnb-tick" }, `v${p.version}`));
      svg.appendChild(g);
    });
  });
  svg.append(
    s("text", { x: left, y: H - 2, class: "mlnb-tick" }, when(t0)),
    s("text", { x: right, y: H - 2, class: "mlnb-tick", "text-anchor": "end" }, "now"),
  );
  root.appendChild(svg);
}

function render({ model, el }) {
  hideStaticFallback(el, "registry"); // the static version above hides once this is drawn
  const root = h("div", { class: "mlnb-compare-root mlnb-registry-root" });
  el.appendChild(root);
  const draw = () => {
    root.replaceChildren();
    const m = model.get("model") || {};
    if (!m.name) {
      root.appendChild(h("div", { class: "mlnb-note" }, "No registered models yet: mlnb.register_model(model_uri, name)."));
      return;
    }
    const title = h("div", { class: "mlnb-registry-title" });
    title.append(h("b", {}, m.name), h("span", { class: "mlnb-dim" }, "  " + Object.entries(m.aliases || {}).map(([a, v]) => `@${a}=v${v}`).join("  ")));
    root.appendChild(title);
    versionsTable(model, root);
    timeline(model, root);
  };
  draw();
  const events = ["change:model", "change:versions", "change:history", "change:selected_version"];
  for (const ev of events) model.on(ev, draw);
  return () => {
    for (const ev of events) model.off(ev, draw);
  };
}

export default { render };
