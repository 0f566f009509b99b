// The compare panel's data: columnar arrays decoded from the kernel's payload, cell text,
// numeric positions of categories, the sort order and the parent/child layout of the rows.
import { formatDuration, formatNumber, formatTimestamp } from '../format';

// -- the widget model (anywidget's model, as far as the panel uses it) -----------------------
export type Sort = [] | [string, 'asc' | 'desc'];

export interface Payload {
  version?: number;
  n?: number;
  complete?: boolean;
  run_id?: string[];
  name?: string[];
  status?: { codes?: unknown; dict?: string[] };
  start_time?: unknown;
  end_time?: unknown;
  parent?: unknown;
  best?: unknown;
  primary_best?: number;
  columns?: { key: string; kind: ColKind; num?: unknown; codes?: unknown; dict?: string[] }[];
}

export interface Traits {
  data: Payload;
  columns: string[];
  chosen: string[];
  custom: boolean;
  default_columns: string[];
  differing_params: string[];
  primary_metric: string;
  storage_key: string;
  sort: Sort;
  selected: string[];
  transpose: boolean;
  plot: string;
  loading: boolean;
}

export interface Model {
  get<K extends keyof Traits>(key: K): Traits[K];
  set<K extends keyof Traits>(key: K, value: Traits[K]): void;
  save_changes(): void;
  on(event: string, fn: () => void): void;
  off(event: string, fn: () => void): void;
  send(message: unknown): void;
}

// -- columns ---------------------------------------------------------------------------------
export type ColKind = 'attr' | 'metric' | 'param' | 'tag';

export interface Col {
  key: string;
  kind: ColKind;
  text?: string[];
  num?: Float64Array | null;
  codes?: Int32Array | null;
  dict?: string[] | null;
  date?: boolean;
  duration?: boolean;
  rank?: Int32Array;
}

export interface State {
  n: number;
  cols: Map<string, Col>;
  runIds: string[];
  names: string[];
  status: string[];
  complete: boolean;
  version: number;
  parent: Int32Array; // row of each run's parent, -1 at the top level
  best: Int32Array; // row of each parent's best child, -1 when none
  children: number[][]; // rows of each row's children (store order)
  primaryBest: number; // row with the best value of the primary metric, -1 when none
}

export function bytesOf(x: unknown): ArrayBuffer | null {
  if (!x) {
    return null;
  }
  if (x instanceof ArrayBuffer) {
    return x;
  }
  if (ArrayBuffer.isView(x)) {
    return x.buffer.slice(x.byteOffset, x.byteOffset + x.byteLength) as ArrayBuffer;
  }
  return null;
}

function f64(x: unknown, n: number): Float64Array {
  const buf = bytesOf(x);
  return buf ? new Float64Array(buf) : new Float64Array(n).fill(NaN);
}

function i32(x: unknown, n: number): Int32Array {
  const buf = bytesOf(x);
  return buf ? new Int32Array(buf) : new Int32Array(n).fill(-1);
}

/** A number as every mlnb surface writes it; a missing value (NaN in the arrays) is blank. */
function fmtNum(v: unknown): string {
  if (typeof v !== 'number') {
    return v === null || v === undefined ? '' : String(v);
  }
  return Number.isNaN(v) ? '' : formatNumber(v);
}

export function short(key: string): string {
  const i = key.indexOf('.');
  return i < 0 ? key : key.slice(i + 1);
}

/** The chooser's group of a key ("metrics", "params", "tags") or "" for run attributes. */
export function groupOf(key: string): string {
  const i = key.indexOf('.');
  return i < 0 ? '' : key.slice(0, i);
}

// -- data ---------------------------------------------------------------------------------
export function decode(data: Payload): State {
  const n = data.n || 0;
  const cols = new Map<string, Col>();
  const names = data.name || [];
  const statusCodes = i32(data.status?.codes, n);
  const statusDict = data.status?.dict || [];
  const start = f64(data.start_time, n);
  const end = f64(data.end_time, n);
  const took = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    took[i] = Number.isFinite(start[i]) && Number.isFinite(end[i]) ? end[i] - start[i] : NaN;
  }
  cols.set('run_name', { key: 'run_name', kind: 'attr', text: names });
  cols.set('status', { key: 'status', kind: 'attr', codes: statusCodes, dict: statusDict });
  cols.set('start_time', { key: 'start_time', kind: 'attr', num: start, date: true });
  cols.set('duration', { key: 'duration', kind: 'attr', num: took, duration: true });
  for (const c of data.columns || []) {
    const num = bytesOf(c.num);
    const codes = bytesOf(c.codes);
    cols.set(c.key, {
      key: c.key,
      kind: c.kind,
      num: num ? new Float64Array(num) : null,
      codes: codes ? new Int32Array(codes) : null,
      dict: c.dict || null
    });
  }
  const parent = i32(data.parent, n);
  const children: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    if (parent[i] >= 0) {
      children[parent[i]].push(i);
    }
  }
  return {
    n,
    cols,
    runIds: data.run_id || [],
    names,
    status: Array.from(statusCodes, c => (c < 0 ? '' : statusDict[c])),
    complete: !!data.complete,
    version: data.version ?? 0,
    parent,
    best: i32(data.best, n),
    children,
    primaryBest: data.primary_best ?? -1
  };
}

