/** mlnb for JupyterLab: plugin wiring only (the parts live in their own modules). */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';

import { MlnbApi } from './api';
import { NotebookHost, forwardCompareRequests } from './host';
import { runsIcon, trackIcon } from './icons';
import { RunsPanel } from './runsPanel';
import { TOGGLE_TRACK, TrackButtonExtension, isTracked, toggleActiveCell } from './trackToggle';

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
    forwardCompareRequests(host);
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
    // menus and palette show the toggled state of the cell that is active now
    tracker.activeCellChanged.connect(() => app.commands.notifyCommandChanged(TOGGLE_TRACK));
    app.docRegistry.addWidgetExtension(
      'Notebook',
      new TrackButtonExtension(() => void app.commands.execute(TOGGLE_TRACK))
    );
  }
};

export default [runsPlugin, trackPlugin];
