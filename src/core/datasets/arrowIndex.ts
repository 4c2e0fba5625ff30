// Random access into Arrow IPC files without reading them whole.
// HF `datasets` writes the IPC *stream* format (no footer), so we walk the message framing ourselves:
//   [0xFFFFFFFF] int32 metadataLength, flatbuffer Message (padded), body of Message.bodyLength bytes.
// The IPC *file* format is the same stream between an "ARROW1\0\0" magic and a footer, so one walk serves both.
import { Message, MessageHeader, RecordBatchReader, type Field, type Schema } from 'apache-arrow';
import { checkMessageMetadata, type MessageInfo } from './arrowFlatbuf';
import { Footer as FileFooter } from 'apache-arrow/ipc/metadata/file';
import { checkFileFooter } from './arrowFooter';
import { dropUnusedValidity } from './arrowValidate';
import type { ByteSource } from './byteSource';
import { DatasetOpenError, errorMessage, throwIfAborted } from './errors';
import type { ReadError } from './types';

export interface IpcMessage {
  /** Byte offset of the message's framing in the file. */
  offset: number;
  /** The flatbuffer metadata (no framing, no padding removed). */
  metaOffset: number;
  metaLength: number;
  bodyOffset: number;
  bodyLength: number;
  type: MessageHeader;
  /** Rows, for record batches. */
  rows: number;
}

export interface IpcIndex {
  fileFormat: boolean;
  schema: IpcMessage;
  dictionaries: IpcMessage[];
  batches: IpcMessage[];
  /** rowStarts[i] = first row of batch i; rowStarts[batches.length] = total rows. */
  rowStarts: number[];
  /** Where the walk stopped and why, when it did not end at a clean end-of-stream marker. */
  errors: ReadError[];
  /**
   * IPC files whose footer schema differs from the schema message in the stream: the footer's, as a
   * message's flatbuffer in base64 (pyarrow reads files through the footer; base64 keeps the index JSON).
   */
  footerSchema?: string;
}

const MAGIC = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31]; // "ARROW1"
/** A single message's metadata over this is not something a writer produces: treat it as corruption. */
const MAX_META = 64 * 1024 * 1024;

export function hasFileMagic(head: Uint8Array): boolean {
  return MAGIC.every((b, i) => head[i] === b);
}

/**
 * Walks the framing of the whole file, reading only message headers (a few hundred bytes per batch).
 * Stops at the end-of-stream marker, the end of the file, or the first corrupt frame (recorded in `errors`,
 * keeping every batch before it readable). Throws DatasetOpenError when not even the schema can be read.
 */
/** Bytes read per step of the walk: several small batches' headers come in one read. */
const WALK_READ = 64 * 1024;
/** A blocking header read slower than this means the file is not in the page cache: go async. */
const SYNC_READ_MAX_MS = 2;
/** Yield to the event loop at least this often while walking with blocking reads. */
const WALK_SLICE_MS = 8;

