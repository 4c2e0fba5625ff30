// Decode only as far into a row group as needed when the file has no OffsetIndex (pyarrow's default,
// so most Hub files): hyparquet decodes a nested column chunk (input_ids, labels) to its end, so the
// decoder gets each chunk cut after the pages that hold the rows asked for. Which pages those are is
// estimated from the page headers' value counts (a data page v2 header gives its rows exactly); the
// decoder checks that every column really reached the last row asked for, else the caller decodes
// the whole chunks. Rows may span v1 pages, so the cut keeps at least one row beyond the window.
import { parquetHeader } from 'hyparquet/src/column.js';
import type { RowGroup } from 'hyparquet';
import type { ByteSource } from './byteSource';

/** The message of a prefix decode whose cut chunks fell short: the caller decodes whole chunks. */
export const PREFIX_SHORT = 'cut column chunks hold fewer rows than asked for';

/** Bytes read per page header (headers with statistics of long strings can be bigger: then read more). */
const HEADER_READ = 1024;
/** Extra values over the estimate: lists vary in length. */
const SLACK = 1.5;

/**
 * For each needed column chunk (by index in rg.columns), the length of its prefix that holds rows
 * [0, rowEnd] — or nothing when cutting saves little (the chunk is small or the rows reach its end).
 */
export async function prefixLengths(
  src: ByteSource,
  rg: RowGroup,
  rowEnd: number,
  columns?: string[],
): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  const groupRows = Number(rg.num_rows);
  if (rowEnd >= groupRows) return out;
  for (const [k, c] of rg.columns.entries()) {
    const md = c.meta_data;
    if (!md || (columns && !columns.includes(md.path_in_schema[0]))) continue;
    const start = Number(md.dictionary_page_offset || md.data_page_offset);
    const size = Number(md.total_compressed_size);
    const end = start + size;
    const totalValues = Number(md.num_values);
    const want = Math.ceil(((rowEnd + 1) * totalValues * SLACK) / Math.max(1, groupRows));
    let pos = start;
    let values = 0;
    let rows = 0;
    let pages = 0;
    while (pos < end) {
      const len = Math.min(HEADER_READ, end - pos);
      const bytes = await src.read(pos, len);
      const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
      let header;
      try {
        header = parquetHeader(reader);
      } catch {
        break; // header longer than the read or damaged: no cut for this chunk
      }
      const next = pos + reader.offset + header.compressed_page_size;
      if (!(next > pos && next <= end)) break;
      pos = next;
      if (header.type === 'DATA_PAGE' || header.type === 'DATA_PAGE_V2') {
        pages++;
        values += Number(header.data_page_header?.num_values ?? header.data_page_header_v2?.num_values ?? 0);
        rows += Number(header.data_page_header_v2?.num_rows ?? 0);
        const enough = header.data_page_header_v2 ? rows > rowEnd : values >= want;
        // Two pages at least past the estimate for v1: a row may continue on the next page.
        if (enough && (header.data_page_header_v2 || pages >= 2)) {
          if (pos < end) out.set(k, pos - start);
          break;
        }
      }
    }
  }
  return out;
}
