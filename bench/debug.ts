// `npm run bench:debug`: what the DataLoader debugger costs.
// 1. Throughput of bench/debug/throughput.py run plain vs launched through the adapter with a DAP
//    session attached but never stopped, for 0 and 4 workers, alternating runs in the same process
//    (median of REPS each). Target: ≤ 2 % cost.
//    Wall-clock throughput moves by tens of percent on a shared machine, so the same runs also
//    report CPU time per batch (program + its workers), which other jobs' load barely moves.
// 2. bench/debug/overhead.py: CPU µs per batch of the instrumentation itself (a loader that does no
//    work, plain vs instrumented and attached, alternating in one process).
// 3. DAP round trip of `next`: from sending the request to the `stopped` event. Target: ≤ 30 ms median.
// Env: BATCHSCOPE_TEST_PYTHON (interpreter), BENCH_REPS (default 7), BENCH_BATCHES (default 400).
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { PYTHON, RUNTIME, REPO, configure, openSession, close } from '../test/debug/harness';
import { launchController } from '../src/runtime/debugLaunch';
import { killTree } from '../src/runtime/process';
import { ControllerClient, type ControllerEvent } from '../src/runtime/debugClient';

const SCRIPT = path.join(REPO, 'bench', 'debug', 'throughput.py');
const REPS = Number(process.env.BENCH_REPS ?? 7);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 400);

interface Result {
  batches_per_s: number;
  cpu_ms_per_batch: number;
}

