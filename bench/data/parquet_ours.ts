// Our side of the Parquet table in bench/data.ts: open + 50 rows at the start (`first`) or at a random
// row (`jump`), in a fresh process, with the peak RSS of the whole process tree (this process plus the
// decoder worker it starts), sampled from /proc. Prints one JSON line. Usage: parquet_ours.cjs FILE first|jump
import { readFileSync, readdirSync } from 'node:fs';
import { openDataset } from '../../src/core/datasets/open';

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** RSS of this process and its children (the decoder worker). */
function treeRssKb(): number {
  let kb = rssKb(process.pid);
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) kb += rssKb(Number(d));
    } catch {
      // gone
    }
  }
  return kb;
}

async function main() {
  const [path, op] = process.argv.slice(2);
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, treeRssKb())), 10);
  const t0 = performance.now();
  const src = await openDataset(path);
  const openMs = performance.now() - t0;
  let row = 0;
  if (op === 'jump') {
    let seed = 1;
    row = Math.floor(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * src.numRows);
  }
  const rows = await src.readRows(row, 50);
  const ms = performance.now() - t0;
  peak = Math.max(peak, treeRssKb());
  clearInterval(timer);
  if (rows.some((r) => r.error)) throw new Error(rows.find((r) => r.error)!.error!.message);
  await src.close();
  console.log(JSON.stringify({ ms, openMs, peakRssMB: peak / 1024, rows: src.numRows }));
}
void main();
