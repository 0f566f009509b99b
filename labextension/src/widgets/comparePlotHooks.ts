// How the plots stay right after the panel drew them: tab states, theme switches, column changes.
import { PlotContext } from './comparePlotKit';

/** The tab buttons of the plots: pressed state for assistive technology, button type. */
export function decorateTabs(ctx: PlotContext): void {
  const current = ctx.model.get('plot');
  for (const b of Array.from(ctx.root.querySelectorAll<HTMLButtonElement>('.mlnb-tab'))) {
    b.type = 'button';
    b.setAttribute('aria-pressed', String(b.dataset.plot === current));
  }
}

/** Redraw the canvas plots when JupyterLab switches theme (their colours come from CSS). */
export function watchTheme(ctx: PlotContext, redraw: () => void): void {
  const holder = ctx.root as HTMLElement & { __mlnbTheme?: MutationObserver };
  if (holder.__mlnbTheme || typeof MutationObserver === 'undefined') {
    return;
  }
  const observer = new MutationObserver(() => {
    if (!ctx.root.isConnected) {
      observer.disconnect();
      holder.__mlnbTheme = undefined;
      return;
    }
    requestAnimationFrame(redraw);
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['data-jp-theme-light', 'data-jp-theme-name'] });
  holder.__mlnbTheme = observer;
}

/** Redraw the automatic parallel axes when the table's visible columns change (the primary
 * metric is the first visible one); stops listening once the panel left the page. */
export function watchColumns(ctx: PlotContext, redraw: () => void): void {
  const holder = ctx.root as HTMLElement & { __mlnbColumns?: boolean };
  const { model } = ctx;
  if (holder.__mlnbColumns || !model.on || !model.off) {
    return;
  }
  holder.__mlnbColumns = true;
  const listener = () => {
    if (!ctx.root.isConnected) {
      model.off?.('change:columns', listener);
      holder.__mlnbColumns = false;
      return;
    }
    if (model.get('plot') === 'parallel' && !(model.get('axes') || []).length) {
      redraw();
    }
  };
  model.on('change:columns', listener);
}
