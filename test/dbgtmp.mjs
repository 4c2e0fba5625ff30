import { parquetReadObjects, parquetMetadataAsync, asyncBufferFromFile } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
const file = await asyncBufferFromFile(process.argv[2]);
const metadata = await parquetMetadataAsync(file);
const tagged = { ...metadata, schema: metadata.schema.map((el) => el.type === 'INT64' && !el.num_children ? { ...el, converted_type: undefined, logical_type: { type: 'TIMESTAMP', unit: 'NANOS', isAdjustedToUTC: false } } : el) };
const MIN = BigInt(Number.MIN_SAFE_INTEGER), MAX = BigInt(Number.MAX_SAFE_INTEGER);
const parsers = { timestampFromNanoseconds: (v) => (v >= MIN && v <= MAX ? Number(v) : v) };
for (const [label, md, p] of [['plain labels', metadata, undefined], ['tagged labels', tagged, parsers], ['tagged labels again', tagged, parsers]]) {
  const t = performance.now();
  const rows = await parquetReadObjects({ file, metadata: md, compressors, utf8: false, parsers: p, rowStart: 0, rowEnd: 128, useOffsetIndex: true, columns: ['labels'] });
  console.log(label, rows.length, typeof rows[5].labels[3], rows[5].labels.slice(0, 3), (performance.now() - t).toFixed(0), 'ms');
}
