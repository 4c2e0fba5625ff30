// Row lengths of a list column straight from its offsets buffer: a length histogram of a tokenized
// Arrow file needs (rows + 1) × 4 bytes per batch, not the token ids. So only those bytes are read —
// far less than the file — and the histogram costs less than `cat` reading the file once.
import { ByteBuffer } from 'flatbuffers';
import { DataType, Type, type Field, type Schema } from 'apache-arrow';
import { Message as FbMessage } from 'apache-arrow/fb/message';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import type { IpcIndex } from './arrowIndex';
import type { ByteSource } from './byteSource';
import { throwIfAborted } from './errors';

/** Buffers one field (and its children) takes in a record batch body, in IPC order. */
export function bufferCount(t: DataType): number | undefined {
  switch (t.typeId) {
    case Type.Null:
      return 0;
    case Type.Int:
    case Type.Float:
    case Type.Bool:
    case Type.Decimal:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
    case Type.Interval:
    case Type.Duration:
    case Type.FixedSizeBinary:
    case Type.Dictionary:
      return 2;
    case Type.Utf8:
    case Type.Binary:
    case Type.LargeUtf8:
    case Type.LargeBinary:
      return 3;
    case Type.List:
    case Type.LargeList:
    case Type.Map: {
      const c = bufferCount((t.children as Field[])[0].type);
      return c === undefined ? undefined : 2 + c;
    }
    case Type.FixedSizeList:
    case Type.Struct: {
      let n = 1;
      for (const f of t.children as Field[]) {
        const c = bufferCount(f.type);
        if (c === undefined) return undefined;
        n += c;
      }
      return n;
    }
    default:
      return undefined; // unions, views: not handled here (the caller scans instead)
  }
}

/** Field nodes one field (and its children) takes in a record batch, in IPC order. */
export function nodeCount(t: DataType): number | undefined {
  switch (t.typeId) {
    case Type.List:
    case Type.LargeList:
    case Type.Map:
    case Type.FixedSizeList:
    case Type.Struct: {
      let n = 1;
      for (const f of t.children as Field[]) {
        const c = nodeCount(f.type);
        if (c === undefined) return undefined;
        n += c;
      }
      return n;
    }
    default:
      return bufferCount(t) === undefined ? undefined : 1;
  }
}

export interface OffsetsPlan {
  /** Index of the column's offsets buffer among the batch's buffers. */
  buffer: number;
  /** 4 for list, 8 for large_list. */
  width: 4 | 8;
}

/** Where a top-level list column's offsets live in each batch, or undefined when it cannot be read alone. */
export function offsetsPlan(schema: Schema, column: string): OffsetsPlan | undefined {
  let at = 0;
  for (const f of schema.fields) {
    if (f.name === column) {
      if (f.type.typeId !== Type.List && f.type.typeId !== Type.LargeList) return undefined;
      return { buffer: at + 1, width: f.type.typeId === Type.LargeList ? 8 : 4 };
    }
    const n = bufferCount(f.type);
    if (n === undefined) return undefined;
    at += n;
  }
  return undefined;
}

/**
 * Calls onLengths(rowStart, lengths) for every record batch with the lengths of `column`'s rows,
 * reading only each batch's metadata and the column's offsets buffer. Returns false (having called
 * nothing) when that is not possible: compressed bodies, an unsupported column layout.
 */
export async function forEachLengths(
  src: ByteSource,
  index: IpcIndex,
  schema: Schema,
  column: string,
  onLengths: (rowStart: number, lengths: Int32Array) => void,
  signal?: AbortSignal,
): Promise<boolean> {
  const plan = offsetsPlan(schema, column);
  if (!plan) return false;
  let lengths = new Int32Array(0);
  for (let bi = 0; bi < index.batches.length; bi++) {
    if ((bi & 63) === 0) throwIfAborted(signal);
    const m = index.batches[bi];
    const meta = await src.read(m.metaOffset, m.metaLength);
    const msg = FbMessage.getRootAsMessage(new ByteBuffer(meta));
    const rb = msg.header(new FbRecordBatch()) as FbRecordBatch | null;
    if (!rb) throw new Error(`record batch ${bi} without a header (byte ${m.offset})`);
    if (rb.compression()) return false;
    const buf = rb.buffers(plan.buffer);
    if (!buf) throw new Error(`record batch ${bi}: no buffer ${plan.buffer} (byte ${m.offset})`);
    const rows = m.rows;
    const need = (rows + 1) * plan.width;
    const off = Number(buf.offset());
    if (rows === 0) continue;
    if (!(off >= 0 && Number(buf.length()) >= need && off + need <= m.bodyLength)) {
      throw new Error(`record batch ${bi}: offsets buffer of "${column}" out of range (byte ${m.bodyOffset + off})`);
    }
    let bytes = await src.read(m.bodyOffset + off, need);
    if (bytes.byteOffset % 4) bytes = bytes.slice();
    if (lengths.length < rows) lengths = new Int32Array(rows);
    const out = lengths.subarray(0, rows);
    if (plan.width === 4) {
      const o = new Int32Array(bytes.buffer, bytes.byteOffset, rows + 1);
      for (let r = 0; r < rows; r++) out[r] = o[r + 1] - o[r];
    } else {
      const dv = new DataView(bytes.buffer, bytes.byteOffset, need);
      for (let r = 0; r < rows; r++) out[r] = Number(dv.getBigInt64((r + 1) * 8, true) - dv.getBigInt64(r * 8, true));
    }
    for (let r = 0; r < rows; r++)
      if (out[r] < 0)
        throw new Error(`record batch ${bi}: offsets of "${column}" decrease (byte ${m.bodyOffset + off})`);
    onLengths(index.rowStarts[bi], out);
  }
  return true;
}
