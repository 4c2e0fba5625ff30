// DatasetSource over Parquet: the footer once, then only the row ranges a page needs. Integer-list
// columns (a tokenized dataset) of the rows on screen decode in this process through bounded typed-array
// code (parquetFastLists.ts), page by page until the last row needed, or through the OffsetIndex when the
// file has one; everything else, and whole-group scans, in the decoder process (parquetWorkerClient.ts).
import { parquetMetadataAsync, parquetSchema, type FileMetaData } from 'hyparquet';
import { arrowTypeName } from './arrowValues';
import { arrowSchemaTypes, parquetTypeName } from './parquetTypes';
import type { ByteSource } from './byteSource';
import { DatasetOpenError, errorMessage, throwIfAborted } from './errors';
import { SizedLru } from './lru';
import type { BytePiece, DecodeResult } from './parquetDecode';
import { packedCell, packedList, type PackedColumn } from './parquetPacked';
import { ParquetDecodeError, decodeIsolated, limitsFor, prewarmDecoder } from './parquetWorkerClient';
import { featuresFromHfMetadata, makeColumns } from './roles';
import { nodeSpec, withPhysicalLeaves } from './parquetSpecs';
import { RowsSplitAcrossPages, hasOffsetIndex, pageRanges, type PageIndexCache } from './parquetPages';
// Not from parquetDecode: that would pull the decoder's codecs (hyparquet-compressors) into every bundle.
import { PREFIX_SHORT, prefixLengths } from './parquetPrefix';
import { decodeListsLocally, locallyDecodable, type ChunkMarks } from './parquetFastLists';
import type { Dict } from './parquetFastPages';
import { PLAIN, specIsPlain, type ValueSpec } from './valueForms';
import { specOfArrowType } from './arrowValues';
import { cellColumn, type ScanChunk, type ScanColumn, type ScanOptions, type ScannableSource } from './scan';
import type { CellValue, ColumnInfo, DatasetFormat, ReadError, Row } from './types';

type Tree = ReturnType<typeof parquetSchema>;

/** Decoded row-group windows kept per open file. */
const GROUP_CACHE_BYTES = 64 * 2 ** 20;
/** Rows per decode window when the file has an OffsetIndex: only the pages holding them are read. */
const PAGE_WINDOW_ROWS = 128;
/** Tunables (tests lower them to reach the paths on small files). */
export const parquetReadConfig = {
  /** Row groups smaller than this are decoded whole (cutting chunks saves little). */
  prefixMinBytes: 4 * 2 ** 20,
  /** Groups with more uncompressed bytes than this are decoded in windows of rows for pages. */
  windowBytes: 2 * 2 ** 20,
  /**
   * Windows of groups decoded in the extension host (token lists): about this many uncompressed bytes,
   * at least HOST_WINDOW_MIN_ROWS rows. Small, because a first page's cost is the levels and values it
   * decodes (a 5,000-row group of ~1,000-token rows: 64 rows, not 264), and the page marks make the next
   * window start at its page, not at the chunk's start.
   */
  hostWindowBytes: 256 * 2 ** 10,
};
/** A viewer page (50 rows) fits one host window. */
const HOST_WINDOW_MIN_ROWS = 64;
/** Column chunks closer than this are read in one piece. */
const MERGE_GAP = 64 * 1024;
/** Column data handed to one decode at most (read into memory first). */
const MAX_GROUP_BYTES = 2 ** 30;
type AsyncBuffer = { byteLength: number; slice(start: number, end?: number): Promise<ArrayBuffer> };

function asyncBuffer(src: ByteSource): AsyncBuffer {
  return {
    byteLength: src.size,
    async slice(start: number, end?: number) {
      const e = end ?? src.size;
      const b = await src.read(start, e - start);
      return b.buffer.byteLength === b.length ? (b.buffer as ArrayBuffer) : (b.slice().buffer as ArrayBuffer);
    },
  };
}

