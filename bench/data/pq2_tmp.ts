import { readFileSync } from 'node:fs';
import { parquetMetadata } from 'hyparquet';
import { decodeRowGroup } from '../../src/data/parquetDecode';
async function main() {
  const b = readFileSync(process.argv[2]);
  const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.length);
  const md = parquetMetadata(ab);
  const rg = md.row_groups[0];
  for (const end of [50, 300, 1000, 50, 1000]) {
    const t0 = performance.now();
    await decodeRowGroup({ metadata: { ...md, row_groups: [rg], num_rows: rg.num_rows }, rowStart: 0, rowEnd: end, fileSize: b.length, pieces: [{ offset: 0, bytes: new Uint8Array(ab) }] });
    console.log(end, (performance.now() - t0).toFixed(0));
  }
}
void main();
