// DatasetSource over an Arrow IPC stream or file: an index of message offsets, then only the
// record batches a page needs are read and decoded (schema + dictionaries + batch N + EOS).
import { RecordBatchReader, Type, type RecordBatch, type Schema, type Vector } from 'apache-arrow';
import { buildIpcIndex, batchForRow, readBatchStream, type IpcIndex } from './arrowIndex';
import { arrowTypeName, cellAt } from './arrowValues';
import './ipcCodecs';
import { forEachLengths } from './arrowLengths';
import {
  forEachListBatch,
  intListOf,
  type IntListBuffers,
  type ListBatchHandler,
  type ListColumnRequest,
} from './arrowListScan';
import { validateBatch } from './arrowValidate';
import type { ByteSource } from './byteSource';
import type { IndexCache } from './indexCache';
import { DatasetOpenError, errorMessage, throwIfAborted } from './errors';
import { Lru } from './lru';
import { INDICES_NOTE, featuresFromHfMetadata, makeColumns } from './roles';
import { utf8CodePoints, type ScanChunk, type ScanColumn, type ScanOptions, type ScannableSource } from './scan';
import type { CellValue, ColumnInfo, DatasetFormat, ReadError, Row } from './types';

/** Decodes a self-contained IPC stream holding one schema and at most one batch. */
function decodeStream(buf: Uint8Array, validate = true): { schema: Schema; batch?: RecordBatch } {
  const reader = RecordBatchReader.from(buf);
  reader.open();
  const schema = reader.schema;
  if (!schema) throw new Error('no schema');
  const next = reader.next();
  const batch = next.done ? undefined : (next.value as RecordBatch);
  if (batch && validate) validateBatch(batch);
  return { schema, batch };
}

export class ArrowSource implements ScannableSource {
  readonly format: DatasetFormat;
  readonly numRows: number;
  readonly columns: ColumnInfo[];
  readonly notes: string[] = [];
  readonly errors: ReadError[];
  readonly features?: unknown;
  // Decoded batches are views over their read buffer. Rows copy their values out, so an evicted batch's
  // buffer is free to take the next batch: page reads then allocate nothing new and RSS stays flat.
  private readonly bufferPool: Uint8Array[] = [];
  private readonly batchBuffers = new WeakMap<RecordBatch, Uint8Array>();
  private readonly batchCache = new Lru<number, RecordBatch>(2, (_k, b) => {
    const buf = this.batchBuffers.get(b);
    if (buf && this.bufferPool.length < 2) this.bufferPool.push(buf);
  });
  // Rows hold JS arrays (8 bytes per token id): a few pages' worth, not thousands of rows.
  private readonly rowCache = new Lru<number, Row>(512);
  private readonly badBatches = new Map<number, ReadError>();

  private constructor(
    private readonly src: ByteSource,
    private readonly index: IpcIndex,
    readonly schema: Schema,
  ) {
    this.format = index.fileFormat ? 'arrow-file' : 'arrow-stream';
    this.numRows = index.rowStarts[index.rowStarts.length - 1];
    this.errors = [...index.errors];
    this.features = featuresFromHfMetadata(schema.metadata.get('huggingface'));
    this.columns = makeColumns(
      // pyarrow reads a field whose name is missing from the flatbuffer as ''.
      schema.fields.map((f) => ({ name: f.name ?? '', type: arrowTypeName(f.type) })),
      this.features,
    );
    if (this.columns.length === 1 && this.columns[0].role === 'indices') this.notes.push(INDICES_NOTE);
    if (index.errors.length) {
      this.notes.push(
        `Unreadable from row ${this.numRows} (damaged after row ${this.numRows}): ${index.errors[0].message}. Rows before it are shown.`,
      );
    }
  }

  get path(): string {
    return this.src.name;
  }

  static async open(src: ByteSource, signal?: AbortSignal, cache?: IndexCache): Promise<ArrowSource> {
    let index = cache?.load<IpcIndex>();
    // The first page's batch is read and decoded while the walk goes on (the walk of a big file takes
    // as long as the page itself), so the first page does not wait for the two one after the other.
    let head: Promise<{ batch: RecordBatch; buf: Uint8Array } | undefined> | undefined;
    if (!index?.schema || !Array.isArray(index.rowStarts)) {
      index = await buildIpcIndex(src, signal, (partial, first) => {
        const tiny: IpcIndex = { ...partial, batches: [first], rowStarts: [0, first.rows], errors: [] };
        head = readBatchStream(src, tiny, [first]).then(
          (buf) => {
            const { batch } = decodeStream(buf);
            return batch && batch.numRows === first.rows ? { batch, buf } : undefined;
          },
          () => undefined,
        );
        head.catch(() => undefined);
      });
      cache?.save(index);
    }
    let schema: Schema;
    try {
      schema = decodeStream(await readBatchStream(src, index, []), false).schema;
    } catch (err) {
      throw new DatasetOpenError(src.name, `corrupt Arrow schema: ${errorMessage(err)}`, {
        byteOffset: index.schema.offset,
      });
    }
    const source = new ArrowSource(src, index, schema);
    const first = await (head ?? Promise.resolve(undefined)).catch(() => undefined);
    if (first && index.batches.length) source.adoptBatch(0, first.batch, first.buf);
    return source;
  }

