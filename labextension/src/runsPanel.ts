/**
 * The "Runs" sidebar: runs of the open notebook grouped by cell (newest first), or all runs of
 * an experiment; a search box using mlnb's filter language; status badges and key metrics;
 * live updates; a detail view; compare for the selected runs; registered models.
 */
import { Widget } from '@lumino/widgets';

import { ApiError, IExperiment, IRunSummary, MlnbApi } from './api';
import { button, formatAgo, formatNumber, h, statusBadge } from './dom';
import { IPanelHost } from './host';
import { renderModels } from './modelsSection';
import { RunDetailView } from './runDetail';

const POLL_MS = 3000;
const NOTEBOOK_SCOPE = '__notebook__';
const KEY_METRICS = 3;
const PAGE_SIZE = 100;
const MAX_RUNS = 1000; // the server's largest page

/** A message for the user: the server's own, or how to enable the server extension. */
function describe(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 404 && !err.code) {
      return "mlnb's server extension is not enabled on this Jupyter server: run `jupyter server extension enable mlnb.jupyter` and restart it.";
    }
    return err.message;
  }
  return `mlnb: ${String(err)}`;
}

export function compareCode(runIds: string[]): string {
  return `import mlnb\n\nmlnb.compare(${JSON.stringify(runIds)})`;
}

interface IGroup {
  key: string;
  title: string;
  runs: IRunSummary[];
}

export class RunsPanel extends Widget {
  private scope = NOTEBOOK_SCOPE;
  private filter = '';
  private selected = new Set<string>();
  private detailRunId: string | null = null;
  private signature = '';
  private timer: number | undefined;
  private inflight = false;
  private experiments: IExperiment[] = [];
  private pages = 1;
  private readonly moreButton: HTMLButtonElement;

  private readonly scopeSelect = h('select', { class: 'jp-mod-styled mlnb-scope', title: 'Which runs to show' });
  private readonly search = h('input', { class: 'jp-mod-styled mlnb-search' });
  private readonly message = h('div', { class: 'mlnb-message' });
  private readonly listNode = h('div', { class: 'mlnb-runs' });
  private readonly compareButton: HTMLButtonElement;
  private readonly modelsNode = h('div', { class: 'mlnb-models-body' });
  private readonly listView = h('div', { class: 'mlnb-list-view' });
  private readonly detail: RunDetailView;

  constructor(
    private readonly api: MlnbApi,
    private readonly host: IPanelHost
  ) {
    super();
    this.id = 'mlnb-runs-panel';
    this.addClass('mlnb-RunsPanel');
    this.title.caption = 'mlnb runs';
    this.detail = new RunDetailView(api, host, () => this.closeDetail());

    this.search.type = 'search';
    this.search.placeholder = "metrics.accuracy > 0.8 and params.C = '1'";
    this.search.setAttribute('aria-label', 'Filter runs');
    this.search.addEventListener('keydown', ev => {
      if (ev.key === 'Enter') {
        this.filter = this.search.value.trim();
        this.pages = 1;
        void this.refresh(true);
      }
    });
    this.scopeSelect.addEventListener('change', () => {
      this.scope = this.scopeSelect.value;
      this.pages = 1;
      this.selected.clear();
      void this.refresh(true);
    });
    this.moreButton = button('Show more runs', () => {
      this.pages += 1;
      void this.refresh(true);
    }, 'mlnb-more');
    this.compareButton = button('Compare', () => void this.compareSelected(), 'mlnb-compare', 'Insert and run mlnb.compare([...]) for the selected runs');

    const toolbar = h(
      'div',
      { class: 'mlnb-toolbar' },
      h('span', { class: 'mlnb-title' }, 'Runs'),
      this.scopeSelect,
      button('⟳', () => void this.refresh(true), 'mlnb-refresh', 'Refresh')
    );
    const models = h('details', { class: 'mlnb-models-section' }, h('summary', {}, 'Models'), this.modelsNode);
    models.addEventListener('toggle', () => void this.refreshModels());
    this.listView.append(
      toolbar,
      this.search,
      this.message,
      this.listNode,
      h('div', { class: 'mlnb-footer' }, this.moreButton, this.compareButton),
      models
    );
    this.node.append(this.listView, this.detail.node);
    this.detail.node.hidden = true;
    this.updateCompare();

    host.changed.connect((_, why) => {
      if (why === 'notebook') {
        this.pages = 1;
        this.selected.clear();
        this.signature = '';
      }
      if (!this.isVisible) {
        return; // refreshed when shown (onAfterShow)
      }
      // the kernel commits a finished run within ~0.2 s: look a moment later
      window.setTimeout(() => void this.refresh(why === 'notebook'), why === 'executed' ? 400 : 0);
    });
  }

  protected onAfterShow(): void {
    void this.refresh(true);
    this.startPolling();
  }

  protected onAfterAttach(): void {
    if (this.isVisible) {
      this.startPolling();
      void this.refresh(true);
    }
  }

  protected onBeforeHide(): void {
    this.stopPolling();
  }

