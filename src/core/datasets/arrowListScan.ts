// Integer-list columns of a tokenized Arrow file handed out as raw buffers, batch by batch, reading only
// the buffers a statistic needs: a length needs the offsets, padding the mask values, trained tokens
// the label values. No arrow-js decode, no per-row objects, no int64 narrowing copy: the caller runs
// tight typed-array loops over these views. The next batch is read while the caller counts this one.
import { ByteBuffer } from 'flatbuffers';
import { Type, type Data, type DataType, type Field, type Int, type Schema } from 'apache-arrow';
import { Message as FbMessage } from 'apache-arrow/fb/message';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import type { IpcIndex } from './arrowIndex';
import { bufferCount, nodeCount } from './arrowLengths';
import type { ByteSource } from './byteSource';
import { throwIfAborted } from './errors';

/** One list<int> column of one batch: views over the batch's buffers (valid until the next callback). */
export interface IntListBuffers {
  /** Validity bitmap of the rows (bit r), null when no row is null. */
  valid: Uint8Array | null;
  /** rows + 1 offsets into the values. */
  offsets: Int32Array;
  /** The values, for 8-, 16- and 32-bit ints; null for 64-bit ones (see words) or when not requested. */
  values: Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | null;
  /** 64-bit values as little-endian 32-bit words (low, high), read in place without BigInt. */
  words: Int32Array | null;
  /** Unsigned element type (matters only for 64-bit words: the high word is not a sign). */
  unsigned: boolean;
}

export interface ListColumnRequest {
  name: string;
  /** Whether the values are needed (false: offsets and validity only). */
  values: boolean;
}

export type ListBatchHandler = (rowStart: number, rows: number, cols: Map<string, IntListBuffers>) => void;

interface ColumnPlan {
  name: string;
  node: number;
  buffer: number;
  values: boolean;
  bitWidth: 8 | 16 | 32 | 64;
  signed: boolean;
  largeOffsets: boolean;
}

/** Where each requested column lives, or undefined when one is not a top-level list of ints. */
export function listColumnPlans(schema: Schema, req: ListColumnRequest[]): ColumnPlan[] | undefined {
  const plans: ColumnPlan[] = [];
  let node = 0;
  let buffer = 0;
  for (const f of schema.fields) {
    const r = req.find((x) => x.name === f.name);
    if (r) {
      const child = listChild(f.type);
      if (!child || plans.some((p) => p.name === r.name)) return undefined;
      const it = child as Int;
      plans.push({
        name: r.name,
        node,
        buffer,
        values: r.values,
        bitWidth: it.bitWidth as 8 | 16 | 32 | 64,
        signed: it.isSigned,
        largeOffsets: f.type.typeId === Type.LargeList,
      });
    }
    const b = bufferCount(f.type);
    const n = nodeCount(f.type);
    if (b === undefined || n === undefined) return undefined;
    node += n;
    buffer += b;
  }
  return plans.length === req.length ? plans : undefined;
}

function listChild(t: DataType): DataType | undefined {
  if (t.typeId !== Type.List && t.typeId !== Type.LargeList) return undefined;
  const c = (t.children as Field[])[0]?.type;
  if (!c || c.typeId !== Type.Int) return undefined;
  return [8, 16, 32, 64].includes((c as Int).bitWidth) ? c : undefined;
}

interface Span {
  plan: ColumnPlan;
  /** Body-relative [offset, offset+length) of validity (when nulls), offsets, values (when wanted). */
  parts: { kind: 'valid' | 'offsets' | 'values'; off: number; len: number }[];
  rows: number;
  childLength: number;
}

/** A batch ready to hand out, or why the fast path cannot read it (the caller decodes it instead). */
type Loaded = { cols: Map<string, IntListBuffers>; rows: number } | { fallback: string };

/** A blocking metadata read slower than this means the file is not in the page cache. */
const SYNC_META_MAX_MS = 4;

const intArray = {
  8: [Uint8Array, Int8Array],
  16: [Uint16Array, Int16Array],
  32: [Uint32Array, Int32Array],
} as const;