  /** Puts an already decoded batch in the cache (the head start of open()). */
  private adoptBatch(bi: number, batch: RecordBatch, buf: Uint8Array): void {
    this.batchBuffers.set(batch, buf);
    this.batchCache.set(bi, batch);
  }

  /** Byte offset of the record batch holding `row` (for error messages). */
  /** Records record batch `bi` as unreadable (one error per batch, with its byte offset) and returns the error. */
  private markBad(bi: number, byteOffset: number, err: unknown): ReadError {
    const e: ReadError = {
      file: this.src.name,
      byteOffset,
      message: `corrupt record batch ${bi}: ${errorMessage(err)}`,
    };
    this.badBatches.set(bi, e);
    this.errors.push(e);
    return e;
  }

  batchOffsetOfRow(row: number): number {
    return this.index.batches[batchForRow(this.index, row)]?.offset ?? 0;
  }

  private async batch(bi: number): Promise<RecordBatch> {
    const cached = this.batchCache.get(bi);
    if (cached) return cached;
    const bad = this.badBatches.get(bi);
    if (bad) throw new Error(bad.message);
    const msg = this.index.batches[bi];
    try {
      const scratch = { buf: this.bufferPool.pop() ?? new Uint8Array(0) };
      const { batch } = decodeStream(await readBatchStream(this.src, this.index, [msg], scratch, this.schema.fields));
      if (batch) this.batchBuffers.set(batch, scratch.buf);
      if (!batch) throw new Error('record batch did not decode');
      if (batch.numRows !== msg.rows)
        throw new Error(`record batch has ${batch.numRows} rows, header says ${msg.rows}`);
      this.batchCache.set(bi, batch);
      return batch;
    } catch (err) {
      throw new Error(this.markBad(bi, msg.offset, err).message);
    }
  }

  async readRows(offset: number, limit: number, signal?: AbortSignal): Promise<Row[]> {
    const end = Math.min(this.numRows, Math.max(0, offset + limit));
    const rows: Row[] = [];
    let r = Math.max(0, offset);
    while (r < end) {
      throwIfAborted(signal);
      const cachedRow = this.rowCache.get(r);
      if (cachedRow) {
        rows.push(cachedRow);
        r++;
        continue;
      }
      const bi = batchForRow(this.index, r);
      const batchStart = this.index.rowStarts[bi];
      const batchEnd = Math.min(end, this.index.rowStarts[bi + 1]);
      let batch: RecordBatch;
      try {
        batch = await this.batch(bi);
      } catch {
        const error = this.badBatches.get(bi)!;
        for (; r < batchEnd; r++) rows.push({ index: r, values: {}, error });
        continue;
      }
      const vectors = this.columns.map((c, k) => [c.name, batch.getChildAt(k)] as const);
      for (; r < batchEnd; r++) {
        const values: Record<string, CellValue> = {};
        for (const [name, vec] of vectors) values[name] = vec ? cellAt(vec, r - batchStart) : null;
        const row: Row = { index: r, values };
        this.rowCache.set(r, row);
        rows.push(row);
      }
    }
    return rows;
  }

  async scan(columns: string[], onChunk: (chunk: ScanChunk) => void, opts: ScanOptions = {}): Promise<void> {
    const wanted = new Set(columns);
    const total = this.numRows;
    const scratch = { buf: new Uint8Array(0) };
    // One int64→int32 scratch per column: two int64 columns in a batch must not share it.
    const words = new Map<string, { buf: Int32Array }>();
    for (let bi = 0; bi < this.index.batches.length; bi++) {
      throwIfAborted(opts.signal);
      const msg = this.index.batches[bi];
      let batch: RecordBatch | undefined;
      try {
        // No cache on purpose: a scan touches every batch once and must not evict the page the user is looking at.
        batch =
          this.batchCache.get(bi) ??
          decodeStream(await readBatchStream(this.src, this.index, [msg], scratch, this.schema.fields)).batch;
        if (!batch) throw new Error('record batch did not decode');
      } catch (err) {
        if (!this.badBatches.has(bi)) this.markBad(bi, msg.offset, err);
        continue;
      }
      const cols = new Map<string, ScanColumn>();
      this.columns.forEach((c, k) => {
        if (wanted.has(c.name)) {
          const v = batch!.getChildAt(k);
          if (!words.has(c.name)) words.set(c.name, { buf: new Int32Array(0) });
          if (v) cols.set(c.name, scanColumnOf(v, words.get(c.name)));
        }
      });
      onChunk({ rowStart: this.index.rowStarts[bi], numRows: batch.numRows, column: (name) => cols.get(name) });
      opts.onProgress?.({ done: this.index.rowStarts[bi + 1], total });
      // Let cancellation and other work in the host run between batches.
      if ((bi & 7) === 7) await new Promise<void>((res) => setImmediate(res));
    }
  }

