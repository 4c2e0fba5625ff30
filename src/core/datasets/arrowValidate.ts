// Structural checks of a decoded record batch before any value is read. apache-arrow trusts the
// file: corrupt offsets or lengths would otherwise make a "list" of 2^40 elements and exhaust memory.
import { Type, type Data, type RecordBatch } from 'apache-arrow';

function check(ok: boolean, path: string, what: string): void {
  if (!ok) throw new Error(`column ${path}: ${what}`);
}

function validOffsets(offs: ArrayLike<number | bigint> | undefined, from: number, count: number, limit: number, path: string): void {
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
  if (d.nullCount > 0 && d.type.typeId !== Type.Null) check(!!d.nullBitmap && d.nullBitmap.length * 8 >= d.offset + n, path, 'validity bitmap too short');
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
    if (d.length < batch.numRows) throw new Error(`column ${f.name}: ${d.length} values for ${batch.numRows} rows`);
    validateData(d, f.name);
  });
}
