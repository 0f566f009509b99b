// The compare panel's runs table (virtualized, parent runs folding their children) and its
// transposed view. Every user string reaches the page as text (textContent / attributes).
import { h, statusBadge } from '../dom';
import { formatCount } from '../format';
import { cellText, displayRows, DisplayRow, hasValue, Model, short, State } from './compareData';

export const ROW_H = 26;
const INDENT = 16;

export interface Ctx {
  model: Model;
  el: HTMLElement;
  root: HTMLElement;
  tableEl: HTMLElement;
  plotEl: HTMLElement;
  controls: HTMLElement;
  state: State;
  order: Int32Array;
  selected: Set<string>;
  expanded: Set<number>;
  width: number;
  sortStarted?: number | null;
  requested?: number;
}


const LABELS: Record<string, string> = { run_name: 'run', start_time: 'started', duration: 'duration' };

function widthOf(key: string, parents: boolean): number {
  if (key === 'run_name') {
    return parents ? 340 : 240;
  }
  if (key === 'start_time') {
    return 150;
  }
  if (key === 'status') {
    return 96;
  }
  if (key === 'duration') {
    return 84;
  }
  return Math.min(180, Math.max(90, 16 + 7.5 * short(key).length));
}

/** The table's columns: run name and status, the visible data columns, then start and duration. */
export function tableKeys(ctx: Ctx): string[] {
  const shown = (ctx.model.get('columns') || []).filter(k => ctx.state.cols.has(k));
  return ['run_name', 'status', ...shown, 'start_time', 'duration'];
}

function sortButton(ctx: Ctx, key: string): HTMLButtonElement {
  const sort = ctx.model.get('sort') || [];
  const label = LABELS[key] ?? short(key);
  const dir = sort[0] === key ? sort[1] : undefined;
  const b = h('button', { class: 'mlnb-th-button', title: `${key}: sort` }, label + (dir ? (dir === 'desc' ? ' \u25bc' : ' \u25b2') : ''));
  b.type = 'button';
  b.addEventListener('click', () => {
    const t0 = performance.now();
    const cur = ctx.model.get('sort') || [];
    ctx.model.set('sort', [key, cur[0] === key && cur[1] === 'asc' ? 'desc' : 'asc']);
    ctx.model.save_changes();
    ctx.sortStarted = t0;
  });
  return b;
}

function nameCell(ctx: Ctx, item: DisplayRow, redraw: () => void): HTMLElement {
  const { state } = ctx;
  const i = item.row;
  const name = state.names[i] || state.runIds[i].slice(0, 8);
  const cell = h('div', { class: 'mlnb-td mlnb-name', title: `${name} (${state.runIds[i]})` });
  cell.style.paddingLeft = `${6 + item.depth * INDENT}px`;
  const kids = state.children[i].length;
  if (kids) {
    const open = ctx.expanded.has(i);
    const toggle = h('button', { class: 'mlnb-disclosure', attrs: { 'aria-expanded': String(open), 'aria-label': `${open ? 'hide' : 'show'} the ${formatCount(kids, 'child run')} of ${name}` } }, open ? '\u25be' : '\u25b8');
    toggle.type = 'button';
    toggle.addEventListener('click', () => {
      if (ctx.expanded.has(i)) {
        ctx.expanded.delete(i);
      } else {
        ctx.expanded.add(i);
      }
      redraw();
    });
    cell.appendChild(toggle);
  } else if (item.depth > 0) {
    cell.appendChild(h('span', { class: 'mlnb-child-mark', attrs: { 'aria-hidden': 'true' } }, '\u21b3'));
  }
  cell.appendChild(h('span', { class: 'mlnb-name-text' }, name));
  if (kids) {
    const best = state.best[i];
    const note = formatCount(kids, 'run') + (best >= 0 ? ` \u00b7 best: ${state.names[best] || state.runIds[best].slice(0, 8)}` : '');
    cell.appendChild(h('span', { class: 'mlnb-children-note' }, note));
  }
  return cell;
}

function dataCell(ctx: Ctx, key: string, i: number): HTMLElement {
  const { state } = ctx;
  const col = state.cols.get(key);
  if (key === 'status') {
    const text = cellText(col, i);
    return h('div', { class: 'mlnb-td' }, statusBadge(text));
  }
  const numeric = !!col && !!col.num && !col.date;
  const cls = `mlnb-td${numeric ? ' mlnb-num' : ''}`;
  const best = state.best[i];
  if (col && col.kind === 'metric' && best >= 0 && !hasValue(col, i) && hasValue(col, best)) {
    const text = cellText(col, best);
    const who = state.names[best] || state.runIds[best].slice(0, 8);
    return h('div', { class: `${cls} mlnb-from-child`, title: `${text} (best child run: ${who})` }, text);
  }
  const text = cellText(col, i);
  if (i === state.primaryBest && key === ctx.model.get('primary_metric')) {
    return h('div', { class: `${cls} mlnb-best`, title: `${text}: the best ${short(key)}` }, text);
  }
  return h('div', { class: cls, title: text }, text);
}

