// Virtual grid: only the rows in view exist in the DOM, and only the pages they fall in are
// requested from the host. Beyond a few million pixels browsers stop growing elements, so for
// very long datasets the scrollbar maps proportionally onto row numbers instead of 1 px = 1 px.
import type { ColumnInfo } from '../../src/core/datasets/types';
import type { DatasetGridRow } from '../../protocol/webview';
import { clear, describeError, el } from './dom';

const ROW_HEIGHT = 28;
const MAX_VIRTUAL_HEIGHT = 4_000_000;
const MAX_CACHED_PAGES = 40;

export interface GridCallbacks {
  requestPage(offset: number, limit: number): void;
  selectRow(index: number, column?: string): void;
}

export class VirtualGrid {
  private columns: ColumnInfo[] = [];
  private numRows = 0;
  private pageSize = 50;
  private readonly pages = new Map<number, DatasetGridRow[]>();
  private readonly requested = new Set<number>();
  private selected = -1;
  private frame = 0;
  private readonly header: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly body: HTMLElement;

  constructor(
    private readonly scroller: HTMLElement,
    private readonly cb: GridCallbacks,
  ) {
    this.header = el('div', 'grid-header');
    this.spacer = el('div', 'grid-spacer');
    this.body = el('div', 'grid-rows');
    this.spacer.append(this.body);
    scroller.replaceChildren(this.header, this.spacer);
    scroller.addEventListener('scroll', () => this.schedule());
    new ResizeObserver(() => this.schedule()).observe(scroller);
    scroller.addEventListener('click', (ev) => this.onClick(ev));
    scroller.addEventListener('keydown', (ev) => this.onKey(ev));
  }

  reset(columns: ColumnInfo[], numRows: number, pageSize: number): void {
    this.columns = columns;
    this.numRows = numRows;
    this.pageSize = pageSize;
    this.pages.clear();
    this.requested.clear();
    this.selected = -1;
    // The id column carries the decoded token strip: give it most of the width.
    const widths = columns.map((c) => (c.role === 'input_ids' ? 'minmax(320px, 4fr)' : 'minmax(140px, 1fr)'));
    const template = `64px ${widths.join(' ')} 200px`;
    this.header.style.gridTemplateColumns = template;
    this.body.style.setProperty('--grid-columns', template);
    this.spacer.style.minWidth =
      this.header.style.minWidth = `${64 + 200 + columns.length * 160 + (columns.some((c) => c.role === 'input_ids') ? 180 : 0)}px`;
    clear(this.header);
    this.header.append(el('div', 'rownum', '#'));
    for (const c of columns) {
      const h = el('div', 'colhead', c.name);
      h.title = `${c.name}: ${c.type} (${c.role})`;
      this.header.append(h);
    }
    this.header.append(el('div', 'flags', 'flags'));
    this.spacer.style.height = `${this.virtualHeight()}px`;
    this.scroller.scrollTop = 0;
    this.schedule();
  }

  addPage(offset: number, rows: DatasetGridRow[]): void {
    const page = Math.floor(offset / this.pageSize);
    this.pages.delete(page);
    this.pages.set(page, rows);
    this.requested.delete(page);
    while (this.pages.size > MAX_CACHED_PAGES) {
      const oldest = this.pages.keys().next().value as number;
      this.pages.delete(oldest);
    }
    this.schedule();
  }

  /** Forgets every page (e.g. the tokenizer changed) and asks again for the rows in view. */
  refresh(): void {
    this.pages.clear();
    this.requested.clear();
    this.schedule();
  }

  /** Scrolls so `index` is in view and selects it. */
  jumpTo(index: number): void {
    if (this.numRows === 0) return;
    const row = Math.max(0, Math.min(this.numRows - 1, Math.floor(index)));
    const view = this.scroller.clientHeight - this.header.offsetHeight;
    const visible = Math.max(1, Math.floor(view / ROW_HEIGHT));
    const target = Math.max(0, row - Math.floor(visible / 3));
    if (this.scaled()) {
      const maxScroll = this.virtualHeight() - view;
      this.scroller.scrollTop = (target / Math.max(1, this.numRows - visible)) * maxScroll;
    } else {
      this.scroller.scrollTop = target * ROW_HEIGHT;
    }
    this.select(row);
  }

  select(index: number, column?: string): void {
    this.selected = index;
    this.cb.selectRow(index, column);
    this.render();
  }

  get selectedRow(): number {
    return this.selected;
  }

  private virtualHeight(): number {
    return Math.min(this.numRows * ROW_HEIGHT, MAX_VIRTUAL_HEIGHT);
  }

