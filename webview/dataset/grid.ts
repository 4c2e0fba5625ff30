// Virtual grid: only the rows in view exist in the DOM, and only the pages they fall in are
// requested from the host. Beyond a few million pixels browsers stop growing elements, so for
// very long datasets the scrollbar maps proportionally onto row numbers instead of 1 px = 1 px.
// In a filtered / sorted view the grid pages through positions of the view; each row still shows and
// selects its own row number.
import type { ColumnSummary } from '../../src/core/datasets/columnStats';
import type { ColumnInfo } from '../../src/core/datasets/types';
import type { DatasetGridRow, DatasetSortSpec } from '../../protocol/webview';
import { clear, describeError, el } from './dom';
import { renderHeaderCell, type GridColumn } from './header';

const ROW_HEIGHT = 28;
const MAX_VIRTUAL_HEIGHT = 4_000_000;
const MAX_CACHED_PAGES = 40;

export interface GridCallbacks {
  /** `view`: the view the offsets are positions of; undefined for the whole dataset. */
  requestPage(offset: number, limit: number, view: number | undefined): void;
  selectRow(index: number, column?: string): void;
  sort(spec: DatasetSortSpec | undefined): void;
  /** Ctrl/Cmd+C on the grid. */
  copy(): void;
}

const ROWNUM_W = 72;
const FLAGS_W = 200;

