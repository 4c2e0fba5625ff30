// Arrow vectors → CellValue (JSON-like: integers as numbers, bigint only beyond 2^53), and pyarrow-style type names.
import { DataType, Type, type Data, type Field, type Vector } from 'apache-arrow';
import type { CellValue } from './types';
import {
  formatDate,
  formatDecimal,
  formatTime,
  formatTimestamp,
  littleEndianWords,
  PLAIN,
  type TimeUnit,
  type ValueSpec,
} from './valueForms';

const UNITS: TimeUnit[] = ['s', 'ms', 'us', 'ns'];

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function bigToCell(v: bigint): number | bigint {
  return v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v;
}

/**
 * Row i of a list-of-numbers column straight from the Arrow buffers (offsets + child values), without
 * the per-row Vector that `v.get(i)` builds. int64 values (labels) are read as two 32-bit words: when
 * the high word is only the sign of the low one, the value is that int32 (no BigInt per element).
 * Returns undefined when the column is not such a list (the caller takes the general path).
 */
function numericListCell(v: Vector, i: number): CellValue[] | undefined {
  if (v.data.length !== 1) return undefined;
  const d = v.data[0];
  const child = d.children[0];
  // Unsliced data only (whole batch columns): then offsets index the child's values as they are.
  if (!child || d.offset !== 0 || child.offset !== 0 || child.nullCount !== 0 || !isPrimitiveNumeric(child.type))
    return undefined;
  const offs = d.valueOffsets as Int32Array | BigInt64Array | undefined;
  const vals = child.values as ArrayLike<number> | BigInt64Array | BigUint64Array | undefined;
  if (!offs || !vals) return undefined;
  // float16 is stored as raw uint16 bits: leave it to apache-arrow's getter.
  if (child.type.typeId === Type.Float && (child.type as unknown as { precision: number }).precision === 0)
    return undefined;
  const start = Number(offs[i]);
  const end = Number(offs[i + 1]);
  if (!(start >= 0 && end >= start && end <= vals.length)) return undefined;
  const out: CellValue[] = new Array(end - start);
  if (vals instanceof BigInt64Array) {
    const w = new Int32Array(vals.buffer, vals.byteOffset, vals.length * 2);
    for (let k = start, j = 0; k < end; k++, j++) {
      const lo = w[2 * k];
      out[j] = w[2 * k + 1] === lo >> 31 ? lo : bigToCell(vals[k]);
    }
  } else if (vals instanceof BigUint64Array) {
    for (let k = start, j = 0; k < end; k++, j++) out[j] = bigToCell(vals[k]);
  } else {
    for (let k = start, j = 0; k < end; k++, j++) out[j] = (vals as ArrayLike<number>)[k];
  }
  return out;
}

function isPrimitiveNumeric(t: DataType): boolean {
  return t.typeId === Type.Int || t.typeId === Type.Float;
}

