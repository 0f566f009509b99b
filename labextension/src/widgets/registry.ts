import './registry.css';
// mlnb registry panel: versions table and alias history timeline of one registered model.
// User strings (names, descriptions, aliases, users) reach the page through textContent only.
import { h } from '../dom';
import { hideStaticFallback } from './fallback';
import { formatCount, formatNumber, formatTimestamp, shortId } from '../format';
import { RenderProps, WidgetModel, svg } from './panelKit';

interface ModelInfo {
  name?: string;
  description?: string;
  aliases?: Record<string, number>;
}

interface VersionRow {
  version: number;
  stage: string;
  aliases: string[];
  run_id: string;
  run_name: string;
  source: string;
  description: string;
  created: number | null;
  metrics: Record<string, number | null>;
}

interface AliasPeriod {
  alias: string;
  version: number;
  set_time: number;
  set_by: string | null;
  removed_time: number | null;
  removed_by: string | null;
  reason: string | null;
}

interface RegistryState {
  model: ModelInfo;
  versions: VersionRow[];
  history: AliasPeriod[];
  selected_version: number;
}

type Model = WidgetModel<RegistryState>;

/** How many metric columns the versions table shows (the rest are in the row's tooltip). */
const MAX_METRICS = 6;
/** Distinct timeline colours (registry.css maps each to a theme variable or a mid-tone). */
const PALETTE_SIZE = 8;
const STAGES = ['none', 'staging', 'production', 'archived'];

/** Every metric key, those most versions have first (ties by name). */
function metricKeys(versions: VersionRow[]): string[] {
  const counts = new Map<string, number>();
  for (const v of versions) {
    for (const key of Object.keys(v.metrics)) {
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts.keys()].sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
}

function selectVersion(model: Model, version: number): void {
  model.set('selected_version', version);
  model.save_changes();
}

function stageBadge(stage: string): HTMLElement {
  const kind = STAGES.includes(stage.toLowerCase()) ? stage.toLowerCase() : 'none';
  return h('span', { class: `mlnb-stage mlnb-stage-${kind}` }, stage);
}

function versionRow(model: Model, v: VersionRow, keys: string[], chosen: number): HTMLTableRowElement {
  const isChosen = v.version === chosen;
  const attrs: Record<string, string> = { 'data-version': String(v.version), tabindex: '0' };
  if (isChosen) {
    attrs['aria-current'] = 'true';
  }
  const aliases = h('td', { class: 'mlnb-aliases' });
  for (const alias of v.aliases) {
    aliases.appendChild(h('span', { class: 'mlnb-alias', attrs: { 'data-alias': alias } }, `@${alias}`));
  }
  const hidden = Object.keys(v.metrics).filter(k => !keys.includes(k));
  const tr = h(
    'tr',
    {
      class: 'mlnb-version-row' + (isChosen ? ' mlnb-chosen' : ''),
      title: hidden.length ? hidden.map(k => `${k} = ${formatNumber(v.metrics[k])}`).join('\n') : '',
      attrs
    },
    h('td', { class: 'mlnb-num' }, `v${v.version}`),
    h('td', {}, stageBadge(v.stage)),
    aliases,
    h('td', { class: 'mlnb-source', title: v.source }, v.run_name, ' ', h('span', { class: 'mlnb-dim' }, shortId(v.run_id))),
    ...keys.map(k => h('td', { class: 'mlnb-num mlnb-metric', attrs: { 'data-metric': k } }, formatNumber(v.metrics[k]))),
    h('td', { class: 'mlnb-desc', title: v.description }, v.description),
    h('td', { class: 'mlnb-dim mlnb-when' }, formatTimestamp(v.created))
  );
  tr.addEventListener('click', () => selectVersion(model, v.version));
  tr.addEventListener('keydown', ev => {
    if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      selectVersion(model, v.version);
    }
  });
  return tr;
}

function versionsTable(model: Model): HTMLElement {
  const versions = model.get('versions') ?? [];
  if (!versions.length) {
    return h('div', { class: 'mlnb-note' }, 'This model has no versions yet.');
  }
  const allKeys = metricKeys(versions);
  const keys = allKeys.slice(0, MAX_METRICS);
  const chosen = model.get('selected_version');
  const head = h(
    'tr',
    {},
    ...['version', 'stage', 'aliases', 'source run'].map(t => h('th', { attrs: { scope: 'col' } }, t)),
    ...keys.map(k => h('th', { class: 'mlnb-num mlnb-metric', title: k, attrs: { scope: 'col' } }, k)),
    h('th', { attrs: { scope: 'col' } }, 'description'),
    h('th', { attrs: { scope: 'col' } }, 'created')
  );
  const body = h('tbody', {}, ...versions.map(v => versionRow(model, v, keys, chosen)));
  const table = h('table', { class: 'mlnb-versions' }, h('thead', {}, head), body);
  const more = allKeys.length - keys.length;
  return h(
    'div',
    { class: 'mlnb-versions-wrap' },
    table,
    more > 0 ? h('div', { class: 'mlnb-note' }, `${formatCount(more, 'more metric')} in each row's tooltip`) : null
  );
}

