/**
 * The "Runs" sidebar: runs of the open notebook grouped by cell (newest first), or all runs of
 * an experiment; a search box taking plain text (run names, tag values) or mlnb's filter
 * language; status badges and key metrics; live updates; a detail view; compare for the
 * selected runs; registered models. The list is virtual: only the rows in view are in the DOM.
 */
import { Widget } from '@lumino/widgets';

import { ApiError, IExperiment, IRunRow, MlnbApi, Searched } from './api';
import { h, labButton, statusBadge } from './dom';
import { formatAgo, formatCount, formatNumber } from './format';
import { IPanelHost } from './host';
import { renderModels } from './modelsSection';
import { RunDetailView } from './runDetail';
import { Item, compareCode, describe, listItems } from './runItems';
import { VirtualList } from './virtualList';

export { compareCode } from './runItems';

const SLOW_POLL_MS = 3000;
const FAST_POLL_MS = 1000; // while a listed run is RUNNING or the notebook's kernel is busy
const FAST_POLL_MAX_ROWS = 2000;
const AFTER_IDLE_MS = 300; // the kernel commits a finished run within ~0.2 s of going idle
const SEARCH_DELAY_MS = 300;
const NOTEBOOK_SCOPE = '__notebook__';
const PAGE_SIZE = 10000; // the server's largest list page
const FIRST_PAGE = 200; // drawn first when a new list is asked for
const ROW_HEIGHT = 44;
const GROUP_HEIGHT = 26;


export class RunsPanel extends Widget {
  private scope = NOTEBOOK_SCOPE;
  private searchText = '';
  private selected = new Set<string>();
  private detailRunId: string | null = null;
  private signature = '';
  private timer: number | undefined;
  private pollMs = 0;
  private inflight = false;
  private again = false;
  private kernelBusy = false;
  private searchTimer: number | undefined;
  private experiments: IExperiment[] = [];
  private pages = 1;
  private rows: IRunRow[] = [];
  private started = 0; // when the current load sent its request (-1 once its first rows are drawn)
  private firstStarted = 0;
  private readonly moreButton: HTMLButtonElement;

  private readonly scopeSelect = h('select', {
    class: 'jp-mod-styled mlnb-scope',
    title: 'Which runs to show',
    attrs: { 'aria-label': 'Which runs to show' }
  });
  private readonly search = h('input', { class: 'jp-mod-styled mlnb-search' });
  private readonly searchError = h('div', { class: 'mlnb-error mlnb-search-error', attrs: { role: 'alert' } });
  private readonly message = h('div', { class: 'mlnb-message', attrs: { 'aria-live': 'polite' } });
  private readonly count = h('span', { class: 'mlnb-count' });
  private readonly list: VirtualList<Item>;
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
    this.list = new VirtualList<Item>(
      item => (item.kind === 'group' ? GROUP_HEIGHT : ROW_HEIGHT),
      item => (item.kind === 'group' ? this.groupTitle(item.key, item.title) : this.row(item.run, item.depth)),
      'mlnb-runs'
    );

    this.search.type = 'search';
    this.search.placeholder = 'Search runs: name, tag, or metrics.acc > 0.8';
    this.search.setAttribute('aria-label', 'Search runs by name or tag, or filter them (metrics.acc > 0.8)');
    this.search.title =
      "Plain text finds runs whose name or a tag contains it; a filter such as metrics.acc > 0.8 and params.C = '1' selects by value";
    this.search.addEventListener('keydown', ev => {
      if (ev.key === 'Enter') {
        this.applySearch();
      }
    });
    this.search.addEventListener('input', () => {
      window.clearTimeout(this.searchTimer);
      this.searchTimer = window.setTimeout(() => this.applySearch(), SEARCH_DELAY_MS);
    });
    this.scopeSelect.addEventListener('change', () => {
      this.scope = this.scopeSelect.value;
      this.pages = 1;
      this.selected.clear();
      void this.refresh(true);
    });
    this.moreButton = labButton('Show more runs', () => {
      this.pages += 1;
      void this.refresh(true);
    }, 'mlnb-more');
    this.compareButton = labButton(
      'Compare',
      () => void this.compareSelected(),
      'mlnb-compare',
      'Insert and run mlnb.compare([...]) for the selected runs'
    );

