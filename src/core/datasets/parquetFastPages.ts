// Page-level decoding for parquetFastLists.ts: RLE / bit-packed levels and dictionary indexes, PLAIN
// integer values, dictionary and data pages (v1 and v2) of one integer-list column chunk, into typed
// arrays. Every allocation is sized by a page header checked against PageBounds first, and every run is
// clipped to its page, so a corrupt page cannot grow memory without bound or loop forever.
import { parquetHeader } from 'hyparquet/src/column.js';
import { snappyDecode } from './parquetSnappy';

export type Codec = (input: Uint8Array, outputLength: number) => Uint8Array;

/**
 * levelsPrefix: bytes decompressed first from a v1 page. Its repetition levels are at its start (a few
 * KB for ~1,000 rows), and a page whose rows all lie before the window needs nothing else: walking to a
 * row deep in a column chunk without an OffsetIndex decompresses a few KB a page, not the whole page.
 */
export const fastPagesConfig = { levelsPrefix: 64 * 1024 }; // tests lower it to reach both paths
export type Slice = (start: number, end: number) => Promise<Uint8Array>;

/** Why the fast path stepped aside (the column is decoded by hyparquet, or in the decoder process). */
export const UNSUPPORTED = Symbol('unsupported');

/**
 * Page bounds. In the decoder process: what a page can hold at most (a 1 MB page of 1-bit RLE levels
 * holds 8M; more is a corrupt header), memory there is bounded anyway. In the extension host (pages of
 * the rows on screen, see decodeListsLocally): what pyarrow writes with room to spare (1 MB pages of
 * ~260,000 token ids); a bigger page is decoded in the decoder process instead.
 */
export interface PageBounds {
  maxLevels: number;
  maxPageBytes: number;
  /** Over the bounds: step aside (in the host) rather than fail (in the decoder process). */
  stepAside: boolean;
}
export const WORKER_BOUNDS: PageBounds = { maxLevels: 1 << 26, maxPageBytes: 2 ** 31 - 1, stepAside: false };
export const HOST_BOUNDS: PageBounds = { maxLevels: 1 << 22, maxPageBytes: 1 << 25, stepAside: true };

export interface Shape {
  path: string;
  physical: 'INT32' | 'INT64';
  /** Definition level of a present (possibly empty) list, of a list with an element, of a value. */
  listDef: number;
  repDef: number;
  maxDef: number;
}

export const bitWidth = (max: number): number => (max === 0 ? 0 : 32 - Math.clz32(max));

/**
 * RLE / bit-packed hybrid: `n` values of `width` bits from b[pos, end) into out. Returns the position
 * after the last run read. Runs longer than needed are clipped (parquet-cpp reads the same way).
 */
