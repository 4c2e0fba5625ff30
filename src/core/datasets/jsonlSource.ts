// DatasetSource over JSON Lines (and JSON lists, through the same record splitter): a streaming
// index pass with sparse checkpoints, then only the records a page needs are read and parsed.
import type { ByteSource } from './byteSource';
import type { IndexCache } from './indexCache';
import { DatasetOpenError, throwIfAborted } from './errors';
import { jsonType, mergeTypes, parseRecord } from './jsonValues';
import { Lru } from './lru';
import { makeColumns } from './roles';
import { cellColumn, type ScanChunk, type ScanColumn, type ScanOptions, type ScannableSource } from './scan';
import { CHECKPOINT, buildTextIndex, walkRecords, type RecordSpan, type TextIndex, type TextKind } from './textRecords';
import type { CellValue, ColumnInfo, DatasetFormat, ReadError, Row } from './types';

const SAMPLE = 100;
const MAX_ERRORS = 1000;
export const DEFAULT_MAX_LINE_BYTES = 32 * 1024 * 1024;

export interface TextOpenOptions {
  signal?: AbortSignal;
  maxLineBytes?: number;
  cache?: IndexCache;
}

export class TextSource implements ScannableSource {
  readonly numRows: number;
  columns: ColumnInfo[] = [];
  readonly notes: string[] = [];
  readonly errors: ReadError[] = [];
  readonly features = undefined;
  private readonly rowCache = new Lru<number, Row>(2048);
  private readonly reported = new Set<number>();
  private errorCount = 0;

  constructor(
    private readonly src: ByteSource,
    readonly format: DatasetFormat,
    private readonly kind: TextKind,
    private readonly index: TextIndex,
    private readonly maxLineBytes: number,
  ) {
    this.numRows = index.numRows;
    if (index.framingError) this.errors.push({ file: src.name, ...index.framingError });
  }

  get path(): string {
    return this.src.name;
  }

  private report(e: ReadError): void {
    const key = e.line ?? -1;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.errorCount++;
    if (this.errors.length < MAX_ERRORS) this.errors.push(e);
    else if (this.errors.length === MAX_ERRORS)
      this.errors.push({ file: this.src.name, message: 'more errors not listed' });
  }

  /** Reads and parses one record; problems become the row's error (and are reported once). */
  private async record(row: number, s: RecordSpan): Promise<Row> {
    const len = s.end - s.start;
    if (len > this.maxLineBytes) {
      const error: ReadError = {
        file: this.src.name,
        line: s.line,
        byteOffset: s.start,
        message: `record is ${(len / 1048576).toFixed(1)} MiB, over the ${(this.maxLineBytes / 1048576).toFixed(0)} MiB limit for one row; not shown`,
      };
      this.report(error);
      return { index: row, values: {}, error };
    }
    const bytes = await this.src.read(s.start, len);
    const p = parseRecord(bytes, s.start);
    if (!p.ok) {
      const error: ReadError = {
        file: this.src.name,
        line: s.line,
        byteOffset: p.byteOffset ?? s.start,
        message: p.message,
      };
      this.report(error);
      return { index: row, values: {}, error };
    }
    const values: Record<string, CellValue> = {};
    for (const c of this.columns) values[c.name] = p.value[c.name] ?? null;
    for (const [k, v] of Object.entries(p.value)) if (!(k in values)) values[k] = v;
    return { index: row, values };
  }

  private spans(
    from: number,
    count: number,
    signal?: AbortSignal,
    onSpan?: (row: number, s: RecordSpan) => void,
  ): Promise<unknown> {
    const cp = this.index.checkpoints[Math.floor(from / CHECKPOINT)];
    if (!cp) return Promise.resolve();
    let row = cp.row;
    const end = from + count;
    return walkRecords(
      this.src,
      this.kind,
      cp,
      (s) => {
        if (row >= from) onSpan?.(row, s);
        row++;
        return row < end;
      },
      signal,
    );
  }

  async readRows(offset: number, limit: number, signal?: AbortSignal): Promise<Row[]> {
    const start = Math.max(0, offset);
    const end = Math.min(this.numRows, offset + limit);
    if (end <= start) return [];
    const out: Row[] = [];
    let first = start;
    while (first < end && this.rowCache.get(first)) out.push(this.rowCache.get(first++)!);
    if (first === end) return out;
    const spans: [number, RecordSpan][] = [];
    await this.spans(first, end - first, signal, (row, s) => spans.push([row, s]));
    for (const [row, s] of spans) {
      throwIfAborted(signal);
      const cached = this.rowCache.get(row);
      const r = cached ?? (await this.record(row, s));
      if (!cached) this.rowCache.set(row, r);
      out.push(r);
    }
    return out;
  }

