// A panel is displayed as two outputs: its static version (HTML + PNG, for viewers that cannot
// run widgets: nbconvert HTML, GitHub, nbviewer, VS Code without the widget manager) and then
// the live widget (see mlnb/widgets/_fallback.py). Once the live widget has really been drawn
// (attached and given a size), it hides the static output right before its own, so a live
// notebook shows the panel once. Where the widget never renders, nothing hides the static one.

/** Class of the element wrapping a static version; `${MARKER}-${kind}` names its panel. */
export const MARKER = "mlnb-fallback";
/** Set on the output hidden by a live widget (tests and styles can see it). */
export const HIDDEN_ATTR = "data-mlnb-fallback-hidden";
/** Set on the live widget's element: which panel it draws. */
export const LIVE_ATTR = "data-mlnb-live";

// An output of one notebook cell in the hosts we know: JupyterLab / Notebook 7 (also the
// nbconvert "lab" template), the classic notebook (also nbconvert "classic"), VS Code's
// notebook webview (one `.output_container` per output in a `.cell_container`).
const OUTPUT = ".jp-OutputArea-child, .output_area, .output_container";
// Never look past these: beyond them the previous sibling belongs to another cell.
const BOUNDARY = ".jp-OutputArea, .output_wrapper, .cell_container, .jp-Cell, .cell, .jp-Notebook, body";
const MAX_DEPTH = 16;

function holdsFallback(node: Element | null, kind: string): node is HTMLElement {
  const marker = `.${MARKER}-${kind}`;
  return node instanceof HTMLElement && (node.matches(marker) || node.querySelector(marker) !== null);
}

/**
 * The output holding the static version displayed just before the widget drawn in `el`.
 *
 * From `el` upwards, the first ancestor that is a cell output (or, in an unknown host, any
 * ancestor below a cell boundary) whose previous sibling holds `.mlnb-fallback-<kind>`.
 */
export function findStaticSibling(el: HTMLElement, kind: string): HTMLElement | null {
  let node: HTMLElement | null = el;
  for (let depth = 0; node && depth < MAX_DEPTH; depth++, node = node.parentElement) {
    const prev = node.previousElementSibling;
    if (holdsFallback(prev, kind) && (node.matches(OUTPUT) || !node.closest(OUTPUT))) return prev;
    if (node.matches(OUTPUT) || node.matches(BOUNDARY)) return null;
  }
  return null;
}

/**
 * Hide the static version of this widget's panel once the widget is drawn; call it once in a
 * widget's `render({ model, el })`. The static version shows again when the widget's element
 * leaves the page while the static one stays (the panel was closed). Returns a cleanup that
 * stops watching and shows the static version again.
 */
export function hideStaticFallback(el: HTMLElement, kind: string): () => void {
  let hidden: HTMLElement | null = null;
  let watched: Element | null = null;
  let stopped = false;
  el.setAttribute(LIVE_ATTR, kind);
  const show = () => {
    if (hidden) {
      hidden.style.removeProperty("display");
      hidden.removeAttribute(HIDDEN_ATTR);
      hidden = null;
    }
  };
  const check = () => {
    if (stopped) return;
    if (hidden && !hidden.isConnected) hidden = null; // the host re-created that output
    if (!el.isConnected) {
      show(); // the view was removed (the panel closed): the static version is what is left
      return;
    }
    if (hidden) return;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return; // not drawn (yet): keep the static version
    const sibling = findStaticSibling(el, kind);
    if (!sibling) return;
    sibling.style.display = "none";
    sibling.setAttribute(HIDDEN_ATTR, kind);
    hidden = sibling;
    const list = sibling.parentElement;
    if (list && list !== watched && mutations) {
      mutations.disconnect();
      mutations.observe(list, { childList: true }); // outputs replaced or removed: look again
      watched = list;
    }
  };
  const sizes = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(check);
  const mutations = typeof MutationObserver === "undefined" ? null : new MutationObserver(check);
  sizes?.observe(el);
  requestAnimationFrame(check);
  return () => {
    stopped = true;
    sizes?.disconnect();
    mutations?.disconnect();
    show();
  };
}