export function hybrid(
  b: Uint8Array,
  pos: number,
  end: number,
  width: number,
  out: Int32Array | Uint8Array,
  n: number,
  /** Repetition levels: stop after the run holding the `zeros`-th 0 (rows past it are not needed). */
  zeros = Infinity,
  /** Definition levels: count this value's occurrences and the largest value into hybridTally. */
  tally = -1,
  /** Dictionary indexes: bit-packed runs wholly before this value are stepped over, not unpacked. */
  skip = 0,
) {
  let seen = 0;
  let zerosSeen = 0;
  let count = 0;
  let max = 0;
  const bytesPerValue = (width + 7) >> 3;
  while (seen < n) {
    if (zerosSeen >= zeros) return pos;
    const runStart = seen;
    let h = 0;
    let mul = 1;
    let byte;
    do {
      if (pos >= end) throw new Error('level or index data ends early');
      byte = b[pos++];
      h += (byte & 0x7f) * mul;
      mul *= 128;
    } while (byte & 0x80 && mul < 2 ** 35);
    if (h % 2 === 1) {
      const groups = Math.floor(h / 2);
      const take = Math.min(groups * 8, n - seen);
      const runEnd = pos + groups * width;
      // The whole run must be there, as parquet-cpp's decoder requires (a corrupt run header claims more).
      if (runEnd > end) throw new Error('bit-packed run ends early');
      if (seen + take <= skip) seen += take;
      else if (width <= 24) {
        unpack(b, pos, width, out, seen, take);
        seen += take;
        if (zeros !== Infinity) zerosSeen += countOf(out, runStart, seen, 0);
        if (tally >= 0) {
          count += countOf(out, runStart, seen, tally);
          max = Math.max(max, maxOf(out, runStart, seen));
        }
      } else {
        let buf = 0;
        let bits = 0;
        const unit = 2 ** width;
        for (let k = 0; k < take; k++) {
          while (bits < width) {
            buf += b[pos++] * 2 ** bits;
            bits += 8;
          }
          out[seen++] = buf % unit;
          buf = Math.floor(buf / unit);
          bits -= width;
        }
        if (zeros !== Infinity || tally >= 0) throw new Error('level width over 24 bits'); // levels are ≤ 8 bits
      }
      pos = runEnd;
    } else {
      const run = Math.min(Math.floor(h / 2), n - seen);
      if (pos + bytesPerValue > end) throw new Error('RLE run ends early');
      let v = 0;
      for (let k = 0; k < bytesPerValue; k++) v += b[pos++] * 2 ** (8 * k);
      out.fill(v, seen, seen + run);
      seen += run;
      if (run === 0 && pos >= end) throw new Error('level or index data ends early');
      // A run is one value: tallied without a pass over it (most level runs are long RLE runs).
      if (v === 0) zerosSeen += run;
      if (run && tally >= 0) {
        if (v === tally) count += run;
        if (v > max) max = v;
      }
    }
  }
  hybridTally.count = count;
  hybridTally.max = max;
  return pos;
}

// Small functions for the per-value loops: called once a run (≤ 504 values as parquet-cpp writes them),
// V8 optimizes them after a few runs, where one loop inside hybrid stayed unoptimized for a whole cold
// first page (15 ms for 67,000 dictionary indexes, against 5).

/** `take` values of `width` (≤ 24) bits from b[pos…], least significant bit first, into out[at…]. */
function unpack(b: Uint8Array, pos: number, width: number, out: Int32Array | Uint8Array, at: number, take: number) {
  const mask = (1 << width) - 1;
  let buf = 0;
  let bits = 0;
  for (let k = 0; k < take; k++) {
    while (bits < width) {
      buf |= b[pos++] << bits;
      bits += 8;
    }
    out[at + k] = buf & mask;
    buf >>>= width;
    bits -= width;
  }
}

function countOf(a: Int32Array | Uint8Array, from: number, to: number, v: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (a[i] === v) n++;
  return n;
}

function maxOf(a: Int32Array | Uint8Array, from: number, to: number): number {
  let m = 0;
  for (let i = from; i < to; i++) if (a[i] > m) m = a[i];
  return m;
}

/** What the last hybrid() call with a `tally` value counted: its occurrences, and the largest value. */
export const hybridTally = { count: 0, max: 0 };

export type Ints = Int32Array | Float64Array;

/**
 * An int64 dictionary kept as its little-endian 32-bit words: entries are converted as they are looked
 * up (a first page looks up ~60,000 of a 150,000-entry dictionary, converting all of it cost more).
 */
export class Int64Dict {
  constructor(readonly words: Int32Array) {}
  get length(): number {
    return this.words.length >> 1;
  }
}
export type Dict = Ints | Int64Dict;

/**
 * Growable output of one column's values: Int32Array while every value fits (int64 pages of small
 * values arrive as Int32Array, see plainValues), Float64Array from the first that does not.
 */
