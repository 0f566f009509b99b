/**
 * What the registry and explain widgets share beyond ../dom.ts: the slice of anywidget's model
 * API they use, and an SVG element helper (attributes only, text through textContent).
 */

/** The part of an anywidget model a panel's front end reads, writes and listens to. */
export interface WidgetModel<T> {
  get<K extends keyof T>(key: K): T[K];
  set<K extends keyof T>(key: K, value: T[K]): void;
  save_changes(): void;
  on(event: string, callback: () => void): void;
  off(event: string, callback: () => void): void;
}

export interface RenderProps<T> {
  model: WidgetModel<T>;
  el: HTMLElement;
}

const SVGNS = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes set one by one, and ``text`` (if any) as its text content. */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  text: string | null = null
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVGNS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    node.setAttribute(key, String(value));
  }
  if (text !== null) {
    node.textContent = text;
  }
  return node;
}
