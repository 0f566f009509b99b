/**
 * The detail view of one run in the Runs panel: params, metrics, tags, models with their URIs,
 * figures and artifacts, plus the actions (copy id, insert load_model, jump to the cell).
 */
import { ApiError, IRunDetail, MlnbApi } from './api';
import { copyText, h, kvGrid, labButton, statusBadge } from './dom';
import { formatBytes, formatCount, formatDuration, formatNumber, formatTimestamp } from './format';
import { IPanelHost } from './host';

export function loadModelCode(uri: string): string {
  // JSON string literals are valid Python string literals
  return `import mlnb\n\nmodel = mlnb.load_model(${JSON.stringify(uri)})\nmodel`;
}

const SYSTEM_TAG = /^(mlflow\.|mlnb\.)/;
const MAX_SPARKLINES = 12;
const SVG = 'http://www.w3.org/2000/svg';

/** A small line of a metric's history (numbers only: nothing from the store as markup). */
export function sparkline(values: number[], width = 80, height = 16): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('class', 'mlnb-sparkline');
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo || 1;
  const points = values
    .map((v, i) => {
      const x = (i / (values.length - 1)) * (width - 2) + 1;
      const y = height - 1 - ((v - lo) / span) * (height - 2);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', points);
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', 'var(--jp-brand-color1, #1976d2)');
  line.setAttribute('stroke-width', '1.5');
  svg.appendChild(line);
  return svg;
}

export class RunDetailView {
  readonly node = h('div', { class: 'mlnb-detail' });
  private _urls: string[] = [];
  private _signature = '';
  private _runId = '';

  constructor(
    private readonly api: MlnbApi,
    private readonly host: IPanelHost,
    private readonly onBack: () => void
  ) {}

  dispose(): void {
    for (const url of this._urls) {
      URL.revokeObjectURL(url);
    }
    this._urls = [];
    this.node.textContent = '';
  }

  /**
   * Show run `runId`. When it is already shown and nothing changed (a poll), the DOM is left
   * alone so that scrolling and figures stay put.
   */
  async show(path: string, runId: string): Promise<IRunDetail | null> {
    let run: IRunDetail;
    try {
      run = await this.api.run(path, runId);
    } catch (err) {
      this._signature = '';
      this.dispose();
      this.node.appendChild(this.backBar());
      this.node.appendChild(
        h('div', { class: 'mlnb-error' }, err instanceof ApiError ? err.message : String(err))
      );
      return null;
    }
    const signature = JSON.stringify([path, run, this.host.cellIndex(run.source?.cell_id ?? null)]);
    if (signature !== this._signature) {
      const scroll = this.node.parentElement?.scrollTop ?? 0;
      const same = this._runId === run.run_id;
      this.dispose();
      this.render(path, run);
      if (same && this.node.parentElement) {
        this.node.parentElement.scrollTop = scroll;
      }
      this._signature = signature;
      this._runId = run.run_id;
    }
    return run;
  }

  /** Forget the shown run (the next show() renders from scratch). */
  reset(): void {
    this._signature = '';
    this._runId = '';
    this.dispose();
  }

  private backBar(): HTMLElement {
    return h(
      'div',
      { class: 'mlnb-detail-bar' },
      labButton('← Runs', () => this.onBack(), 'mlnb-back', 'Back to the list of runs')
    );
  }

  private render(path: string, run: IRunDetail): void {
    const n = this.node;
    n.appendChild(this.backBar());
    // the same duration as the run card: end_time - start_time of the run
    const duration = run.end_time ? run.end_time - run.start_time : null;
    n.appendChild(
      h(
        'div',
        { class: 'mlnb-detail-header' },
        statusBadge(run.status, run.orphaned),
        h('span', { class: 'mlnb-detail-name' }, run.run_name),
        h('code', { class: 'mlnb-detail-id', title: 'run id' }, run.run_id),
        h(
          'div',
          { class: 'mlnb-detail-meta' },
          h('span', { class: 'mlnb-detail-start', title: 'started' }, formatTimestamp(run.start_time)),
          duration !== null ? h('span', { class: 'mlnb-detail-duration', title: 'duration' }, ` · ${formatDuration(duration)}`) : ''
        )
      )
    );

    const actions = h('div', { class: 'mlnb-detail-actions' });
    actions.appendChild(labButton('Copy run id', () => void copyText(run.run_id), 'mlnb-copy-run-id'));
    const first = run.models[0];
    const load = labButton(
      'Insert load_model',
      () => void this.host.insertCode(loadModelCode(first ? first.uri : `runs:/${run.run_id}/model`), false),
      'mlnb-insert-load-model',
      first ? `Insert mlnb.load_model("${first.uri}") below the active cell` : 'This run logged no model'
    );
    load.disabled = !first;
    actions.appendChild(load);
    const cellId = run.source?.cell_id ?? null;
    const jump = labButton(
      'Go to cell',
      () => void this.host.jumpToCell(cellId ?? ''),
      'mlnb-jump-to-cell',
      'Select the cell that produced this run'
    );
    jump.disabled = this.host.cellIndex(cellId) === null;
    actions.appendChild(jump);
    n.appendChild(actions);

    const metrics = Object.entries(run.metrics).sort(([a], [b]) => a.localeCompare(b));
    if (metrics.length) {
      const grid = kvGrid(
        metrics.map(([k, v]) => [k, formatNumber(v)]),
        'mlnb-metrics',
        true
      );
      n.appendChild(this.section('Metrics', grid.node));
      metrics.slice(0, MAX_SPARKLINES).forEach(([key], i) => {
        void this.api
          .metricHistory(path, run.run_id, key)
          .then(history => {
            const values = history.map(p => p.value).filter((v): v is number => v !== null);
            if (values.length >= 2) {
              const cell = grid.extras[i];
              cell.classList.add('mlnb-spark');
              cell.title = formatCount(values.length, 'step');
              cell.appendChild(sparkline(values));
            }
          })
          .catch(() => undefined);
      });
    }
    const params = Object.entries(run.params).sort(([a], [b]) => a.localeCompare(b));
    if (params.length) {
      n.appendChild(this.section('Params', kvGrid(params, 'mlnb-params').node));
    }
    if (run.models.length) {
      const ul = h('ul', { class: 'mlnb-models' });
      for (const m of run.models) {
        ul.appendChild(
          h(
            'li',
            {},
            h('span', { class: 'mlnb-model-name' }, m.name),
            m.flavor ? ` (${m.flavor})` : '',
            h('br'),
            h('code', { class: 'mlnb-model-uri' }, m.uri),
            h(
              'div',
              {},
              labButton('Copy URI', () => void copyText(m.uri)),
              labButton('Insert load_model', () => void this.host.insertCode(loadModelCode(m.uri), false))
            )
          )
        );
      }
      n.appendChild(this.section('Models', ul));
    }
    const figures = run.artifacts.filter(a => /\.png$/i.test(a.path));
    if (figures.length) {
      const strip = h('div', { class: 'mlnb-figures' });
      for (const fig of figures.slice(0, 12)) {
        const img = h('img', { class: 'mlnb-figure', title: fig.path });
        img.alt = fig.path;
        strip.appendChild(img);
        void this.api
          .artifact(path, run.run_id, fig.path)
          .then(blob => {
            const url = URL.createObjectURL(blob.slice(0, blob.size, 'image/png'));
            this._urls.push(url);
            img.src = url;
          })
          .catch(() => img.replaceWith(h('span', { class: 'mlnb-error' }, `${fig.path}: not readable`)));
      }
      n.appendChild(this.section('Figures', strip));
    }
    const userTags = Object.entries(run.tags).filter(([k]) => !SYSTEM_TAG.test(k));
    const systemTags = Object.entries(run.tags).filter(([k]) => SYSTEM_TAG.test(k));
    if (userTags.length) {
      n.appendChild(this.section('Tags', kvGrid(userTags, 'mlnb-tags').node));
    }
    if (run.artifacts.length) {
      const ul = h('ul', { class: 'mlnb-artifacts' });
      for (const a of run.artifacts) {
        const link = h('a', { attrs: { href: '#' }, title: `sha256 ${a.sha256}` }, a.path);
        link.addEventListener('click', ev => {
          ev.preventDefault();
          void this.download(path, run.run_id, a.path);
        });
        ul.appendChild(h('li', {}, link, h('span', { class: 'mlnb-size' }, ` ${formatBytes(a.size)}`)));
      }
      n.appendChild(this.section('Artifacts', ul));
    }
    if (systemTags.length) {
      const details = h(
        'details',
        { class: 'mlnb-system-tags' },
        h('summary', {}, `System tags (${formatCount(systemTags.length, 'tag')})`)
      );
      details.appendChild(kvGrid(systemTags).node);
      n.appendChild(details);
    }
  }

  private section(title: string, content: HTMLElement): HTMLElement {
    return h('div', { class: 'mlnb-section' }, h('h3', {}, title), content);
  }

  private async download(path: string, runId: string, artifactPath: string): Promise<void> {
    const blob = await this.api.artifact(path, runId, artifactPath);
    const url = URL.createObjectURL(blob);
    const a = h('a', { attrs: { href: url } });
    a.download = artifactPath.split('/').pop() ?? 'artifact';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