/** Reads what the plans need of batch bi into pool, checked against the batch's own bounds. */
async function loadBatch(
  src: ByteSource,
  index: IpcIndex,
  bi: number,
  plans: ColumnPlan[],
  pool: { buf: Uint8Array },
  io: { syncMeta: boolean },
): Promise<Loaded> {
  const m = index.batches[bi];
  // The metadata (a few hundred bytes) with a blocking read while those come from the page cache: one
  // thread-pool round trip per batch less. A slow one means a cold disk: the rest of the pass goes async.
  let meta: Uint8Array;
  if (io.syncMeta && src.readSync) {
    const t = performance.now();
    meta = src.readSync(m.metaOffset, m.metaLength);
    if (performance.now() - t > SYNC_META_MAX_MS) io.syncMeta = false;
  } else meta = await src.read(m.metaOffset, m.metaLength);
  const msg = FbMessage.getRootAsMessage(new ByteBuffer(meta));
  const rb = msg.header(new FbRecordBatch()) as FbRecordBatch | null;
  if (!rb) return { fallback: 'no header' };
  if (rb.compression()) return { fallback: 'compressed' };
  const rows = m.rows;
  const spans: Span[] = [];
  for (const p of plans) {
    const list = rb.nodes(p.node);
    const child = rb.nodes(p.node + 1);
    const bValid = rb.buffers(p.buffer);
    const bOffs = rb.buffers(p.buffer + 1);
    const bVals = rb.buffers(p.buffer + 3);
    if (!list || !child || !bValid || !bOffs || !bVals) return { fallback: 'missing node or buffer' };
    if (Number(list.length()) !== rows) return { fallback: 'row count' };
    const ow = p.largeOffsets ? 8 : 4;
    const childLength = Number(child.length());
    const parts: Span['parts'] = [];
    if (list.nullCount() > 0n) parts.push({ kind: 'valid', off: Number(bValid.offset()), len: Math.ceil(rows / 8) });
    if (rows > 0) parts.push({ kind: 'offsets', off: Number(bOffs.offset()), len: (rows + 1) * ow });
    if (p.values && childLength > 0)
      parts.push({ kind: 'values', off: Number(bVals.offset()), len: (childLength * p.bitWidth) / 8 });
    const have = { valid: bValid.length(), offsets: bOffs.length(), values: bVals.length() };
    for (const x of parts) {
      if (!(x.off >= 0 && Number(have[x.kind]) >= x.len && x.off + x.len <= m.bodyLength))
        return { fallback: `${p.name} ${x.kind} buffer out of range` };
    }
    spans.push({ plan: p, parts, rows, childLength });
  }
  // One read per run of wanted buffers that lie close together (the usual layout: all of them, in order).
  const all = spans.flatMap((s) => s.parts).sort((a, b) => a.off - b.off);
  const runs: { off: number; end: number; at: number }[] = [];
  let size = 0;
  for (const x of all) {
    const last = runs[runs.length - 1];
    if (last && x.off <= last.end + 65536) last.end = Math.max(last.end, x.off + x.len);
    // Each run starts at the file's address modulo 8, so buffers aligned in the file stay aligned here.
    else runs.push({ off: x.off, end: x.off + x.len, at: size + ((((x.off - size) % 8) + 8) % 8) });
    const r = runs[runs.length - 1];
    size = r.at + (r.end - r.off);
  }
  if (pool.buf.length < size) pool.buf = new Uint8Array(Math.ceil(size * 1.125) + 64);
  const buf = pool.buf;
  await Promise.all(
    runs.map(async (r) => {
      const n = await src.readInto(buf, r.at, m.bodyOffset + r.off, r.end - r.off);
      if (n !== r.end - r.off) throw new Error(`record batch ${bi}: body cut short (byte ${m.bodyOffset + r.off})`);
    }),
  );
  const bytesAt = (off: number, len: number) => {
    const run = runs.find((r) => off >= r.off && off + len <= r.end)!;
    return buf.subarray(run.at + off - run.off, run.at + off - run.off + len);
  };
  const cols = new Map<string, IntListBuffers>();
  for (const s of spans) {
    const p = s.plan;
    let valid: Uint8Array | null = null;
    let offsets = new Int32Array(rows + 1);
    let values: IntListBuffers['values'] = null;
    let words: Int32Array | null = null;
    for (const x of s.parts) {
      const b = bytesAt(x.off, x.len);
      if (x.kind === 'valid') valid = b;
      else if (x.kind === 'offsets') {
        if (p.largeOffsets) {
          const w = view(Int32Array, b, 4);
          for (let i = 0; i <= rows; i++) {
            const hi = w[2 * i + 1];
            offsets[i] = hi === 0 && w[2 * i] >= 0 ? w[2 * i] : -1; // over 2^31 values: refused below
          }
        } else offsets = view(Int32Array, b, 4);
      } else if (p.bitWidth === 64) words = view(Int32Array, b, 4);
      else {
        const C = intArray[p.bitWidth][p.signed ? 1 : 0];
        values = view(C as unknown as Int32ArrayConstructor, b, p.bitWidth / 8) as IntListBuffers['values'];
      }
    }
    // Offsets must stay inside the child and never decrease (arrowValidate checks the same on decode).
    let prev = rows > 0 ? offsets[0] : 0;
    if (prev < 0) return { fallback: `${p.name} offsets out of range` };
    for (let i = 1; i <= rows; i++) {
      const o = offsets[i];
      if (o < prev) return { fallback: `${p.name} offsets decrease` };
      prev = o;
    }
    if (prev > s.childLength) return { fallback: `${p.name} offsets past the values` };
    // Wanted values of a batch whose lists are all empty: empty arrays, not "not read".
    if (p.values && !values && !words) {
      if (p.bitWidth === 64) words = new Int32Array(0);
      else values = new intArray[p.bitWidth][p.signed ? 1 : 0](0);
    }
    cols.set(p.name, { valid, offsets, values, words, unsigned: !p.signed });
  }
  return { cols, rows };
}

