// Column header summaries for the dataset panel, computed in one background pass over every column:
// null count, and for text / list / binary cells their length (code points / items / bytes), for numbers
// their value: min, mean, max and a small histogram. Lengths are counted exactly; number histograms come
// from the first million values (min / mean / max stay exact), so memory is bounded on any file.
import { throwIfAborted } from './errors';
import type { IntListBuffers } from './arrowListScan';
import { cellColumn, codePointLength, hasListScan, isScannable, type ScanChunk } from './scan';
import type { CellValue, DatasetSource, ProgressInfo } from './types';

export const HEADER_BINS = 12;
const MAX_SAMPLED = 1 << 20;

export interface ColumnSummary {
  name: string;
  type: string;
  /** Rows scanned (unreadable rows are not). */
  rows: number;
  nulls: number;
  /** What min / mean / max / histogram measure. */
  measure: 'length' | 'value' | 'none';
  min: number | null;
  mean: number | null;
  max: number | null;
  histogram: { binStart: number; binEnd: number; count: number }[];
  /** Booleans: how many are true. */
  trues?: number;
}

class Acc {
  rows = 0;
  nulls = 0;
  measure: 'length' | 'value' | 'none' = 'none';
  n = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  trues = 0;
  bools = 0;
  lengths = new Map<number, number>();
  sample = new Float64Array(1024);
  sampled = 0;

  add(x: number, kind: 'length' | 'value'): void {
    if (this.measure === 'none') this.measure = kind;
    else if (this.measure !== kind) return; // a JSON column that mixes kinds: the first kind seen wins
    this.n++;
    this.sum += x;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (kind === 'length') this.lengths.set(x, (this.lengths.get(x) ?? 0) + 1);
    else if (this.sampled < MAX_SAMPLED) {
      if (this.sampled === this.sample.length) {
        const b = new Float64Array(this.sample.length * 2);
        b.set(this.sample);
        this.sample = b;
      }
      this.sample[this.sampled++] = x;
    }
  }
}

/** Equal-width bins over [min, max]; integer bins (width ≥ 1) for lengths. */
function histogram(acc: Acc): ColumnSummary['histogram'] {
  if (!acc.n || !Number.isFinite(acc.min) || !Number.isFinite(acc.max)) return [];
  const ints = acc.measure === 'length';
  const span = acc.max - acc.min;
  let width = span / HEADER_BINS;
  if (ints) width = Math.max(1, Math.ceil((span + 1) / HEADER_BINS));
  if (!(width > 0)) return [{ binStart: acc.min, binEnd: acc.max, count: acc.n }];
  const bins = Math.min(HEADER_BINS, ints ? Math.ceil((span + 1) / width) : HEADER_BINS);
  const counts = new Array<number>(bins).fill(0);
  const at = (x: number) => Math.min(bins - 1, Math.floor((x - acc.min) / width));
  if (ints) for (const [len, c] of acc.lengths) counts[at(len)] += c;
  else for (let i = 0; i < acc.sampled; i++) counts[at(acc.sample[i]!)]++;
  return counts.map((count, b) => ({
    binStart: acc.min + b * width,
    binEnd: ints ? acc.min + (b + 1) * width - 1 : b === bins - 1 ? acc.max : acc.min + (b + 1) * width,
    count,
  }));
}

/** Integer-list column types as arrowTypeName writes them. */
const INT_LIST = /^(large_)?list<u?int(8|16|32|64)>$/;

/** Row lengths (or nulls) of one batch of a list column, from its offsets and validity. */
function addLengths(acc: Acc, rows: number, l: IntListBuffers): void {
  const o = l.offsets;
  for (let r = 0; r < rows; r++) {
    acc.rows++;
    if (l.valid && ((l.valid[r >> 3] >> (r & 7)) & 1) === 0) acc.nulls++;
    else acc.add(o[r + 1] - o[r], 'length');
  }
}

export async function computeColumnStats(
  src: DatasetSource,
  opts: { signal?: AbortSignal; onProgress?: (p: ProgressInfo) => void } = {},
): Promise<ColumnSummary[]> {
  const names = src.columns.map((c) => c.name);
  const accs = new Map(names.map((n) => [n, new Acc()]));
  const onChunk = (chunk: ScanChunk): void => {
    for (const name of rowNames) {
      const col = chunk.column(name);
      const acc = accs.get(name)!;
      if (!col) continue;
      for (let r = 0; r < chunk.numRows; r++) {
        acc.rows++;
        const len = col.length(r);
        if (len !== null) {
          acc.add(len, 'length');
          continue;
        }
        const v: CellValue = col.cell(r);
        if (v === null || v === undefined) acc.nulls++;
        else if (typeof v === 'number') {
          if (!Number.isNaN(v)) acc.add(v, 'value');
        } else if (typeof v === 'bigint') acc.add(Number(v), 'value');
        else if (typeof v === 'boolean') {
          acc.bools++;
          if (v) acc.trues++;
        } else if (typeof v === 'string') acc.add(codePointLength(v), 'length');
        else if (v instanceof Uint8Array || Array.isArray(v)) acc.add(v.length, 'length');
      }
    }
  };
  // Token-list columns of an Arrow file measure their lengths: their offsets (and validity) are all that
  // is read for them, not their values (arrowListScan.ts). The other columns go through the row scan.
  const lists = hasListScan(src) ? src.columns.filter((c) => INT_LIST.test(c.type)).map((c) => c.name) : [];
  const rest = names.filter((n) => !lists.includes(n));
  const listsDone =
    lists.length > 0 &&
    hasListScan(src) &&
    (await src.scanLists(
      lists.map((name) => ({ name, values: false })),
      (_start, rows, cols) => {
        for (const [name, l] of cols) addLengths(accs.get(name)!, rows, l);
      },
      // Progress comes from the row scan when there is one (this pass is the short one).
      { signal: opts.signal, ...(rest.length ? {} : { onProgress: opts.onProgress }) },
    ));
  const rowNames = listsDone ? rest : names;
  if (isScannable(src) && (rowNames.length || !listsDone)) {
    await src.scan(rowNames, onChunk, opts);
  } else if (!listsDone) {
    for (let off = 0; off < src.numRows; off += 1000) {
      throwIfAborted(opts.signal);
      const page = (await src.readRows(off, 1000, opts.signal)).filter((r) => !r.error);
      const byCol = new Map(names.map((n) => [n, cellColumn(page.map((r) => r.values[n] ?? null))]));
      onChunk({ rowStart: off, numRows: page.length, column: (n) => byCol.get(n) });
      opts.onProgress?.({ done: Math.min(src.numRows, off + 1000), total: src.numRows });
    }
  }
  throwIfAborted(opts.signal);
  return src.columns.map((c) => {
    const a = accs.get(c.name)!;
    const measured = a.n > 0;
    return {
      name: c.name,
      type: c.type,
      rows: a.rows,
      nulls: a.nulls,
      measure: measured ? a.measure : 'none',
      min: measured ? a.min : null,
      mean: measured ? a.sum / a.n : null,
      max: measured ? a.max : null,
      histogram: histogram(a),
      ...(a.bools ? { trues: a.trues } : {}),
    };
  });
}
