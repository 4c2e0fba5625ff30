// Our side of bench/data.ts, in a fresh process so RSS and first-page time are honest. Prints one JSON line.
// `--no-scan`: open, first page and jumps only (the --big run). `--index-cache DIR`: the extension's
// batch-index cache (it passes workspace storage), so a re-open skips the walk.
import { openDataset } from '../../src/core/datasets/open';
import { computeColumnStats } from '../../src/core/datasets/columnStats';
import { computeStats } from '../../src/core/datasets/stats';
import type { ArrowSource } from '../../src/core/datasets/arrowSource';

async function main() {
  const path = process.argv[2];
  const res: Record<string, number> = {};
  let t0 = performance.now();
  const at = process.argv.indexOf('--index-cache');
  const src = await openDataset(path, at > 0 ? { indexCacheDir: process.argv[at + 1] } : {});
  await src.readRows(0, 50);
  res.firstPageMs = performance.now() - t0;
  // Same rows as the Python side would pick is not needed: any 50 rows spread over the file, each in another batch.
  let seed = 1;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const r = Math.floor(rand() * src.numRows);
    const t = performance.now();
    await src.readRows(r, 1);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  res.jumpMedianMs = times[25];
  res.rows = src.numRows;
  res.batches = (src as unknown as { index?: { batches: unknown[] } }).index?.batches.length ?? 0;
  if (!process.argv.includes('--no-scan') && 'lengths' in src) {
    // Offsets-only length histogram (arrowLengths.ts): reads (rows + 1) × 4 bytes per batch.
    t0 = performance.now();
    const hist = new Map<number, number>();
    await (src as unknown as ArrowSource).lengths('input_ids', (_start, lens) => {
      for (const n of lens) hist.set(n >> 6, (hist.get(n >> 6) ?? 0) + 1);
    });
    res.lengthsS = (performance.now() - t0) / 1000;
  }
  if (!process.argv.includes('--no-scan')) {
    t0 = performance.now();
    const s = await computeStats(src, { cutoffLen: 2048, eosId: 2 });
    res.scanS = (performance.now() - t0) / 1000;
    res.rows = s.rows;
    // The panel's column header summaries: token-list columns need only their offsets.
    t0 = performance.now();
    await computeColumnStats(src);
    res.columnStatsS = (performance.now() - t0) / 1000;
  }
  res.peakRssMB = process.resourceUsage().maxRSS / 1024;
  await src.close();
  console.log(JSON.stringify(res));
}
void main();