/** All values of a vector as cells. Fast path for null-free numeric vectors (token id lists). */
export function vectorToCells(v: Vector): CellValue[] {
  const n = v.length;
  if (isPrimitiveNumeric(v.type) && v.nullCount === 0) {
    const arr = v.toArray() as ArrayLike<number | bigint>;
    const out: CellValue[] = new Array(n);
    if (arr instanceof BigInt64Array || arr instanceof BigUint64Array) {
      for (let i = 0; i < n; i++) out[i] = bigToCell(arr[i] as bigint);
    } else {
      for (let i = 0; i < n; i++) out[i] = arr[i] as number;
    }
    return out;
  }
  const out: CellValue[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = cellAt(v, i);
  return out;
}

export function cellAt(v: Vector, i: number): CellValue {
  if (!v.isValid(i)) return null;
  const t = v.type;
  switch (t.typeId) {
    case Type.Null:
      return null;
    case Type.Timestamp:
    case Type.Date:
    case Type.Time:
    case Type.Duration:
    case Type.Decimal:
      return exactCell(v, i);
    case Type.Int:
    case Type.Float: {
      const x = v.get(i) as unknown;
      if (typeof x === 'bigint') return bigToCell(x);
      if (typeof x === 'number') return x;
      return toCell(x);
    }
    case Type.Bool:
      return Boolean(v.get(i));
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Utf8View:
      return v.get(i) as string;
    case Type.Binary:
    case Type.LargeBinary:
    case Type.FixedSizeBinary:
    case Type.BinaryView:
      // Copy, so a cached row does not pin the whole record batch in memory.
      return (v.get(i) as Uint8Array).slice();
    case Type.List:
    case Type.LargeList:
      return numericListCell(v, i) ?? vectorToCells(v.get(i) as Vector);
    case Type.FixedSizeList:
      return vectorToCells(v.get(i) as Vector);
    case Type.Struct: {
      const out: { [k: string]: CellValue } = {};
      (t.children as Field[]).forEach((f, k) => {
        out[f.name] = cellAt(v.getChildAt(k)!, i);
      });
      return out;
    }
    default:
      return toCell(v.get(i));
  }
}

/**
 * The Data chunk holding element i of a vector, and i's index into its values. apache-arrow slices the
 * values buffer of fixed-width types along with the Data (its offset then only applies to the bitmap).
 */
function locate(v: Vector, i: number): [Data, number] {
  let at = i;
  for (const d of v.data) {
    if (at < d.length) return [d, at];
    at -= d.length;
  }
  throw new Error(`row ${i} past the end of the column`);
}

function int64At(values: ArrayLike<number | bigint>, k: number): bigint {
  if (values instanceof BigInt64Array) return values[k];
  if (values instanceof BigUint64Array) return BigInt.asIntN(64, values[k]);
  // Older layouts keep 64-bit values as pairs of 32-bit words.
  const w = values as ArrayLike<number>;
  return (BigInt(w[2 * k + 1] | 0) << 32n) | BigInt(w[2 * k] >>> 0);
}

/**
 * Temporal and decimal values straight from the buffers, in their exact text form (valueForms.ts):
 * apache-arrow's getters turn them into milliseconds or raw words.
 */
function exactCell(v: Vector, i: number): CellValue {
  const [d, k] = locate(v, i);
  const t = d.type as unknown as {
    typeId: Type;
    unit: number;
    timezone?: string | null;
    scale: number;
    bitWidth: number;
  };
  const vals = d.values as ArrayLike<number | bigint>;
  switch (t.typeId) {
    case Type.Timestamp:
      return formatTimestamp(int64At(vals, k), UNITS[t.unit], t.timezone || null);
    case Type.Date:
      return formatDate(t.unit === 0 ? Number(vals[k]) : Math.floor(Number(int64At(vals, k)) / 86400000));
    case Type.Time: {
      const unit = UNITS[t.unit];
      const raw =
        vals instanceof BigInt64Array || vals instanceof BigUint64Array || unit === 'us' || unit === 'ns'
          ? int64At(vals, k)
          : BigInt(vals[k] as number);
      return formatTime(raw, unit);
    }
    case Type.Duration:
      return bigToCell(int64At(vals, k));
    case Type.Decimal: {
      const words = t.bitWidth / 32;
      return formatDecimal(littleEndianWords(d.values as Uint32Array, k * words, words), t.scale);
    }
    default:
      return toCell(v.get(i));
  }
}

/** What the Parquet decoder must do to a column's raw values to give the same forms as this file. */
export function specOfArrowType(t: DataType): ValueSpec {
  const x = t as unknown as { unit: number; timezone?: string | null; scale: number };
  switch (t.typeId) {
    case Type.Timestamp:
      return { kind: 'timestamp', unit: UNITS[x.unit], tz: x.timezone || null };
    case Type.Date:
      return { kind: 'date', unit: x.unit === 0 ? 'day' : 'ms' };
    case Type.Time:
      return { kind: 'time', unit: UNITS[x.unit] };
    case Type.Duration:
      return { kind: 'duration', unit: UNITS[x.unit] };
    case Type.Decimal:
      return { kind: 'decimal', scale: x.scale };
    case Type.List:
    case Type.LargeList:
    case Type.FixedSizeList: {
      const item = specOfArrowType((t.children as Field[])[0].type);
      return item.kind === 'plain' ? PLAIN : { kind: 'list', item };
    }
    case Type.Struct: {
      const fields: Record<string, ValueSpec> = {};
      let any = false;
      for (const f of t.children as Field[]) {
        fields[f.name] = specOfArrowType(f.type);
        if (fields[f.name].kind !== 'plain') any = true;
      }
      return any ? { kind: 'struct', fields } : PLAIN;
    }
    default:
      return PLAIN;
  }
}

/** Generic JS value → cell, for types without a dedicated path (dictionary, timestamp, map …). */
export function toCell(x: unknown): CellValue {
  if (x === null || x === undefined) return null;
  if (typeof x === 'bigint') return bigToCell(x);
  if (typeof x === 'number' || typeof x === 'string' || typeof x === 'boolean') return x;
  if (x instanceof Date) return x.toISOString();
  if (x instanceof Uint8Array) return x.slice();
  if (ArrayBuffer.isView(x)) return Array.from(x as unknown as ArrayLike<number | bigint>, (e) => toCell(e));
  if (Array.isArray(x)) return x.map(toCell);
  const maybeVector = x as { toArray?: () => unknown; type?: unknown; length?: number; get?: (i: number) => unknown };
  if (maybeVector.type instanceof DataType && typeof maybeVector.get === 'function') return vectorToCells(x as Vector);
  const withJson = x as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === 'function') {
    const j = withJson.toJSON();
    if (j !== x) return toCell(j);
  }
  if (typeof x === 'object') {
    const out: { [k: string]: CellValue } = {};
    for (const [k, val] of Object.entries(x as object)) out[k] = toCell(val);
    return out;
  }
  return String(x);
}