  /**
   * List<int> columns batch by batch as raw buffers, reading only those buffers (arrowListScan.ts); a batch
   * it cannot read that way is decoded as scan() decodes it. False when a column is not a list of ints.
   */
  scanLists(req: ListColumnRequest[], onBatch: ListBatchHandler, opts: ScanOptions = {}): Promise<boolean> {
    const decode = async (bi: number) => {
      const msg = this.index.batches[bi];
      try {
        const batch =
          this.batchCache.get(bi) ??
          decodeStream(await readBatchStream(this.src, this.index, [msg], undefined, this.schema.fields)).batch;
        if (!batch) throw new Error('record batch did not decode');
        const cols = new Map<string, IntListBuffers>();
        for (const r of req) {
          const v = batch.getChildAt(this.columns.findIndex((c) => c.name === r.name));
          const l = v && intListOf(v.data[0]);
          if (l) cols.set(r.name, l);
        }
        return cols;
      } catch (err) {
        if (!this.badBatches.has(bi)) this.markBad(bi, msg.offset, err);
        return undefined;
      }
    };
    return forEachListBatch(this.src, this.index, this.schema, req, onBatch, decode, opts);
  }

  /**
   * Row lengths of list column `column`, batch by batch, from its offsets buffers alone (arrowLengths.ts).
   * False when the file does not allow it (compressed, other layouts): then use scan().
   */
  lengths(
    column: string,
    onLengths: (rowStart: number, lengths: Int32Array) => void,
    signal?: AbortSignal,
  ): Promise<boolean> {
    return forEachLengths(this.src, this.index, this.schema, column, onLengths, signal);
  }

  async close(): Promise<void> {
    this.batchCache.clear();
    this.rowCache.clear();
    await this.src.close();
  }
}

/** Low 32 bits of each int64 (token ids and −100 fit; the high word is only sign extension). */
function lowWords(values: BigInt64Array | BigUint64Array, scratch?: { buf: Int32Array }): Int32Array {
  const words = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
  if (scratch && scratch.buf.length < values.length) scratch.buf = new Int32Array(Math.ceil(values.length * 1.25));
  const out = scratch ? scratch.buf.subarray(0, values.length) : new Int32Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = words[2 * i];
  return out;
}

/** Typed-array views over one column of one batch: no per-row allocation beyond subarray(). */
export function scanColumnOf(v: Vector, scratch?: { buf: Int32Array }): ScanColumn {
  const data = v.data[0];
  const t = v.type;
  const valid = (r: number) => v.isValid(r);
  if (
    (t.typeId === Type.List || t.typeId === Type.LargeList) &&
    data.children[0] &&
    data.children[0].type.typeId === Type.Int
  ) {
    const offs = data.valueOffsets as Int32Array | BigInt64Array;
    const child = data.children[0];
    let vals = child.values as ArrayLike<number> | BigInt64Array | BigUint64Array;
    if (vals instanceof BigInt64Array || vals instanceof BigUint64Array) vals = lowWords(vals, scratch);
    const numVals = vals as Int32Array;
    const base = data.offset;
    const cbase = child.offset;
    const at = offs instanceof BigInt64Array ? (i: number) => Number(offs[i]) : (i: number) => (offs as Int32Array)[i];
    return {
      list: (r) => (valid(r) ? numVals.subarray(cbase + at(base + r), cbase + at(base + r + 1)) : null),
      length: (r) => (valid(r) ? at(base + r + 1) - at(base + r) : null),
      text: () => null,
      cell: (r) => cellAt(v, r),
    };
  }
  if (t.typeId === Type.Utf8 || t.typeId === Type.LargeUtf8) {
    const offs = data.valueOffsets as Int32Array | BigInt64Array;
    const bytes = data.values as Uint8Array;
    const base = data.offset;
    const at = offs instanceof BigInt64Array ? (i: number) => Number(offs[i]) : (i: number) => (offs as Int32Array)[i];
    return {
      list: () => null,
      length: (r) => (valid(r) ? utf8CodePoints(bytes, at(base + r), at(base + r + 1)) : null),
      text: (r) => (valid(r) ? (v.get(r) as string) : null),
      cell: (r) => cellAt(v, r),
    };
  }
  if (t.typeId === Type.List || t.typeId === Type.LargeList || t.typeId === Type.FixedSizeList) {
    return {
      list: () => null,
      length: (r) => (valid(r) ? (v.get(r) as Vector).length : null),
      text: () => null,
      cell: (r) => cellAt(v, r),
    };
  }
  return { list: () => null, length: () => null, text: () => null, cell: (r) => cellAt(v, r) };
}