export function renderTable(ctx: Ctx): void {
  const { model, state, tableEl } = ctx;
  tableEl.replaceChildren();
  const keys = tableKeys(ctx);
  if (model.get('transpose')) {
    renderTransposed(ctx, keys);
    return;
  }
  const parents = state.children.some(kids => kids.length > 0);
  const widths = keys.map(k => widthOf(k, parents));
  const template = `32px ${widths.map(w => `${w}px`).join(' ')}`;
  const total = 32 + widths.reduce((a, w) => a + w, 0);
  const rows = displayRows(state, ctx.order, ctx.expanded);
  const header = h('div', { class: 'mlnb-thead' });
  header.style.gridTemplateColumns = template;
  header.style.width = `${total}px`;
  const all = h('input', { class: 'mlnb-select-all', attrs: { type: 'checkbox', 'aria-label': 'select all runs' } });
  all.checked = state.n > 0 && ctx.selected.size === state.n;
  all.addEventListener('change', () => setSelected(ctx, all.checked ? state.runIds.slice() : []));
  header.appendChild(h('div', { class: 'mlnb-th' }, all));
  for (const key of keys) {
    const th = h('div', { class: `mlnb-th mlnb-kind-${key.includes('.') ? key.slice(0, key.indexOf('.')) : 'attr'}`, attrs: { 'data-key': key } }, sortButton(ctx, key));
    header.appendChild(th);
  }
  const scroller = h('div', { class: 'mlnb-tscroll' });
  const body = h('div', { class: 'mlnb-tbody' });
  body.style.height = `${rows.length * ROW_H}px`;
  body.style.width = `${total}px`;
  scroller.append(header, body);
  tableEl.appendChild(scroller);
  const redraw = (): void => {
    const top = scroller.scrollTop;
    const left = scroller.scrollLeft;
    renderTable(ctx);
    const next = tableEl.querySelector<HTMLElement>('.mlnb-tscroll');
    if (next) {
      next.scrollTop = top;
      next.scrollLeft = left;
    }
  };
  const drawRows = (): void => {
    if (scroller.parentNode !== tableEl) {
      return; // a stale frame of a replaced table
    }
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW_H) - 5);
    const last = Math.min(rows.length, first + Math.ceil((scroller.clientHeight || 400) / ROW_H) + 10);
    const frag = document.createDocumentFragment();
    for (let p = first; p < last; p++) {
      const item = rows[p];
      const i = item.row;
      const runId = state.runIds[i];
      const status = state.status[i];
      let cls = 'mlnb-tr';
      if (ctx.selected.has(runId)) {
        cls += ' mlnb-selected';
      }
      if (status === 'FAILED' || status === 'KILLED') {
        cls += ' mlnb-failed';
      }
      if (item.depth > 0) {
        cls += ' mlnb-child-row';
      }
      const row = h('div', { class: cls, attrs: { 'data-run-id': runId, 'data-depth': String(item.depth) } });
      row.style.top = `${p * ROW_H}px`;
      row.style.gridTemplateColumns = template;
      const cb = h('input', { class: 'mlnb-row-check', attrs: { type: 'checkbox', 'aria-label': `select run ${state.names[i] || runId}` } });
      cb.checked = ctx.selected.has(runId);
      cb.addEventListener('change', () => {
        const next = new Set(ctx.selected);
        if (cb.checked) {
          next.add(runId);
        } else {
          next.delete(runId);
        }
        setSelected(ctx, state.runIds.filter(r => next.has(r)));
      });
      row.appendChild(h('div', { class: 'mlnb-td' }, cb));
      for (const key of keys) {
        row.appendChild(key === 'run_name' ? nameCell(ctx, item, redraw) : dataCell(ctx, key, i));
      }
      frag.appendChild(row);
    }
    body.replaceChildren(frag);
  };
  let pending = false;
  scroller.addEventListener('scroll', () => {
    if (pending) {
      return;
    }
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      drawRows();
    });
  });
  drawRows();
}

function renderTransposed(ctx: Ctx, keys: string[]): void {
  const { state, tableEl } = ctx;
  let rows = state.runIds.map((_, i) => i).filter(i => ctx.selected.has(state.runIds[i]));
  const note = rows.length ? 'selected runs' : 'first 50 runs (select runs to compare them)';
  if (!rows.length) {
    rows = displayRows(state, ctx.order, ctx.expanded)
      .slice(0, 50)
      .map(r => r.row);
  }
  rows = rows.slice(0, 200);
  const table = h('table', { class: 'mlnb-transposed' });
  const head = h('tr', {}, h('th', { attrs: { scope: 'col' } }, 'key'));
  for (const i of rows) {
    head.appendChild(h('th', { attrs: { scope: 'col' } }, state.names[i] || state.runIds[i].slice(0, 8)));
  }
  table.appendChild(h('thead', {}, head));
  const body = h('tbody');
  for (const key of keys.slice(1)) {
    const tr = h('tr', {}, h('th', { attrs: { scope: 'row' }, title: key }, LABELS[key] ?? short(key)));
    const col = state.cols.get(key);
    const texts = rows.map(i => cellText(col, i));
    const differs = new Set(texts).size > 1;
    for (const t of texts) {
      tr.appendChild(h('td', differs ? { class: 'mlnb-differs' } : {}, t));
    }
    body.appendChild(tr);
  }
  table.appendChild(body);
  const wrap = h('div', { class: 'mlnb-tscroll' }, table);
  tableEl.append(h('div', { class: 'mlnb-note' }, `transposed: ${note}`), wrap);
}

export function setSelected(ctx: Ctx, ids: string[]): void {
  ctx.model.set('selected', ids);
  ctx.model.save_changes();
}
