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

export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) {
    return 'NaN';
  }
  if (Number.isInteger(value)) {
    return String(value);
  }
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) {
    return value.toExponential(3);
  }
  return value.toPrecision(4).replace(/\.?0+$/, '');
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms < 0) {
    return '';
  }
  if (ms < 1000) {
    return `${ms} ms`;
  }
  const s = ms / 1000;
  if (s < 60) {
    return `${s.toFixed(1)} s`;
  }
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

export function formatBytes(n: number): string {
  if (n < 1024) {
    return `${n} B`;
  }
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n / 1024;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatAgo(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) {
    return `${s}s ago`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)} min ago`;
  }
  if (s < 86400) {
    return `${Math.floor(s / 3600)} h ago`;
  }
  return new Date(ms).toLocaleDateString();
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