/** A typed view of b, copied only when b is not aligned for the element size. */
function view<T>(
  C: { new (b: ArrayBufferLike, o: number, n: number): T; new (a: ArrayLike<number>): T },
  b: Uint8Array,
  width: number,
): T {
  if (b.byteOffset % width) b = b.slice();
  return new C(b.buffer, b.byteOffset, b.length / width);
}

/**
 * Calls onBatch for every record batch with the requested list<int> columns as raw buffers. A batch the
 * fast path cannot read (compressed, unexpected layout, failed checks) goes through `decode`, which
 * returns the same buffers from a full decode, or undefined for a batch that does not decode (skipped,
 * as the row scan skips it). Returns false, having called nothing, when a column is not a list of ints.
 */
export async function forEachListBatch(
  src: ByteSource,
  index: IpcIndex,
  schema: Schema,
  req: ListColumnRequest[],
  onBatch: ListBatchHandler,
  decode: (bi: number) => Promise<Map<string, IntListBuffers> | undefined>,
  opts: { signal?: AbortSignal; onProgress?: (p: { done: number; total: number }) => void } = {},
): Promise<boolean> {
  const plans = listColumnPlans(schema, req);
  if (!plans) return false;
  const total = index.rowStarts[index.batches.length] ?? 0;
  // Two buffers: batch bi+1 is read (in libuv's thread pool) while batch bi is counted. On a loaded
  // machine a read waits for its thread to be scheduled; without the overlap that wait is idle time.
  const pools = [{ buf: new Uint8Array(0) }, { buf: new Uint8Array(0) }];
  const io = { syncMeta: true };
  // A read that fails becomes a fallback: the decode path then reports it, as the row scan would.
  const load = (bi: number): Promise<Loaded> =>
    loadBatch(src, index, bi, plans, pools[bi & 1], io).catch((err: unknown): Loaded => ({ fallback: String(err) }));
  let next: Promise<Loaded> | undefined = index.batches.length ? load(0) : undefined;
  try {
    for (let bi = 0; bi < index.batches.length; bi++) {
      throwIfAborted(opts.signal);
      const cur = await next!;
      next = bi + 1 < index.batches.length ? load(bi + 1) : undefined;
      if ('cols' in cur) onBatch(index.rowStarts[bi], cur.rows, cur.cols);
      else {
        const cols = await decode(bi);
        if (cols) onBatch(index.rowStarts[bi], index.batches[bi].rows, cols);
      }
      opts.onProgress?.({ done: index.rowStarts[bi + 1], total });
    }
  } finally {
    // Never leave a read in flight behind: the caller may close the file next.
    await next;
  }
  return true;
}

/** The same buffers out of a column arrow-js decoded (the fallback path); undefined when not a list of ints. */
export function intListOf(d: Data): IntListBuffers | undefined {
  if (d.type.typeId !== Type.List && d.type.typeId !== Type.LargeList) return undefined;
  const child = d.children[0];
  if (!child || child.type.typeId !== Type.Int) return undefined;
  const n = d.length;
  // Decoded IPC columns start at offset 0; shift the bitmap and offsets anyway so a slice reads right.
  let valid: Uint8Array | null = null;
  if (d.nullCount > 0 && d.nullBitmap) {
    valid = new Uint8Array((n + 7) >> 3);
    for (let r = 0; r < n; r++)
      if ((d.nullBitmap[(d.offset + r) >> 3] >> ((d.offset + r) & 7)) & 1) valid[r >> 3] |= 1 << (r & 7);
  }
  const src = d.valueOffsets as Int32Array | BigInt64Array;
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i <= n; i++) offsets[i] = child.offset + Number(src[d.offset + i]);
  const vals = child.values as IntListBuffers['values'] | BigInt64Array | BigUint64Array;
  const wide = vals instanceof BigInt64Array || vals instanceof BigUint64Array;
  return {
    valid,
    offsets,
    values: wide ? null : vals,
    words: wide ? new Int32Array(vals.buffer, vals.byteOffset, vals.length * 2) : null,
    unsigned: !(child.type as Int).isSigned,
  };
}
