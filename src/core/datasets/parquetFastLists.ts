// The decoder's fast path for the columns that make up a tokenized dataset: lists of signed integers
// (input_ids list<int32>, labels list<int64>, attention_mask list<int8>). hyparquet builds a JS array per
// row and a plain Array per page of levels: 500 rows of ~1,000 tokens took 1.7 s of the first page on a
// loaded 2-core machine (bench/data/parquet_ours.ts, --cpu-prof: assembleLists, readDefinitionLevels).
// Here levels and values go into typed arrays and straight into the packed column (parquetPacked.ts),
// the form the page cache and the stats scan use anyway.
//
// Strict where parquet-cpp is: every page must hold as many levels as its header says, values must be
// there for every defined level, dictionary indexes must be in range, a column chunk must reach the rows
// its row group claims. Every allocation is sized by a page header checked against the bytes at hand,
// and every run is clipped to its page, so a corrupt page cannot grow memory without bound.
// What this does not cover returns null and the column goes to hyparquet: null list elements, values
// beyond 2^53, encodings other than PLAIN / dictionary, other shapes of column.
import { parquetHeader } from 'hyparquet/src/column.js';
import { readOffsetIndex, type FileMetaData, type SchemaElement } from 'hyparquet';
import { PREFIX_SHORT } from './parquetPrefix';
import { snappyDecode } from './parquetSnappy';
import { zstdDecompress } from './zstd';
import type { PackedColumn } from './parquetPacked';
import type { BytePiece } from './parquetDecode';
import {
  HOST_BOUNDS,
  Int64Dict,
  UNSUPPORTED,
  Values,
  WORKER_BOUNDS,
  dataPage,
  dictionaryOf,
  peekRowStarts,
  readDictionary,
  type Codec,
  type Dict,
  type PageBounds,
  type PageCtx,
  type Shape,
  type Slice,
} from './parquetFastPages';

/**
 * Bytes fetched at once while walking a chunk's pages: a page header and enough of the page to read its
 * repetition levels (peekRowStarts), so a page wholly before the window costs this, not its ~1 MB.
 */
const READ_AHEAD = 192 * 1024;

export interface FastListRequest {
  metadata: FileMetaData;
  rowStart: number;
  rowEnd: number;
  /** Column chunks cut after the pages that hold the rows (parquetPrefix.ts): a short chunk is PREFIX_SHORT. */
  prefix?: boolean;
  /** Read only the pages of the rows through the chunk's OffsetIndex (parquetPages.ts). */
  useOffsetIndex?: boolean;
  /** Pages met so far in this row group's chunks, by column path (a page index learned on the way). */
  pageMarks?: Map<string, ChunkMarks>;
  /**
   * The last dictionary decoded per column path, with its chunk's start: the next window of the same
   * group reuses it instead of decompressing ~1 MB again (a 50-row page often spans two windows).
   */
  dicts?: Map<string, { at: number; dict: Dict }>;
  /** The last page decompressed per column path, by its offset (for the same reason). */
  pages?: Map<string, { at: number; b: Uint8Array }>;
}

/** Dictionaries and pages bigger than this are not kept between windows. */
const KEEP_DICT_BYTES = 8 * 2 ** 20;

/** Where data pages that begin a row start, as met while walking a chunk without an OffsetIndex. */
export interface ChunkMarks {
  /** End of the dictionary page at the chunk's start (0: none met). */
  dictEnd: number;
  pages: { offset: number; firstRow: number; levelsBefore: number }[];
}

const isSignedInt = (el: SchemaElement): boolean => {
  const lt = el.logical_type as { type?: string; isSigned?: boolean; unit?: string } | undefined;
  if (el.type === 'INT64' && lt?.type === 'TIMESTAMP' && lt.unit === 'NANOS' && !el.converted_type) {
    return true; // parquetSpecs.withPhysicalLeaves' marker of a plain int64 leaf (a real timestamp has a spec)
  }
  if (lt) return lt.type === 'INTEGER' && lt.isSigned !== false;
  const ct = el.converted_type;
  return !ct || ct === 'INT_8' || ct === 'INT_16' || ct === 'INT_32' || ct === 'INT_64';
};