  private scaled(): boolean {
    return this.numRows * ROW_HEIGHT > MAX_VIRTUAL_HEIGHT;
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private render(): void {
    const view = Math.max(ROW_HEIGHT, this.scroller.clientHeight - this.header.offsetHeight);
    const count = Math.ceil(view / ROW_HEIGHT) + 1;
    let first: number;
    let top: number;
    const scrollTop = this.scroller.scrollTop;
    if (this.scaled()) {
      const maxScroll = Math.max(1, this.virtualHeight() - view);
      first = Math.floor((Math.min(scrollTop, maxScroll) / maxScroll) * Math.max(0, this.numRows - count + 1));
      top = Math.min(scrollTop, this.virtualHeight() - count * ROW_HEIGHT);
    } else {
      first = Math.floor(scrollTop / ROW_HEIGHT);
      top = first * ROW_HEIGHT;
    }
    const last = Math.min(this.numRows, first + count);
    this.body.style.top = `${Math.max(0, top)}px`;
    this.ensurePages(first, last);
    const out: HTMLElement[] = [];
    for (let i = first; i < last; i++) out.push(this.renderRow(i));
    this.body.replaceChildren(...out);
  }

  private ensurePages(first: number, last: number): void {
    if (last <= first) return;
    const p0 = Math.floor(first / this.pageSize);
    const p1 = Math.floor((last - 1) / this.pageSize);
    for (let p = p0; p <= p1; p++) {
      if (this.pages.has(p) || this.requested.has(p)) continue;
      this.requested.add(p);
      this.cb.requestPage(p * this.pageSize, this.pageSize);
    }
  }

  private rowData(index: number): DatasetGridRow | undefined {
    const page = this.pages.get(Math.floor(index / this.pageSize));
    return page?.[index - Math.floor(index / this.pageSize) * this.pageSize];
  }

  private renderRow(index: number): HTMLElement {
    const data = this.rowData(index);
    const row = el('div', 'row');
    row.dataset.row = String(index);
    if (index === this.selected) row.classList.add('selected');
    row.append(el('div', 'rownum', String(index)));
    if (!data) {
      row.classList.add('loading');
      for (const c of this.columns) {
        const cell = el('div', 'cell', '…');
        cell.dataset.col = c.name;
        row.append(cell);
      }
      row.append(el('div', 'flags'));
      return row;
    }
    if (data.error) {
      row.classList.add('bad');
      const cell = el('div', 'cell row-error', describeError(data.error));
      cell.title = describeError(data.error);
      row.append(cell);
      return row;
    }
    for (const c of this.columns) {
      const preview = data.cells[c.name];
      const cell = el('div', 'cell');
      cell.dataset.col = c.name;
      if (data.chips && c.role === 'input_ids') {
        // Decoded tokens, shaded trained / masked like the token view, on every row of the grid.
        const strip = el('span', 'cell-text gchips');
        for (const chip of data.chips) {
          const g = el('span', 'gchip', chip.text);
          if (chip.special) g.classList.add('special');
          if (chip.trained === true) g.classList.add('trained');
          if (chip.trained === false) g.classList.add('masked');
          if (chip.padding) g.classList.add('padding');
          strip.append(g);
        }
        cell.append(strip);
        cell.title = preview?.text ?? '';
      } else if (preview?.image) {
        const img = el('img', 'thumb');
        img.src = preview.image;
        img.alt = `${c.name} of row ${index}`;
        cell.append(img);
      } else {
        // One line per grid row: newlines shown as ↵ (the detail view keeps the real ones).
        cell.append(el('span', 'cell-text', (preview?.text ?? '').replace(/\r?\n/g, '↵')));
        if (preview?.imageNote) cell.title = preview.imageNote;
      }
      if (preview?.truncated) {
        const more = el('a', 'show-full', 'show full');
        more.dataset.col = c.name;
        cell.append(more);
      }
      row.append(cell);
    }
    const flags = el('div', 'flags');
    for (const f of data.flags) {
      const badge = el('span', 'flag', f);
      badge.title = f;
      flags.append(badge);
    }
    row.append(flags);
    return row;
  }

  private onClick(ev: MouseEvent): void {
    const target = ev.target as HTMLElement;
    const row = target.closest<HTMLElement>('.row');
    if (!row?.dataset.row) return;
    const cell = target.closest<HTMLElement>('.cell');
    this.scroller.focus({ preventScroll: true });
    this.select(Number(row.dataset.row), cell?.dataset.col);
  }

  private onKey(ev: KeyboardEvent): void {
    if (this.selected < 0 || !this.numRows) return;
    // PageUp/PageDown/Home/End move the selection (not only the scroll position), like a list does.
    const page = Math.max(1, Math.floor((this.scroller.clientHeight - this.header.offsetHeight) / ROW_HEIGHT) - 1);
    const target: Record<string, number> = {
      ArrowDown: this.selected + 1,
      ArrowUp: this.selected - 1,
      PageDown: Math.min(this.numRows - 1, this.selected + page),
      PageUp: Math.max(0, this.selected - page),
      Home: 0,
      End: this.numRows - 1,
    };
    if (!(ev.key in target)) return;
    ev.preventDefault();
    const next = target[ev.key];
    if (next < 0 || next >= this.numRows || next === this.selected) return;
    const view = this.scroller.clientHeight - this.header.offsetHeight;
    const rowEl = this.body.querySelector<HTMLElement>(`.row[data-row="${next}"]`);
    const visible =
      rowEl &&
      rowEl.offsetTop + this.body.offsetTop >= this.scroller.scrollTop &&
      rowEl.offsetTop + this.body.offsetTop + ROW_HEIGHT <= this.scroller.scrollTop + view;
    if (visible) this.select(next);
    else this.jumpTo(next);
  }
}