function parse(out: string): Result {
  const line = out
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{"workers"'));
  if (!line) throw new Error(`no result line in:\n${out.slice(-2000)}`);
  return JSON.parse(line);
}

function plain(workers: number): Result {
  const out = execFileSync(PYTHON, [SCRIPT, '--workers', String(workers), '--batches', String(BATCHES)], {
    env: { ...process.env, PYTHONPATH: RUNTIME, PYTHONWARNINGS: 'ignore' },
    encoding: 'utf8',
  });
  return parse(out);
}

async function underDebugger(workers: number): Promise<Result> {
  const s = await openSession();
  try {
    await configure(
      s,
      s.dc.launchRequest({
        program: SCRIPT,
        args: ['--workers', String(workers), '--batches', String(BATCHES)],
        python: PYTHON,
        runtimePath: RUNTIME,
        cwd: REPO,
        env: { PYTHONWARNINGS: 'ignore' },
      } as DebugProtocol.LaunchRequestArguments),
      {
        filters: ['fetch_error', 'collate_error', 'worker_died', 'hang'], // the defaults a user has on
      },
    );
    await s.ev.next('terminated', 300_000);
    return parse(s.ev.output());
  } finally {
    await close(s);
  }
}

/**
 * `next` moves to the next stage of the same batch (fetch → collate → batch_ready → to_device →
 * train_step); from train_step the batch is done, so the loop continues to the next batch's
 * `fetch` breakpoint there (not timed) and steps through that batch again.
 */
async function nextRoundTrip(steps: number): Promise<number[]> {
  const s = await openSession();
  const times: number[] = [];
  try {
    await configure(
      s,
      s.dc.launchRequest({
        program: SCRIPT,
        args: ['--workers', '0', '--batches', '1000'],
        python: PYTHON,
        runtimePath: RUNTIME,
        cwd: REPO,
      } as DebugProtocol.LaunchRequestArguments),
      {
        functionBreakpoints: [{ name: 'fetch', hitCondition: '>= 20' }],
      },
    );
    let stop = await s.ev.next('stopped', 60_000);
    while (times.length < steps) {
      const got = s.ev.next('stopped', 30_000);
      if (stop.body.stage === 'train_step') {
        await s.dc.continueRequest({ threadId: stop.body.threadId });
        stop = await got;
        continue;
      }
      const t0 = performance.now();
      await s.dc.nextRequest({ threadId: stop.body.threadId });
      stop = await got;
      times.push(performance.now() - t0);
    }
  } finally {
    await close(s);
  }
  return times;
}

/** The same stepping through the controller protocol directly (no DAP adapter): what the runtime costs. */
async function nextRoundTripDirect(steps: number): Promise<number[]> {
  const launched = await launchController(
    {
      python: PYTHON,
      runtimePath: RUNTIME,
      target: { kind: 'program', value: SCRIPT },
      args: ['--workers', '0', '--batches', '1000'],
      cwd: REPO,
      hangTimeout: 30,
    },
    () => {},
  );
  const ctl = await ControllerClient.connect('127.0.0.1', launched.port, launched.secret);
  const stops: Array<Record<string, unknown>> = [];
  const waiters: Array<(b: Record<string, unknown>) => void> = [];
  ctl.on('event', (e: ControllerEvent) => {
    if (e.event !== 'stopped') return;
    const w = waiters.shift();
    if (w) w(e.body);
    else stops.push(e.body);
  });
  const nextStop = () =>
    stops.length ? Promise.resolve(stops.shift()!) : new Promise<Record<string, unknown>>((r) => waiters.push(r));
  const times: number[] = [];
  try {
    await ctl.request('setFunctionBreakpoints', { breakpoints: [{ name: 'fetch', hitCondition: '>= 20' }] });
    await ctl.request('setExceptionBreakpoints', { filters: [] });
    await ctl.request('configurationDone');
    let stop = await nextStop();
    while (times.length < steps) {
      const got = nextStop();
      if (stop.stage === 'train_step') {
        await ctl.request('continue', { threadId: stop.threadId });
        stop = await got;
        continue;
      }
      const t0 = performance.now();
      await ctl.request('next', { threadId: stop.threadId });
      stop = await got;
      times.push(performance.now() - t0);
    }
    await ctl.request('terminate').catch(() => {});
  } finally {
    ctl.close();
    killTree(launched.proc);
  }
  return times;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function main(): Promise<void> {
  const cpu = execFileSync('nproc', { encoding: 'utf8' }).trim();
  console.log(
    `DataLoader debugger benchmark · ${cpu} cores · ${BATCHES} batches of 16 × ≤512 tokens · median of ${REPS} alternating runs\n`,
  );
  const rows: string[][] = [];
  const cpuRows: string[][] = [];
  for (const workers of [0, 4]) {
    const a: Result[] = [];
    const b: Result[] = [];
    for (let r = 0; r < REPS; r++) {
      a.push(plain(workers));
      b.push(await underDebugger(workers));
    }
    const pa = median(a.map((x) => x.batches_per_s));
    const pb = median(b.map((x) => x.batches_per_s));
    const spread = (xs: Result[]) =>
      `${Math.min(...xs.map((x) => x.batches_per_s)).toFixed(0)}–${Math.max(...xs.map((x) => x.batches_per_s)).toFixed(0)}`;
    rows.push([
      `num_workers=${workers}`,
      pa.toFixed(1),
      pb.toFixed(1),
      (pb / pa).toFixed(3),
      `${(100 * (1 - pb / pa)).toFixed(1)} %`,
      `${Math.round(1e6 / pb - 1e6 / pa)}`,
      spread(a),
      spread(b),
    ]);
    const ca = median(a.map((x) => x.cpu_ms_per_batch));
    const cb = median(b.map((x) => x.cpu_ms_per_batch));
    cpuRows.push([
      `num_workers=${workers}`,
      ca.toFixed(3),
      cb.toFixed(3),
      `${(100 * (cb / ca - 1)).toFixed(1)} %`,
      `${Math.round(1000 * (cb - ca))}`,
    ]);
  }
  table(
    [
      'throughput (batches/s)',
      'plain',
      'under debugger',
      'ratio',
      'cost',
      'µs per batch',
      'plain min–max',
      'debugger min–max',
    ],
    rows,
  );
  console.log('');
  table(['CPU per batch (ms, program + workers)', 'plain', 'under debugger', 'cost', 'µs per batch'], cpuRows);

  const hot = JSON.parse(
    execFileSync(PYTHON, [path.join(REPO, 'bench', 'debug', 'overhead.py')], {
      env: { ...process.env, PYTHONWARNINGS: 'ignore' },
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .pop()!,
  );
  console.log('');
  table(
    ['instrumentation alone (CPU µs per batch of 16, no-op loader)', 'plain', 'instrumented + attached', 'added'],
    [
      [
        'num_workers=0, filters ' + hot.filters.join(', '),
        String(hot.plain_us),
        String(hot.instrumented_us),
        String(hot.overhead_us),
      ],
    ],
  );

  const rtt = await nextRoundTrip(60);
  const direct = await nextRoundTripDirect(60);
  const row = (name: string, xs: number[]) => [
    name,
    median(xs).toFixed(1),
    pct(xs, 90).toFixed(1),
    Math.max(...xs).toFixed(1),
    String(xs.length),
  ];
  console.log('');
  table(
    ['`next` → `stopped`, num_workers=0', 'median ms', 'p90 ms', 'max ms', 'n'],
    [row('DAP client → adapter → runtime', rtt), row('controller protocol directly', direct)],
  );
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