/** The three-level LIST of a signed integer leaf that pyarrow writes, or null. */
function listShape(schema: SchemaElement[], name: string): Shape | null {
  let i = 1;
  const end = (k: number): number => {
    let j = k + 1;
    for (let c = 0; c < (schema[k].num_children ?? 0); c++) j = end(j);
    return j;
  };
  for (let c = 0; c < (schema[0]?.num_children ?? 0) && i < schema.length; c++) {
    if (schema[i].name !== name) {
      i = end(i);
      continue;
    }
    const top = schema[i];
    const rep = schema[i + 1];
    const leaf = schema[i + 2];
    const isList =
      top.converted_type === 'LIST' || (top.logical_type as { type?: string } | undefined)?.type === 'LIST';
    if (!isList || top.num_children !== 1 || !rep || rep.repetition_type !== 'REPEATED') return null;
    if (rep.num_children !== 1 || !leaf || leaf.num_children) return null;
    if (leaf.repetition_type === 'REPEATED' || top.repetition_type === 'REPEATED') return null;
    if ((leaf.type !== 'INT32' && leaf.type !== 'INT64') || !isSignedInt(leaf)) return null;
    const listDef = top.repetition_type === 'OPTIONAL' ? 1 : 0;
    const repDef = listDef + 1;
    return {
      path: [top.name, rep.name, leaf.name].join('.'),
      physical: leaf.type,
      listDef,
      repDef,
      maxDef: repDef + (leaf.repetition_type === 'OPTIONAL' ? 1 : 0),
    };
  }
  return null;
}

type DecodedPage = Exclude<ReturnType<typeof dataPage>, typeof UNSUPPORTED>;

/**
 * Packs one decoded data page's levels [0, limit) into the window's row offsets and values. `row` is the
 * row before the page's first level. Kept out of the async fastListColumn: V8 optimizes a hot loop of a
 * plain function mid-run (on-stack replacement), which it does not do inside an async function, and in a
 * fresh process this loop otherwise runs unoptimized over every level of the window.
 */
function packPage(
  page: DecodedPage,
  shape: Shape,
  row: number,
  rowStart: number,
  offsets: Int32Array,
  valid: Uint8Array,
  values: Values,
  at: number,
): { row: number; nullRows: number } | typeof UNSUPPORTED {
  const { rep, def, vals, limit } = page;
  let nullRows = 0;
  let vFrom = row - rowStart >= 0 ? 0 : -1; // first value of this page that is output
  let v = 0;
  if (page.allValues) {
    // Every level is a value (lists without empty or null entries, the common case): level i is value
    // i, so only the row starts matter, found by a native search.
    let i = limit ? rep.indexOf(0) : -1;
    if (i >= limit) i = -1;
    if (row < 0 && limit && i !== 0) throw new Error(`page at byte ${at}: a list continues past its row`);
    for (; i >= 0 && i < limit; i = rep.indexOf(0, i + 1)) {
      const k = ++row - rowStart;
      if (k >= 0) {
        if (vFrom < 0) vFrom = i;
        offsets[k] = values.n + i - vFrom;
        valid[k] = 1;
      }
    }
    v = limit;
  } else {
    const { listDef, repDef, maxDef } = shape;
    for (let i = 0; i < limit; i++) {
      const d = def[i];
      if (rep[i] === 0) {
        const k = ++row - rowStart;
        if (k >= 0) {
          if (vFrom < 0) vFrom = v;
          offsets[k] = values.n + v - vFrom;
          if (d < listDef) nullRows++;
          else valid[k] = 1;
        }
      } else if (row < 0 || d < repDef) throw new Error(`page at byte ${at}: a list continues past its row`);
      if (d === maxDef) v++;
      else if (d >= repDef) return UNSUPPORTED;
    }
  }
  // vals starts at value page.valsFrom (the first of the window's rows, see dataPage).
  if (vFrom >= 0) values.append(vals, vFrom - page.valsFrom, v - page.valsFrom);
  return { row, nullRows };
}

/**
 * Decodes one column chunk's pages from `pos` (the chunk start, or the first page the offset index names
 * for rowStart, with `row` = its first row − 1) and packs rows [rowStart, rowEnd). Returns null when the
 * column needs hyparquet.
 */
