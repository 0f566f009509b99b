// @ts-nocheck
// The compare panel's data: columnar arrays decoded from the kernel's payload, cell text,
// numeric positions of categories and the sort order.
import { formatNumber } from "../format";

export const SVGNS = "http://www.w3.org/2000/svg";

export function bytesOf(x) {
  if (!x) return null;
  if (x instanceof ArrayBuffer) return x;
  if (ArrayBuffer.isView(x)) return x.buffer.slice(x.byteOffset, x.byteOffset + x.byteLength);
  return null;
}

export function h(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "style") node.style.cssText = v;
    else node.setAttribute(k, v);
  }
  if (text !== null) node.textContent = String(text);
  return node;
}

export function s(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = String(text);
  return node;
}

export function fmtNum(v) {
  if (typeof v !== "number") return v === null || v === undefined ? "" : String(v);
  if (Number.isNaN(v)) return "";
  return formatNumber(v);
}

export function short(key) {
  const i = key.indexOf(".");
  return i < 0 ? key : key.slice(i + 1);
}

// -- data ---------------------------------------------------------------------------------
export function decode(data) {
  const n = data.n || 0;
  const cols = new Map();
  cols.set("run_name", { key: "run_name", kind: "attr", text: data.name || [] });
  const status = data.status || {};
  cols.set("status", { key: "status", kind: "attr", codes: new Int32Array(bytesOf(status.codes) || new ArrayBuffer(0)), dict: status.dict || [] });
  cols.set("start_time", { key: "start_time", kind: "attr", num: new Float64Array(bytesOf(data.start_time) || new ArrayBuffer(0)), date: true });
  for (const c of data.columns || []) {
    cols.set(c.key, {
      key: c.key,
      kind: c.kind,
      num: c.num ? new Float64Array(bytesOf(c.num)) : null,
      codes: c.codes ? new Int32Array(bytesOf(c.codes)) : null,
      dict: c.dict || null,
    });
  }
  return { n, cols, runIds: data.run_id || [], names: data.name || [], complete: !!data.complete, version: data.version };
}

export function cellText(col, i) {
  if (!col) return "";
  if (col.text) return col.text[i] ?? "";
  if (col.codes && col.dict) {
    const c = col.codes[i];
    return c < 0 ? "" : col.dict[c];
  }
  if (col.num) {
    const v = col.num[i];
    if (col.date) return Number.isFinite(v) ? new Date(v).toISOString().slice(0, 19).replace("T", " ") : "";
    return fmtNum(v);
  }
  return "";
}

// numeric position of row i on a column (categories by their sorted rank)
export function ranks(col) {
  if (col.rank) return col.rank;
  const order = col.dict.map((_, i) => i).sort((a, b) => (col.dict[a] < col.dict[b] ? -1 : col.dict[a] > col.dict[b] ? 1 : 0));
  const rank = new Int32Array(col.dict.length);
  order.forEach((code, r) => (rank[code] = r));
  col.rank = rank;
  return rank;
}

export function numericOf(col) {
  if (col.num) return { values: col.num, categories: null };
  if (col.codes) {
    const rank = ranks(col);
    const values = new Float64Array(col.codes.length);
    for (let i = 0; i < values.length; i++) values[i] = col.codes[i] < 0 ? NaN : rank[col.codes[i]];
    const cats = new Array(col.dict.length);
    col.dict.forEach((d, code) => (cats[rank[code]] = d));
    return { values, categories: cats };
  }
  if (col.text) {
    const dict = [...new Set(col.text)].sort();
    const pos = new Map(dict.map((d, i) => [d, i]));
    return { values: Float64Array.from(col.text, (t) => pos.get(t)), categories: dict };
  }
  return { values: new Float64Array(0), categories: null };
}

export function sortOrder(state, sort) {
  const n = state.n;
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  if (!sort || sort.length < 1) return idx;
  const col = state.cols.get(sort[0]);
  if (!col) return idx;
  const dir = sort[1] === "desc" ? -1 : 1;
  let key;
  if (col.num) key = col.num;
  else if (col.codes) {
    const rank = ranks(col);
    key = new Float64Array(n);
    for (let i = 0; i < n; i++) key[i] = col.codes[i] < 0 ? NaN : rank[col.codes[i]];
  } else {
    const { values } = numericOf(col);
    key = values;
  }
  // missing last whatever the direction; ties keep store order
  idx.sort((a, b) => {
    const x = key[a], y = key[b];
    const xn = Number.isNaN(x), yn = Number.isNaN(y);
    if (xn || yn) return xn && yn ? a - b : xn ? 1 : -1;
    return x === y ? a - b : (x < y ? -dir : dir);
  });
  return idx;
}

