/**
 * What the Runs panel needs from the notebook side, and its implementation on INotebookTracker.
 * The panel only talks to this interface, never to notebook internals.
 */
import { ISessionContext } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { ISignal, Signal } from '@lumino/signaling';

import { COMPARE_EVENT, ICompareRequest, compareFilterCode } from './runCardRenderer';

export type HostChange = 'notebook' | 'busy' | 'idle' | 'executed';

export interface IPanelHost {
  /** Path (relative to the server root) of the notebook the user works in, if any. */
  notebookPath(): string | null;
  /** 0-based index of the cell with this id in that notebook, or null when it is gone. */
  cellIndex(cellId: string | null): number | null;
  /** The first meaningful line of that cell (for a group title), or null. */
  cellSummary(cellId: string | null): string | null;
  /** Make that cell the active one and scroll to it. */
  jumpToCell(cellId: string): boolean;
  /** Insert a code cell below the active cell (or the cell holding `near`); run it when `run`. */
  insertCode(code: string, run: boolean, near?: Element): Promise<boolean>;
  /**
   * Emitted when the current notebook changes ('notebook'), its kernel starts working ('busy')
   * or goes idle ('idle'), or one of its cells finished executing ('executed').
   */
  readonly changed: ISignal<IPanelHost, HostChange>;
}

export class NotebookHost implements IPanelHost {
  private _changed = new Signal<IPanelHost, HostChange>(this);
  private _last: NotebookPanel | null = null;

  constructor(private readonly tracker: INotebookTracker) {
    tracker.currentChanged.connect((_, panel) => {
      if (panel) {
        this._last = panel;
      }
      this._changed.emit('notebook');
    });
    NotebookActions.executed.connect((_, args) => {
      if (this.current() && args.notebook === this.current()?.content) {
        this._changed.emit('executed');
      }
    });
    tracker.widgetAdded.connect((_, panel) => {
      panel.sessionContext.statusChanged.connect((ctx: ISessionContext, status) => {
        if (panel !== this.current()) {
          return;
        }
        if (status === 'idle') {
          this._changed.emit('idle');
        } else if (status === 'busy') {
          this._changed.emit('busy');
        }
      });
    });
  }

  get changed(): ISignal<IPanelHost, HostChange> {
    return this._changed;
  }

  /** The current notebook, or the last one used when focus moved to another widget. */
  current(): NotebookPanel | null {
    const panel = this.tracker.currentWidget ?? this._last;
    if (panel && panel.isDisposed) {
      this._last = null;
      return this.tracker.currentWidget;
    }
    return panel;
  }

  notebookPath(): string | null {
    return this.current()?.context.path ?? null;
  }

  cellIndex(cellId: string | null): number | null {
    const panel = this.current();
    if (!panel || !cellId) {
      return null;
    }
    const index = panel.content.widgets.findIndex(cell => cell.model.id === cellId);
    return index >= 0 ? index : null;
  }

  cellSummary(cellId: string | null): string | null {
    const index = this.cellIndex(cellId);
    if (index === null) {
      return null;
    }
    const source = this.current()?.content.widgets[index].model.sharedModel.getSource() ?? '';
    const lines = source.split('\n').map(l => l.trim());
    const named = lines.find(l => /^%%track\b.*\s(-n|--name)\s/.test(l));
    const line = named ?? lines.find(l => l && !l.startsWith('%') && !l.startsWith('#')) ?? '';
    return line.length > 48 ? `${line.slice(0, 47)}…` : line || null;
  }

  jumpToCell(cellId: string): boolean {
    const panel = this.current();
    const index = this.cellIndex(cellId);
    if (!panel || index === null) {
      return false;
    }
    panel.content.activeCellIndex = index;
    panel.content.mode = 'command';
    void panel.content.scrollToItem(index, 'center');
    return true;
  }

  /**
   * Insert a code cell below the active cell (or below the cell holding `near`, an element of
   * an output) and run it when `run`.
   */
  async insertCode(code: string, run: boolean, near?: Element): Promise<boolean> {
    const owner = near ? this.tracker.find(p => p.node.contains(near)) : undefined;
    const panel = owner ?? this.current();
    if (!panel) {
      return false;
    }
    const notebook = panel.content;
    if (near && owner) {
      const index = notebook.widgets.findIndex(cell => cell.node.contains(near));
      if (index >= 0) {
        notebook.activeCellIndex = index;
      }
    }
    if (notebook.widgets.length === 0 || notebook.activeCellIndex < 0) {
      notebook.activeCellIndex = Math.max(0, notebook.widgets.length - 1);
    }
    NotebookActions.insertBelow(notebook);
    NotebookActions.changeCellType(notebook, 'code');
    const cell = notebook.activeCell;
    if (!cell) {
      return false;
    }
    cell.model.sharedModel.setSource(code);
    if (run) {
      await NotebookActions.run(notebook, panel.sessionContext);
    }
    return true;
  }
}

/**
 * "Compare earlier runs" on a run card: the renderer cannot reach the notebook, so it
 * dispatches an event that this listener turns into a compare cell below the card's cell.
 */
export function forwardCompareRequests(host: IPanelHost): void {
  document.addEventListener(COMPARE_EVENT, ev => {
    const req = (ev as CustomEvent<ICompareRequest>).detail;
    if (req && ev.target instanceof Element) {
      void host.insertCode(compareFilterCode(req), true, ev.target);
    }
  });
}
