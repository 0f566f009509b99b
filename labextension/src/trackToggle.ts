/** Add or remove `%%track` on the active cell: a command, a notebook toolbar button, a palette item. */
import { ToolbarButton } from '@jupyterlab/apputils';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { INotebookModel, INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';

export const TOGGLE_TRACK = 'mlnb:toggle-track';
const MAGIC = /^%%track\b[^\n]*(\n|$)/;

/** The cell source with `%%track` added on top, or removed when it is there. */
export function toggleTrack(source: string): string {
  if (MAGIC.test(source)) {
    return source.replace(MAGIC, '');
  }
  return `%%track\n${source}`;
}

export function isTracked(source: string): boolean {
  return MAGIC.test(source);
}

/** Toggle `%%track` on the active code cell of the current notebook; false when there is none. */
export function toggleActiveCell(tracker: INotebookTracker): boolean {
  const cell = tracker.currentWidget?.content.activeCell;
  if (!cell || cell.model.type !== 'code') {
    return false;
  }
  const shared = cell.model.sharedModel;
  shared.setSource(toggleTrack(shared.getSource()));
  return true;
}

/** Tooltips of the toolbar button: they say the state, then what a click does. */
export const TRACKED_TITLE = 'This cell is tracked by mlnb (%%track): click to remove the %%track line';
export const UNTRACKED_TITLE = 'This cell is not tracked: click to add %%track and record it as an mlnb run';

/** The `%%track` state of the notebook's active cell: null when it is not a code cell. */
export function activeCellTracked(panel: NotebookPanel): boolean | null {
  const cell = panel.content.activeCell;
  if (!cell || cell.model.type !== 'code') {
    return null;
  }
  return isTracked(cell.model.sharedModel.getSource());
}

/**
 * The notebook toolbar's `%%track` button. Its pressed state (and aria-pressed) is the active
 * cell's state, kept in sync when the active cell changes and when that cell's source is edited;
 * clicking toggles the magic line, and the state follows the source.
 */
export class TrackButtonExtension implements DocumentRegistry.IWidgetExtension<NotebookPanel, INotebookModel> {
  constructor(private readonly execute: () => void) {}

  createNew(panel: NotebookPanel): IDisposable {
    const button = new ToolbarButton({
      className: 'mlnb-track-button',
      label: '%%track',
      tooltip: UNTRACKED_TITLE,
      pressedTooltip: TRACKED_TITLE,
      // ToolbarButton flips its own pressed flag on click; sync() then sets the true state
      onClick: () => {
        this.execute();
        sync();
      }
    });
    const sync = (): void => {
      if (button.isDisposed) {
        return;
      }
      const tracked = activeCellTracked(panel);
      button.enabled = tracked !== null;
      button.pressed = tracked === true;
    };
    let watched: NotebookPanel['content']['activeCell'] = null;
    const watch = (): void => {
      watched?.model.contentChanged.disconnect(sync);
      watched = panel.content.activeCell;
      watched?.model.contentChanged.connect(sync);
      sync();
    };
    panel.content.activeCellChanged.connect(watch);
    button.disposed.connect(() => {
      panel.content.activeCellChanged.disconnect(watch);
      watched?.model.contentChanged.disconnect(sync);
    });
    panel.toolbar.insertAfter('cellType', 'mlnb-track', button);
    void panel.context.ready.then(watch);
    watch();
    return button;
  }
}