export async function buildIpcIndex(
  src: ByteSource,
  signal?: AbortSignal,
  /** Called once, as soon as the first record batch is located (so its read can overlap the rest of the walk). */
  onFirstBatch?: (partial: Pick<IpcIndex, 'fileFormat' | 'schema' | 'dictionaries'>, batch: IpcMessage) => void,
): Promise<IpcIndex> {
  const file = src.name;
  const head = await src.read(0, 8);
  const fileFormat = hasFileMagic(head);
  let pos = fileFormat ? 8 : 0;
  let schema: IpcMessage | undefined;
  const dictionaries: IpcMessage[] = [];
  const batches: IpcMessage[] = [];
  const rowStarts = [0];
  const errors: ReadError[] = [];
  const fail = (byteOffset: number, message: string) => {
    if (!schema) throw new DatasetOpenError(file, message, { byteOffset });
    errors.push({ file, byteOffset, message });
  };
  let n = 0;
  let win: Uint8Array = new Uint8Array(0);
  let lastBody = 0;
  let syncOk = true;
  let sliceStart = performance.now();
  let winAt = 0;
  /** Where the end-of-stream marker ends, when the walk met one. */
  let eosEnd = -1;
  /** Bytes [at, at+want) (fewer at the end of the file), from the last read when it holds them. */
  const window = async (at: number, want: number): Promise<Uint8Array> => {
    const end = Math.min(src.size, at + want);
    if (at >= winAt && end <= winAt + win.length) return win.subarray(at - winAt, end - winAt);
    // Read ahead only when messages are small (several fit in one read); big batches: just the header.
    const len = Math.max(want, lastBody < WALK_READ ? WALK_READ : 0);
    if (syncOk && src.readSync) {
      // One header per batch, hundreds of batches: blocking reads from the page cache take microseconds,
      // async ones a thread-pool round trip each. Slow means a cold disk: the rest of the walk goes async.
      const t = performance.now();
      if (t - sliceStart > WALK_SLICE_MS) {
        await new Promise<void>((res) => setImmediate(res));
        sliceStart = performance.now();
      }
      win = src.readSync(at, len);
      if (performance.now() - t > SYNC_READ_MAX_MS) syncOk = false;
    } else win = await src.read(at, len);
    winAt = at;
    return win.subarray(0, Math.min(win.length, want));
  };
  for (;;) {
    if ((++n & 255) === 0) throwIfAborted(signal);
    if (pos >= src.size) {
      if (!schema) fail(pos, src.size === 0 ? 'empty file, not an Arrow IPC stream' : 'no Arrow schema message found');
      break; // pyarrow reads streams without an EOS marker; it is reported below
    }
    // One read for the framing and (usually) the whole metadata; small batches: several messages per read.
    const frame = await window(pos, 8 + 4096);
    if (frame.length < 4) {
      fail(pos, `truncated Arrow message header (${frame.length} of 8 bytes)`);
      break;
    }
    const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    let prefix = 4;
    let metaLength = dv.getInt32(0, true);
    if (dv.getUint32(0, true) === 0xffffffff) {
      if (frame.length < 8) {
        fail(pos, 'truncated Arrow message header (continuation marker without length)');
        break;
      }
      prefix = 8;
      metaLength = dv.getInt32(4, true);
    }
    if (metaLength === 0) {
      eosEnd = pos + prefix; // end-of-stream marker
      break;
    }
    if (metaLength < 0 || metaLength > MAX_META) {
      fail(
        pos,
        `corrupt Arrow message framing: metadata length ${metaLength}${schema ? '' : ' (is this an Arrow IPC file?)'}`,
      );
      break;
    }
    const metaOffset = pos + prefix;
    if (metaOffset + metaLength > src.size) {
      fail(
        pos,
        `truncated Arrow message: metadata needs ${metaLength} bytes, file ends ${src.size - metaOffset} bytes later`,
      );
      break;
    }
    let info: MessageInfo;
    try {
      const have = frame.length - prefix;
      const meta =
        metaLength <= have ? frame.subarray(prefix, prefix + metaLength) : await window(metaOffset, metaLength);
      info = checkMessageMetadata(meta);
      // Record batches: rows and body length come from the checked flatbuffer (the reader decodes and
      // validates the batch itself when a page needs it). Other messages go through apache-arrow here,
      // inside the guard, so a corrupt schema fails now and not later in the reader.
      if (info.headerType !== MessageHeader.RecordBatch) {
        const msg = Message.decode(meta);
        if (msg.isSchema()) msg.header();
        info.headerType = msg.headerType;
      }
    } catch (err) {
      fail(metaOffset, `corrupt Arrow message metadata (flatbuffer): ${errorMessage(err)}`);
      break;
    }
    const bodyLength = info.bodyLength;
    const bodyOffset = metaOffset + metaLength;
    if (!Number.isFinite(bodyLength) || bodyLength < 0 || bodyOffset + bodyLength > src.size) {
      fail(
        pos,
        `truncated Arrow message: body needs ${bodyLength} bytes, file ends ${src.size - bodyOffset} bytes later`,
      );
      break;
    }
    const entry: IpcMessage = {
      offset: pos,
      metaOffset,
      metaLength,
      bodyOffset,
      bodyLength,
      type: info.headerType,
      rows: 0,
    };
    if (info.headerType === MessageHeader.Schema) {
      if (schema) {
        fail(pos, 'a second schema message in one stream');
        break;
      }
      schema = entry;
    } else if (!schema) {
      fail(pos, 'the stream does not start with a schema message');
      break;
    } else if (info.headerType === MessageHeader.DictionaryBatch) {
      dictionaries.push(entry);
    } else if (info.headerType === MessageHeader.RecordBatch) {
      const rows = info.rows;
      if (!Number.isSafeInteger(rows) || rows < 0) {
        fail(metaOffset, `corrupt record batch header: ${rows} rows`);
        break;
      }
      entry.rows = rows;
      batches.push(entry);
      if (batches.length === 1 && onFirstBatch) {
        try {
          onFirstBatch({ fileFormat, schema, dictionaries: [...dictionaries] }, entry);
        } catch {
          // only a head start: the reader reads the batch again when asked
        }
      }
      rowStarts.push(rowStarts[rowStarts.length - 1] + rows);
    } else {
      fail(pos, `unexpected Arrow message type ${info.headerType}`);
      break;
    }
    pos = bodyOffset + bodyLength;
    lastBody = bodyLength;
  }
  let footerSchema: string | undefined;
  if (!errors.length && fileFormat) {
    const { keep, error } = await checkFileFooter(src, batches, dictionaries, eosEnd >= 0 ? eosEnd : pos);
    if (error) errors.push(error);
    batches.length = keep;
    rowStarts.length = keep + 1;
    if (!error && schema) {
      const got = await schemaFromFooter(src, schema);
      if (typeof got === 'string') footerSchema = got;
      else if (got) errors.push(got);
    }
  } else if (!errors.length && eosEnd < 0) {
    errors.push({
      file,
      byteOffset: pos,
      message: `the stream ends without its end-of-stream marker (truncated after row ${rowStarts[rowStarts.length - 1]}?)`,
    });
  } else if (!errors.length && eosEnd < src.size) {
    errors.push({
      file,
      byteOffset: eosEnd,
      message: `${src.size - eosEnd} bytes after the end-of-stream marker (damaged or truncated stream?)`,
    });
  }
  return { fileFormat, schema: schema!, dictionaries, batches, rowStarts, errors, footerSchema };
}

