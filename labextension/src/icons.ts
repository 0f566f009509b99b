/** The extension's icons (registered by name, so settings such as toolbar items can use them). */
import { LabIcon } from '@jupyterlab/ui-components';

/** Three bars: the Runs sidebar. */
export const runsIcon = new LabIcon({
  name: 'mlnb:runs',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
    '<rect x="3" y="13" width="4" height="8" rx="1"/><rect x="10" y="8" width="4" height="13" rx="1"/>' +
    '<rect x="17" y="3" width="4" height="18" rx="1"/></g></svg>'
});

/** A target: "track this cell" (the cell toolbar item of schema/track-toggle.json). */
export const trackIcon = new LabIcon({
  name: 'mlnb:track',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
    '<path d="M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zm0 2a7 7 0 1 1 0 14 7 7 0 0 1 0-14z"/>' +
    '<circle cx="12" cy="12" r="3"/></g></svg>'
});
