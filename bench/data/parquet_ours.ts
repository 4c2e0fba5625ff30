// Our side of the Parquet table in bench/data.ts: open + 50 rows at the start (`first`) or at a random
// row (`jump`), in a fresh process, with the peak RSS of the whole process tree (this process plus the
// decoder worker it starts), from /proc's VmHWM. Prints one JSON line. Usage: parquet_ours.cjs FILE first|jump
import { readFileSync, readdirSync } from 'node:fs';
import { openDataset } from '../../src/core/datasets/open';

/** Peak RSS (VmHWM) of a process, KB. */
function peakKb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Peak RSS of the process tree: this process's plus its children's (the decoder worker, still alive
 * until its idle timeout). The sum of each process's own peak is an upper bound of the tree's peak, and
 * needs no sampling: an earlier version scanned all of /proc every 10 ms, which cost this process more
 * CPU than the work it measured on a loaded machine.
 */
function treePeakKb(): number {
  let kb = peakKb(process.pid);
  for (const tid of readdirSync(`/proc/${process.pid}/task`)) {
    let children = '';
    try {
      children = readFileSync(`/proc/${process.pid}/task/${tid}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const c of children.split(' ').filter(Boolean)) kb += peakKb(Number(c));
  }
  return kb;
}

async function main() {
  const [path, op] = process.argv.slice(2);
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
  const peak = treePeakKb();
  if (rows.some((r) => r.error)) throw new Error(rows.find((r) => r.error)!.error!.message);
  await src.close();
  console.log(JSON.stringify({ ms, openMs, peakRssMB: peak / 1024, rows: src.numRows }));
}
void main();
