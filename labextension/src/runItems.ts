/** The run list's data: items in display order (groups, parents before children) and messages. */
import { ApiError, IRunRow } from './api';
import { IPanelHost } from './host';

/** A message for the user: the server's own, or how to enable the server extension. */
export function describe(err: unknown): string {
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

export interface IGroup {
  key: string;
  title: string;
  runs: IRunRow[];
}

export type Item = { kind: 'group'; key: string; title: string } | { kind: 'run'; run: IRunRow; depth: number };

/** Runs in display order: each child run (e.g. a search-CV candidate) right after its parent. */
export function nest(runs: IRunRow[]): [IRunRow, number][] {
  const ids = new Set(runs.map(r => r.run_id));
  const children = new Map<string, IRunRow[]>();
  for (const run of runs) {
    if (run.parent_run_id && ids.has(run.parent_run_id)) {
      const list = children.get(run.parent_run_id) ?? [];
      list.push(run);
      children.set(run.parent_run_id, list);
    }
  }
  const out: [IRunRow, number][] = [];
  const seen = new Set<string>();
  const visit = (root: IRunRow) => {
    // an explicit stack: a 10,000-deep chain must not overflow the call stack
    const stack: [IRunRow, number][] = [[root, 0]];
    while (stack.length) {
      const [run, depth] = stack.pop() as [IRunRow, number];
      if (seen.has(run.run_id)) {
        continue;
      }
      seen.add(run.run_id);
      out.push([run, depth]);
      const kids = children.get(run.run_id) ?? [];
      for (let i = kids.length - 1; i >= 0; i--) {
        stack.push([kids[i], depth + 1]);
      }
    }
  };
  for (const run of runs) {
    if (!run.parent_run_id || !ids.has(run.parent_run_id)) {
      visit(run);
    }
  }
  for (const run of runs) {
    visit(run); // a cycle in the data never hides a run
  }
  return out;
}


/** Runs grouped by the cell that produced them (notebook scope), in the order of their newest run. */
export function groups(runs: IRunRow[], notebookScope: boolean, host: IPanelHost): IGroup[] {
  if (!notebookScope) {
    return [{ key: 'all', title: '', runs }];
  }
  const byKey = new Map<string, IGroup>();
  for (const run of runs) {
    const cellId = run.cell_id;
    const key = cellId ?? '';
    let group = byKey.get(key);
    if (!group) {
      const index = host.cellIndex(cellId);
      const summary = host.cellSummary(cellId);
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
  return [...byKey.values()];
}

/** The list's items: each group's title, then its runs with children after their parent. */
export function listItems(runs: IRunRow[], notebookScope: boolean, host: IPanelHost): Item[] {
  const items: Item[] = [];
  for (const group of groups(runs, notebookScope, host)) {
    if (group.title) {
      items.push({ kind: 'group', key: group.key, title: group.title });
    }
    for (const [run, depth] of nest(group.runs)) {
      items.push({ kind: 'run', run, depth });
    }
  }
  return items;
}
