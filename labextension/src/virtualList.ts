/**
 * A scrolling list that keeps only the visible items (plus an overscan margin) in the DOM, so
 * that ten thousand runs cost what forty do. Items have known heights (a group title, a run
 * row); their offsets are prefix sums, and the visible range is found by binary search.
 */

const OVERSCAN_PX = 480;

export class VirtualList<T> {
  /** The scrolling element: put it where the list goes. */
  readonly node: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private items: T[] = [];
  private offsets: number[] = [0];
  private first = 0;
  private last = -1;
  private frame = 0;
  private readonly resize: ResizeObserver;

  constructor(
    private readonly heightOf: (item: T) => number,
    private readonly renderItem: (item: T, index: number) => HTMLElement,
    cls: string
  ) {
    this.node = document.createElement('div');
    this.node.className = cls;
    this.spacer = document.createElement('div');
    this.spacer.className = 'mlnb-vlist-spacer';
    this.node.appendChild(this.spacer);
    this.node.addEventListener('scroll', () => this.schedule());
    this.resize = new ResizeObserver(() => this.schedule());
    this.resize.observe(this.node);
  }

  dispose(): void {
    this.resize.disconnect();
    if (this.frame) {
      cancelAnimationFrame(this.frame);
    }
  }

  get length(): number {
    return this.items.length;
  }

  /** How many items are in the DOM now. */
  get rendered(): number {
    return this.last - this.first + 1;
  }

  /** Replace the items and redraw the visible ones (the scroll position is kept). */
  setItems(items: T[]): void {
    this.items = items;
    const offsets = new Array<number>(items.length + 1);
    offsets[0] = 0;
    for (let i = 0; i < items.length; i++) {
      offsets[i + 1] = offsets[i] + this.heightOf(items[i]);
    }
    this.offsets = offsets;
    this.spacer.style.height = `${offsets[items.length]}px`;
    this.draw(true);
  }

  /** Scroll so that item `index` is at the top. */
  scrollToIndex(index: number): void {
    this.node.scrollTop = this.offsets[Math.max(0, Math.min(index, this.items.length))];
    this.draw(false);
  }

  private schedule(): void {
    if (!this.frame) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        this.draw(false);
      });
    }
  }

  /** The index of the item that covers vertical position `y`. */
  private indexAt(y: number): number {
    let lo = 0;
    let hi = this.items.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.offsets[mid] <= y) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return Math.max(0, lo);
  }

  private draw(force: boolean): void {
    const n = this.items.length;
    const top = this.node.scrollTop;
    // before the panel is laid out (hidden, just attached) draw a screenful anyway
    const height = this.node.clientHeight || 800;
    const first = n ? this.indexAt(Math.max(0, top - OVERSCAN_PX)) : 0;
    const last = n ? this.indexAt(top + height + OVERSCAN_PX) : -1;
    if (!force && first === this.first && last === this.last) {
      return;
    }
    this.first = first;
    this.last = last;
    const nodes: HTMLElement[] = [this.spacer];
    for (let i = first; i <= last; i++) {
      const el = this.renderItem(this.items[i], i);
      el.style.top = `${this.offsets[i]}px`;
      el.style.height = `${this.offsets[i + 1] - this.offsets[i]}px`;
      el.classList.add('mlnb-vlist-item');
      nodes.push(el);
    }
    const focused = this.node.contains(document.activeElement) ? document.activeElement : null;
    const key = focused?.closest<HTMLElement>('[data-vkey]')?.dataset.vkey;
    this.node.replaceChildren(...nodes);
    if (key) {
      // keep the keyboard focus on the same item when it is still drawn
      this.node.querySelector<HTMLElement>(`[data-vkey="${CSS.escape(key)}"] .mlnb-run-open`)?.focus();
    }
  }
}