/** Scan view of a decoded column: packed integer lists as zero-copy views, other columns as cells. */
function packedScanColumn(col: PackedColumn | undefined): ScanColumn {
  if (!col) return cellColumn([]);
  if (col.kind === 'cells') return cellColumn(col.cells);
  return {
    list: (r) => packedList(col, r),
    length: (r) => packedList(col, r)?.length ?? null,
    text: () => null,
    cell: (r) => packedCell(col, r),
  };
}

export class ParquetSource implements ScannableSource {
  readonly format: DatasetFormat = 'parquet';
  readonly numRows: number;
  readonly columns: ColumnInfo[];
  readonly notes: string[] = [];
  readonly errors: ReadError[] = [];
  readonly features?: unknown;
  // Decoded windows of row groups, bounded by bytes: paging within one group decodes it once.
  private readonly groupCache = new SizedLru<string, DecodeResult>(GROUP_CACHE_BYTES);
  private readonly groupStarts: number[] = [0];
  private readonly file: AsyncBuffer;
  /** Columns whose physical values need formatting (timestamps, decimals …), see parquetSpecs.ts. */
  private readonly specs: Record<string, ValueSpec> = {};
  private readonly decodeMeta: FileMetaData;
  private readonly pageIndex: PageIndexCache = new Map();
  /** Data pages met in groups without an OffsetIndex (a few dozen numbers per column chunk). */
  private readonly pageMarks = new Map<number, Map<string, ChunkMarks>>();
  /** The last dictionary decoded per token-list column (parquetFastLists.FastListRequest.dicts). */
  private readonly dicts = new Map<string, { at: number; dict: Dict }>();
  /** The last page decompressed per token-list column (parquetFastLists.FastListRequest.pages). */
  private readonly pages = new Map<string, { at: number; b: Uint8Array }>();
  /** Groups whose OffsetIndex cannot be used (pages split rows): read as if they had none. */
  private readonly unindexed = new Set<number>();

  private constructor(
    private readonly src: ByteSource,
    private readonly meta: FileMetaData,
  ) {
    this.file = asyncBuffer(src);
    this.numRows = Number(meta.num_rows);
    for (const g of meta.row_groups)
      this.groupStarts.push(this.groupStarts[this.groupStarts.length - 1] + Number(g.num_rows));
    const kv = new Map((meta.key_value_metadata ?? []).map((e) => [e.key, e.value]));
    this.features = featuresFromHfMetadata(kv.get('huggingface'));
    const exact = arrowSchemaTypes(kv.get('ARROW:schema'));
    const tree = parquetSchema(meta);
    const arrowType = (name: string) => exact?.get(name);
    this.columns = makeColumns(
      tree.children.map((c) => {
        const t = arrowType(c.element.name);
        return { name: c.element.name, type: t ? arrowTypeName(t) : parquetTypeName(c) };
      }),
      this.features,
    );
    for (const c of tree.children) {
      const t = arrowType(c.element.name);
      const spec = nodeSpec(c, t ? specOfArrowType(t) : PLAIN);
      if (!specIsPlain(spec)) this.specs[c.element.name] = spec;
    }
    this.decodeMeta = withPhysicalLeaves(meta);
  }

  get path(): string {
    return this.src.name;
  }

