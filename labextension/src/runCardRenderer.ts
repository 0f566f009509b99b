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
import { formatDuration, formatNumber } from './format';

export const RUN_MIME = 'application/vnd.mlnb.run+json';
/** DOM event a card dispatches to ask for a compare panel of the runs of its cell. */
export const COMPARE_EVENT = 'mlnb-compare-request';

export interface ICompareRequest {
  filter: string;
  experiment_id: string;
}

/** Python for a compare panel of the runs a card's compare filter selects. */
export function compareFilterCode(req: ICompareRequest): string {
  // JSON string literals are valid Python string literals
  return (
    'import mlnb\n\n' +
    `mlnb.compare(experiment=mlnb.get_experiment(${JSON.stringify(req.experiment_id)}), ` +
    `filter=${JSON.stringify(req.filter)})`
  );
}

interface IMetricRow {
  key: string;
  value: number | null;
  previous: number | null;
  delta: number | null;
}

export interface IRunCard {
  version: number;
  run_id: string;
  run_name: string;
  experiment_id: string;
  experiment_name: string;
  status: string;
  start_time: number;
  end_time: number | null;
  duration_ms: number | null;
  params: { key: string; value: string }[];
  metrics: IMetricRow[];
  models: { name: string; uri: string; flavor: string }[];
  figures: { path: string; png: string }[];
  error: { type: string; message: string } | null;
  source: { notebook: string | null; cell_id: string | null; code_hash: string | null };
  store: string;
  compare: { filter: string; experiment_id: string } | null;
}

function text(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

function list<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

function deltaCell(row: IMetricRow): HTMLElement {
  if (row.delta === null || row.delta === undefined || row.previous === null) {
    return h('td', { class: 'mlnb-delta' }, row.previous === null ? 'new' : '');
  }
  const sign = row.delta > 0 ? '▲ +' : row.delta < 0 ? '▼ ' : '= ';
  const cls = row.delta > 0 ? 'mlnb-up' : row.delta < 0 ? 'mlnb-down' : '';
  return h(
    'td',
    { class: `mlnb-delta ${cls}`, title: `previous: ${formatNumber(row.previous)}` },
    `${sign}${formatNumber(row.delta)}`
  );
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
    h('span', { class: 'mlnb-card-id', title: runId }, runId.slice(0, 8)),
    h('span', { class: 'mlnb-card-exp', title: 'experiment' }, text(data.experiment_name)),
    h('span', { class: 'mlnb-card-duration' }, formatDuration(data.duration_ms ?? null))
  );
  header.appendChild(button('Copy id', () => void copyText(runId), 'mlnb-copy-id', 'Copy the run id'));
  const compare = data.compare;
  if (compare && typeof compare === 'object' && compare.filter) {
    // the card cannot reach the notebook: the Runs plugin listens for this event and inserts
    // mlnb.compare(...) below the card's cell
    const detail: ICompareRequest = { filter: text(compare.filter), experiment_id: text(compare.experiment_id) };
    header.appendChild(
      button(
        'Compare earlier runs',
        ev => (ev.target as HTMLElement).dispatchEvent(new CustomEvent(COMPARE_EVENT, { bubbles: true, detail })),
        'mlnb-card-compare',
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
    for (const row of metrics) {
      tbody.appendChild(h('tr', {}, h('th', {}, text(row.key)), h('td', {}, formatNumber(row.value)), deltaCell(row)));
    }
    table.appendChild(tbody);
    body.appendChild(h('div', { class: 'mlnb-card-section' }, h('h4', {}, 'Metrics'), table));
  }
  const params = list<{ key: string; value: string }>(data.params);
  if (params.length) {
    body.appendChild(
      h(
        'div',
        { class: 'mlnb-card-section' },
        h('h4', {}, 'Params'),
        kvTable(params.map(p => [text(p.key), text(p.value)]), 'mlnb-card-params')
      )
    );
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
          button('Copy URI', () => void copyText(text(m.uri)), 'mlnb-copy-uri')
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
