// Page-level reads of a Parquet row group through its OffsetIndex: for rows [start, end) of a group,
// only the dictionary page, the data pages that hold those rows and the offset index itself are read
// and handed to the decoder (which then runs hyparquet with `useOffsetIndex`). A page of 50 rows out of
// a 5,000-row group then costs one or two pages per column instead of the whole column chunks.
import { readOffsetIndex, type RowGroup } from 'hyparquet';

interface PageLocation {
  offset: bigint;
  compressed_page_size: number;
  first_row_index: bigint;
}
import type { ByteSource } from './byteSource';

export type Range = [number, number];

/** Offset indexes of the column chunks read so far, per file: "group:column" → page locations. */
export type PageIndexCache = Map<string, PageLocation[]>;

/** Whether every needed column chunk of the group has an OffsetIndex. */
export function hasOffsetIndex(rg: RowGroup, columns?: string[]): boolean {
  return rg.columns.every((c) => {
    const md = c.meta_data;
    if (!md) return false;
    if (columns && !columns.includes(md.path_in_schema[0])) return true;
    return Boolean(c.offset_index_offset && c.offset_index_length);
  });
}

/**
 * Thrown when a column's pages split rows (pyarrow writes v1 pages that cut a long list, and then gives
 * two pages the same first row): such an index cannot pick the pages of a row, so the caller reads the
 * group without it, as pyarrow does.
 */
export class RowsSplitAcrossPages extends Error {}

/**
 * The byte ranges holding rows [rowStart, rowEnd) of group `g` (rows relative to the group): per column
 * chunk its offset index, its dictionary page, and its data pages from the one holding rowStart to the
 * one holding rowEnd − 1. Throws when an offset index is inconsistent (the caller reports the group).
 */
export async function pageRanges(
  src: ByteSource,
  rg: RowGroup,
  g: number,
  rowStart: number,
  rowEnd: number,
  cache: PageIndexCache,
  columns?: string[],
): Promise<Range[]> {
  const out: Range[] = [];
  const groupRows = Number(rg.num_rows);
  for (const [k, c] of rg.columns.entries()) {
    const md = c.meta_data!;
    if (columns && !columns.includes(md.path_in_schema[0])) continue;
    const idxAt = Number(c.offset_index_offset);
    const idxLen = Number(c.offset_index_length);
    out.push([idxAt, idxAt + idxLen]);
    const key = `${g}:${k}`;
    let pages = cache.get(key);
    if (!pages) {
      const buf = await src.read(idxAt, idxLen);
      if (buf.length !== idxLen) throw new Error(`short read of the offset index at byte ${idxAt}`);
      pages = readOffsetIndex({
        view: new DataView(buf.buffer, buf.byteOffset, buf.byteLength),
        offset: 0,
      }).page_locations;
      checkPages(pages, md, groupRows);
      cache.set(key, pages);
    }
    const chunkStart = Number(md.dictionary_page_offset || md.data_page_offset);
    const firstPage = Number(pages[0].offset);
    if (chunkStart < firstPage) out.push([chunkStart, firstPage]); // dictionary page
    let from = -1;
    let to = -1;
    for (let i = 0; i < pages.length; i++) {
      const pStart = Number(pages[i].first_row_index);
      const pEnd = i + 1 < pages.length ? Number(pages[i + 1].first_row_index) : groupRows;
      if (pEnd > rowStart && pStart < rowEnd) {
        if (from < 0) from = Number(pages[i].offset);
        to = Number(pages[i].offset) + pages[i].compressed_page_size;
      }
    }
    if (from >= 0) out.push([from, to]);
  }
  return out;
}

/** Page locations must lie inside their column chunk, in order, with rows increasing from 0. */
function checkPages(
  pages: PageLocation[],
  md: NonNullable<RowGroup['columns'][number]['meta_data']>,
  groupRows: number,
): void {
  if (!pages.length) throw new Error(`offset index of "${md.path_in_schema.join('.')}" lists no pages`);
  const start = Number(md.dictionary_page_offset || md.data_page_offset);
  const end = start + Number(md.total_compressed_size);
  let prevRow = -1;
  let prevEnd = start;
  for (const p of pages) {
    const at = Number(p.offset);
    const row = Number(p.first_row_index);
    if (!(at >= prevEnd && at + p.compressed_page_size <= end && p.compressed_page_size > 0)) {
      throw new Error(`offset index of "${md.path_in_schema.join('.')}" points outside its column chunk (byte ${at})`);
    }
    if (row === prevRow) throw new RowsSplitAcrossPages(`pages of "${md.path_in_schema.join('.')}" split rows`);
    if (!(row > prevRow && row < groupRows) || (prevRow < 0 && row !== 0)) {
      throw new Error(`offset index of "${md.path_in_schema.join('.')}" has page rows out of order (${row})`);
    }
    prevRow = row;
    prevEnd = at + p.compressed_page_size;
  }
}