  static async open(src: ByteSource, _signal?: AbortSignal): Promise<ParquetSource> {
    const name = src.name;
    if (src.size < 12)
      throw new DatasetOpenError(name, `too small to be a Parquet file (${src.size} bytes)`, { byteOffset: 0 });
    const head = await src.read(0, 4);
    const tail = await src.read(src.size - 8, 8);
    const magic = (b: Uint8Array, at: number) =>
      b[at] === 0x50 && b[at + 1] === 0x41 && b[at + 2] === 0x52 && b[at + 3] === 0x31;
    if (!magic(head, 0))
      throw new DatasetOpenError(name, 'not a Parquet file (no PAR1 magic at the start)', { byteOffset: 0 });
    if (!magic(tail, 4)) {
      throw new DatasetOpenError(name, 'Parquet footer missing (no PAR1 magic at the end: file truncated?)', {
        byteOffset: src.size - 4,
      });
    }
    const footerLen = new DataView(tail.buffer, tail.byteOffset, 8).getUint32(0, true);
    const footerAt = src.size - 8 - footerLen;
    if (footerLen > src.size - 12) {
      throw new DatasetOpenError(name, `corrupt Parquet footer length ${footerLen}`, { byteOffset: src.size - 8 });
    }
    let meta: FileMetaData;
    try {
      // The footer's length is known: read just it (hyparquet's default first read is the last 512 KB).
      meta = await parquetMetadataAsync(asyncBuffer(src), { initialFetchSize: footerLen + 8 });
      parquetSchema(meta);
      if (!Number.isSafeInteger(Number(meta.num_rows)) || Number(meta.num_rows) < 0)
        throw new Error(`num_rows ${meta.num_rows}`);
      let sum = 0;
      for (const [g, rg] of meta.row_groups.entries()) {
        const n = Number(rg.num_rows);
        if (!Number.isSafeInteger(n) || n < 0) throw new Error(`row group ${g} claims ${rg.num_rows} rows`);
        sum += n;
      }
      if (sum !== Number(meta.num_rows))
        throw new Error(`row groups hold ${sum} rows, the footer says ${meta.num_rows}`);
    } catch (err) {
      throw new DatasetOpenError(name, `corrupt Parquet footer: ${errorMessage(err)}`, { byteOffset: footerAt });
    }
    let source: ParquetSource;
    try {
      source = new ParquetSource(src, meta);
    } catch (err) {
      throw new DatasetOpenError(name, `corrupt Parquet footer: ${errorMessage(err)}`, { byteOffset: footerAt });
    }
    source.prewarm();
    return source;
  }

  /** Starts the decoder sized for the first row group while the caller sets up (see prewarmDecoder). */
  private prewarm(): void {
    const rg = this.meta.row_groups[0];
    if (!rg || this.hostDecodes(0)) return;
    let bytes = 0;
    let uncompressed = 0;
    for (const c of rg.columns) {
      bytes += Math.max(0, Number(c.meta_data?.total_compressed_size) || 0);
      uncompressed += Math.max(0, Number(c.meta_data?.total_uncompressed_size) || 0);
    }
    const share = Math.min(1, this.windowRows(0) / Math.max(1, Number(rg.num_rows)));
    prewarmDecoder(limitsFor(bytes, uncompressed * share).heapMb);
  }

  private readonly badGroups = new Map<number, string>();

  /** Whether every column of group g decodes in this process (decodeListsLocally): a tokenized file. */
  private hostDecodes(g: number): boolean {
    return this.columns.every((c) => !this.specs[c.name] && locallyDecodable(this.decodeMeta, c.name, g));
  }

  /**
   * hyparquet starts one promise per column chunk and only awaits those that map onto the schema, so a
   * corrupt `path_in_schema` leaves a rejection nobody handles. Check the chunk list before reading.
   */
  private checkGroup(g: number): void {
    if (this.badGroups.has(g)) throw new Error(this.badGroups.get(g));
    const leaves = new Set<string>();
    const walk = (t: Tree) => (t.children.length ? t.children.forEach(walk) : leaves.add(t.path.join('.')));
    parquetSchema(this.meta).children.forEach(walk);
    const chunks = this.meta.row_groups[g]?.columns ?? [];
    const seen = new Set<string>();
    let problem: string | undefined;
    for (const c of chunks) {
      const p = c.meta_data?.path_in_schema?.join('.');
      if (p === undefined) problem = 'column chunk without metadata';
      else if (!leaves.has(p)) problem = `column chunk for unknown column "${p}"`;
      else if (seen.has(p)) problem = `two column chunks for "${p}"`;
      if (problem) break;
      seen.add(p!);
      const start = Number(c.meta_data!.dictionary_page_offset || c.meta_data!.data_page_offset); // hyparquet's rule
      const size = Number(c.meta_data!.total_compressed_size);
      if (!(start >= 4 && size >= 0 && start + size <= this.src.size - 8)) {
        problem = `column chunk "${p}" points outside the file (${start}+${size})`;
        break;
      }
    }
    if (!problem && seen.size !== leaves.size) problem = `${seen.size} column chunks for ${leaves.size} columns`;
    if (problem) {
      this.badGroups.set(g, problem);
      throw new Error(problem);
    }
  }

