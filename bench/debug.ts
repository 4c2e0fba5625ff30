// `npm run bench:debug`: what the DataLoader debugger costs.
// 1. Throughput of bench/debug/throughput.py run plain vs launched through the adapter with a DAP
//    session attached but never stopped, for 0 and 4 workers, alternating runs in the same process
//    (median of REPS each). Target: ≤ 2 % cost.
// 2. DAP round trip of `next`: from sending the request to the `stopped` event. Target: ≤ 30 ms median.
// Env: BATCHSCOPE_TEST_PYTHON (interpreter), BENCH_REPS (default 3), BENCH_BATCHES (default 400).
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { PYTHON, RUNTIME, REPO, configure, openSession, close } from '../test/debug/harness';

const SCRIPT = path.join(REPO, 'bench', 'debug', 'throughput.py');
const REPS = Number(process.env.BENCH_REPS ?? 3);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 400);

interface Result {
  batches_per_s: number;
}

function parse(out: string): Result {
  const line = out.trim().split('\n').reverse().find((l) => l.startsWith('{"workers"'));
  if (!line) throw new Error(`no result line in:\n${out.slice(-2000)}`);
  return JSON.parse(line);
}

function plain(workers: number): Result {
  const out = execFileSync(PYTHON, [SCRIPT, '--workers', String(workers), '--batches', String(BATCHES)], { env: { ...process.env, PYTHONPATH: RUNTIME, PYTHONWARNINGS: 'ignore' }, encoding: 'utf8' });
  return parse(out);
}

async function underDebugger(workers: number): Promise<Result> {
  const s = await openSession();
  try {
    await configure(s, s.dc.launchRequest({ program: SCRIPT, args: ['--workers', String(workers), '--batches', String(BATCHES)], python: PYTHON, runtimePath: RUNTIME, cwd: REPO, env: { PYTHONWARNINGS: 'ignore' } } as DebugProtocol.LaunchRequestArguments), {
      filters: ['fetch_error', 'collate_error', 'worker_died', 'hang'], // the defaults a user has on
    });
    await s.ev.next('terminated', 300_000);
    return parse(s.ev.output());
  } finally {
    await close(s);
  }
}

async function nextRoundTrip(steps: number): Promise<number[]> {
  const s = await openSession();
  const times: number[] = [];
  try {
    await configure(s, s.dc.launchRequest({ program: SCRIPT, args: ['--workers', '0', '--batches', '1000'], python: PYTHON, runtimePath: RUNTIME, cwd: REPO } as DebugProtocol.LaunchRequestArguments), {
      functionBreakpoints: [{ name: 'fetch', hitCondition: '20' }],
    });
    let stop = await s.ev.next('stopped', 60_000);
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      const got = s.ev.next('stopped', 30_000);
      await s.dc.nextRequest({ threadId: stop.body.threadId });
      stop = await got;
      times.push(performance.now() - t0);
    }
  } finally {
    await close(s);
  }
  return times;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function main(): Promise<void> {
  const cpu = execFileSync('nproc', { encoding: 'utf8' }).trim();
  console.log(`DataLoader debugger benchmark · ${cpu} cores · ${BATCHES} batches of 16 × ≤512 tokens · median of ${REPS} alternating runs\n`);
  const rows: string[][] = [];
  for (const workers of [0, 4]) {
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < REPS; r++) {
      a.push(plain(workers).batches_per_s);
      b.push((await underDebugger(workers)).batches_per_s);
    }
    const pa = median(a);
    const pb = median(b);
    rows.push([`num_workers=${workers}`, pa.toFixed(1), pb.toFixed(1), (pb / pa).toFixed(3), `${(100 * (1 - pb / pa)).toFixed(1)} %`]);
  }
  table(['throughput (batches/s)', 'plain', 'under debugger', 'ratio', 'cost'], rows);

  const rtt = await nextRoundTrip(60);
  console.log('');
  table(['DAP `next` → `stopped`', 'median ms', 'p90 ms', 'max ms', 'n'], [['num_workers=0', median(rtt).toFixed(1), pct(rtt, 90).toFixed(1), Math.max(...rtt).toFixed(1), String(rtt.length)]]);
}

function table(head: string[], rows: string[][]): void {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(w[i])).join(' | ') + ' |';
  console.log(line(head));
  console.log('|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|');
  for (const r of rows) console.log(line(r));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