export async function fastListColumn(
  req: FastListRequest,
  name: string,
  slice: Slice,
  compressors: Record<string, Codec | undefined>,
  size: { bytes: number },
  bounds: PageBounds = WORKER_BOUNDS,
): Promise<PackedColumn | null> {
  const shape = listShape(req.metadata.schema, name);
  const rg = req.metadata.row_groups[0];
  const chunk = shape && rg?.columns.find((c) => c.meta_data?.path_in_schema.join('.') === shape.path);
  const md = chunk?.meta_data;
  if (!shape || !chunk || !md) return null;
  const chunkStart = Number(md.dictionary_page_offset || md.data_page_offset);
  const chunkEnd = chunkStart + Number(md.total_compressed_size);
  const groupRows = Number(rg.num_rows);
  const { rowStart, rowEnd } = req;
  const ctx: PageCtx = {
    shape,
    codec: md.codec,
    compressors,
    bounds,
    keptPage: req.pages?.get(shape.path),
    keepPage: (at, b) => {
      if (req.pages && b.length <= KEEP_DICT_BYTES) req.pages.set(shape.path, { at, b });
    },
  };
  const kept = req.dicts?.get(shape.path);
  const keptDict = kept?.at === chunkStart ? kept.dict : undefined;
  /** The chunk's dictionary, decoded once for the windows of its group (see FastListRequest.dicts). */
  const dictionary = async (end: number): Promise<Dict> =>
    keptDict ?? keep(await readDictionary(ctx, slice, chunkStart, end));
  const keep = (d: Dict): Dict => {
    const bytes = d instanceof Int64Dict ? d.words.byteLength : d.byteLength;
    if (req.dicts && bytes <= KEEP_DICT_BYTES) req.dicts.set(shape.path, { at: chunkStart, dict: d });
    return d;
  };
  let dict: Dict | undefined;
  // Where to start, and the row before the first level read.
  let pos = chunkStart;
  let row = -1;
  let stopAt = chunkEnd;
  /** Row the data ends at when it ends (offset-index reads end on a page boundary). */
  let lastRowEnd = groupRows;
  if (req.useOffsetIndex && chunk.offset_index_offset && chunk.offset_index_length) {
    const at = Number(chunk.offset_index_offset);
    const buf = await slice(at, at + Number(chunk.offset_index_length));
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const pages = readOffsetIndex({ view, offset: 0 }).page_locations;
    let from = -1;
    for (let i = 0; i < pages.length; i++) {
      const pStart = Number(pages[i].first_row_index);
      const pEnd = i + 1 < pages.length ? Number(pages[i + 1].first_row_index) : groupRows;
      if (pEnd > rowStart && pStart < rowEnd) {
        if (from < 0) {
          from = i;
          row = pStart - 1;
          pos = Number(pages[i].offset);
        }
        stopAt = Number(pages[i].offset) + pages[i].compressed_page_size;
        lastRowEnd = pEnd;
      }
    }
    if (from < 0) throw new Error(`offset index of "${shape.path}" has no page for rows ${rowStart}..${rowEnd}`);
    if (chunkStart < Number(pages[0].offset)) dict = await dictionary(Number(pages[0].offset));
  }
  const want = rowEnd - rowStart;
  const offsets = new Int32Array(want + 1);
  const valid = new Uint8Array(want);
  let nullRows = 0;
  const values = new Values();
  let levelsSeen = 0;
  const totalLevels = Number(md.num_values);
  // Without an OffsetIndex, a later window starts at the last page met that begins at or before its
  // first row, instead of walking the chunk from its start again.
  let marks: ChunkMarks | undefined;
  if (!req.useOffsetIndex && req.pageMarks) {
    marks = req.pageMarks.get(shape.path) ?? { dictEnd: 0, pages: [] };
    req.pageMarks.set(shape.path, marks);
    let best: ChunkMarks['pages'][number] | undefined;
    for (const m of marks.pages) if (m.firstRow <= rowStart && (!best || m.firstRow > best.firstRow)) best = m;
    if (best && best.offset < stopAt) {
      if (marks.dictEnd) dict = await dictionary(marks.dictEnd);
      pos = best.offset;
      row = best.firstRow - 1;
      levelsSeen = best.levelsBefore;
    }
  }
  let finished = false;
  // Bytes are fetched as the pages are reached: decoding stops at the window's last row, so the rest of
  // the chunk is never read (a first page reads a page or two per column, not the 10+ MB chunk).
  let bytes: Uint8Array = new Uint8Array(0);
  let base = pos;
  const have = async (a: number, b: number): Promise<void> => {
    if (a >= base && b <= base + bytes.length) return;
    bytes = await slice(a, Math.min(stopAt, Math.max(b, a + READ_AHEAD)));
    base = a;
  };
  while (!finished && pos < stopAt) {
    let header;
    let headerLen = 0;
    for (let want = 1024; ; want *= 8) {
      await have(pos, Math.min(stopAt, pos + want));
      const reader = { view: new DataView(bytes.buffer, bytes.byteOffset + (pos - base)), offset: 0 };
      try {
        header = parquetHeader(reader);
        headerLen = reader.offset;
        break;
      } catch {
        // a header with long statistics: read more, unless the chunk (or its cut) ends here
        if (pos + want < stopAt && want < 2 ** 24) continue;
        if (req.prefix) throw new Error(PREFIX_SHORT);
        throw new Error(`unreadable page header at byte ${pos}`);
      }
    }
    const dataAt = pos + headerLen;
    const next = dataAt + header.compressed_page_size;
    if (!(header.compressed_page_size >= 0 && next <= stopAt)) {
      if (req.prefix) throw new Error(PREFIX_SHORT);
      throw new Error(`page at byte ${pos} runs past its column chunk`);
    }
    // A data page that may lie wholly before the window: its row starts from the bytes at hand.
    if (header.type === 'DATA_PAGE' && rowStart - row > 1 && next > base + bytes.length) {
      const peek = peekRowStarts(ctx, bytes.subarray(dataAt - base), header, pos);
      if (peek && peek.rows < rowStart - row) {
        if (marks && peek.startsRow && !marks.pages.some((m) => m.offset === pos))
          marks.pages.push({ offset: pos, firstRow: row + 1, levelsBefore: levelsSeen });
        row += peek.rows;
        levelsSeen += peek.levels;
        pos = next;
        if (levelsSeen >= totalLevels && !req.useOffsetIndex) break;
        continue;
      }
    }
    if (header.type === 'DICTIONARY_PAGE' && pos === chunkStart && keptDict) {
      dict = keptDict; // decoded by an earlier window: its bytes need not be read again
      if (marks) marks.dictEnd = next;
      pos = next;
      continue;
    }
    await have(pos, next);
    const raw = bytes.subarray(dataAt - base, next - base);
    if (header.type === 'DICTIONARY_PAGE') {
      dict = dictionaryOf(ctx, raw, header, pos);
      if (pos === chunkStart) keep(dict);
      if (marks && pos === chunkStart) marks.dictEnd = next;
    } else if (header.type === 'DATA_PAGE' || header.type === 'DATA_PAGE_V2') {
      // Levels up to where row rowEnd begins (the rest of the page is not decoded).
      const page = dataPage(ctx, raw, header, pos, dict, rowStart - row, rowEnd - row);
      if (page === UNSUPPORTED) return null;
      const { rep, limit, skipRows } = page;
      if (marks && rep.length && rep[0] === 0 && !marks.pages.some((m) => m.offset === pos))
        marks.pages.push({ offset: pos, firstRow: row + 1, levelsBefore: levelsSeen });
      if (skipRows >= 0) {
        row += skipRows;
        levelsSeen += limit;
        pos = next;
        if (levelsSeen >= totalLevels && !req.useOffsetIndex) break;
        continue;
      }
      const packed = packPage(page, shape, row, rowStart, offsets, valid, values, pos);
      if (packed === UNSUPPORTED) return null; // a null element: hyparquet gives the cells
      row = packed.row;
      nullRows += packed.nullRows;
      if (limit < rep.length) finished = true;
      levelsSeen += limit;
    } // index pages and unknown page types carry no rows
    pos = next;
    if (levelsSeen >= totalLevels && !req.useOffsetIndex) break; // parquet-cpp stops at the chunk's value count
  }
  // The last row read is whole when the next row began, or the data ended where its rows end.
  const whole = finished || (req.useOffsetIndex ? row + 1 === lastRowEnd : levelsSeen === totalLevels);
  if (!whole || row + 1 < Math.min(rowEnd, lastRowEnd)) {
    if (req.prefix && pos >= stopAt) throw new Error(PREFIX_SHORT);
    throw new Error(
      `column "${shape.path}" holds ${Math.max(0, row + 1)} rows${whole ? '' : ' (the last cut off)'}, ` +
        `its row group ${groupRows}`,
    );
  }
  if (!finished && !req.useOffsetIndex && row + 1 !== groupRows)
    throw new Error(`column "${shape.path}" holds ${row + 1} rows, its row group ${groupRows}`);
  offsets[want] = values.n;
  if (nullRows === want) return { kind: 'cells', cells: new Array(want).fill(null) };
  const out = values.done();
  size.bytes += offsets.byteLength + out.byteLength + (nullRows ? valid.byteLength : 0);
  return { kind: 'ints', offsets, values: out, valid: nullRows ? valid : undefined };
}

