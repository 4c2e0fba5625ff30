// The fast full-pass interface behind stats and search: columns handed out per chunk of rows
// as typed-array views (no per-row objects), so a scan runs close to disk speed.
import type { ListBatchHandler, ListColumnRequest } from './arrowListScan';
import type { CellValue, DatasetSource, ProgressInfo } from './types';

export interface ScanColumn {
  /** Integer list of row r (token ids, labels, mask) as a view; null for a null cell or a non-list column. */
  list(r: number): ArrayLike<number> | null;
  /** Length of row r's text in code points, or of its list; null for a null cell. */
  length(r: number): number | null;
  /** Row r's value as a string (text columns only, for search); null otherwise. */
  text(r: number): string | null;
  /** Row r's full value (slow path: nested text search). */
  cell(r: number): CellValue;
}

export interface ScanChunk {
  /** Index of the chunk's first row in the whole dataset. */
  rowStart: number;
  numRows: number;
  column(name: string): ScanColumn | undefined;
}

export interface ScanOptions {
  signal?: AbortSignal;
  onProgress?: (p: ProgressInfo) => void;
}

export interface ScannableSource extends DatasetSource {
  /** Calls onChunk for consecutive chunks covering every readable row, only decoding `columns`. */
  scan(columns: string[], onChunk: (chunk: ScanChunk) => void, opts?: ScanOptions): Promise<void>;
}

export function isScannable(src: DatasetSource): src is ScannableSource {
  return typeof (src as Partial<ScannableSource>).scan === 'function';
}

/** Sources that hand out list<int> columns as raw buffers (ArrowSource.scanLists). */
export interface ListScannable {
  /** False, having called nothing, when a column is not a top-level list of ints. */
  scanLists(req: ListColumnRequest[], onBatch: ListBatchHandler, opts?: ScanOptions): Promise<boolean>;
}

export function hasListScan(src: DatasetSource): src is DatasetSource & ListScannable {
  return typeof (src as Partial<ListScannable>).scanLists === 'function';
}

/** Count code points in UTF-8 bytes [start, end): every byte that is not a continuation byte. */
export function utf8CodePoints(bytes: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) if ((bytes[i] & 0xc0) !== 0x80) n++;
  return n;
}

export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++; // skip low surrogates
  }
  return n;
}

/** Numbers out of any cell that is a list of integers (JSONL/parquet rows); null otherwise. */
export function cellToIntList(v: unknown): number[] | null {
  if (!Array.isArray(v)) return null;
  const out = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x === 'number') out[i] = x;
    else if (typeof x === 'bigint') out[i] = Number(x);
    else return null;
  }
  return out;
}

/** A ScanColumn over rows already converted to cells (JSONL, JSON, parquet). */
export function cellColumn(cells: unknown[]): ScanColumn {
  return {
    list: (r) => cellToIntList(cells[r]),
    length: (r) => {
      const v = cells[r];
      if (typeof v === 'string') return codePointLength(v);
      if (Array.isArray(v)) return v.length;
      return null;
    },
    text: (r) => (typeof cells[r] === 'string' ? (cells[r] as string) : null),
    cell: (r) => (cells[r] ?? null) as CellValue,
  };
}

const TURN_TEXT = ['content', 'value', 'text'];

/** Code points of a cell's text: a string, or the turns' text of a conversation (not the role names). */
export function textChars(v: CellValue | undefined): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return codePointLength(v);
  let n = 0;
  if (Array.isArray(v)) for (const x of v) n += textChars(x) ?? 0;
  else if (typeof v === 'object' && !(v instanceof Uint8Array)) {
    const key = TURN_TEXT.find((k) => k in v);
    if (key) n += textChars(v[key]) ?? 0;
    else for (const x of Object.values(v)) n += textChars(x) ?? 0;
  }
  return n;
}
