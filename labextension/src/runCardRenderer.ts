/**
 * MIME renderer for run cards: application/vnd.mlnb.run+json (payload version 1).
 *
 * The card is built from the output's data alone, so it renders in a reopened notebook after
 * the kernel is gone. Every string from the payload goes through textContent; figures are
 * shown only when they are plain base64 PNG data.
 */
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import { button, copyText, h, kvTable, pngDataUrl, statusBadge } from './dom';
import { formatCount, formatDelta, formatDuration, formatNumber, shortId } from './format';

export const RUN_MIME = 'application/vnd.mlnb.run+json';
/** DOM event a card dispatches to ask for a compare panel of the runs of its cell. */
export const COMPARE_EVENT = 'mlnb-compare-request';
/** JupyterLab's button class; base.css sizes it for the card. */
const BUTTON = 'jp-Button';

export interface ICompareRequest {
  filter: string;
  experiment_id: string;
  /** The experiment's name, used in the inserted code when known (reads better than an id). */
  experiment?: string | null;
}

/** Python for a compare panel of the runs a card's compare filter selects. */
export function compareFilterCode(req: ICompareRequest): string {
  // JSON string literals are valid Python string literals
  const experiment = req.experiment ? req.experiment : req.experiment_id;
  return `import mlnb\n\nmlnb.compare(experiment=${JSON.stringify(experiment)}, filter=${JSON.stringify(req.filter)})`;
}

interface IMetricRow {
  key: string;
  value: number | null;
  previous: number | null;
  delta: number | null;
  /** Whether the change is an improvement (decided in Python: lower is better for losses). */
  better?: boolean | null;
}

interface IParamRow {
  key: string;
  value: string;
  /** Left at the estimator's default by the cell (decided in Python). */
  default?: boolean;
}

export interface IRunCard {
  version: number;
  run_id: string;
  run_name: string;
  experiment_id: string;
  experiment_name: string;
  status: string;
  /** The cell's outcome while the run is still RUNNING (saving its models). */
  cell_status?: string | null;
  start_time: number;
  end_time: number | null;
  duration_ms: number | null;
  params: IParamRow[];
  metrics: IMetricRow[];
  models: { name: string; uri: string; flavor: string }[];
  figures: { path: string; png: string }[];
  error: { type: string; message: string } | null;
  source: { notebook: string | null; cell_id: string | null; code_hash: string | null };
  store: string;
  compare: ICompareRequest | null;
}