/** Runs fastListColumn, turning "not covered" into null. */
export async function tryFastListColumn(...args: Parameters<typeof fastListColumn>): Promise<PackedColumn | null> {
  try {
    return await fastListColumn(...args);
  } catch (err) {
    if (err === UNSUPPORTED) return null;
    throw err;
  }
}

/** Top-level column names of the (flattened) schema: each node is listed before its children. */
export function topLevelNames(schema: SchemaElement[]): string[] {
  const names: string[] = [];
  let i = 1;
  const skip = (): void => {
    const el = schema[i++];
    for (let k = 0; k < (el?.num_children ?? 0) && i < schema.length; k++) skip();
  };
  for (let k = 0; k < (schema[0]?.num_children ?? 0) && i < schema.length; k++) {
    names.push(schema[i].name);
    skip();
  }
  return names;
}

/** Codecs decoded in the extension host: linear-time decoders writing into a buffer of the page's size. */
const HOST_CODECS: Record<string, Codec | undefined> = {
  SNAPPY: snappyDecode,
  ZSTD: zstdDecompress, // libzstd (wasm): linear-time, checks the page size, errors on damage
};

/** Whether column `name` of the row group can be decoded in the extension host (see decodeListsLocally). */
export function locallyDecodable(meta: FileMetaData, name: string, g: number): boolean {
  const shape = listShape(meta.schema, name);
  const md = shape && meta.row_groups[g]?.columns.find((c) => c.meta_data?.path_in_schema.join('.') === shape.path);
  return Boolean(md?.meta_data && (md.meta_data.codec === 'UNCOMPRESSED' || HOST_CODECS[md.meta_data.codec]));
}

