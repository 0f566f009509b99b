/** mlnb for JupyterLab: plugin wiring only (the parts live in their own modules). */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { LabIcon } from '@jupyterlab/ui-components';

import { MlnbApi } from './api';
import { NotebookHost } from './host';
import { COMPARE_EVENT, ICompareRequest, compareFilterCode } from './runCardRenderer';
import { RunsPanel } from './runsPanel';
import { TOGGLE_TRACK, TrackButtonExtension, isTracked, toggleActiveCell } from './trackToggle';

const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
  '<rect x="3" y="13" width="4" height="8" rx="1"/><rect x="10" y="8" width="4" height="13" rx="1"/>' +
  '<rect x="17" y="3" width="4" height="18" rx="1"/></g></svg>';

export const runsIcon = new LabIcon({ name: 'mlnb:runs', svgstr: ICON_SVG });

// a target with a dot: "track this cell" (used by the cell toolbar item of schema/track-toggle.json)
export const trackIcon = new LabIcon({
  name: 'mlnb:track',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
    '<path d="M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zm0 2a7 7 0 1 1 0 14 7 7 0 0 1 0-14z"/>' +
    '<circle cx="12" cy="12" r="3"/></g></svg>'
});

const runsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'mlnb:runs',
  description: 'The Runs sidebar: runs of the open notebook, their details and registered models.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    restorer: ILayoutRestorer | null
  ): void => {
    const host = new NotebookHost(tracker);
    const panel = new RunsPanel(new MlnbApi(), host);
    panel.title.icon = runsIcon;
    app.shell.add(panel, 'left', { rank: 450 });
    restorer?.add(panel, 'mlnb-runs');
    // "Compare earlier runs" on a run card (the renderer cannot reach the notebook itself)
    document.addEventListener(COMPARE_EVENT, ev => {
      const req = (ev as CustomEvent<ICompareRequest>).detail;
      if (req && ev.target instanceof Element) {
        void host.insertCode(compareFilterCode(req), true, ev.target);
      }
    });
    app.commands.addCommand('mlnb:show-runs', {
      label: 'Show mlnb Runs',
      execute: () => app.shell.activateById(panel.id)
    });
  }
};

const trackPlugin: JupyterFrontEndPlugin<void> = {
  id: 'mlnb:track-toggle',
  description: 'Add or remove %%track on the active cell (toolbar button and command).',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker, palette: ICommandPalette | null): void => {
    app.commands.addCommand(TOGGLE_TRACK, {
      label: 'Toggle %%track on the active cell',
      icon: trackIcon,
      caption: 'Track this cell as an mlnb run (adds or removes the %%track line)',
      isEnabled: () => tracker.currentWidget?.content.activeCell?.model.type === 'code',
      isToggled: () => isTracked(tracker.currentWidget?.content.activeCell?.model.sharedModel.getSource() ?? ''),
      execute: () => {
        toggleActiveCell(tracker);
      }
    });
    palette?.addItem({ command: TOGGLE_TRACK, category: 'mlnb' });
    app.docRegistry.addWidgetExtension(
      'Notebook',
      new TrackButtonExtension(() => void app.commands.execute(TOGGLE_TRACK))
    );
  }
};

export default [runsPlugin, trackPlugin];
