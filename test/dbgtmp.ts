import { openDataset } from '../src/core/datasets/open';
import * as client from '../src/core/datasets/parquetWorkerClient';
import { decodeRowGroup } from '../src/core/datasets/parquetDecode';
(client as any).decodeIsolated = undefined;
(async () => {
  const ds: any = await openDataset('/tmp/pqi_small.parquet');
  // Capture the request instead of sending it to the worker.
  const mod = require('../src/core/datasets/parquetWorkerClient');
  let req: any;
  const orig = mod.decodeIsolated;
  Object.defineProperty(mod, 'decodeIsolated', { value: (r: any) => { req = r; return Promise.reject(new Error('captured')); } });
  try { await ds.decodeWith(0, 0, 128); } catch {}
  if (!req) { console.log('no capture'); return; }
  for (let i = 0; i < 3; i++) { const t = performance.now(); await decodeRowGroup(req); console.log('decode', (performance.now() - t).toFixed(0), 'ms'); }
  process.exit(0);
})();
