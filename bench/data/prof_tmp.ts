import { openFileSource } from '../../src/data/byteSource';
import { buildIpcIndex, readBatchStream } from '../../src/data/arrowIndex';
import { RecordBatchReader } from 'apache-arrow';
import { validateBatch } from '../../src/data/arrowValidate';
import { cellAt } from '../../src/data/arrowValues';
async function main() {
  const path = process.argv[2];
  const T: Record<string, number> = {};
  let t = performance.now();
  const lap = (k: string) => { const n = performance.now(); T[k] = +(n - t).toFixed(2); t = n; };
  const s = await openFileSource(path); lap('openFile');
  const idx = await buildIpcIndex(s); lap('index');
  const sbuf = await readBatchStream(s, idx, []); lap('readSchema');
  const r0 = RecordBatchReader.from(sbuf); r0.open(); lap('decodeSchema');
  const buf = await readBatchStream(s, idx, [idx.batches[0]]); lap('readBatch');
  const r = RecordBatchReader.from(buf); r.open(); const b = r.next().value; lap('decodeBatch');
  validateBatch(b); lap('validate');
  for (let k = 0; k < 3; k++) { const v = b.getChildAt(k)!; lap('child' + k); v.isValid(0); lap('valid' + k); cellAt(v, 0); lap('cell' + k); }
  for (let i = 0; i < 50; i++) for (let k = 0; k < 3; k++) cellAt(b.getChildAt(k)!, i);
  lap('cells');
  for (let i = 50; i < 100; i++) for (let k = 0; k < 3; k++) cellAt(b.getChildAt(k)!, i);
  lap('cells2');
  const v = b.getChildAt(2)!; lap('getChild');
  v.isValid(3); lap('isValid');
  cellAt(v, 200); lap('one');
  console.log(JSON.stringify(T), idx.batches.length);
}
void main();
