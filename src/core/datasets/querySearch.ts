// Full-dataset search with a snippet per hit: the text around the first match in the cell (or the token
// ids around a matched id run), and where the match sits in it, so the panel can highlight it as text.
// Matching: a case-insensitive substring over text columns, an id subsequence over id lists.
import { throwIfAborted } from './errors';
import { cellColumn, isScannable, type ScanChunk } from './scan';
import type { CellValue, DatasetSource, ProgressInfo, SearchQuery } from './types';

export interface SearchSnippet {
  /** Text around the match (newlines kept; the panel shows them as ↵). */
  text: string;
  /** The match is text.slice(start, start + length). */
  start: number;
  length: number;
  /** Text was cut before / after the snippet. */
  before: boolean;
  after: boolean;
}

export interface SnippetSearchOptions {
  onMatch(row: number, column: string, snippet: SearchSnippet | undefined): void;
  onProgress?: (p: ProgressInfo) => void;
  signal?: AbortSignal;
  /** Snippets for the first this many hits only (later hits are counted, not listed). */
  maxSnippets?: number;
}

const INT_LIST = /^(large_)?list<u?int(8|16|32|64)>$/;
const CONTEXT_BEFORE = 40;
const CONTEXT_AFTER = 80;
const IDS_AROUND = 6;

/** Index of a contiguous run `needle` in `hay`, or −1. */
export function indexOfSeq(hay: ArrayLike<number>, needle: number[]): number {
  const n = needle.length;
  if (!n) return -1;
  outer: for (let i = 0; i + n <= hay.length; i++) {
    if (hay[i] !== needle[0]) continue;
    for (let k = 1; k < n; k++) if (hay[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

/** The snippet of `needle` (lower-case) in `text`, or null when it is not there. */
export function textSnippet(text: string, needle: string): SearchSnippet | null {
  const lower = text.toLowerCase();
  const i = lower.indexOf(needle);
  if (i < 0) return null;
  // Lower-casing may change a string's length (rare letters): then the offsets are approximate, clamped.
  const at = Math.min(i, text.length);
  const from = Math.max(0, at - CONTEXT_BEFORE);
  const to = Math.min(text.length, at + needle.length + CONTEXT_AFTER);
  return {
    text: text.slice(from, to),
    start: at - from,
    length: Math.min(needle.length, to - at),
    before: from > 0,
    after: to < text.length,
  };
}

/** First string leaf of a nested value containing `needle`, as a snippet. */
function nestedSnippet(v: CellValue, needle: string): SearchSnippet | null {
  if (typeof v === 'string') return textSnippet(v, needle);
  if (Array.isArray(v)) {
    for (const x of v) {
      const s = nestedSnippet(x, needle);
      if (s) return s;
    }
    return null;
  }
  if (v && typeof v === 'object' && !(v instanceof Uint8Array)) {
    for (const x of Object.values(v)) {
      const s = nestedSnippet(x, needle);
      if (s) return s;
    }
  }
  return null;
}

function idsSnippet(list: ArrayLike<number>, at: number, n: number): SearchSnippet {
  const from = Math.max(0, at - IDS_AROUND);
  const to = Math.min(list.length, at + n + IDS_AROUND);
  const head = Array.from({ length: at - from }, (_, k) => String(list[from + k])).join(' ');
  const hit = Array.from({ length: n }, (_, k) => String(list[at + k])).join(' ');
  const tail = Array.from({ length: to - at - n }, (_, k) => String(list[at + n + k])).join(' ');
  const text = [head, hit, tail].filter(Boolean).join(' ');
  const start = head ? head.length + 1 : 0;
  return { text, start, length: hit.length, before: from > 0, after: to < list.length };
}

export async function searchWithSnippets(
  src: DatasetSource,
  query: SearchQuery,
  opts: SnippetSearchOptions,
): Promise<void> {
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
  const plain = new Set(candidates.filter((c) => /^(large_)?string$/.test(c.type)).map((c) => c.name));
  const maxSnippets = opts.maxSnippets ?? Infinity;
  let hits = 0;
  const onChunk = (chunk: ScanChunk): void => {
    for (let r = 0; r < chunk.numRows; r++) {
      for (const name of names) {
        const col = chunk.column(name);
        if (!col) continue;
        const want = hits < maxSnippets;
        let snippet: SearchSnippet | null = null;
        let hit = false;
        if (ids) {
          const list = col.list(r);
          const at = list ? indexOfSeq(list, ids) : -1;
          hit = at >= 0;
          if (hit && want) snippet = idsSnippet(list!, at, ids.length);
        } else if (plain.has(name)) {
          const t = col.text(r);
          if (t !== null) {
            if (want) hit = (snippet = textSnippet(t, needle!)) !== null;
            else hit = t.toLowerCase().includes(needle!);
          }
        } else {
          snippet = nestedSnippet(col.cell(r), needle!);
          hit = snippet !== null;
        }
        if (!hit) continue;
        hits++;
        opts.onMatch(chunk.rowStart + r, name, want && snippet ? snippet : undefined);
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