  protected onBeforeDetach(): void {
    this.stopPolling();
  }

  dispose(): void {
    this.stopPolling();
    this.detail.dispose();
    super.dispose();
  }

  private startPolling(): void {
    if (this.timer === undefined) {
      this.timer = window.setInterval(() => {
        if (!document.hidden && this.isVisible) {
          void this.refresh(false);
        }
      }, POLL_MS);
    }
  }

  private stopPolling(): void {
    if (this.timer !== undefined) {
      window.clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** The path the store is resolved from: the notebook, or the server root. */
  private path(): string {
    return this.host.notebookPath() ?? '';
  }

  async refresh(force = false): Promise<void> {
    if (this.inflight || this.isDisposed) {
      return;
    }
    this.inflight = true;
    try {
      if (this.detailRunId) {
        await this.detail.show(this.path(), this.detailRunId);
        return;
      }
      const path = this.path();
      const notebookScope = this.scope === NOTEBOOK_SCOPE;
      if (notebookScope && !this.host.notebookPath()) {
        this.moreButton.hidden = true;
        this.render([], 'Open a notebook to see its runs, or pick an experiment above.', force);
        await this.refreshExperiments(path);
        return;
      }
      const [page] = await Promise.all([
        this.api.runs({
          path,
          scope: notebookScope ? 'notebook' : 'experiment',
          experimentId: notebookScope ? undefined : this.scope,
          filter: this.filter || undefined,
          pageSize: Math.min(PAGE_SIZE * this.pages, MAX_RUNS)
        }),
        this.refreshExperiments(path)
      ]);
      this.moreButton.hidden = page.next_page_token === null || PAGE_SIZE * this.pages >= MAX_RUNS;
      let note = '';
      if (!page.store.found) {
        note = 'No mlnb store here yet: track a cell with %%track to create one.';
      } else if (!page.runs.length) {
        note = this.filter ? 'No run matches this filter.' : 'No runs yet.';
      }
      this.message.classList.remove('mlnb-error');
      this.render(page.runs, note, force);
    } catch (err) {
      this.message.textContent = describe(err);
      this.message.classList.add('mlnb-error');
      this.signature = '';
    } finally {
      this.inflight = false;
    }
  }

  private async refreshExperiments(path: string): Promise<void> {
    const { experiments } = await this.api.experiments(path);
    const sig = JSON.stringify(experiments.map(e => [e.experiment_id, e.name]));
    if (sig === JSON.stringify(this.experiments.map(e => [e.experiment_id, e.name])) && this.scopeSelect.options.length) {
      return;
    }
    this.experiments = experiments;
    this.scopeSelect.textContent = '';
    const own = h('option', {}, 'This notebook');
    own.value = NOTEBOOK_SCOPE;
    this.scopeSelect.appendChild(own);
    for (const exp of experiments) {
      const option = h('option', {}, `Experiment: ${exp.name}`);
      option.value = exp.experiment_id;
      this.scopeSelect.appendChild(option);
    }
    this.scopeSelect.value = this.scope;
    if (this.scopeSelect.value !== this.scope) {
      this.scope = NOTEBOOK_SCOPE;
      this.scopeSelect.value = NOTEBOOK_SCOPE;
    }
  }

  private async refreshModels(): Promise<void> {
    try {
      const models = await this.api.models(this.path());
      this.modelsNode.textContent = '';
      this.modelsNode.appendChild(renderModels(models, this.host));
    } catch (err) {
      this.modelsNode.textContent = err instanceof ApiError ? err.message : String(err);
    }
  }

  private groups(runs: IRunSummary[]): IGroup[] {
    if (this.scope !== NOTEBOOK_SCOPE) {
      return [{ key: 'all', title: '', runs }];
    }
    const byKey = new Map<string, IGroup>();
    for (const run of runs) {
      const cellId = run.source?.cell_id ?? null;
      const key = cellId ?? '';
      let group = byKey.get(key);
      if (!group) {
        const index = this.host.cellIndex(cellId);
        const summary = this.host.cellSummary(cellId);
        const title =
          index !== null
            ? `Cell ${index + 1}${summary ? ` · ${summary}` : ''}`
            : cellId
              ? `Cell ${cellId.slice(0, 8)} (no longer in the notebook)`
              : 'Not from a cell';
        group = { key, title, runs: [] };
        byKey.set(key, group);
      }
      group.runs.push(run);
    }
    // runs arrive newest first, so the groups are in order of their newest run
    return [...byKey.values()];
  }

  /** Runs in display order: each child run (e.g. a search-CV candidate) right after its parent. */
  private nest(runs: IRunSummary[]): [IRunSummary, number][] {
    const ids = new Set(runs.map(r => r.run_id));
    const children = new Map<string, IRunSummary[]>();
    for (const run of runs) {
      if (run.parent_run_id && ids.has(run.parent_run_id)) {
        const list = children.get(run.parent_run_id) ?? [];
        list.push(run);
        children.set(run.parent_run_id, list);
      }
    }
    const out: [IRunSummary, number][] = [];
    const seen = new Set<string>();
    const visit = (run: IRunSummary, depth: number) => {
      if (seen.has(run.run_id)) {
        return;
      }
      seen.add(run.run_id);
      out.push([run, depth]);
      for (const child of children.get(run.run_id) ?? []) {
        visit(child, depth + 1);
      }
    };
    for (const run of runs) {
      if (!run.parent_run_id || !ids.has(run.parent_run_id)) {
        visit(run, 0);
      }
    }
    for (const run of runs) {
      visit(run, 0); // a cycle in the data never hides a run
    }
    return out;
  }

  private render(runs: IRunSummary[], note: string, force: boolean): void {
    const cells = [...new Set(runs.map(r => r.source?.cell_id ?? null))].map(id => [
      this.host.cellIndex(id),
      this.host.cellSummary(id)
    ]);
    const signature = JSON.stringify([
      this.scope,
      this.filter,
      note,
      cells,
      runs.map(r => [r.run_id, r.status, r.orphaned, r.metrics, r.source?.cell_id])
    ]);
    this.message.textContent = note;
    if (!force && signature === this.signature) {
      this.updateAges();
      return;
    }
    this.signature = signature;
    const known = new Set(runs.map(r => r.run_id));
    for (const id of [...this.selected]) {
      if (!known.has(id)) {
        this.selected.delete(id);
      }
    }
    this.listNode.textContent = '';
    for (const group of this.groups(runs)) {
      const box = h('div', { class: 'mlnb-group', attrs: { 'data-cell-id': group.key } });
      if (group.title) {
        const title = h('div', { class: 'mlnb-group-title' }, group.title);
        if (group.key && this.host.cellIndex(group.key) !== null) {
          title.classList.add('mlnb-clickable');
          title.title = 'Go to this cell';
          title.addEventListener('click', () => this.host.jumpToCell(group.key));
        }
        box.appendChild(title);
      }
      for (const [run, depth] of this.nest(group.runs)) {
        const row = this.row(run);
        if (depth) {
          row.classList.add('mlnb-child');
          row.style.marginLeft = `${Math.min(depth, 4) * 14}px`;
        }
        box.appendChild(row);
      }
      this.listNode.appendChild(box);
    }
    this.updateCompare();
  }

  private row(run: IRunSummary): HTMLElement {
    const check = h('input', { class: 'mlnb-select', title: 'Select for compare' });
    check.type = 'checkbox';
    check.checked = this.selected.has(run.run_id);
    check.addEventListener('click', ev => ev.stopPropagation());
    check.addEventListener('change', () => {
      if (check.checked) {
        this.selected.add(run.run_id);
      } else {
        this.selected.delete(run.run_id);
      }
      this.updateCompare();
    });
    const metrics = Object.entries(run.metrics)
      .sort(([a], [b]) => a.localeCompare(b))
      .slice(0, KEY_METRICS)
      .map(([k, v]) => h('span', { class: 'mlnb-metric' }, h('span', { class: 'mlnb-metric-key' }, k), ' ', formatNumber(v)));
    const row = h(
      'div',
      { class: 'mlnb-run', attrs: { 'data-run-id': run.run_id, role: 'button', tabindex: '0' }, title: run.run_id },
      check,
      statusBadge(run.status, run.orphaned),
      h('span', { class: 'mlnb-run-name' }, run.run_name),
      h('span', { class: 'mlnb-ago', attrs: { 'data-time': String(run.start_time) } }, formatAgo(run.start_time)),
      h('div', { class: 'mlnb-run-metrics' }, ...metrics)
    );
    const open = () => void this.openDetail(run.run_id);
    row.addEventListener('click', open);
    row.addEventListener('keydown', ev => {
      if (ev.key === 'Enter') {
        open();
      }
    });
    return row;
  }

  private updateAges(): void {
    for (const el of Array.from(this.listNode.querySelectorAll<HTMLElement>('.mlnb-ago'))) {
      el.textContent = formatAgo(Number(el.dataset.time));
    }
  }

  private updateCompare(): void {
    const n = this.selected.size;
    this.compareButton.disabled = n === 0;
    this.compareButton.textContent = n ? `Compare ${n} selected` : 'Compare (select runs)';
  }

  private async compareSelected(): Promise<void> {
    const ids = [...this.selected];
    if (!ids.length) {
      return;
    }
    const ok = await this.host.insertCode(compareCode(ids), true);
    if (!ok) {
      this.message.textContent = 'Open a notebook to compare runs in it.';
    }
  }

  async openDetail(runId: string): Promise<void> {
    this.detail.reset();
    this.detailRunId = runId;
    this.listView.hidden = true;
    this.detail.node.hidden = false;
    await this.detail.show(this.path(), runId);
  }

  closeDetail(): void {
    this.detailRunId = null;
    this.detail.reset();
    this.detail.node.hidden = true;
    this.listView.hidden = false;
    void this.refresh(true);
  }
}
