// The compare panel's column chooser: a search box, the keys grouped as metrics / params / tags
// with checkboxes and counts, and "all metrics", "differing params", "reset" buttons. The
// choice is kept in the browser (localStorage, under the panel's storage_key) so the panel of
// the same experiment opens with it again; "reset" forgets it.
import { button, h } from '../dom';
import { formatCount } from '../format';
import { groupOf, Model, short, State } from './compareData';

const GROUPS: [string, string][] = [
  ['metrics', 'metrics'],
  ['params', 'params'],
  ['tags', 'tags']
];

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // a sandboxed frame without storage: the choice lasts as long as the page
  }
}

/** The saved choice for ``key`` (null when there is none or it is unreadable). */
export function loadChoice(key: string): string[] | null {
  const store = storage();
  if (!key || !store) {
    return null;
  }
  try {
    const saved = JSON.parse(store.getItem(key) || 'null');
    return Array.isArray(saved) && saved.every(k => typeof k === 'string') ? saved : null;
  } catch {
    return null;
  }
}

export function saveChoice(key: string, chosen: string[] | null): void {
  const store = storage();
  if (!key || !store) {
    return;
  }
  try {
    if (chosen === null) {
      store.removeItem(key);
    } else {
      store.setItem(key, JSON.stringify(chosen));
    }
  } catch {
    // storage full or refused: the choice still applies to this panel
  }
}

/** Apply a saved choice on first render; then keep the storage in step with the model. */
export function persistChoice(model: Model): () => void {
  const key = model.get('storage_key');
  const saved = loadChoice(key);
  if (saved && !model.get('custom')) {
    model.set('chosen', saved);
    model.set('custom', true);
    model.save_changes();
  }
  const sync = (): void => saveChoice(model.get('storage_key'), model.get('custom') ? model.get('chosen') : null);
  model.on('change:chosen', sync);
  model.on('change:custom', sync);
  return () => {
    model.off('change:chosen', sync);
    model.off('change:custom', sync);
  };
}

let nextId = 0;

export interface Chooser {
  bar: HTMLElement; // caption + the chooser's toggle button
  panel: HTMLElement; // the chooser itself (hidden until opened)
  update(state: State): void;
  caption(text: string): void;
  dispose(): void;
}

export function makeChooser(model: Model): Chooser {
  const id = `mlnb-chooser-${++nextId}`;
  const captionEl = h('span', { class: 'mlnb-caption', attrs: { 'aria-live': 'polite' } });
  const toggle = button('columns', () => setOpen(panel.hidden), 'jp-Button jp-mod-styled mlnb-chooser-toggle', 'choose the table\u2019s columns');
  toggle.setAttribute('aria-controls', id);
  toggle.setAttribute('aria-expanded', 'false');
  const bar = h('div', { class: 'mlnb-toolbar' }, captionEl, toggle);
  const search = h('input', { class: 'mlnb-chooser-search', attrs: { type: 'search', placeholder: 'search columns', 'aria-label': 'search columns' } });
  const setChosen = (keys: string[], custom = true): void => {
    model.set('chosen', keys);
    model.set('custom', custom);
    model.save_changes();
  };
  let keys: string[] = [];
  const allMetrics = button('all metrics', () => {
    // most recently logged first (the default order), then any metric the defaults lack
    const recent = model.get('default_columns').filter(k => groupOf(k) === 'metrics');
    const metrics = [...recent, ...keys.filter(k => groupOf(k) === 'metrics' && !recent.includes(k))];
    const chosen = model.get('chosen').filter(k => groupOf(k) !== 'metrics');
    setChosen([...metrics, ...chosen]);
  }, 'jp-Button jp-mod-styled mlnb-chooser-all-metrics');
  const differing = button('differing params', () => {
    const diff = model.get('differing_params');
    const chosen = model.get('chosen').filter(k => groupOf(k) !== 'params');
    setChosen([...chosen, ...diff]);
  }, 'jp-Button jp-mod-styled mlnb-chooser-differing');
  const reset = button('reset', () => {
    search.value = '';
    setChosen(model.get('default_columns').slice(), false);
  }, 'jp-Button jp-mod-styled jp-mod-warn mlnb-chooser-reset', 'back to the default columns (metrics, then the params that differ)');
  const actions = h('div', { class: 'mlnb-chooser-actions' }, allMetrics, differing, reset);
  const groupsEl = h('div', { class: 'mlnb-chooser-groups' });
  const panel = h('div', { class: 'mlnb-chooser', attrs: { id, role: 'group', 'aria-label': 'table columns' } }, h('div', { class: 'mlnb-chooser-top' }, search, actions), groupsEl);
  panel.hidden = true;

  function setOpen(open: boolean): void {
    panel.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    if (open) {
      search.focus();
    }
  }
  panel.addEventListener('keydown', ev => {
    if (ev.key === 'Escape') {
      setOpen(false);
      toggle.focus();
    }
  });

  function draw(): void {
    const query = search.value.trim().toLowerCase();
    const chosen = new Set(model.get('chosen'));
    const shown = model.get('columns').length;
    toggle.textContent = `columns (${shown})`;
    const groups: HTMLElement[] = [];
    for (const [group, label] of GROUPS) {
      const all = keys.filter(k => groupOf(k) === group);
      const match = query ? all.filter(k => k.toLowerCase().includes(query)) : all;
      const picked = all.filter(k => chosen.has(k)).length;
      const count = query ? `${match.length} of ${all.length} match \u00b7 ${picked} shown` : `${picked} of ${all.length} shown`;
      const legend = h('legend', {}, `${label} `, h('span', { class: 'mlnb-count' }, `(${count})`));
      const list = h('div', { class: 'mlnb-chooser-list' });
      for (const key of match) {
        const box = h('input', { attrs: { type: 'checkbox', 'data-key': key } });
        box.checked = chosen.has(key);
        box.addEventListener('change', () => {
          const now = model.get('chosen').filter(k => k !== key);
          setChosen(box.checked ? [...now, key] : now);
        });
        list.appendChild(h('label', { class: 'mlnb-chooser-item', title: key }, box, ` ${short(key)}`));
      }
      if (!match.length) {
        list.appendChild(h('span', { class: 'mlnb-note' }, all.length ? 'no match' : `no ${label}`));
      }
      groups.push(h('fieldset', { class: 'mlnb-chooser-group', attrs: { 'data-group': group } }, legend, list));
    }
    groupsEl.replaceChildren(...groups);
  }
  search.addEventListener('input', draw);
  const redraw = (): void => draw();
  model.on('change:chosen', redraw);
  model.on('change:columns', redraw);

  return {
    bar,
    panel,
    update(state: State): void {
      keys = [...state.cols.keys()].filter(k => groupOf(k) !== '');
      draw();
    },
    caption(text: string): void {
      captionEl.textContent = text;
    },
    dispose(): void {
      model.off('change:chosen', redraw);
      model.off('change:columns', redraw);
    }
  };
}

export function runsCaption(state: State, selected: number): string {
  const top = state.parent.reduce((a, p) => a + (p < 0 ? 1 : 0), 0);
  let text = formatCount(state.n, 'run');
  if (top < state.n) {
    text += ` (${formatCount(top, 'row')}; child runs folded under their parent)`;
  }
  if (!state.complete) {
    text += ', more loading\u2026';
  }
  return `${text} \u00b7 ${selected} selected`;
}