export class VirtualGrid {
  private gridCols: GridColumn[] = [];
  private readonly widths = new Map<string, number>();
  private summaries = new Map<string, ColumnSummary>();
  private sort: DatasetSortSpec | undefined;
  private view: number | undefined;
  /** A selected position whose row has not arrived yet: selected when its page comes. */
  private pendingSelect: { pos: number; column?: string } | undefined;
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
    this.pageSize = pageSize;
    const tokenized = columns.some((c) => c.role === 'input_ids');
    const labelled = columns.some((c) => c.role === 'labels');
    this.gridCols = columns.map((c) => ({
      key: c.name,
      label: c.name,
      type: c.type,
      role: c.role,
      computed: false,
      // Lists and text sort by their length; scalars by value.
      sortKey: /list|string|binary|struct/.test(c.type) ? `len(${c.name})` : c.name,
    }));
    // Tokenized data: the real length and the trained tokens of every row, sortable like columns.
    if (tokenized)
      this.gridCols.push({ key: 'tokens', label: 'tokens', type: 'length', computed: true, sortKey: 'tokens' });
    if (labelled)
      this.gridCols.push({
        key: 'trained',
        label: 'trained',
        type: 'labels ≠ −100',
        computed: true,
        sortKey: 'trained',
      });
    for (const c of this.gridCols)
      if (!this.widths.has(c.key)) this.widths.set(c.key, c.computed ? 96 : c.role === 'input_ids' ? 320 : 180);
    this.setView(undefined, numRows);
  }

  /** Shows a view (filter / sort result) of `count` rows, or the whole dataset (view undefined). */
  setView(view: number | undefined, count: number, sort?: DatasetSortSpec): void {
    this.view = view;
    this.sort = sort;
    this.numRows = count;
    this.pages.clear();
    this.requested.clear();
    this.selected = -1;
    this.pendingSelect = undefined;
    this.renderHeader();
    this.spacer.style.height = `${this.virtualHeight()}px`;
    this.scroller.scrollTop = 0;
    this.schedule();
  }

  setSummaries(list: ColumnSummary[]): void {
    this.summaries = new Map(list.map((s) => [s.name, s]));
    this.renderHeader();
  }

  get viewId(): number | undefined {
    return this.view;
  }

  private template(): string {
    return `${ROWNUM_W}px ${this.gridCols.map((c) => `${this.widths.get(c.key)}px`).join(' ')} ${FLAGS_W}px`;
  }

  private renderHeader(): void {
    const template = this.template();
    this.header.style.gridTemplateColumns = template;
    this.body.style.setProperty('--grid-columns', template);
    const total = ROWNUM_W + FLAGS_W + this.gridCols.reduce((n, c) => n + this.widths.get(c.key)!, 0);
    this.spacer.style.width = this.header.style.width = `${total}px`;
    clear(this.header);
    this.header.append(el('div', 'rownum', '#'));
    for (const c of this.gridCols) {
      this.header.append(
        renderHeaderCell(
          c,
          this.summaries.get(c.key),
          this.sort,
          {
            sort: (spec) => this.cb.sort(spec),
            resized: (key, w) => {
              this.widths.set(key, w);
              const t = this.template();
              this.header.style.gridTemplateColumns = t;
              this.body.style.setProperty('--grid-columns', t);
              const sum = ROWNUM_W + FLAGS_W + this.gridCols.reduce((n, g) => n + this.widths.get(g.key)!, 0);
              this.spacer.style.width = this.header.style.width = `${sum}px`;
            },
          },
          () => this.widths.get(c.key)!,
        ),
      );
    }
    this.header.append(el('div', 'flags', 'flags'));
  }

  addPage(offset: number, rows: DatasetGridRow[], view?: number): void {
    if (view !== this.view) return; // a page of another view (or of the dataset while a view shows)
    const page = Math.floor(offset / this.pageSize);
    this.pages.delete(page);
    this.pages.set(page, rows);
    this.requested.delete(page);
    while (this.pages.size > MAX_CACHED_PAGES) {
      const oldest = this.pages.keys().next().value as number;
      this.pages.delete(oldest);
    }
    const p = this.pendingSelect;
    if (p && this.rowData(p.pos)) {
      this.pendingSelect = undefined;
      this.select(p.pos, p.column);
    }
    this.schedule();
  }

  /** Forgets every page (e.g. the tokenizer changed) and asks again for the rows in view. */
  refresh(): void {
    this.pages.clear();
    this.requested.clear();
    this.schedule();
  }

  /** Scrolls so position `index` (the row number without a view) is in view and selects it. */
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

  select(pos: number, column?: string): void {
    this.selected = pos;
    const data = this.rowData(pos);
    if (this.view === undefined) this.cb.selectRow(pos, column);
    else if (data) this.cb.selectRow(data.index, column);
    else this.pendingSelect = { pos, column };
    this.render();
  }

  /** Row number of the selected row, −1 when none (or its page has not arrived). */
  get selectedRow(): number {
    if (this.selected < 0) return -1;
    if (this.view === undefined) return this.selected;
    return this.rowData(this.selected)?.index ?? -1;
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
      this.cb.requestPage(p * this.pageSize, this.pageSize, this.view);
    }
  }

  private rowData(index: number): DatasetGridRow | undefined {
    const page = this.pages.get(Math.floor(index / this.pageSize));
    return page?.[index - Math.floor(index / this.pageSize) * this.pageSize];
  }

  private renderRow(index: number): HTMLElement {
    const data = this.rowData(index);
    const row = el('div', 'row');
    row.dataset.pos = String(index);
    // data-row is the row number: the position itself without a view, the row's own number in one.
    if (this.view === undefined) row.dataset.row = String(index);
    else if (data) row.dataset.row = String(data.index);
    if (index === this.selected) row.classList.add('selected');
    row.append(el('div', 'rownum', this.view === undefined ? String(index) : data ? String(data.index) : '…'));
    if (!data) {
      row.classList.add('loading');
      for (const c of this.gridCols) {
        const cell = el('div', 'cell', '…');
        cell.dataset.col = c.key;
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
    for (const c of this.gridCols) {
      if (c.computed) {
        const v = c.key === 'tokens' ? data.tokens : data.trained;
        const cell = el('div', 'cell num', v === undefined ? '' : String(v));
        cell.dataset.col = c.key;
        row.append(cell);
        continue;
      }
      const preview = data.cells[c.key];
      const cell = el('div', 'cell');
      cell.dataset.col = c.key;
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
        img.alt = `${c.key} of row ${data.index}`;
        cell.append(img);
      } else {
        // One line per grid row: newlines shown as ↵ (the detail view keeps the real ones).
        cell.append(el('span', 'cell-text', (preview?.text ?? '').replace(/\r?\n/g, '↵')));
        if (preview?.imageNote) cell.title = preview.imageNote;
      }
      if (preview?.truncated) {
        const more = el('a', 'show-full', 'show full');
        more.dataset.col = c.key;
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
    if (!row?.dataset.pos) return;
    const cell = target.closest<HTMLElement>('.cell');
    this.scroller.focus({ preventScroll: true });
    this.select(Number(row.dataset.pos), cell?.dataset.col);
  }

  private onKey(ev: KeyboardEvent): void {
    if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === 'c') {
      ev.preventDefault();
      this.cb.copy();
      return;
    }
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
    const rowEl = this.body.querySelector<HTMLElement>(`.row[data-pos="${next}"]`);
    const visible =
      rowEl &&
      rowEl.offsetTop + this.body.offsetTop >= this.scroller.scrollTop &&
      rowEl.offsetTop + this.body.offsetTop + ROW_HEIGHT <= this.scroller.scrollTop + view;
    if (visible) this.select(next);
    else this.jumpTo(next);
  }
}
