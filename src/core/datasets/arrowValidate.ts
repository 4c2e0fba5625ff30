// Structural checks of a decoded record batch before any value is read. apache-arrow trusts the
// file: corrupt offsets or lengths would otherwise make a "list" of 2^40 elements and exhaust memory.
// Also what pyarrow's full validation checks on values: UTF-8 of strings, dictionary indexes in range,
// null counts that match the validity bitmap.
import { isUtf8 } from 'node:buffer';
import { ByteBuffer } from 'flatbuffers';
import { Type, type Data, type Field, type RecordBatch } from 'apache-arrow';
import { Message as FbMessage } from 'apache-arrow/fb/message';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { bufferCount } from './arrowLengths';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function validUtf8(bytes: Uint8Array): boolean {
  if (typeof isUtf8 === 'function') return isUtf8(bytes);
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Strings [from, from+count) of a utf8 column: valid UTF-8, no string starting inside a character. */
function checkUtf8(d: Data, path: string): void {
  const offs = d.valueOffsets as ArrayLike<number | bigint>;
  const bytes = d.values as Uint8Array;
  const n = d.length;
  if (!n) return;
  const start = Number(offs[d.offset]);
  const end = Number(offs[d.offset + n]);
  for (let i = d.offset + 1; i < d.offset + n; i++) {
    const o = Number(offs[i]);
    if (o < end && (bytes[o] & 0xc0) === 0x80)
      throw new Error(`column ${path}: string ${i - d.offset} starts inside a UTF-8 character`);
  }
  if (!validUtf8(bytes.subarray(start, end))) throw new Error(`column ${path}: invalid UTF-8`);
}

/** Zero bits of a validity bitmap over [offset, offset+n). */
function countNulls(bitmap: Uint8Array, offset: number, n: number): number {
  let valid = 0;
  for (let i = offset; i < offset + n; i++) valid += (bitmap[i >> 3] >> (i & 7)) & 1;
  return n - valid;
}

function check(ok: boolean, path: string, what: string): void {
  if (!ok) throw new Error(`column ${path}: ${what}`);
}

function validOffsets(
  offs: ArrayLike<number | bigint> | undefined,
  from: number,
  count: number,
  limit: number,
  path: string,
): void {
  check(!!offs && offs.length >= from + count + 1, path, 'offsets buffer too short');
  let prev = Number(offs![from]);
  check(prev >= 0 && prev <= limit, path, `offset ${prev} out of range`);
  for (let i = from + 1; i <= from + count; i++) {
    const o = Number(offs![i]);
    check(o >= prev && o <= limit, path, `offsets not increasing or past the data (${prev} → ${o}, limit ${limit})`);
    prev = o;
  }
}

export function validateData(d: Data, path: string): void {
  const n = d.length;
  check(Number.isSafeInteger(n) && n >= 0 && d.offset >= 0, path, `bad length ${n}`);
  if (d.nullCount > 0 && d.type.typeId !== Type.Null) {
    check(!!d.nullBitmap && d.nullBitmap.length * 8 >= d.offset + n, path, 'validity bitmap too short');
    const nulls = countNulls(d.nullBitmap!, d.offset, n);
    check(nulls === d.nullCount, path, `null count ${d.nullCount} does not match the validity bitmap (${nulls})`);
  }
  switch (d.type.typeId) {
    case Type.Int:
    case Type.Float:
      // One typed-array element per value (Int64 is a BigInt64Array in apache-arrow 21).
      check(!!d.values && d.values.length >= d.offset + n, path, 'values buffer too short');
      break;
    case Type.Bool:
      check(!!d.values && d.values.length * 8 >= d.offset + n, path, 'values buffer too short');
      break;
    case Type.Utf8:
    case Type.LargeUtf8:
      validOffsets(d.valueOffsets, d.offset, n, d.values?.length ?? 0, path);
      checkUtf8(d, path);
      break;
    case Type.Binary:
    case Type.LargeBinary:
      validOffsets(d.valueOffsets, d.offset, n, d.values?.length ?? 0, path);
      break;
    case Type.FixedSizeBinary: {
      const w = (d.type as unknown as { byteWidth: number }).byteWidth;
      check(!!d.values && d.values.length >= (d.offset + n) * w, path, 'values buffer too short');
      break;
    }
    case Type.List:
    case Type.LargeList: {
      const child = d.children[0];
      check(!!child, path, 'list without child');
      validOffsets(d.valueOffsets, d.offset, n, child.length, path);
      validateData(child, `${path}[]`);
      break;
    }
    case Type.FixedSizeList: {
      const size = (d.type as unknown as { listSize: number }).listSize;
      const child = d.children[0];
      check(!!child && child.length >= (d.offset + n) * size, path, 'child too short');
      validateData(child, `${path}[]`);
      break;
    }
    case Type.Struct:
      d.children.forEach((c, k) => {
        check(c.length >= d.offset + n, `${path}.${k}`, 'struct field shorter than the struct');
        validateData(c, `${path}.${(d.type.children[k] as { name: string }).name}`);
      });
      break;
    case Type.Dictionary: {
      check(!!d.values && d.values.length >= d.offset + n, path, 'indices buffer too short');
      if (d.dictionary) for (const dd of d.dictionary.data) validateData(dd, `${path}(dictionary)`);
      const size = d.dictionary?.length ?? 0;
      const idx = d.values as ArrayLike<number | bigint>;
      const bm = d.nullCount > 0 ? d.nullBitmap : undefined;
      for (let i = d.offset; i < d.offset + n; i++) {
        if (bm && !((bm[i >> 3] >> (i & 7)) & 1)) continue;
        const k = Number(idx[i]);
        check(k >= 0 && k < size, path, `dictionary index ${k} out of range (dictionary has ${size} values)`);
      }
      break;
    }
    default:
      break;
  }
}

export function validateBatch(batch: RecordBatch): void {
  batch.schema.fields.forEach((f, k) => {
    const d = batch.data.children[k];
    if (!d) throw new Error(`column ${f.name}: missing`);
    // pyarrow: "Array length did not match record batch length" (longer columns too).
    if (d.length !== batch.numRows) throw new Error(`column ${f.name}: ${d.length} values for ${batch.numRows} rows`);
    validateData(d, f.name);
  });
}

/**
 * pyarrow never reads the validity buffer of a column whose null count is 0 (it is allowed to be absent),
 * so a damaged (offset, length) there does not stop it; apache-arrow still converts both to numbers and
 * fails on an impossible length. In a record batch's metadata (`meta`, the flatbuffer Message, patched in
 * place) those buffers are set to (0, 0), as a writer omitting them would. Fields map to field nodes in
 * depth-first order and each takes its own buffers in order, the validity bitmap first.
 * Also throws when a top-level column's length is not the batch's (pyarrow: "Array length did not match
 * record batch length"; apache-arrow would pad it with nulls). Layouts this does not know (unions,
 * views) leave the metadata as it is.
 */
export function dropUnusedValidity(meta: Uint8Array, fields: Field[]): void {
  const bb = new ByteBuffer(meta);
  const rb = FbMessage.getRootAsMessage(bb).header(new FbRecordBatch()) as FbRecordBatch | null;
  if (!rb) return;
  const zero: number[] = [];
  let node = 0;
  let buffer = 0;
  let mismatch: string | undefined;
  const rows = Number(rb.length());
  const walk = (f: Field, top = false): boolean => {
    const total = bufferCount(f.type);
    if (total === undefined) return false;
    const children = (f.type.children ?? []) as Field[];
    let own = total;
    for (const c of children) own -= bufferCount(c.type) ?? 0;
    const n = rb.nodes(node++);
    if (!n) return false;
    // apache-arrow pads a short column with nulls; pyarrow refuses the batch.
    if (top && !mismatch && Number(n.length()) !== rows)
      mismatch = `column ${f.name}: ${Number(n.length())} values for ${rows} rows (array length does not match the record batch's)`;
    if (own > 0 && f.type.typeId !== Type.Null && Number(n.nullCount()) === 0) zero.push(buffer);
    buffer += own;
    return children.every((c) => walk(c));
  };
  if (!fields.every((f) => walk(f, true)) || node !== rb.nodesLength() || buffer !== rb.buffersLength()) return;
  if (mismatch) throw new Error(mismatch);
  for (const i of zero) {
    const b = rb.buffers(i);
    if (!b) return;
    const at = (b as unknown as { bb_pos: number }).bb_pos;
    bb.writeInt64(at, BigInt(0));
    bb.writeInt64(at + 8, BigInt(0));
  }
}