    const toolbar = h(
      'div',
      { class: 'mlnb-toolbar' },
      h('span', { class: 'mlnb-title' }, 'Runs'),
      this.scopeSelect,
      labButton('⟳', () => void this.refresh(true), 'mlnb-refresh', 'Refresh')
    );
    toolbar.lastElementChild?.setAttribute('aria-label', 'Refresh');
    const models = h('details', { class: 'mlnb-models-section' }, h('summary', {}, 'Models'), this.modelsNode);
    models.addEventListener('toggle', () => void this.refreshModels());
    this.listView.append(
      toolbar,
      this.search,
      this.searchError,
      h('div', { class: 'mlnb-summary' }, this.count, this.message),
      this.list.node,
      h('div', { class: 'mlnb-footer' }, this.moreButton, this.compareButton),
      models
    );
    this.node.append(this.listView, this.detail.node);
    this.detail.node.hidden = true;
    this.searchError.hidden = true;
    this.updateCompare();

    host.changed.connect((_, why) => {
      if (why === 'notebook') {
        this.pages = 1;
        this.selected.clear();
        this.signature = '';
      }
      if (why !== 'executed') {
        this.kernelBusy = why === 'busy';
      }
      this.updatePolling();
      if (!this.isVisible || (why === 'busy' && this.rows.length > FAST_POLL_MAX_ROWS)) {
        return; // refreshed when shown (onAfterShow); a long list waits for the cell's end
      }
      // now, and once more after the kernel has committed what the cell logged
      void this.refresh(why === 'notebook');
      if (why !== 'notebook') {
        window.setTimeout(() => void this.refresh(false), AFTER_IDLE_MS);
      }
    });
  }

  protected onAfterShow(): void {
    void this.refresh(true);
    this.updatePolling();
  }

  protected onAfterAttach(): void {
    if (this.isVisible) {
      this.updatePolling();
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
    window.clearTimeout(this.searchTimer);
    this.list.dispose();
    this.detail.dispose();
    super.dispose();
  }

  private applySearch(): void {
    window.clearTimeout(this.searchTimer);
    const text = this.search.value.trim();
    if (text === this.searchText && this.searchError.hidden) {
      return;
    }
    this.searchText = text;
    this.pages = 1;
    void this.refresh(true);
  }

  /** Poll every second while something is running, else every three seconds. */
  private updatePolling(): void {
    // (a list of thousands of runs is not re-read every second: it costs the server too much)
    const live =
      this.rows.length <= FAST_POLL_MAX_ROWS &&
      ((this.kernelBusy && this.scope === NOTEBOOK_SCOPE) || this.rows.some(r => r.status === 'RUNNING' && !r.orphaned));
    const ms = live ? FAST_POLL_MS : SLOW_POLL_MS;
    if (!this.isVisible || (this.timer !== undefined && ms === this.pollMs)) {
      return;
    }
    this.stopPolling();
    this.pollMs = ms;
    this.node.dataset.pollMs = String(ms);
    this.timer = window.setInterval(() => {
      if (!document.hidden && this.isVisible) {
        void this.refresh(false);
      }
    }, ms);
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
    if (this.isDisposed) {
      return;
    }
    if (this.inflight) {
      this.again = true; // a change arrived meanwhile: look once more when this one is done
      return;
    }
    this.inflight = true;
    try {
      await this.load(force);
    } finally {
      this.inflight = false;
    }
    if (this.again) {
      this.again = false;
      await this.refresh(false);
    }
  }

  private async load(force: boolean): Promise<void> {
    this.started = performance.now();
    this.firstStarted = this.started;
    try {
      if (this.detailRunId) {
        await this.detail.show(this.path(), this.detailRunId);
        return;
      }
      const path = this.path();
      const notebookScope = this.scope === NOTEBOOK_SCOPE;
      if (notebookScope && !this.host.notebookPath()) {
        this.moreButton.hidden = true;
        this.showError('');
        this.render([], 'Open a notebook to see its runs, or pick an experiment above.', force);
        await this.refreshExperiments(path);
        return;
      }
      const query = {
        path,
        scope: notebookScope ? ('notebook' as const) : ('experiment' as const),
        experimentId: notebookScope ? undefined : this.scope,
        search: this.searchText || undefined
      };
      // a new list (another scope, search or notebook) draws its first rows at once and the
      // rest when they arrive; a poll of the same list asks for everything in one request
      const quick = force && this.pages === 1;
      const [first] = await Promise.all([
        this.api.runRows({ ...query, pageSize: quick ? FIRST_PAGE : PAGE_SIZE }),
        this.refreshExperiments(path)
      ]);
      const runs = first.runs;
      let token = first.next_page_token;
      if (quick && token !== null) {
        this.render(runs, '', true, true);
        const rest = await this.api.runRows({ ...query, pageToken: token, pageSize: PAGE_SIZE - FIRST_PAGE });
        runs.push(...rest.runs);
        token = rest.next_page_token;
      }
      for (let page = 1; token !== null && page < this.pages; page++) {
        const next = await this.api.runRows({ ...query, pageToken: token, pageSize: PAGE_SIZE });
        runs.push(...next.runs);
        token = next.next_page_token;
      }
      this.moreButton.hidden = token === null;
      let note = '';
      if (!first.store.found) {
        note = 'No mlnb store here yet: track a cell with %%track to create one.';
      } else if (!runs.length) {
        note = this.emptyNote(first.searched);
      }
      this.showError('');
      this.render(runs, note, force);
    } catch (err) {
      const text = describe(err);
      if (err instanceof ApiError && err.status === 400 && this.searchText) {
        this.showError(text); // a mistyped filter: say so under the search box
        this.render([], '', true);
      } else {
        this.message.textContent = text;
        this.message.classList.add('mlnb-error');
      }
      this.signature = '';
    }
  }

  private emptyNote(searched: Searched): string {
    if (searched === 'text') {
      return `No run name or tag contains “${this.searchText}”. Filters look like metrics.acc > 0.8.`;
    }
    return searched === 'filter' ? 'No run matches this filter.' : 'No runs yet.';
  }

  private showError(text: string): void {
    this.searchError.textContent = text;
    this.searchError.hidden = !text;
    if (text) {
      this.search.setAttribute('aria-invalid', 'true');
    } else {
      this.search.removeAttribute('aria-invalid');
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

  private render(runs: IRunRow[], note: string, force: boolean, partial = false): void {
    const notebookScope = this.scope === NOTEBOOK_SCOPE;
    const cells = notebookScope
      ? [...new Set(runs.map(r => r.cell_id))].map(id => [this.host.cellIndex(id), this.host.cellSummary(id)])
      : [];
    let signature = JSON.stringify([this.scope, this.searchText, note, cells, runs.length]);
    for (const r of runs) {
      signature += `|${r.run_id}${r.status}${r.orphaned}${r.run_name}${r.end_time}`;
      for (const key in r.metrics) {
        signature += `${key}=${r.metrics[key]}`;
      }
    }
    this.message.textContent = note;
    this.message.classList.remove('mlnb-error');
    this.count.textContent = runs.length ? formatCount(runs.length, 'run') + (partial ? ', loading more…' : '') : '';
    if (!force && signature === this.signature) {
      this.updateAges();
      this.drawn();
      return;
    }
    this.signature = signature;
    this.rows = runs;
    const known = new Set(runs.map(r => r.run_id));
    for (const id of [...this.selected]) {
      if (!known.has(id)) {
        this.selected.delete(id);
      }
    }
    this.list.setItems(listItems(runs, notebookScope, this.host));
    this.node.dataset.rows = String(runs.length);
    this.node.dataset.rendered = String(this.list.rendered);
    this.updateCompare();
    this.updatePolling();
    this.drawn(partial);
  }

  /**
   * For benchmarks and tests: how long from the request to the first rows drawn
   * (`data-first-ms`) and to the whole list (`data-render-ms`), and how many lists were drawn.
   */
  private drawn(partial = false): void {
    const ms = String(Math.round(performance.now() - this.firstStarted));
    if (partial) {
      this.node.dataset.firstMs = ms;
      this.started = -1;
      return;
    }
    if (this.started >= 0) {
      this.node.dataset.firstMs = ms;
    }
    this.node.dataset.renderMs = ms;
    this.node.dataset.renderSeq = String(Number(this.node.dataset.renderSeq ?? 0) + 1);
  }

  private groupTitle(key: string, text: string): HTMLElement {
    const title = h('div', { class: 'mlnb-group-title', attrs: { 'data-cell-id': key, 'data-vkey': `g:${key}` } }, text);
    if (key && this.host.cellIndex(key) !== null) {
      const jump = h('button', { class: 'mlnb-group-jump mlnb-run-open', title: 'Go to this cell' }, text);
      jump.type = 'button';
      jump.addEventListener('click', () => this.host.jumpToCell(key));
      title.replaceChildren(jump);
    }
    return title;
  }

  private row(run: IRunRow, depth: number): HTMLElement {
    const check = h('input', { class: 'mlnb-select', title: 'Select for compare' });
    check.type = 'checkbox';
    check.setAttribute('aria-label', `Select ${run.run_name} for compare`);
    check.checked = this.selected.has(run.run_id);
    check.addEventListener('click', ev => ev.stopPropagation());
    check.addEventListener('change', () => {
      if (check.checked) {
        this.selected.add(run.run_id);
      } else {
        this.selected.delete(run.run_id);
      }
      row.classList.toggle('mlnb-selected', check.checked);
      this.updateCompare();
    });
    const metrics = Object.entries(run.metrics).map(([k, v]) =>
      h('span', { class: 'mlnb-metric' }, h('span', { class: 'mlnb-metric-key' }, k), ' ', formatNumber(v))
    );
    const open = h('button', { class: 'mlnb-run-open mlnb-run-name', title: `${run.run_name} (${run.run_id})` }, run.run_name);
    open.type = 'button';
    const row = h(
      'div',
      { class: 'mlnb-run', attrs: { 'data-run-id': run.run_id, 'data-vkey': `r:${run.run_id}` } },
      check,
      statusBadge(run.status, run.orphaned),
      open,
      h('span', { class: 'mlnb-ago', attrs: { 'data-time': String(run.start_time) } }, formatAgo(run.start_time)),
      h('div', { class: 'mlnb-run-metrics' }, ...metrics)
    );
    row.classList.toggle('mlnb-selected', check.checked);
    if (depth) {
      row.classList.add('mlnb-child');
      row.style.paddingLeft = `${4 + Math.min(depth, 4) * 14}px`;
    }
    row.addEventListener('click', () => void this.openDetail(run.run_id));
    return row;
  }

  private updateAges(): void {
    for (const el of Array.from(this.list.node.querySelectorAll<HTMLElement>('.mlnb-ago'))) {
      el.textContent = formatAgo(Number(el.dataset.time));
    }
  }

  private updateCompare(): void {
    const n = this.selected.size;
    this.compareButton.disabled = n === 0;
    this.compareButton.textContent = n ? `Compare ${formatCount(n, 'run')}` : 'Compare (select runs)';
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