export class Values {
  buf: Ints = new Int32Array(1 << 16);
  n = 0;
  append(src: Ints, from: number, to: number): void {
    const len = to - from;
    const wide = src instanceof Float64Array && this.buf instanceof Int32Array;
    if (this.n + len > this.buf.length || wide) {
      let cap = this.buf.length;
      while (cap < this.n + len) cap *= 2;
      const grown = wide || this.buf instanceof Float64Array ? new Float64Array(cap) : new Int32Array(cap);
      grown.set(this.buf.subarray(0, this.n));
      this.buf = grown;
    }
    this.buf.set(src.subarray(from, to), this.n);
    this.n += len;
  }
  /** The values, as Int32Array when every one fits (what parquetPacked.packColumn gives). */
  done(): Ints {
    const out = this.buf.subarray(0, this.n);
    if (out instanceof Int32Array) return out.slice();
    for (let i = 0; i < out.length; i++) if ((out[i] | 0) !== out[i]) return out.slice();
    return new Int32Array(out); // a native element-wise conversion
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Plain-encoded values of a page or dictionary: count × 4 or 8 bytes; int64 as numbers where exact. */
export function plainValues(b: Uint8Array, pos: number, end: number, count: number, physical: Shape['physical']) {
  const size = physical === 'INT32' ? 4 : 8;
  if (pos + count * size > end) throw new Error(`page holds fewer values than its levels say (${count})`);
  const start = b.byteOffset + pos;
  if (!LITTLE_ENDIAN) return UNSUPPORTED;
  // Typed reads need 4-byte alignment: a view where the values are aligned (a dictionary page, which
  // starts its decompressed buffer), else one memcpy into an aligned buffer.
  const words =
    start % 4 === 0
      ? new Int32Array(b.buffer, start, (count * size) / 4)
      : new Int32Array(b.buffer.slice(start, start + count * size));
  if (size === 4) return words;
  // int64 values that all fit in int32 (token ids, -100 labels) come out as Int32Array: Values keeps
  // them so, and done() has nothing to convert.
  const small = new Int32Array(count);
  let k = 0;
  for (; k < count; k++) {
    const lo = words[2 * k];
    if (words[2 * k + 1] !== lo >> 31) break;
    small[k] = lo;
  }
  if (k === count) return small;
  const out = new Float64Array(count);
  for (k = 0; k < count; k++) {
    const hi = words[2 * k + 1];
    if (hi > 0x1fffff || hi < -0x200000) return UNSUPPORTED; // beyond 2^53: hyparquet keeps the bigint
    out[k] = hi * 4294967296 + (words[2 * k] >>> 0);
  }
  return out;
}

export interface PageCtx {
  shape: Shape;
  codec: string;
  compressors: Record<string, Codec | undefined>;
  bounds: PageBounds;
  /** The last v1 page decompressed in this column chunk (by its offset), and where to keep the next. */
  keptPage?: { at: number; b: Uint8Array };
  keepPage?: (at: number, b: Uint8Array) => void;
}

/** Checks a page's claimed sizes against the bounds before anything is allocated for it. */
export function bounded(ctx: PageCtx, at: number, levels: number, bytes: number): void {
  const { maxLevels, maxPageBytes, stepAside } = ctx.bounds;
  if (levels >= 0 && levels <= maxLevels && bytes >= 0 && bytes <= maxPageBytes) return;
  if (stepAside) throw UNSUPPORTED;
  throw new Error(`page at byte ${at} claims ${levels} values in ${bytes} bytes`);
}

export function decompress(ctx: PageCtx, bytes: Uint8Array, size: number, at: number): Uint8Array {
  if (ctx.codec === 'UNCOMPRESSED') {
    if (bytes.length !== size) throw new Error(`page at byte ${at}: ${bytes.length} bytes, its header says ${size}`);
    return bytes;
  }
  const codec = ctx.compressors[ctx.codec];
  if (!codec) throw UNSUPPORTED;
  return codec(bytes, size);
}

export type Header = ReturnType<typeof parquetHeader>;

/** A v1 page decompressed whole, and kept for the next window of its chunk (PageCtx.keepPage). */
function fullPage(ctx: PageCtx, raw: Uint8Array, size: number, at: number): Uint8Array {
  const b = decompress(ctx, raw, size, at);
  if (ctx.codec !== 'UNCOMPRESSED') ctx.keepPage?.(at, b);
  return b;
}

export async function readDictionary(ctx: PageCtx, slice: Slice, at: number, end: number): Promise<Dict> {
  const bytes = await slice(at, end);
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
  const header = parquetHeader(reader);
  if (header.type !== 'DICTIONARY_PAGE') throw new Error(`no dictionary page at byte ${at}`);
  const raw = bytes.subarray(reader.offset, reader.offset + header.compressed_page_size);
  if (raw.length !== header.compressed_page_size) throw new Error(`dictionary page at byte ${at} ends early`);
  return dictionaryOf(ctx, raw, header, at);
}

export function dictionaryOf(ctx: PageCtx, raw: Uint8Array, header: Header, at: number): Dict {
  const h = header.dictionary_page_header;
  if (!h || (h.encoding !== 'PLAIN' && h.encoding !== 'PLAIN_DICTIONARY')) throw UNSUPPORTED;
  const n = h.num_values;
  bounded(ctx, at, n, header.uncompressed_page_size);
  const page = decompress(ctx, raw, header.uncompressed_page_size, at);
  if (!(n >= 0 && n * (ctx.shape.physical === 'INT32' ? 4 : 8) <= page.length))
    throw new Error(`dictionary page at byte ${at} claims ${n} values`);
  if (ctx.shape.physical === 'INT64') {
    if (!LITTLE_ENDIAN) throw UNSUPPORTED;
    const at0 = page.byteOffset;
    const words =
      at0 % 4 === 0 ? new Int32Array(page.buffer, at0, n * 2) : new Int32Array(page.buffer.slice(at0, at0 + n * 8));
    return new Int64Dict(words);
  }
  const vals = plainValues(page, 0, page.length, n, ctx.shape.physical);
  if (vals === UNSUPPORTED) throw UNSUPPORTED;
  return vals;
}

/**
 * Looks up dictionary indexes idx[from, to) in an int64 dictionary: Int32Array while every value fits,
 * else Float64Array; values beyond 2^53 are left to hyparquet (UNSUPPORTED), as plainValues does.
 */
function lookupInt64(dict: Int64Dict, idx: Int32Array, from: number, to: number, at: number) {
  const w = dict.words;
  const entries = w.length >> 1;
  const small = new Int32Array(to - from);
  let i = from;
  for (; i < to; i++) {
    const j = idx[i];
    if (j < 0 || j >= entries) throw new Error(`page at byte ${at}: dictionary index ${j} out of range`);
    const lo = w[2 * j];
    if (w[2 * j + 1] !== lo >> 31) break;
    small[i - from] = lo;
  }
  if (i === to) return small;
  const wide = new Float64Array(to - from);
  wide.set(small.subarray(0, i - from));
  for (; i < to; i++) {
    const j = idx[i];
    if (j < 0 || j >= entries) throw new Error(`page at byte ${at}: dictionary index ${j} out of range`);
    const hi = w[2 * j + 1];
    if (hi > 0x1fffff || hi < -0x200000) return UNSUPPORTED;
    wide[i - from] = hi * 4294967296 + (w[2 * j] >>> 0);
  }
  return wide;
}

/**
 * The rows a v1 snappy data page starts, read from the first bytes of its compressed data only (`head`):
 * its repetition levels come first in the page. Undefined when these bytes are not enough (or anything
 * is odd): the caller then reads the whole page and decodes it with dataPage, which reports any damage.
 */
export function peekRowStarts(ctx: PageCtx, head: Uint8Array, header: Header, at: number) {
  const v1 = header.data_page_header;
  const size = header.uncompressed_page_size;
  const prefix = Math.max(8, fastPagesConfig.levelsPrefix);
  if (!v1 || ctx.codec !== 'SNAPPY' || ctx.compressors.SNAPPY !== snappyDecode || size <= prefix) return undefined;
  if (v1.repetition_level_encoding !== 'RLE' || v1.definition_level_encoding !== 'RLE') return undefined;
  const n = Number(v1.num_values);
  bounded(ctx, at, n, size);
  try {
    const b = snappyDecode(head, size, prefix);
    const repEnd = 4 + new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
    if (repEnd > prefix) return undefined;
    const rep = new Uint8Array(n);
    hybrid(b, 4, repEnd, 1, rep, n, Infinity, 0);
    return { rows: hybridTally.count, levels: n, startsRow: n > 0 && rep[0] === 0 };
  } catch {
    return undefined; // cut short by `head`, or damaged: dataPage decides on the whole page
  }
}

/**
 * One data page's levels and the values of its defined levels, decoded only up to `limit`: the level
 * where the `rowsLeft`-th row of the page begins (the first row past the window), or the page's end.
 */
export function dataPage(
  ctx: PageCtx,
  raw: Uint8Array,
  header: Header,
  at: number,
  dict: Dict | undefined,
  rowsBefore: number,
  rowsLeft: number,
) {
  const v1 = header.data_page_header;
  const v2 = header.data_page_header_v2;
  const n = Number(v1?.num_values ?? v2?.num_values);
  bounded(ctx, at, n, header.uncompressed_page_size);
  const { shape } = ctx;
  const rep = new Uint8Array(n);
  // Repetition levels first: they say whether any row of the window starts in this page.
  let b: Uint8Array = raw;
  let repEnd = 0;
  /** v1: b holds only the page's first levelsPrefix bytes so far (snappyDecode can stop there). */
  let partial = false;
  const size = header.uncompressed_page_size;
  const section = (from: number): number => {
    if (from + 4 > b.length) throw new Error(`page at byte ${at}: levels end early`);
    const len = new DataView(b.buffer, b.byteOffset + from, 4).getUint32(0, true);
    if (from + 4 + len > b.length) throw new Error(`page at byte ${at}: levels run past the page`);
    return from + 4 + len;
  };
  if (v1) {
    if (v1.repetition_level_encoding !== 'RLE' || v1.definition_level_encoding !== 'RLE') return UNSUPPORTED;
    // Only a page that may lie before the window (rowsBefore > 0) is worth a look at its levels alone.
    const prefix = Math.max(8, fastPagesConfig.levelsPrefix);
    // A page the previous window decompressed (a 50-row page that spans two windows) is not again.
    const kept = ctx.keptPage?.at === at ? ctx.keptPage.b : undefined;
    partial =
      !kept && rowsBefore > 0 && ctx.codec === 'SNAPPY' && ctx.compressors.SNAPPY === snappyDecode && size > prefix;
    if (partial) {
      // Only the page's first bytes: its levels' length is checked against the page's size, as below.
      b = snappyDecode(raw, size, prefix);
      const repLen = new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
      if (4 + repLen > size) throw new Error(`page at byte ${at}: levels run past the page`);
      if (4 + repLen > prefix) partial = false; // levels longer than the prefix: the whole page
    }
    if (!partial) b = kept ?? fullPage(ctx, raw, size, at);
    repEnd = section(0);
    hybrid(b, 4, repEnd, 1, rep, n, rowsLeft);
  } else {
    const repLen = v2!.repetition_levels_byte_length;
    const defLen = v2!.definition_levels_byte_length;
    if (!(repLen >= 0 && defLen >= 0 && repLen + defLen <= raw.length))
      throw new Error(`page at byte ${at}: level lengths run past the page`);
    hybrid(raw, 0, repLen, 1, rep, n, rowsLeft);
    b = raw;
  }
  let limit = n;
  let rows = 0;
  /** Level where the window's first row begins (0: the page starts inside the window). */
  let startLevel = 0;
  // Row starts found by a native search, one step a row, not a level (rep is zero past what was decoded,
  // but decoding ran through the rowsLeft-th row start).
  for (let i = rep.indexOf(0); i >= 0; i = rep.indexOf(0, i + 1)) {
    if (++rows === rowsBefore) startLevel = i;
    if (rows === rowsLeft) {
      limit = i;
      rows--;
      break;
    }
  }
  // Every row this page starts lies before the window: only its row count matters.
  if (rows < rowsBefore)
    return { rep, def: rep, vals: new Int32Array(0), valsFrom: 0, limit, skipRows: rows, allValues: false };
  let defAt: number;
  let defEnd: number;
  let pos: number;
  if (v1) {
    if (partial) b = fullPage(ctx, raw, size, at);
    defAt = repEnd + 4;
    defEnd = section(repEnd);
    pos = defEnd;
  } else {
    const repLen = v2!.repetition_levels_byte_length;
    const defLen = v2!.definition_levels_byte_length;
    const body = raw.subarray(repLen + defLen);
    const bodySize = size - repLen - defLen;
    const values = v2!.is_compressed === false ? body : decompress(ctx, body, bodySize, at);
    if (values.length !== bodySize)
      throw new Error(`page at byte ${at}: values are ${values.length} bytes, header says ${bodySize}`);
    // Levels and values in one buffer, so both paths below read alike.
    b = new Uint8Array(defLen + values.length);
    b.set(raw.subarray(repLen, repLen + defLen));
    b.set(values, defLen);
    defAt = 0;
    defEnd = defLen;
    pos = defLen;
  }
  const def = new Uint8Array(limit);
  const maxDef = shape.maxDef;
  hybrid(b, defAt, defEnd, bitWidth(maxDef), def, limit, Infinity, maxDef);
  const count = hybridTally.count;
  if (hybridTally.max > maxDef) throw new Error(`page at byte ${at}: definition level ${hybridTally.max} out of range`);
  // Values of the rows before the window (the page started earlier) are not materialized: vals holds
  // values [valsFrom, count). A window deep in a 1 MB page then costs its own rows' values.
  let valsFrom = 0;
  if (startLevel > 0) {
    if (count === limit) valsFrom = startLevel;
    else for (let i = 0; i < startLevel; i++) if (def[i] === maxDef) valsFrom++;
  }
  const enc = v1?.encoding ?? v2!.encoding;
  const valueBytes = shape.physical === 'INT32' ? 4 : 8;
  let vals: Ints | typeof UNSUPPORTED;
  if (enc === 'PLAIN') {
    if (pos + count * valueBytes > b.length)
      throw new Error(`page at byte ${at} holds fewer values than its levels say (${count})`);
    vals = plainValues(b, pos + valsFrom * valueBytes, b.length, count - valsFrom, shape.physical);
  } else if (enc === 'PLAIN_DICTIONARY' || enc === 'RLE_DICTIONARY') {
    if (!dict) throw new Error(`page at byte ${at} uses a dictionary the column chunk lacks`);
    if (count && pos >= b.length) throw new Error(`page at byte ${at}: dictionary indexes missing`);
    const width = count ? b[pos] : 0;
    if (width > 32) throw new Error(`page at byte ${at}: dictionary index width ${width}`);
    const idx = new Int32Array(count);
    if (count) hybrid(b, pos + 1, b.length, width, idx, count, Infinity, -1, valsFrom);
    if (dict instanceof Int64Dict) return pageOf(lookupInt64(dict, idx, valsFrom, count, at));
    const out = dict instanceof Int32Array ? new Int32Array(count - valsFrom) : new Float64Array(count - valsFrom);
    const entries = dict.length;
    for (let i = valsFrom; i < count; i++) {
      const j = idx[i];
      if (j < 0 || j >= entries) throw new Error(`page at byte ${at}: dictionary index ${j} out of range`);
      out[i - valsFrom] = dict[j];
    }
    vals = out;
  } else return UNSUPPORTED;
  return pageOf(vals);
  function pageOf(vals: Ints | typeof UNSUPPORTED) {
    if (vals === UNSUPPORTED) return UNSUPPORTED;
    // allValues: every level up to limit is a value (no empty, null or null-element lists).
    return { rep, def, vals, valsFrom, limit, skipRows: -1, allValues: count === limit };
  }
}