function periodTip(p: AliasPeriod): string {
  const set = `@${p.alias} → v${p.version}, set ${formatTimestamp(p.set_time)}` + (p.set_by ? ` by ${p.set_by}` : '');
  if (p.removed_time === null) {
    return `${set}, current`;
  }
  const why = [p.reason, p.removed_by ? `by ${p.removed_by}` : ''].filter(Boolean).join(' ');
  return `${set}, until ${formatTimestamp(p.removed_time)}` + (why ? ` (${why})` : '');
}

function timeline(model: Model): SVGSVGElement | null {
  const history = model.get('history') ?? [];
  if (!history.length) {
    return null;
  }
  const aliases = [...new Set(history.map(p => p.alias))].sort();
  const now = Date.now();
  const t0 = Math.min(...history.map(p => p.set_time));
  const span = Math.max(now - t0, 1);
  const lane = 26;
  const left = Math.min(200, Math.max(90, 16 + 7 * Math.max(...aliases.map(a => a.length + 1))));
  const W = 760;
  const right = W - 20;
  const H = 44 + lane * aliases.length;
  const x = (t: number): number => left + ((t - t0) / span) * (right - left);
  const root = svg('svg', {
    width: W,
    height: H,
    viewBox: `0 0 ${W} ${H}`,
    class: 'mlnb-timeline',
    role: 'img',
    'aria-label': `alias history of ${formatCount(aliases.length, 'alias', 'aliases')}`
  });
  root.appendChild(svg('text', { x: 4, y: 14, class: 'mlnb-label mlnb-caption' }, 'alias history'));
  aliases.forEach((alias, j) => {
    const y = 24 + j * lane;
    root.appendChild(svg('text', { x: 4, y: y + 15, class: 'mlnb-label' }, `@${alias}`));
    for (const p of history.filter(q => q.alias === alias)) {
      const x1 = x(p.set_time);
      const x2 = x(p.removed_time ?? now);
      const current = p.removed_time === null;
      const g = svg('g', {
        class: `mlnb-period mlnb-pal-${p.version % PALETTE_SIZE}` + (current ? ' mlnb-current' : ''),
        'data-alias': alias,
        'data-version': p.version
      });
      const rect = svg('rect', { x: x1, y: y + 2, width: Math.max(4, x2 - x1), height: lane - 8, rx: 2 });
      rect.appendChild(svg('title', {}, periodTip(p)));
      g.append(rect, svg('text', { x: x1 + 4, y: y + 15, class: 'mlnb-label' }, `v${p.version}`));
      root.appendChild(g);
    }
  });
  root.append(
    svg('line', { x1: left, x2: right, y1: H - 16, y2: H - 16, class: 'mlnb-axis' }),
    svg('text', { x: left, y: H - 3, class: 'mlnb-tick' }, formatTimestamp(t0)),
    svg('text', { x: right, y: H - 3, class: 'mlnb-tick', 'text-anchor': 'end' }, 'now')
  );
  return root;
}

function title(info: ModelInfo, versions: VersionRow[]): HTMLElement {
  const aliases = Object.entries(info.aliases ?? {})
    .map(([a, v]) => `@${a} → v${v}`)
    .join('  ');
  return h(
    'div',
    { class: 'mlnb-registry-title' },
    h('b', {}, info.name ?? ''),
    h('span', { class: 'mlnb-dim' }, `  ${formatCount(versions.length, 'version')}`),
    aliases ? h('span', { class: 'mlnb-dim' }, `  ·  ${aliases}`) : null
  );
}

function render({ model, el }: RenderProps<RegistryState>): () => void {
  hideStaticFallback(el, 'registry'); // the static version above hides once this is drawn
  const root = h('div', { class: 'mlnb-registry-root' });
  el.appendChild(root);
  const draw = (): void => {
    const info = model.get('model') ?? {};
    if (!info.name) {
      root.replaceChildren(
        h('div', { class: 'mlnb-note' }, 'No registered models yet: mlnb.register_model(model_uri, name).')
      );
      return;
    }
    const versions = model.get('versions') ?? [];
    // a redraw replaces the rows: keep the keyboard on the row it was on
    const focused = root.contains(document.activeElement)
      ? (document.activeElement as HTMLElement).dataset.version
      : undefined;
    root.replaceChildren(title(info, versions), versionsTable(model));
    if (focused !== undefined) {
      root.querySelector<HTMLElement>(`.mlnb-version-row[data-version="${focused}"]`)?.focus();
    }
    const chart = timeline(model);
    if (chart) {
      root.appendChild(h('div', { class: 'mlnb-timeline-wrap' }, chart));
    }
  };
  draw();
  const events = ['change:model', 'change:versions', 'change:history', 'change:selected_version'];
  for (const ev of events) {
    model.on(ev, draw);
  }
  return () => {
    for (const ev of events) {
      model.off(ev, draw);
    }
  };
}

export default { render };
