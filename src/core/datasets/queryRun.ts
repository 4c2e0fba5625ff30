// Filter and sort over the whole dataset in one background pass. Memory stays bounded by keeping row
// numbers (4 bytes a match) and one sort key per match (a number, or the first 64 characters of a
// string), never the rows. The scan yields to the event loop between chunks and stops on the signal.
import { throwIfAborted } from './errors';
import { keysOf, type QueryExpr, type QuerySort } from './query';
import { ChunkReader, columnsFor, type QueryContext } from './queryEval';
import { cellColumn, isScannable, type ScanChunk } from './scan';
import type { CellValue, DatasetSource, ProgressInfo } from './types';

export interface QueryRunOptions {
  filter?: QueryExpr;
  sort?: QuerySort;
  signal?: AbortSignal;
  onProgress?(p: ProgressInfo & { matches: number }): void;
}

export interface QueryResult {
  /** Matching row numbers in view order. */
  rows: Uint32Array;
  /** Rows the scan read (unreadable batches are not scanned). */
  scanned: number;
}

class GrowU32 {
  a = new Uint32Array(1024);
  n = 0;
  push(x: number): void {
    if (this.n === this.a.length) {
      const b = new Uint32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = x;
  }
}

export async function runQuery(src: DatasetSource, ctx: QueryContext, opts: QueryRunOptions): Promise<QueryResult> {
  const { filter, sort, signal } = opts;
  const keys = keysOf(filter);
  if (sort) keys.push(sort.key);
  const cols = columnsFor(keys, ctx);
  const rows = new GrowU32();
  const sortKeys: (number | string | null)[] = [];
  let scanned = 0;

  const onChunk = (c: ScanChunk): void => {
    const reader = new ChunkReader(c, ctx);
    for (let r = 0; r < c.numRows; r++) {
      scanned++;
      if (filter && !reader.matches(filter, r)) continue;
      rows.push(c.rowStart + r);
      if (sort) {
        sortKeys.push(reader.sortKey(sort.key, r));
      }
    }
  };
  const progress = (p: ProgressInfo): void => opts.onProgress?.({ ...p, matches: rows.n });

  if (!cols.length && !filter) {
    // Sorting by nothing that needs a read (cannot happen from the panel): keep the file order.
    for (let i = 0; i < src.numRows; i++) rows.push(i);
  } else if (isScannable(src)) {
    await src.scan(cols, onChunk, { signal, onProgress: progress });
  } else {
    for (let off = 0; off < src.numRows; off += 1000) {
      throwIfAborted(signal);
      const page = await src.readRows(off, 1000, signal);
      const good = page.filter((r) => !r.error);
      const byCol = new Map(cols.map((n) => [n, cellColumn(good.map((r) => (r.values[n] ?? null) as CellValue))]));
      const chunkRows = good.map((r) => r.index);
      const reader = new ChunkReader({ rowStart: 0, numRows: good.length, column: (n) => byCol.get(n) }, ctx);
      chunkRows.forEach((index, i) => {
        scanned++;
        if (filter && !reader.matches(filter, i)) return;
        rows.push(index);
        if (sort) {
          sortKeys.push(reader.sortKey(sort.key, i));
        }
      });
      progress({ done: Math.min(src.numRows, off + 1000), total: src.numRows });
    }
  }
  throwIfAborted(signal);
  const out = rows.a.slice(0, rows.n);
  if (!sort) return { rows: out, scanned };
  return { rows: sortRows(out, sortKeys, sort.desc), scanned };
}

/** Largest key the packed fast path takes: key · 2^32 + row stays an exact double below 2^53. */
const PACK_MAX = 2 ** 21 - 2;

/**
 * Rows ordered by key (nulls last, ties in row order). Integer keys in [0, 2^21) go through a native
 * Float64Array sort of key·2^32 + row (a million rows in well under a second); others through a comparator.
 */
export function sortRows(rows: Uint32Array, keys: (number | string | null)[], desc: boolean): Uint32Array {
  const n = rows.length;
  const ints = keys.every(
    (k) =>
      k === null || (typeof k === 'number' && (Number.isNaN(k) || (Number.isInteger(k) && k >= 0 && k <= PACK_MAX))),
  );
  if (ints) {
    const packed = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const k = keys[i];
      const key =
        k === null || Number.isNaN(k as number) ? PACK_MAX + 1 : desc ? PACK_MAX - (k as number) : (k as number);
      packed[i] = key * 2 ** 32 + rows[i]!;
    }
    packed.sort();
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = packed[i]! % 2 ** 32;
    return out;
  }
  const perm = Array.from({ length: n }, (_, i) => i);
  const isNull = (k: number | string | null) => k === null || (typeof k === 'number' && Number.isNaN(k));
  perm.sort((a, b) => {
    const ka = keys[a]!;
    const kb = keys[b]!;
    const na = isNull(ka);
    const nb = isNull(kb);
    if (na || nb) return na === nb ? rows[a]! - rows[b]! : na ? 1 : -1;
    let c = 0;
    // Numbers before strings (a column that mixes both), then by value.
    if (typeof ka === 'number' && typeof kb === 'number') c = ka - kb;
    else if (typeof ka !== typeof kb) c = typeof ka === 'number' ? -1 : 1;
    else c = ka < kb ? -1 : ka > kb ? 1 : 0;
    if (desc) c = -c;
    return c || rows[a]! - rows[b]!;
  });
  return Uint32Array.from(perm, (i) => rows[i]!);
}