function text(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

function list<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

function deltaCell(row: IMetricRow): HTMLElement {
  if (row.previous === null || row.previous === undefined) {
    return h('td', { class: 'mlnb-delta', title: 'no earlier run of this cell has this metric' }, 'new');
  }
  if (row.delta === null || row.delta === undefined) {
    return h('td', { class: 'mlnb-delta' });
  }
  const cls = row.better === true ? 'mlnb-better' : row.better === false ? 'mlnb-worse' : '';
  const arrow = row.delta > 0 ? '▲' : '▼';
  return h(
    'td',
    { class: `mlnb-delta ${cls}`.trim(), title: `previous: ${formatNumber(row.previous)}` },
    row.delta === 0 ? '= same as previous' : `${arrow} ${formatDelta(row.delta)} vs previous`
  );
}

/** The run's duration (end − start), or "running" until the run has ended. */
export function durationText(data: Partial<IRunCard>): string {
  if (data.duration_ms === null || data.duration_ms === undefined) {
    return data.cell_status ? 'running · saving models' : 'running';
  }
  return formatDuration(data.duration_ms);
}

function paramsSection(params: IParamRow[]): HTMLElement {
  const own = params.filter(p => !p.default);
  const defaults = params.filter(p => p.default);
  const rows = (list: IParamRow[]): [string, string][] => list.map(p => [text(p.key), text(p.value)]);
  const section = h('div', { class: 'mlnb-card-section mlnb-card-params-section' }, h('h4', {}, 'Params'));
  if (own.length) {
    section.appendChild(kvTable(rows(own), 'mlnb-card-params'));
  }
  if (defaults.length) {
    section.appendChild(
      h(
        'details',
        { class: 'mlnb-card-defaults' },
        h('summary', {}, formatCount(defaults.length, 'default param')),
        kvTable(rows(defaults), 'mlnb-card-params mlnb-card-default-params')
      )
    );
  }
  return section;
}

/** Build the card's DOM (exported for reuse by the sidebar's detail view and for tests). */
export function renderRunCard(data: Partial<IRunCard>): HTMLElement {
  const card = h('div', { class: 'mlnb-card', attrs: { 'data-run-id': text(data.run_id) } });
  const runId = text(data.run_id);
  const header = h(
    'div',
    { class: 'mlnb-card-header' },
    statusBadge(text(data.status)),
    h('span', { class: 'mlnb-card-name', title: 'run name' }, text(data.run_name)),
    h('span', { class: 'mlnb-card-id', title: runId }, shortId(runId)),
    h('span', { class: 'mlnb-card-exp', title: 'experiment' }, text(data.experiment_name)),
    h('span', { class: 'mlnb-card-duration', title: 'duration of the run (end − start)' }, durationText(data))
  );
  header.appendChild(button('Copy id', () => void copyText(runId), `${BUTTON} mlnb-copy-id`, 'Copy the run id'));
  const compare = data.compare;
  if (compare && typeof compare === 'object' && compare.filter) {
    // the card cannot reach the notebook: the Runs plugin listens for this event and inserts
    // mlnb.compare(...) below the card's cell
    const detail: ICompareRequest = {
      filter: text(compare.filter),
      experiment_id: text(compare.experiment_id),
      experiment: compare.experiment ? text(compare.experiment) : null
    };
    header.appendChild(
      button(
        'Compare earlier runs',
        ev => (ev.target as HTMLElement).dispatchEvent(new CustomEvent(COMPARE_EVENT, { bubbles: true, detail })),
        `${BUTTON} mlnb-card-compare`,
        "Insert and run mlnb.compare() for this cell's runs"
      )
    );
  }
  card.appendChild(header);

  const error = data.error;
  if (error && typeof error === 'object') {
    card.appendChild(
      h('div', { class: 'mlnb-card-error' }, h('strong', {}, `${text(error.type)}: `), text(error.message))
    );
  }

  const body = h('div', { class: 'mlnb-card-body' });
  const metrics = list<IMetricRow>(data.metrics);
  if (metrics.length) {
    const table = h('table', { class: 'mlnb-kv mlnb-card-metrics' });
    const tbody = h('tbody');
    // the change column only once an earlier run of the cell exists (a first run is all "new")
    const compared = metrics.some(row => row.previous !== null && row.previous !== undefined);
    for (const row of metrics) {
      tbody.appendChild(
        h('tr', {}, h('th', {}, text(row.key)), h('td', {}, formatNumber(row.value)), compared ? deltaCell(row) : null)
      );
    }
    table.appendChild(tbody);
    body.appendChild(h('div', { class: 'mlnb-card-section' }, h('h4', {}, 'Metrics'), table));
  }
  const params = list<IParamRow>(data.params);
  if (params.length) {
    body.appendChild(paramsSection(params));
  }
  const models = list<{ name: string; uri: string; flavor: string }>(data.models);
  if (models.length) {
    const ul = h('ul', { class: 'mlnb-card-models' });
    for (const m of models) {
      ul.appendChild(
        h(
          'li',
          {},
          h('span', { class: 'mlnb-model-name' }, text(m.name)),
          ' ',
          h('code', { class: 'mlnb-model-uri' }, text(m.uri)),
          m.flavor ? h('span', { class: 'mlnb-model-flavor' }, ` (${text(m.flavor)})`) : null,
          button('Copy URI', () => void copyText(text(m.uri)), `${BUTTON} mlnb-copy-uri`, `Copy ${text(m.uri)}`)
        )
      );
    }
    body.appendChild(h('div', { class: 'mlnb-card-section' }, h('h4', {}, 'Models'), ul));
  }
  card.appendChild(body);

  const figures = list<{ path: string; png: string }>(data.figures);
  const shown = figures.map(f => [f, pngDataUrl(f.png)] as const).filter(([, url]) => url !== null);
  if (shown.length) {
    const strip = h('div', { class: 'mlnb-card-figures' });
    for (const [fig, url] of shown) {
      const img = h('img', { class: 'mlnb-card-figure', title: text(fig.path) });
      img.alt = text(fig.path);
      img.src = url as string;
      strip.appendChild(img);
    }
    card.appendChild(strip);
  }

  const src = data.source;
  const footer = h('div', { class: 'mlnb-card-footer' });
  if (src && src.notebook) {
    footer.appendChild(h('span', { title: text(src.notebook) }, text(src.notebook).split('/').pop() ?? ''));
  }
  if (data.store) {
    footer.appendChild(h('span', { class: 'mlnb-card-store', title: 'store' }, text(data.store)));
  }
  card.appendChild(footer);
  return card;
}

export class RunCardRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(private readonly mimeType: string) {
    super();
    this.addClass('mlnb-RunCard');
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data[this.mimeType] as Partial<IRunCard> | undefined;
    this.node.textContent = '';
    if (!data || typeof data !== 'object') {
      this.node.appendChild(h('div', { class: 'mlnb-card-error' }, 'mlnb: this run card has no data'));
      return Promise.resolve();
    }
    this.node.appendChild(renderRunCard(data));
    return Promise.resolve();
  }
}

export const rendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [RUN_MIME],
  defaultRank: 40,
  createRenderer: options => new RunCardRenderer(options.mimeType)
};

const extension: IRenderMime.IExtension = {
  id: 'mlnb:run-card',
  description: 'Renders mlnb run cards as native JupyterLab components.',
  rendererFactory,
  rank: 40,
  dataType: 'json'
};

export default extension;
