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

export class TrackButtonExtension implements DocumentRegistry.IWidgetExtension<NotebookPanel, INotebookModel> {
  constructor(private readonly execute: () => void) {}

  createNew(panel: NotebookPanel): IDisposable {
    const button = new ToolbarButton({
      className: 'mlnb-track-button',
      label: '%%track',
      tooltip: 'Track this cell with mlnb (add or remove %%track)',
      onClick: () => this.execute()
    });
    panel.toolbar.insertAfter('cellType', 'mlnb-track', button);
    return button;
  }
}
