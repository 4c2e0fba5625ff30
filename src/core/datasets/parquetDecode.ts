// Decodes rows of one Parquet row group with hyparquet, from the column-chunk bytes the caller read.
// Runs inside the decoder process (parquetWorker.ts): hyparquet trusts run lengths inside data pages,
// so a corrupt page can grow an array without bound. There it ends only that process.
// No apache-arrow import here: the decoder bundle stays small and starts fast.
import { parquetReadObjects, type FileMetaData } from 'hyparquet';
import { parquetCompressors as SAFE_COMPRESSORS } from './parquetCodecs';
import { packColumn, type PackedColumn } from './parquetPacked';
import { applySpec, type ValueSpec } from './valueForms';

export interface BytePiece {
  /** Byte offset of `bytes` in the file. */
  offset: number;
  bytes: Uint8Array;
}

export interface DecodeRequest {
  /** The file's metadata reduced to the one row group being read (num_rows = that group's rows). */
  metadata: FileMetaData;
  /** Rows to decode, relative to the row group. */
  rowStart: number;
  rowEnd: number;
  /** Top-level columns to decode; all when absent. */
  columns?: string[];
  fileSize: number;
  /** The byte ranges holding the needed column chunks (the only bytes the decoder sees). */
  pieces: BytePiece[];
  /** Top-level column → how its physical values become exact cells (parquetSpecs.ts); absent = as decoded. */
  specs?: Record<string, ValueSpec>;
  /** The pieces hold only the pages of the rows asked for (parquetPages.ts): read through the OffsetIndex. */
  useOffsetIndex?: boolean;
  /** Column chunks are cut after the pages estimated to hold the rows (parquetPrefix.ts): check they do. */
  prefix?: boolean;
}

import { PREFIX_SHORT } from './parquetPrefix';
import { topLevelNames, tryFastListColumn } from './parquetFastLists';
export { PREFIX_SHORT };

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
// Values routed through the nanosecond parser: INT96 timestamps (their spec formats them, exactly) and
// plain int64 leaves (parquetSpecs.withPhysicalLeaves). A number where exact, else the bigint.
const RAW_PARSERS = {
  timestampFromNanoseconds: (v: bigint) => (v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v) as unknown as Date,
};

export interface DecodeResult {
  numRows: number;
  /** Column name → its decoded values for the rows asked for. */
  columns: Record<string, PackedColumn>;
  /** Rough heap size of the result, for the caller's byte-bounded cache. */
  approxBytes: number;
}

function exactBuffer(b: Uint8Array): ArrayBuffer {
  return (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b.buffer : b.slice().buffer) as ArrayBuffer;
}

/** hyparquet's AsyncBuffer over the pieces; bytes between pieces (never decoded) read as zeros. */
function piecesBuffer(fileSize: number, pieces: BytePiece[]) {
  const bufs = pieces.map((p) => ({ offset: p.offset, bytes: exactBuffer(p.bytes) }));
  return {
    byteLength: fileSize,
    async slice(start: number, end = fileSize): Promise<ArrayBuffer> {
      for (const p of bufs) {
        if (start >= p.offset && end <= p.offset + p.bytes.byteLength) {
          return start === p.offset && end === p.offset + p.bytes.byteLength
            ? p.bytes
            : p.bytes.slice(start - p.offset, end - p.offset);
        }
      }
      if (!(end >= start && end - start <= 2 ** 31)) throw new Error(`read of bytes ${start}..${end} out of range`);
      const out = new Uint8Array(end - start);
      let covered = 0;
      for (const p of bufs) {
        const a = Math.max(start, p.offset);
        const b = Math.min(end, p.offset + p.bytes.byteLength);
        if (a < b) {
          out.set(new Uint8Array(p.bytes, a - p.offset, b - a), a - start);
          covered += b - a;
        }
      }
      if (!covered) throw new Error(`bytes ${start}..${end} lie outside the row group's column chunks`);
      return out.buffer;
    },
  };
}

export async function decodeRowGroup(req: DecodeRequest): Promise<DecodeResult> {
  const file = piecesBuffer(req.fileSize, req.pieces);
  const size = { bytes: 0 };
  const columns: Record<string, PackedColumn> = {};
  // Integer-list columns (the tokens) through the typed-array path; the rest through hyparquet.
  const names = req.columns ?? topLevelNames(req.metadata.schema);
  for (const name of names) {
    if (req.specs?.[name]) continue;
    const slice = async (a: number, b: number) => new Uint8Array(await file.slice(a, b));
    const col = await tryFastListColumn(req, name, slice, SAFE_COMPRESSORS, size);
    if (col) columns[name] = col;
  }
  const rest = names.filter((n) => !columns[n]);
  if (!rest.length) return { numRows: req.rowEnd - req.rowStart, columns, approxBytes: size.bytes };
  // A prefix decode asks for one row more: every column must reach it, so the last row kept is whole
  // even when a row continues on a page that was cut off.
  const end = req.prefix ? req.rowEnd + 1 : req.rowEnd;
  const objs = await parquetReadObjects({
    file,
    metadata: req.metadata,
    rowStart: req.rowStart,
    rowEnd: end,
    columns: rest.length === names.length ? req.columns : rest,
    compressors: SAFE_COMPRESSORS,
    parsers: RAW_PARSERS,
    useOffsetIndex: req.useOffsetIndex ?? false,
    utf8: false,
  });
  if (req.prefix) {
    const last = objs[objs.length - 1];
    if (objs.length !== end - req.rowStart || !last || Object.values(last).some((v) => v === undefined))
      throw new Error(PREFIX_SHORT);
    objs.pop();
  }
  const want = req.rowEnd - req.rowStart;
  if (objs.length !== want) throw new Error(`expected ${want} rows, decoded ${objs.length}`);
  for (const name of rest) {
    const spec = req.specs?.[name];
    columns[name] = packColumn(
      objs.map((o) => (spec ? applySpec(o[name], spec) : o[name])),
      size,
    );
  }
  return { numRows: objs.length, columns, approxBytes: size.bytes };
}