  private groupOf(row: number): number {
    let lo = 0;
    let hi = this.meta.row_groups.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.groupStarts[mid] <= row) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Where row group g's column data starts (the smallest column chunk offset): named in its errors. */
  groupByteOffset(g: number): number {
    let off = Infinity;
    for (const c of this.meta.row_groups[g]?.columns ?? []) {
      const md = c.meta_data;
      const at = Number(md ? md.dictionary_page_offset || md.data_page_offset : c.file_offset);
      if (Number.isFinite(at)) off = Math.min(off, at);
    }
    return Number.isFinite(off) ? off : 0;
  }

  private groupError(g: number, err: unknown): ReadError {
    const e: ReadError = {
      file: this.src.name,
      byteOffset: this.groupByteOffset(g),
      message: `corrupt row group ${g}: ${errorMessage(err)}`,
    };
    if (!this.errors.some((x) => x.message === e.message)) this.errors.push(e);
    // A decode that failed once fails again (and may cost a full time bound): remember it.
    if (!(err instanceof ParquetDecodeError && err.kind === 'no-worker')) this.badGroups.set(g, errorMessage(err));
    return e;
  }

  private indexed(g: number, columns?: string[]): boolean {
    return !this.unindexed.has(g) && hasOffsetIndex(this.meta.row_groups[g], columns);
  }

  /** Rows per decode window of group g: whole groups unless they are big, so a first page stays quick. */
  private windowRows(g: number): number {
    const rows = this.groupStarts[g + 1] - this.groupStarts[g];
    const bytes = Number(this.meta.row_groups[g].total_byte_size) || 0;
    const win = parquetReadConfig.windowBytes;
    const host = bytes > win && this.hostDecodes(g);
    if (host) {
      const hostRows = Math.ceil((rows * parquetReadConfig.hostWindowBytes) / bytes);
      return Math.max(1, Math.min(rows, Math.max(HOST_WINDOW_MIN_ROWS, hostRows)));
    }
    if (this.indexed(g)) return Math.max(1, Math.min(rows, PAGE_WINDOW_ROWS));
    if (bytes <= win) return Math.max(1, rows);
    return Math.max(256, Math.ceil((rows * win) / bytes));
  }

  /**
   * Decodes rows [rowStart, rowEnd) of group g (relative to the group) in the decoder worker, reading
   * only the needed column chunks and handing their buffers over (transferred, not copied).
   */
  private async decode(
    g: number,
    rowStart: number,
    rowEnd: number,
    columns?: string[],
    inHost = false,
  ): Promise<DecodeResult> {
    this.checkGroup(g);
    const rg = this.meta.row_groups[g];
    const rows = Math.max(1, Number(rg.num_rows));
    // The rows on screen of a file of token lists without an OffsetIndex: decoded here, reading the
    // chunks straight from the file page by page until the window's last row (no cut to estimate).
    if (inHost && !this.indexed(g, columns) && this.hostDecodes(g)) {
      const size = { bytes: 0 };
      const names = columns ?? this.columns.map((c) => c.name);
      const metadata = { ...this.decodeMeta, num_rows: rg.num_rows, row_groups: [rg], key_value_metadata: undefined };
      const read = (offset: number, length: number) => this.src.read(offset, length);
      let pageMarks = this.pageMarks.get(g);
      if (!pageMarks) this.pageMarks.set(g, (pageMarks = new Map()));
      const { dicts, pages } = this;
      const req = { metadata, rowStart, rowEnd, read, pageMarks, dicts, pages };
      const local = await decodeListsLocally(req, names, size);
      if (names.every((n) => local[n])) return { numRows: rowEnd - rowStart, columns: local, approxBytes: size.bytes };
    }
    // No OffsetIndex: cut the chunks after the pages that hold the rows (big groups only), and fall
    // back to whole chunks when the cut turns out short.
    if (
      rowEnd < rows &&
      !this.indexed(g, columns) &&
      (Number(rg.total_byte_size) || 0) > parquetReadConfig.prefixMinBytes
    ) {
      const cuts = await prefixLengths(this.src, rg, rowEnd, columns);
      if (cuts.size) {
        try {
          return await this.decodeWith(g, rowStart, rowEnd, columns, cuts, inHost);
        } catch (err) {
          if (!errorMessage(err).includes(PREFIX_SHORT)) throw err;
        }
      }
    }
    return this.decodeWith(g, rowStart, rowEnd, columns, undefined, inHost);
  }