/** The batch holding `row` (binary search over rowStarts). */
export function batchForRow(index: IpcIndex, row: number): number {
  let lo = 0;
  let hi = index.batches.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (index.rowStarts[mid] <= row) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Builds a tiny self-contained stream: schema + dictionaries + the given batch + EOS, re-framed with the
 * continuation marker, read straight from the file into one buffer. The synchronous reader decodes it.
 */
export async function readBatchStream(
  src: ByteSource,
  index: IpcIndex,
  msgs: IpcMessage[],
  scratch?: { buf: Uint8Array },
  /** The schema's fields: validity buffers pyarrow would not read are dropped (see dropUnusedValidity). */
  fields?: Field[],
): Promise<Uint8Array> {
  const footerSchema = index.footerSchema ? Buffer.from(index.footerSchema, 'base64') : undefined;
  const parts = [index.schema, ...index.dictionaries, ...msgs];
  const metaLength = (m: IpcMessage) => (m === index.schema && footerSchema ? footerSchema.length : m.metaLength);
  let total = 8;
  for (const m of parts) total += 8 + metaLength(m) + (m === index.schema ? 0 : m.bodyLength);
  // A scan reuses one buffer for every batch (the decoded batch is dropped before the next read).
  if (scratch && scratch.buf.length < total) scratch.buf = new Uint8Array(Math.ceil(total * 1.25));
  const out = scratch ? scratch.buf.subarray(0, total) : new Uint8Array(total);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let at = 0;
  for (const m of parts) {
    dv.setUint32(at, 0xffffffff, true);
    dv.setInt32(at + 4, metaLength(m), true);
    at += 8;
    if (m === index.schema && footerSchema) {
      out.set(footerSchema, at);
      at += footerSchema.length;
      continue;
    }
    const len = m.metaLength + (m === index.schema ? 0 : m.bodyLength);
    const got = await src.readInto(out, at, m.metaOffset, len);
    if (got !== len) throw new Error(`short read at byte ${m.metaOffset}`);
    if (fields && m.type === MessageHeader.RecordBatch) dropUnusedValidity(out.subarray(at, at + m.metaLength), fields);
    at += len;
  }
  dv.setUint32(at, 0xffffffff, true);
  dv.setInt32(at + 4, 0, true);
  return out;
}

/**
 * The schema in one framed IPC schema message (pyarrow's `ARROW:schema` in Parquet footers), through the
 * same framing rules and flatbuffer bounds checks as the walk above. Throws on anything malformed.
 */
export function decodeSchemaMessage(raw: Uint8Array): Schema {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (raw.length < 8) throw new Error(`schema message of ${raw.length} bytes`);
  const prefix = dv.getUint32(0, true) === 0xffffffff ? 8 : 4;
  const metaLength = dv.getInt32(prefix - 4, true);
  if (metaLength <= 0 || metaLength > MAX_META || prefix + metaLength > raw.length)
    throw new Error(`schema message length ${metaLength}`);
  const info = checkMessageMetadata(raw.subarray(prefix, prefix + metaLength));
  if (info.headerType !== MessageHeader.Schema) throw new Error('not a schema message');
  const buf = new Uint8Array(prefix + metaLength + 16);
  const out = new DataView(buf.buffer);
  out.setUint32(0, 0xffffffff, true);
  out.setInt32(4, metaLength, true);
  buf.set(raw.subarray(prefix, prefix + metaLength), 8);
  out.setUint32(8 + metaLength, 0xffffffff, true); // end-of-stream marker
  const reader = RecordBatchReader.from(buf.subarray(0, 16 + metaLength));
  reader.open();
  if (!reader.schema) throw new Error('no schema');
  return reader.schema;
}

/** A schema as pyarrow compares what it reads: field names, types, nullability and metadata. */
function schemaKey(schema: Schema): string {
  const meta = (m: Map<string, string>) => JSON.stringify([...m].sort());
  const field = (f: Field): string =>
    `${f.name}:${String(f.type)}:${f.nullable}:${meta(f.metadata)}[${((f.type.children ?? []) as Field[]).map(field).join(',')}]`;
  return `${schema.fields.map(field).join(';')}|${meta(schema.metadata)}`;
}

/**
 * The footer's schema of an IPC file when it differs from the stream's schema message (pyarrow reads
 * files through the footer, so a damaged schema message in the stream does not stop it, and a damaged
 * footer schema does): its message flatbuffer in base64, undefined when the two agree, or the error
 * when the footer's schema does not decode.
 */
async function schemaFromFooter(src: ByteSource, streamSchema: IpcMessage): Promise<string | ReadError | undefined> {
  const tail = await src.read(src.size - 10, 10);
  const len = new DataView(tail.buffer, tail.byteOffset, 4).getInt32(0, true);
  const start = src.size - 10 - len;
  let footer: Schema;
  try {
    footer = FileFooter.decode(await src.read(start, len)).schema;
    Message.encode(Message.from(footer)); // encodable, or the error below
  } catch (err) {
    return {
      file: src.name,
      byteOffset: start,
      message: `corrupt schema in the Arrow file footer: ${errorMessage(err)}`,
    };
  }
  let stream: Schema | undefined;
  try {
    const msg = Message.decode(await src.read(streamSchema.metaOffset, streamSchema.metaLength));
    stream = msg.isSchema() ? msg.header() : undefined;
  } catch {
    stream = undefined;
  }
  if (stream && schemaKey(stream) === schemaKey(footer)) return undefined;
  return Buffer.from(Message.encode(Message.from(footer))).toString('base64');
}