/** pyarrow-style type string: `int32`, `list<int64>`, `large_list<string>`, `struct<bytes: binary, path: string>`. */
export function arrowTypeName(t: DataType): string {
  switch (t.typeId) {
    case Type.Null:
      return 'null';
    case Type.Bool:
      return 'bool';
    case Type.Int: {
      const it = t as unknown as { isSigned: boolean; bitWidth: number };
      return `${it.isSigned ? '' : 'u'}int${it.bitWidth}`;
    }
    case Type.Float: {
      const p = (t as unknown as { precision: number }).precision;
      return p === 0 ? 'halffloat' : p === 1 ? 'float' : 'double';
    }
    case Type.Utf8:
      return 'string';
    case Type.LargeUtf8:
      return 'large_string';
    case Type.Utf8View:
      return 'string_view';
    case Type.Binary:
      return 'binary';
    case Type.LargeBinary:
      return 'large_binary';
    case Type.BinaryView:
      return 'binary_view';
    case Type.FixedSizeBinary:
      return `fixed_size_binary[${(t as unknown as { byteWidth: number }).byteWidth}]`;
    case Type.List:
      return `list<${arrowTypeName((t.children as Field[])[0].type)}>`;
    case Type.LargeList:
      return `large_list<${arrowTypeName((t.children as Field[])[0].type)}>`;
    case Type.FixedSizeList:
      return `fixed_size_list<${arrowTypeName((t.children as Field[])[0].type)}>[${(t as unknown as { listSize: number }).listSize}]`;
    case Type.Struct:
      return `struct<${(t.children as Field[]).map((f) => `${f.name}: ${arrowTypeName(f.type)}`).join(', ')}>`;
    case Type.Dictionary: {
      const d = t as unknown as { dictionary: DataType; indices: DataType };
      return `dictionary<values=${arrowTypeName(d.dictionary)}, indices=${arrowTypeName(d.indices)}>`;
    }
    case Type.Timestamp: {
      const x = t as unknown as { unit: number; timezone?: string | null };
      return `timestamp[${UNITS[x.unit]}${x.timezone ? `, tz=${x.timezone}` : ''}]`;
    }
    case Type.Date:
      return (t as unknown as { unit: number }).unit === 0 ? 'date32[day]' : 'date64[ms]';
    case Type.Time: {
      const x = t as unknown as { unit: number; bitWidth: number };
      return `time${x.bitWidth}[${UNITS[x.unit]}]`;
    }
    case Type.Duration:
      return `duration[${UNITS[(t as unknown as { unit: number }).unit]}]`;
    case Type.Decimal: {
      const x = t as unknown as { precision: number; scale: number; bitWidth: number };
      return `decimal${x.bitWidth}(${x.precision}, ${x.scale})`;
    }
    default:
      return String(t).toLowerCase();
  }
}
