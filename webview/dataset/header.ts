// The grid's column headers: name, type, null count, length (or value) min / mean / max and a small
// histogram from the host's background summary (src/core/datasets/columnStats.ts); a click sorts by
// the column (ascending, descending, off), the handle on the right edge resizes it. Text only.
import type { ColumnSummary } from '../../src/core/datasets/columnStats';
import type { DatasetSortSpec } from '../../protocol/webview';
import { el } from './dom';

/** A grid column: a dataset column, or a computed one (tokens / trained of tokenized data). */
export interface GridColumn {
  /** Column name, or `tokens` / `trained` for the computed ones. */
  key: string;
  label: string;
  type: string;
  computed: boolean;
  /** The sort key the host understands (query.ts parseSortKey). */
  sortKey: string;
  role?: string;
}

export interface HeaderCallbacks {
  sort(spec: DatasetSortSpec | undefined): void;
  resized(key: string, width: number): void;
}

const MIN_WIDTH = 48;

function fmt(n: number): string {
  if (Number.isInteger(n)) return String(n);
  const a = Math.abs(n);
  return a >= 1000 || a < 0.01 ? n.toPrecision(4) : n.toFixed(2);
}

/** One line of figures for a column summary, e.g. "2 null · len 1 / 12.5 / 40". */
export function summaryLine(s: ColumnSummary): string {
  const parts = [`${s.nulls} null`];
  if (s.trues !== undefined) parts.push(`${s.trues} true`);
  if (s.measure !== 'none' && s.min !== null && s.mean !== null && s.max !== null)
    parts.push(`${s.measure === 'length' ? 'len' : 'val'} ${fmt(s.min)} / ${fmt(s.mean)} / ${fmt(s.max)}`);
  return parts.join(' · ');
}

export function renderHeaderCell(
  col: GridColumn,
  summary: ColumnSummary | undefined,
  sort: DatasetSortSpec | undefined,
  cb: HeaderCallbacks,
  width: () => number,
): HTMLElement {
  const h = el('div', 'colhead');
  h.dataset.col = col.key;
  h.title = `${col.label}: ${col.type}${col.role ? ` (${col.role})` : ''} — click to sort, drag the right edge to resize`;
  const name = el('div', 'colname');
  name.append(el('span', 'colname-text', col.label));
  const sorted = sort && sort.key === col.sortKey;
  if (sorted) {
    const icon = el('span', `codicon ${sort.desc ? 'codicon-arrow-down' : 'codicon-arrow-up'} sort-icon`);
    icon.setAttribute('aria-label', sort.desc ? 'sorted descending' : 'sorted ascending');
    name.append(icon);
    h.dataset.sort = sort.desc ? 'desc' : 'asc';
  }
  h.append(name, el('div', 'coltype', col.type));
  if (summary) {
    const line = el('div', 'colstats', summaryLine(summary));
    h.append(line);
    if (summary.histogram.length) h.append(miniHistogram(summary));
  } else if (!col.computed) {
    h.append(el('div', 'colstats pending', '…'));
  }
  h.addEventListener('click', (ev) => {
    if ((ev.target as HTMLElement).closest('.resize')) return;
    // asc → desc → off
    cb.sort(!sorted ? { key: col.sortKey, desc: false } : !sort!.desc ? { key: col.sortKey, desc: true } : undefined);
  });
  const handle = el('div', 'resize');
  handle.title = 'Drag to resize';
  handle.addEventListener('mousedown', (ev) => {
    ev.preventDefault();
    ev.stopPropagation();
    const x0 = ev.clientX;
    const w0 = width();
    const move = (e: MouseEvent): void => cb.resized(col.key, Math.max(MIN_WIDTH, w0 + e.clientX - x0));
    const up = (): void => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
  });
  h.append(handle);
  return h;
}

function miniHistogram(s: ColumnSummary): HTMLElement {
  const box = el('div', 'colhist');
  const max = Math.max(1, ...s.histogram.map((b) => b.count));
  for (const b of s.histogram) {
    const bar = el('div', 'hbar');
    bar.style.height = `${Math.max(b.count ? 8 : 0, (100 * b.count) / max)}%`;
    bar.title = `${fmt(b.binStart)}–${fmt(b.binEnd)}: ${b.count} rows`;
    box.append(bar);
  }
  return box;
}
