// How decoded Parquet columns travel from the decoder process and sit in the row-group cache.
// Integer-list columns (input_ids, labels, attention_mask: the bulk of a tokenized dataset) are packed
// into one offsets array and one values array: they cross the process boundary as raw bytes (V8's
// serializer copies typed arrays with memcpy, but walks plain arrays number by number), take 4–8 bytes
// per token in the cache, and give the stats scan zero-copy views. Everything else stays as cells.
// No heavy imports: this file is part of the decoder bundle too.
import type { CellValue } from './types';

export type PackedColumn =
  | { kind: 'cells'; cells: CellValue[] }
  | {
      kind: 'ints';
      /** Row r's list is values[offsets[r] .. offsets[r+1]). */
      offsets: Int32Array;
      values: Int32Array | Float64Array;
      /** 0 where the cell is null; absent when no cell is. */
      valid?: Uint8Array;
    };

function bigToCell(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** hyparquet value → cell (the conventions of arrowValues.toCell), counting heap bytes as it goes. */
export function toCell(x: unknown, size: { bytes: number }): CellValue {
  if (x === null || x === undefined) return null;
  if (typeof x === 'number' || typeof x === 'boolean') {
    size.bytes += 8;
    return x;
  }
  if (typeof x === 'string') {
    size.bytes += 16 + 2 * x.length;
    return x;
  }
  if (typeof x === 'bigint') {
    size.bytes += 16;
    return bigToCell(x);
  }
  if (x instanceof Date) return toCell(x.toISOString(), size);
  if (x instanceof Uint8Array) {
    size.bytes += 64 + x.length;
    return x.slice(); // own buffer: does not pin a decompressed page
  }
  if (ArrayBuffer.isView(x)) return toCell(Array.from(x as unknown as ArrayLike<number | bigint>), size);
  if (Array.isArray(x)) {
    size.bytes += 16;
    const out: CellValue[] = new Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = toCell(x[i], size);
    return out;
  }
  if (typeof x === 'object') {
    size.bytes += 32;
    const out: { [k: string]: CellValue } = {};
    for (const [k, v] of Object.entries(x as object)) out[k] = toCell(v, size);
    return out;
  }
  return String(x);
}

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;

/** Packs a column when every cell is null or a list of safe integers; else converts it to cells. */
export function packColumn(raw: unknown[], size: { bytes: number }): PackedColumn {
  let total = 0;
  let nulls = 0;
  let int32 = true;
  let packable = raw.length > 0;
  for (let r = 0; r < raw.length && packable; r++) {
    const v = raw[r];
    if (v === null || v === undefined) {
      nulls++;
      continue;
    }
    if (!Array.isArray(v) && !(ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof Uint8Array))) {
      packable = false;
      break;
    }
    const list = v as ArrayLike<unknown>;
    total += list.length;
    for (let i = 0; i < list.length; i++) {
      const x = list[i];
      const n =
        typeof x === 'bigint'
          ? x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER)
            ? Number(x)
            : NaN
          : x;
      if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
        packable = false;
        break;
      }
      if (n < I32_MIN || n > I32_MAX) int32 = false;
    }
  }
  if (!packable || nulls === raw.length) {
    const cells: CellValue[] = new Array(raw.length);
    for (let r = 0; r < raw.length; r++) cells[r] = toCell(raw[r], size);
    return { kind: 'cells', cells };
  }
  const offsets = new Int32Array(raw.length + 1);
  const values = int32 ? new Int32Array(total) : new Float64Array(total);
  const valid = nulls ? new Uint8Array(raw.length) : undefined;
  let at = 0;
  for (let r = 0; r < raw.length; r++) {
    offsets[r] = at;
    const v = raw[r] as ArrayLike<number | bigint> | null | undefined;
    if (v === null || v === undefined) continue;
    if (valid) valid[r] = 1;
    for (let i = 0; i < v.length; i++) values[at++] = Number(v[i]);
  }
  offsets[raw.length] = at;
  size.bytes += offsets.byteLength + values.byteLength + (valid?.byteLength ?? 0);
  return { kind: 'ints', offsets, values, valid };
}

export function packedLength(col: PackedColumn): number {
  return col.kind === 'cells' ? col.cells.length : col.offsets.length - 1;
}

/** Row r's list as a view (no copy), or null for a null cell / a column that is not packed. */
export function packedList(col: PackedColumn, r: number): Int32Array | Float64Array | null {
  if (col.kind !== 'ints' || (col.valid && !col.valid[r])) return null;
  return col.values.subarray(col.offsets[r], col.offsets[r + 1]);
}

/** Row r as a cell (a fresh array for packed lists, so callers may keep it). */
export function packedCell(col: PackedColumn, r: number): CellValue {
  if (col.kind === 'cells') return col.cells[r] ?? null;
  const view = packedList(col, r);
  return view ? Array.from(view) : null;
}
