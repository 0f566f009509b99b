/**
 * Tiny DOM helpers. Store data only ever reaches the page through textContent and
 * attributes set here: never innerHTML.
 */

export type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { class?: string; title?: string; attrs?: Record<string, string> } = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) {
    el.className = props.class;
  }
  if (props.title) {
    el.title = props.title;
  }
  for (const [key, value] of Object.entries(props.attrs ?? {})) {
    el.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    el.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return el;
}

export function button(label: string, onClick: (ev: MouseEvent) => void, cls = '', title = ''): HTMLButtonElement {
  const el = h('button', { class: `mlnb-button ${cls}`.trim(), title });
  el.type = 'button';
  el.textContent = label;
  el.addEventListener('click', ev => {
    ev.stopPropagation();
    onClick(ev);
  });
  return el;
}

/** A button with JupyterLab's button classes (for the lab's own surfaces: sidebar, dialogs). */
export function labButton(label: string, onClick: (ev: MouseEvent) => void, cls = '', title = ''): HTMLButtonElement {
  return button(label, onClick, `jp-Button jp-mod-styled ${cls}`.trim(), title);
}

export function statusBadge(status: string, orphaned = false): HTMLElement {
  if (orphaned) {
    return h(
      'span',
      {
        class: 'mlnb-status mlnb-status-orphaned',
        title: 'RUNNING, but the process that ran it has ended; it will be marked FAILED'
      },
      'ENDED?'
    );
  }
  const known = ['RUNNING', 'FINISHED', 'FAILED', 'KILLED', 'SCHEDULED'];
  const kind = known.includes(status) ? status.toLowerCase() : 'unknown';
  return h('span', { class: `mlnb-status mlnb-status-${kind}`, title: status }, status);
}

/**
 * A key as text with line-break opportunities after `.`, `_`, `/` and `-`, so that a long
 * name (`estimator.min_samples_leaf`) wraps between its words, not every few letters.
 */
export function breakable(key: string): DocumentFragment {
  const out = document.createDocumentFragment();
  for (const part of key.split(/(?<=[._/-])/)) {
    if (out.childNodes.length) {
      out.appendChild(document.createElement('wbr'));
    }
    out.appendChild(document.createTextNode(part));
  }
  return out;
}

/**
 * Key/value rows as a description list laid out as a grid: the key column is as wide as its
 * keys up to 45 % of the width (long keys wrap at word and dot boundaries), values take the
 * rest and wrap. `extra` adds a third, initially empty cell per row (e.g. for a sparkline),
 * returned in row order.
 */
export function kvGrid(
  rows: [string, string][],
  cls = '',
  extra = false
): { node: HTMLDListElement; extras: HTMLElement[] } {
  const node = h('dl', { class: `mlnb-kvgrid ${extra ? 'mlnb-kvgrid-3' : ''} ${cls}`.trim() });
  const extras: HTMLElement[] = [];
  for (const [key, value] of rows) {
    const row = h('div', { class: 'mlnb-kvgrid-row' }, h('dt', { title: key }, breakable(key)), h('dd', {}, value));
    if (extra) {
      const cell = h('dd', { class: 'mlnb-kvgrid-extra' });
      extras.push(cell);
      row.appendChild(cell);
    }
    node.appendChild(row);
  }
  return { node, extras };
}

/** A two-column table of key/value rows (both as text). */
export function kvTable(rows: [string, string][], cls = ''): HTMLTableElement {
  const table = h('table', { class: `mlnb-kv ${cls}`.trim() });
  const body = h('tbody');
  for (const [key, value] of rows) {
    body.appendChild(h('tr', {}, h('th', {}, key), h('td', {}, value)));
  }
  table.appendChild(body);
  return table;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** A data: URL for a base64 PNG, or null when the text is not plain base64. */
export function pngDataUrl(b64: unknown): string | null {
  if (typeof b64 !== 'string' || b64.length === 0 || !BASE64.test(b64)) {
    return null;
  }
  return `data:image/png;base64,${b64}`;
}

export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // insecure context (plain http on a non-localhost name): fall back to a selection copy
    const area = h('textarea');
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
}