  private async decodeWith(
    g: number,
    rowStart: number,
    rowEnd: number,
    columns?: string[],
    cuts?: Map<number, number>,
    inHost = false,
  ): Promise<DecodeResult> {
    let rg = this.meta.row_groups[g];
    if (cuts) {
      rg = {
        ...rg,
        columns: rg.columns.map((c, k) =>
          cuts.has(k) ? { ...c, meta_data: { ...c.meta_data!, total_compressed_size: BigInt(cuts.get(k)!) } } : c,
        ),
      };
    }
    let ranges: [number, number][] = [];
    let uncompressed = 0;
    const rows = Math.max(1, Number(rg.num_rows));
    const cutShare = cuts?.size ? Math.min(1, (rowEnd + 1) / rows) : 1;
    // With an OffsetIndex only the pages holding the rows are read (and the decoder told to use it);
    // without one, whole column chunks (the decoder stops early on flat columns).
    let paged = (rowStart > 0 || rowEnd < rows) && this.indexed(g, columns);
    if (paged) {
      try {
        ranges = await pageRanges(this.src, rg, g, rowStart, rowEnd, this.pageIndex, columns);
      } catch (err) {
        if (!(err instanceof RowsSplitAcrossPages)) throw err;
        this.unindexed.add(g);
        paged = false;
        ranges = [];
      }
    }
    for (const c of rg.columns) {
      const md = c.meta_data!;
      if (columns && !columns.includes(md.path_in_schema[0])) continue;
      const start = Number(md.dictionary_page_offset || md.data_page_offset);
      if (!paged) ranges.push([start, start + Number(md.total_compressed_size)]);
      uncompressed += Math.max(0, Number(md.total_uncompressed_size) || 0);
    }
    ranges.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const r of ranges) {
      const last = merged[merged.length - 1];
      if (last && r[0] - last[1] <= MERGE_GAP) last[1] = Math.max(last[1], r[1]);
      else merged.push([r[0], r[1]]);
    }
    const bytes = merged.reduce((n, [a, b]) => n + b - a, 0);
    if (bytes > MAX_GROUP_BYTES)
      throw new Error(`row group ${g} needs ${bytes} bytes of column data, over the ${MAX_GROUP_BYTES} byte limit`);
    const pieces: BytePiece[] = [];
    for (const [a, b] of merged) {
      const buf = await this.src.read(a, b - a);
      if (buf.length !== b - a) throw new Error(`short read at byte ${a}`);
      pieces.push({ offset: a, bytes: buf });
    }
    const metadata: FileMetaData = {
      ...this.decodeMeta,
      num_rows: rg.num_rows,
      row_groups: [rg],
      key_value_metadata: undefined,
    };
    const req = {
      metadata,
      rowStart,
      rowEnd,
      columns,
      fileSize: this.src.size,
      pieces,
      specs: this.specs,
      useOffsetIndex: paged,
      prefix: !!cuts?.size,
    };
    // The rows on screen: token-list columns decode here (parquetFastLists.decodeListsLocally), the rest
    // (and whatever that leaves) in the decoder process. Scans go to the decoder process whole, so they
    // never hold up the extension host.
    const size = { bytes: 0 };
    const names = columns ?? this.columns.map((c) => c.name);
    const local = inHost
      ? await decodeListsLocally(
          { ...req, dicts: this.dicts, pages: this.pages },
          names.filter((n) => !this.specs[n]),
          size,
        )
      : {};
    const rest = names.filter((n) => !local[n]);
    if (!rest.length) return { numRows: rowEnd - rowStart, columns: local, approxBytes: size.bytes };
    // Bound by what the window decodes: its share of the group's uncompressed bytes.
    const share = Math.min(1, (paged ? rowEnd - rowStart : rowEnd) / rows) * cutShare + (cuts?.size ? 0.05 : 0);
    const res = await decodeIsolated(
      rest.length === names.length ? req : { ...req, columns: rest },
      limitsFor(bytes, uncompressed * share),
    );
    return { ...res, columns: { ...local, ...res.columns }, approxBytes: res.approxBytes + size.bytes };
  }

  async readRows(offset: number, limit: number, signal?: AbortSignal): Promise<Row[]> {
    const end = Math.min(this.numRows, offset + limit);
    const out: Row[] = [];
    let r = Math.max(0, offset);
    while (r < end) {
      throwIfAborted(signal);
      // One decode window (a whole row group unless it is big) at a time: a corrupt group costs only its rows.
      const g = this.groupOf(r);
      const gStart = this.groupStarts[g];
      const gRows = this.groupStarts[g + 1] - gStart;
      const wRows = this.windowRows(g);
      const w = Math.floor((r - gStart) / wRows);
      const wStart = gStart + w * wRows;
      const wEnd = Math.min(gStart + gRows, wStart + wRows);
      const stop = Math.max(r + 1, Math.min(end, wEnd)); // always make progress
      const key = `${g}:${wStart}:${wEnd}`; // window bounds: a group's window size can change (unindexed)
      let win = this.groupCache.get(key);
      if (!win) {
        try {
          if (this.badGroups.has(g)) throw new Error(this.badGroups.get(g));
          win = await this.decode(g, wStart - gStart, wEnd - gStart, undefined, true);
          this.groupCache.set(key, win, win.approxBytes);
        } catch (err) {
          const error = this.groupError(g, err);
          for (; r < stop; r++) out.push({ index: r, values: {}, error });
          continue;
        }
      }
      for (; r < stop; r++) {
        const values: Record<string, CellValue> = {};
        for (const c of this.columns) {
          const col = win.columns[c.name];
          values[c.name] = col ? packedCell(col, r - wStart) : null;
        }
        out.push({ index: r, values });
      }
    }
    return out;
  }

  async scan(columns: string[], onChunk: (chunk: ScanChunk) => void, opts: ScanOptions = {}): Promise<void> {
    const wanted = this.columns.filter((c) => columns.includes(c.name)).map((c) => c.name);
    for (let g = 0; g < this.meta.row_groups.length; g++) {
      throwIfAborted(opts.signal);
      const rowStart = this.groupStarts[g];
      const rowEnd = this.groupStarts[g + 1];
      let cells: Record<string, PackedColumn>;
      try {
        if (this.badGroups.has(g)) throw new Error(this.badGroups.get(g));
        // A page already decoded covering the whole group is reused; the scan itself caches nothing, so
        // it never evicts the page the user is looking at.
        const cached =
          this.windowRows(g) >= rowEnd - rowStart ? this.groupCache.get(`${g}:${rowStart}:${rowEnd}`) : undefined;
        cells = cached
          ? cached.columns
          : wanted.length
            ? (await this.decode(g, 0, rowEnd - rowStart, wanted)).columns
            : {};
      } catch (err) {
        if (err instanceof Error && err.name === 'AbortError') throw err;
        this.groupError(g, err);
        continue;
      }
      const cols = new Map<string, ScanColumn>(wanted.map((name) => [name, packedScanColumn(cells[name])]));
      onChunk({ rowStart, numRows: rowEnd - rowStart, column: (name) => cols.get(name) });
      opts.onProgress?.({ done: rowEnd, total: this.numRows });
      await new Promise<void>((res) => setImmediate(res));
    }
  }

  async close(): Promise<void> {
    this.groupCache.clear();
    this.dicts.clear();
    this.pages.clear();
    await this.src.close();
  }
}