export function cellText(col: Col | undefined, i: number): string {
  if (!col) {
    return '';
  }
  if (col.text) {
    return col.text[i] ?? '';
  }
  if (col.codes && col.dict) {
    const c = col.codes[i];
    return c < 0 ? '' : col.dict[c];
  }
  if (col.num) {
    const v = col.num[i];
    if (col.date) {
      return Number.isFinite(v) ? formatTimestamp(v) : '';
    }
    if (col.duration) {
      return Number.isFinite(v) ? formatDuration(v) : '';
    }
    return fmtNum(v);
  }
  return '';
}

/** Whether row i has a value for the column. */
export function hasValue(col: Col | undefined, i: number): boolean {
  if (!col) {
    return false;
  }
  if (col.codes) {
    return col.codes[i] >= 0;
  }
  if (col.num) {
    return !Number.isNaN(col.num[i]);
  }
  return !!col.text && col.text[i] !== undefined && col.text[i] !== null;
}

// numeric position of row i on a column (categories by their sorted rank)
export function ranks(col: Col): Int32Array {
  if (col.rank) {
    return col.rank;
  }
  const dict = col.dict || [];
  const order = dict.map((_, i) => i).sort((a, b) => (dict[a] < dict[b] ? -1 : dict[a] > dict[b] ? 1 : 0));
  const rank = new Int32Array(dict.length);
  order.forEach((code, r) => (rank[code] = r));
  col.rank = rank;
  return rank;
}

export function numericOf(col: Col): { values: Float64Array; categories: string[] | null } {
  if (col.num) {
    return { values: col.num, categories: null };
  }
  if (col.codes && col.dict) {
    const codes = col.codes;
    const rank = ranks(col);
    const values = new Float64Array(codes.length);
    for (let i = 0; i < values.length; i++) {
      values[i] = codes[i] < 0 ? NaN : rank[codes[i]];
    }
    const cats = new Array<string>(col.dict.length);
    col.dict.forEach((d, code) => (cats[rank[code]] = d));
    return { values, categories: cats };
  }
  if (col.text) {
    const dict = [...new Set(col.text)].sort();
    const pos = new Map(dict.map((d, i) => [d, i]));
    return { values: Float64Array.from(col.text, t => pos.get(t) ?? NaN), categories: dict };
  }
  return { values: new Float64Array(0), categories: null };
}

function sortKey(state: State, col: Col): Float64Array {
  if (col.num) {
    return col.num;
  }
  if (col.codes) {
    const rank = ranks(col);
    const key = new Float64Array(state.n);
    for (let i = 0; i < state.n; i++) {
      key[i] = col.codes[i] < 0 ? NaN : rank[col.codes[i]];
    }
    return key;
  }
  return numericOf(col).values;
}

/** Row indices sorted by ``sort`` (missing last whatever the direction; ties in store order).
 *
 * A parent without its own value of the sort key sorts by its best child's value. */
export function sortOrder(state: State, sort: Sort | null | undefined): Int32Array {
  const n = state.n;
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    idx[i] = i;
  }
  const [sortKeyName, direction] = sort ?? [];
  const col = sortKeyName ? state.cols.get(sortKeyName) : undefined;
  if (!col) {
    return idx;
  }
  const dir = direction === 'desc' ? -1 : 1;
  let key = sortKey(state, col);
  if (col.kind === 'metric') {
    key = Float64Array.from(key, (v, i) => (Number.isNaN(v) && state.best[i] >= 0 ? key[state.best[i]] : v));
  }
  idx.sort((a, b) => {
    const x = key[a];
    const y = key[b];
    const xn = Number.isNaN(x);
    const yn = Number.isNaN(y);
    if (xn || yn) {
      return xn && yn ? a - b : xn ? 1 : -1;
    }
    return x === y ? a - b : x < y ? -dir : dir;
  });
  return idx;
}

export interface DisplayRow {
  row: number;
  depth: number;
}

/** The rows as listed: top-level runs in ``order``, each expanded parent followed by its
 * children (in ``order`` too), indented one level deeper. */
export function displayRows(state: State, order: Int32Array, expanded: Set<number>): DisplayRow[] {
  const position = new Int32Array(state.n);
  order.forEach((row, p) => (position[row] = p));
  const out: DisplayRow[] = [];
  const visit = (row: number, depth: number): void => {
    out.push({ row, depth });
    if (expanded.has(row) && state.children[row].length) {
      const kids = state.children[row].slice().sort((a, b) => position[a] - position[b]);
      for (const kid of kids) {
        visit(kid, depth + 1);
      }
    }
  };
  for (const row of order) {
    if (state.parent[row] < 0) {
      visit(row, 0);
    }
  }
  return out;
}