/**
 * The integer-list columns of a page window, decoded in the extension host: no process start, no copy of
 * the column bytes to it and back. Safe there because every loop is bounded by a page header checked
 * against HOST_BOUNDS, and the codecs are linear-time (snappy, zstd, none); whatever is not covered (another
 * codec, a bigger page, another shape of column) is left for the decoder process, a corrupt page is an
 * error. Returns the columns decoded.
 */
export async function decodeListsLocally(
  req: FastListRequest & { pieces?: BytePiece[]; read?: (offset: number, length: number) => Promise<Uint8Array> },
  names: string[],
  size: { bytes: number },
): Promise<Record<string, PackedColumn>> {
  const slice: Slice = async (a, b) => {
    // Straight from the file (no cut chunks needed: decoding stops at the window's rows) …
    if (req.read) {
      const got = await req.read(a, b - a);
      if (got.length !== b - a) throw new Error(`short read at byte ${a}`);
      return got;
    }
    // … or from the byte ranges already read for the decoder process.
    for (const p of req.pieces ?? [])
      if (a >= p.offset && b <= p.offset + p.bytes.length) return p.bytes.subarray(a - p.offset, b - p.offset);
    throw UNSUPPORTED; // bytes outside the pieces read: the decoder process reports it
  };
  // The columns side by side: one's file reads overlap another's decoding. Errors in column order.
  const cols = await Promise.allSettled(
    names.map((name) => tryFastListColumn(req, name, slice, HOST_CODECS, size, HOST_BOUNDS)),
  );
  const out: Record<string, PackedColumn> = {};
  cols.forEach((c, i) => {
    if (c.status === 'rejected') throw c.reason;
    if (c.value) out[names[i]] = c.value;
  });
  return out;
}
