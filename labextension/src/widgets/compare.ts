import './compare.css';
// mlnb compare panel: a column chooser, a virtualized runs table and plots, drawn from columnar
// arrays. Every user string goes through textContent (never innerHTML), so a run named
// "<img src=x onerror=...>" stays text.
import { h } from '../dom';
import { decode, Model, sortOrder } from './compareData';
import { renderTable, Ctx } from './compareTable';
import { makeChooser, persistChoice, runsCaption } from './compareChooser';
import { PLOTS, DRAW, drawParallel } from './comparePlots';
import { hideStaticFallback } from './fallback';

type Draw = (ctx: Ctx) => void;

function render({ model, el }: { model: Model; el: HTMLElement }): () => void {
  el.classList.add('mlnb-compare');
  const stopHiding = hideStaticFallback(el, 'compare'); // the static version above hides once this is drawn
  const stopPersisting = persistChoice(model);
  const root = h('div', { class: 'mlnb-compare-root' });
  const banner = h('div', { class: 'mlnb-banner' });
  const chooser = makeChooser(model);
  const tableEl = h('div', { class: 'mlnb-table' });
  const tabs = h('div', { class: 'mlnb-tabs', attrs: { role: 'group', 'aria-label': 'plot' } });
  const controls = h('div', { class: 'mlnb-plot-controls' });
  const plotEl = h('div', { class: 'mlnb-plot' });
  root.append(banner, chooser.bar, chooser.panel, tableEl, tabs, controls, plotEl);
  el.appendChild(root);
  const ctx: Ctx = {
    model,
    el,
    root,
    tableEl,
    plotEl,
    controls,
    state: decode({}),
    order: new Int32Array(0),
    selected: new Set(),
    expanded: new Set(),
    width: 900
  };

  const caption = (): void => chooser.caption(runsCaption(ctx.state, ctx.selected.size));
  const load = (): void => {
    const previous = ctx.state;
    ctx.state = decode(model.get('data') || {});
    ctx.order = sortOrder(ctx.state, model.get('sort'));
    ctx.selected = new Set(model.get('selected') || []);
    // keep expanded parents open across a refresh (rows move: follow them by run id)
    const open = new Set([...ctx.expanded].map(i => previous.runIds[i]));
    ctx.expanded = new Set(ctx.state.runIds.flatMap((id, i) => (open.has(id) ? [i] : [])));
  };
  const drawTabs = (): void => {
    tabs.replaceChildren(
      ...(PLOTS as string[]).map(p => {
        const active = model.get('plot') === p;
        const b = h('button', { class: 'mlnb-tab jp-Button jp-mod-styled' + (active ? ' mlnb-active' : ''), attrs: { 'data-plot': p, 'aria-pressed': String(active) } }, p);
        b.type = 'button';
        b.addEventListener('click', () => {
          model.set('plot', p);
          model.save_changes();
        });
        return b;
      })
    );
  };
  const drawPlot = (): void => {
    ctx.width = Math.max(600, Math.min(1200, (el.clientWidth || 920) - 20));
    controls.replaceChildren();
    plotEl.replaceChildren();
    drawTabs();
    const draw: Draw = (DRAW as Record<string, Draw>)[model.get('plot')] || (drawParallel as Draw);
    if (ctx.state.n) {
      draw(ctx);
    }
  };
  const drawBanner = (): void => {
    const st = ctx.state;
    banner.textContent = st.complete ? '' : `showing the ${st.n} most recent runs; loading the rest\u2026`;
    if (!st.complete && ctx.requested !== st.version) {
      ctx.requested = st.version;
      root.dataset.loadAllSentAt = performance.now().toFixed(0);
      setTimeout(() => model.send({ type: 'load_all' }), 0);
    }
  };
  const keepScroll = (fn: () => void): void => {
    const sc = tableEl.querySelector<HTMLElement>('.mlnb-tscroll');
    const top = sc ? sc.scrollTop : 0;
    const left = sc ? sc.scrollLeft : 0;
    fn();
    const next = tableEl.querySelector<HTMLElement>('.mlnb-tscroll');
    if (next) {
      next.scrollTop = top;
      next.scrollLeft = left;
      next.dispatchEvent(new Event('scroll'));
    }
  };
  const full = (): void => {
    const t0 = performance.now();
    load();
    chooser.update(ctx.state);
    caption();
    keepScroll(() => renderTable(ctx));
    drawPlot();
    drawBanner();
    root.dataset.renderMs = (performance.now() - t0).toFixed(1);
    root.dataset.rows = String(ctx.state.n);
    root.dataset.complete = String(ctx.state.complete);
    root.dataset[ctx.state.complete ? 'completeAt' : 'firstAt'] = t0.toFixed(0);
  };
  full();

  const onSort = (): void => {
    const t0 = ctx.sortStarted ?? performance.now();
    ctx.order = sortOrder(ctx.state, model.get('sort'));
    keepScroll(() => renderTable(ctx));
    root.dataset.sortMs = (performance.now() - t0).toFixed(1);
    ctx.sortStarted = null;
  };
  const onSelected = (): void => {
    ctx.selected = new Set(model.get('selected') || []);
    caption();
    keepScroll(() => renderTable(ctx));
    drawPlot();
  };
  const onTable = (): void => keepScroll(() => renderTable(ctx));
  const handlers: [string, () => void][] = [
    ['change:data', full],
    ['change:sort', onSort],
    ['change:selected', onSelected],
    ['change:columns', onTable],
    ['change:transpose', onTable]
  ];
  for (const t of ['plot', 'axes', 'brushes', 'scatter_x', 'scatter_y', 'box_metric', 'box_group', 'contour_x', 'contour_y', 'contour_z', 'history_metric', 'history']) {
    handlers.push([`change:${t}`, drawPlot]);
  }
  for (const [ev, fn] of handlers) {
    model.on(ev, fn);
  }
  return () => {
    for (const [ev, fn] of handlers) {
      model.off(ev, fn);
    }
    chooser.dispose();
    stopPersisting();
    stopHiding();
  };
}

export default { render };