  async scan(columns: string[], onChunk: (chunk: ScanChunk) => void, opts: ScanOptions = {}): Promise<void> {
    let chunkStart = 0;
    let cells: Record<string, CellValue[]> = Object.fromEntries(columns.map((c) => [c, []]));
    let n = 0;
    const flush = () => {
      if (!n) return;
      const cols = new Map<string, ScanColumn>(columns.map((c) => [c, cellColumn(cells[c])]));
      onChunk({ rowStart: chunkStart, numRows: n, column: (name) => cols.get(name) });
      opts.onProgress?.({ done: chunkStart + n, total: this.numRows });
      chunkStart += n;
      n = 0;
      cells = Object.fromEntries(columns.map((c) => [c, []]));
    };
    const pending: [number, RecordSpan][] = [];
    const drain = async () => {
      for (const [row, s] of pending) {
        const r = await this.record(row, s);
        for (const c of columns) cells[c].push(r.error ? null : (r.values[c] ?? null));
        n++;
      }
      pending.length = 0;
      flush();
    };
    // Walk the whole file in checkpoint-sized pieces so memory stays bounded.
    for (let from = 0; from < this.numRows; from += CHECKPOINT) {
      throwIfAborted(opts.signal);
      await this.spans(from, CHECKPOINT, opts.signal, (row, s) => pending.push([row, s]));
      await drain();
      await new Promise<void>((res) => setImmediate(res));
    }
  }

  async inferColumns(signal?: AbortSignal): Promise<number> {
    const sample = await this.readRowsRaw(Math.min(SAMPLE, this.numRows), signal);
    const types = new Map<string, string>();
    let good = 0;
    for (const r of sample) {
      if (r.error) continue;
      good++;
      for (const [k, v] of Object.entries(r.values)) types.set(k, mergeTypes(types.get(k) ?? 'null', jsonType(v)));
    }
    this.columns = makeColumns([...types].map(([name, type]) => ({ name, type })));
    const names = new Set(types.keys());
    if (names.has('instruction') && names.has('output'))
      this.notes.push('Alpaca-format records (instruction / input / output).');
    if (names.has('conversations') || names.has('messages'))
      this.notes.push('ShareGPT / messages-format records (a list of turns per row).');
    this.rowCache.clear();
    return good;
  }

  private async readRowsRaw(count: number, signal?: AbortSignal): Promise<Row[]> {
    const out: Row[] = [];
    const spans: [number, RecordSpan][] = [];
    await this.spans(0, count, signal, (row, s) => spans.push([row, s]));
    for (const [row, s] of spans) out.push(await this.record(row, s));
    return out;
  }

  async close(): Promise<void> {
    this.rowCache.clear();
    await this.src.close();
  }
}

export async function openTextSource(
  src: ByteSource,
  kind: TextKind,
  format: DatasetFormat,
  opts: TextOpenOptions,
): Promise<TextSource> {
  if (src.size === 0) throw new DatasetOpenError(src.name, 'empty file');
  const head = await src.read(0, 4);
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    throw new DatasetOpenError(src.name, 'the file is UTF-16 encoded; JSON Lines must be UTF-8', { byteOffset: 0 });
  }
  let index = opts.cache?.load<TextIndex>();
  if (!index || !Array.isArray(index.checkpoints) || typeof index.numRows !== 'number') {
    index = await buildTextIndex(src, kind, opts.signal);
    opts.cache?.save(index);
  }
  const s = new TextSource(src, format, kind, index, opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  if (index.numRows === 0) {
    const fe = index.framingError;
    throw new DatasetOpenError(src.name, fe ? fe.message : 'no records found', fe ? { line: fe.line } : {});
  }
  const good = await s.inferColumns(opts.signal);
  if (good === 0) {
    const e = s.errors.find((x) => x.line !== undefined) ?? s.errors[0];
    throw new DatasetOpenError(src.name, `no record could be read; first problem: ${e?.message ?? 'unknown'}`, {
      line: e?.line,
    });
  }
  return s;
}

export async function openJsonlSource(src: ByteSource, opts: TextOpenOptions): Promise<TextSource> {
  return openTextSource(src, 'jsonl', 'jsonl', opts);
}
