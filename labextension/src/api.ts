/**
 * REST client for the mlnb server extension (routes under /mlnb/api/).
 *
 * Every request goes through ServerConnection, so the server's token and XSRF rules apply.
 * `path` is the notebook (or directory) path relative to the server root: the server resolves
 * the store from it the way a kernel started next to the notebook would.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export interface IStoreInfo {
  uri: string | null;
  found: boolean;
}

export interface IExperiment {
  experiment_id: string;
  name: string;
  lifecycle_stage: string;
}

export interface IModelRef {
  name: string;
  uri: string;
  flavor: string | null;
}

export interface ISource {
  notebook: string | null;
  cell_id: string | null;
  code_hash: string | null;
}

export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED' | 'SCHEDULED';

/** What every view of a run carries: its identity, status and times. */
export interface IRunBase {
  run_id: string;
  run_name: string;
  experiment_id: string;
  status: RunStatus;
  start_time: number;
  end_time: number | null;
  parent_run_id: string | null;
}

export interface IRunSummary extends IRunBase {
  params: Record<string, string>;
  metrics: Record<string, number | null>;
  tags: Record<string, string>;
  models: IModelRef[];
  source: ISource;
  /** RUNNING, but the process that ran it is gone: the next writer marks it FAILED. */
  orphaned?: boolean;
}

/** A row of the run list (the route's lean `view=list`): what the list shows, nothing more. */
export interface IRunRow extends IRunBase {
  /** The first few metrics by name (null: NaN or infinite). */
  metrics: Record<string, number | null>;
  cell_id: string | null;
  orphaned: boolean;
}

/** How the server read the search box: a filter, plain text (names and tag values), or nothing. */
export type Searched = 'filter' | 'text' | null;

export interface IRunRowsPage {
  store: IStoreInfo;
  runs: IRunRow[];
  next_page_token: string | null;
  searched: Searched;
}

/** The list view on the wire: column names once, then one array of values per run. */
interface IRunRowsWire {
  store: IStoreInfo;
  list?: { columns: string[]; rows: unknown[][] };
  next_page_token: string | null;
  searched: Searched;
}

function rowsOf(list: { columns: string[]; rows: unknown[][] } | undefined): IRunRow[] {
  if (!list) {
    return [];
  }
  const at = (name: keyof IRunRow): number => list.columns.indexOf(name);
  const [id, name, exp, status, start, end, parent, cell, orphaned, metrics] = (
    [
      'run_id',
      'run_name',
      'experiment_id',
      'status',
      'start_time',
      'end_time',
      'parent_run_id',
      'cell_id',
      'orphaned',
      'metrics'
    ] as const
  ).map(at);
  return list.rows.map(r => ({
    run_id: r[id] as string,
    run_name: r[name] as string,
    experiment_id: r[exp] as string,
    status: r[status] as RunStatus,
    start_time: r[start] as number,
    end_time: r[end] as number | null,
    parent_run_id: r[parent] as string | null,
    cell_id: r[cell] as string | null,
    orphaned: r[orphaned] as boolean,
    metrics: r[metrics] as Record<string, number | null>
  }));
}

export interface IArtifact {
  path: string;
  sha256: string;
  size: number;
}

export interface IRunDetail extends IRunSummary {
  artifacts: IArtifact[];
  inputs: { name: string; digest: string; role: string; shape: number[] }[];
}

export interface IModelVersion {
  name: string;
  version: number;
  run_id: string;
  artifact_path: string;
  source: string;
  model_uri: string;
  current_stage: string;
  aliases: string[];
}

export interface IRegisteredModel {
  name: string;
  description: string | null;
  aliases: Record<string, number>;
  versions: IModelVersion[];
}

export interface IRunsQuery {
  path: string;
  scope: 'notebook' | 'experiment';
  experimentId?: string;
  filter?: string;
  /** The search box: a filter, or plain text matched against run names and tag values. */
  search?: string;
  orderBy?: string;
  pageSize?: number;
  pageToken?: string;
}

export interface IRunsPage {
  store: IStoreInfo;
  runs: IRunSummary[];
  next_page_token: string | null;
  searched: Searched;
}

/** An error answered by the server, with its message (shown to the user as text). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string = ''
  ) {
    super(message);
  }
}

function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') {
      q.append(key, value);
    }
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}

export class MlnbApi {
  constructor(readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()) {}

  url(parts: string[], params: Record<string, string | undefined> = {}): string {
    const encoded = parts.map(p => p.split('/').map(encodeURIComponent).join('/'));
    return URLExt.join(this.settings.baseUrl, 'mlnb', 'api', ...encoded) + query(params);
  }

  async fetch(parts: string[], params: Record<string, string | undefined> = {}): Promise<Response> {
    const response = await ServerConnection.makeRequest(this.url(parts, params), {}, this.settings);
    if (!response.ok) {
      let message = response.statusText || `HTTP ${response.status}`;
      let code = '';
      try {
        const body = (await response.json()) as { message?: unknown; error_code?: unknown };
        message = String(body.message ?? message);
        code = String(body.error_code ?? '');
      } catch {
        // not JSON: keep the status text
      }
      throw new ApiError(response.status, message, code);
    }
    return response;
  }

  async json<T>(parts: string[], params: Record<string, string | undefined> = {}): Promise<T> {
    return (await (await this.fetch(parts, params)).json()) as T;
  }

  experiments(path: string): Promise<{ store: IStoreInfo; experiments: IExperiment[] }> {
    return this.json(['experiments'], { path });
  }

  private runsParams(q: IRunsQuery): Record<string, string | undefined> {
    return {
      path: q.path,
      scope: q.scope === 'notebook' ? 'notebook' : undefined,
      experiment_id: q.experimentId,
      filter: q.filter,
      search: q.search,
      order_by: q.orderBy,
      page_size: q.pageSize ? String(q.pageSize) : undefined,
      page_token: q.pageToken
    };
  }

  /** A page of runs with params, metrics, tags and models (up to 1,000 a page). */
  runs(q: IRunsQuery): Promise<IRunsPage> {
    return this.json(['runs'], this.runsParams(q));
  }

  /** A page of list rows (up to 10,000 a page): what the run list shows. */
  async runRows(q: IRunsQuery): Promise<IRunRowsPage> {
    const body = await this.json<IRunRowsWire>(['runs'], { ...this.runsParams(q), view: 'list' });
    return { store: body.store, runs: rowsOf(body.list), next_page_token: body.next_page_token, searched: body.searched };
  }

  async run(path: string, runId: string): Promise<IRunDetail> {
    const body = await this.json<{ run: IRunDetail }>(['runs', runId], { path });
    return body.run;
  }

  async metricHistory(
    path: string,
    runId: string,
    key: string
  ): Promise<{ step: number; value: number | null; timestamp: number }[]> {
    const body = await this.json<{ history: { step: number; value: number | null; timestamp: number }[] }>(
      ['runs', runId, 'metric-history'],
      { path, key }
    );
    return body.history;
  }

  /** An artifact as a Blob (used for figures: shown through an object URL, never as HTML). */
  async artifact(path: string, runId: string, artifactPath: string): Promise<Blob> {
    return (await this.fetch(['runs', runId, 'artifacts', artifactPath], { path })).blob();
  }

  async models(path: string): Promise<IRegisteredModel[]> {
    const body = await this.json<{ models: IRegisteredModel[] }>(['models'], { path });
    return body.models;
  }
}
