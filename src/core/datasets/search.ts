// Full-dataset search: a substring over text (case-insensitive) or a token-id subsequence over id lists.
import { throwIfAborted } from './errors';
import { cellColumn, isScannable, type ScanChunk } from './scan';
import type { CellValue, DatasetSource, ProgressInfo, SearchQuery } from './types';

export interface SearchOptions {
  onMatch(rowIndex: number, column: string): void;
  onProgress?: (p: ProgressInfo) => void;
  signal?: AbortSignal;
}

const INT_LIST = /^(large_)?list<u?int(8|16|32|64)>$/;

/** Does `hay` contain `needle` as a contiguous run? */
export function containsSeq(hay: ArrayLike<number>, needle: number[]): boolean {
  const n = needle.length;
  if (!n) return false;
  outer: for (let i = 0; i + n <= hay.length; i++) {
    if (hay[i] !== needle[0]) continue;
    for (let k = 1; k < n; k++) if (hay[i + k] !== needle[k]) continue outer;
    return true;
  }
  return false;
}

/** Any string leaf of a nested value containing `needle` (already lower-case). */
function cellHasText(v: CellValue, needle: string): boolean {
  if (typeof v === 'string') return v.toLowerCase().includes(needle);
  if (Array.isArray(v)) return v.some((x) => cellHasText(x, needle));
  if (v && typeof v === 'object' && !(v instanceof Uint8Array))
    return Object.values(v).some((x) => cellHasText(x, needle));
  return false;
}

export async function searchRows(src: DatasetSource, query: SearchQuery, opts: SearchOptions): Promise<void> {
  const needle = query.text?.toLowerCase();
  const ids = query.tokenIds?.length ? query.tokenIds : undefined;
  if (!needle && !ids) return;
  const candidates = src.columns.filter((c) => {
    if (query.column && c.name !== query.column) return false;
    if (ids) return INT_LIST.test(c.type);
    return c.role === 'text' || c.role === 'messages' || /string/.test(c.type);
  });
  if (!candidates.length) return;
  const names = candidates.map((c) => c.name);
  const plainText = new Set(candidates.filter((c) => /^(large_)?string$/.test(c.type)).map((c) => c.name));
  const onChunk = (chunk: ScanChunk) => {
    for (let r = 0; r < chunk.numRows; r++) {
      for (const name of names) {
        const col = chunk.column(name);
        if (!col) continue;
        let hit = false;
        if (ids) {
          const list = col.list(r);
          hit = list !== null && containsSeq(list, ids);
        } else if (plainText.has(name)) {
          const t = col.text(r);
          hit = t !== null && t.toLowerCase().includes(needle!);
        } else {
          hit = cellHasText(col.cell(r), needle!);
        }
        if (hit) opts.onMatch(chunk.rowStart + r, name);
      }
    }
  };
  if (isScannable(src)) {
    await src.scan(names, onChunk, { signal: opts.signal, onProgress: opts.onProgress });
    return;
  }
  for (let off = 0; off < src.numRows; off += 1000) {
    throwIfAborted(opts.signal);
    const page = await src.readRows(off, 1000, opts.signal);
    const byCol = new Map(names.map((n) => [n, cellColumn(page.map((r) => (r.error ? null : (r.values[n] ?? null))))]));
    onChunk({ rowStart: off, numRows: page.length, column: (n) => byCol.get(n) });
    opts.onProgress?.({ done: Math.min(src.numRows, off + 1000), total: src.numRows });
  }
}
