// `npm run bench:debug`: what the DataLoader debugger costs.
// 1. Throughput of bench/debug/throughput.py run plain vs launched through the adapter with a DAP
//    session attached but never stopped, for 0 and 4 workers, alternating runs in the same process
//    (median of REPS each). Target: ≤ 2 % cost.
//    Wall-clock throughput moves by tens of percent on a shared machine, so the same runs also
//    report CPU time per batch (program + its workers); on a loaded 2-core machine even that moves
//    by ±10 % between runs, so part 2 is the figure that shows the ≤ 2 %.
// 2. bench/debug/overhead.py: the 0-worker figure for the ≤ 2 % target. A process's speed on this
//    shared VM differs by up to 2× from the next one's, so part 1 cannot resolve 2 % at 0 workers:
//    here one process alternates chunks of a plain and an instrumented + attached iterator over the
//    same loader setup (controller in a child process) and takes the median paired difference of
//    the loop thread's CPU time per batch, for throughput.py's loader and for a no-op loader.
// 3. bench/debug/record.py: what the batch recorder costs a training-like loop (4 workers, a 20 ms
//    simulated step), without and with recording, alternating in one process. Target: ≤ 5 % wall.
//    Also CPU per batch: the whole process, the loop's thread, the recorder's writer thread.
// 4. DAP round trip of `next`: from sending the request to the `stopped` event. Target: ≤ 30 ms median.
// Env: BATCHSCOPE_TEST_PYTHON (interpreter), BENCH_REPS (default 7), BENCH_BATCHES (default 400),
//      BENCH_RECORD_REPS (default 3), BENCH_RECORD_BATCHES (default 150), BENCH_RECORD_BUDGET_S (90),
//      BENCH_OVERHEAD_REAL_PAIRS (200 pairs of 50 batches), BENCH_OVERHEAD_REAL_RUNS (3), BENCH_ONLY (a comma list of
//      throughput, overhead, record, next: run only those parts).
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
const RECORD_REPS = Number(process.env.BENCH_RECORD_REPS ?? 3);
const RECORD_BATCHES = Number(process.env.BENCH_RECORD_BATCHES ?? 150);
/** record.py starts no new rep after this (it reports the reps done); past the hard limit it is ended. */
const RECORD_BUDGET_S = Number(process.env.BENCH_RECORD_BUDGET_S ?? 90);
const OVERHEAD_REAL_PAIRS = Number(process.env.BENCH_OVERHEAD_REAL_PAIRS ?? 200);
const OVERHEAD_REAL_RUNS = Number(process.env.BENCH_OVERHEAD_REAL_RUNS ?? 3);
const RECORD_LIMIT_MS = 180_000;
const ONLY = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
const part = (name: string) => ONLY.length === 0 || ONLY.includes(name);

interface Result {
  batches_per_s: number;
  cpu_ms_per_batch: number;
  steady_cpu_ms_per_batch: number;
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

async function throughputPart(): Promise<void> {
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
    // Steady state: the loop's process and its live workers' threads between the warm-up and the end,
    // so worker start-up (imports, the agent's connect) is left out; paired reps ran back to back.
    const sa = median(a.map((x) => x.steady_cpu_ms_per_batch));
    const sb = median(b.map((x) => x.steady_cpu_ms_per_batch));
    const pairs = median(a.map((x, i) => b[i].steady_cpu_ms_per_batch / x.steady_cpu_ms_per_batch - 1));
    cpuRows.push([
      `num_workers=${workers}`,
      ca.toFixed(3),
      cb.toFixed(3),
      `${(100 * (cb / ca - 1)).toFixed(1)} %`,
      sa.toFixed(3),
      sb.toFixed(3),
      `${(100 * (sb / sa - 1)).toFixed(1)} %`,
      `${(100 * pairs).toFixed(1)} %`,
      `${Math.round(1000 * (sb - sa))}`,
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
  table(
    [
      'CPU per batch (ms, program + workers)',
      'plain, whole run',
      'debugger, whole run',
      'cost',
      'plain, steady',
      'debugger, steady',
      'cost, steady',
      'steady, median of pairs',
      'µs per batch, steady',
    ],
    cpuRows,
  );
  console.log('');
}

interface Overhead {
  plain_us: number;
  instrumented_us: number;
  overhead_us: number;
  overhead_pct: number;
  q1_us: number;
  q3_us: number;
  agent_threads_us: number | null;
  chunk: number;
  pairs: number;
  filters: string[];
}

function overheadRun(real: boolean, evictMb = 0): Overhead {
  const args = [path.join(REPO, 'bench', 'debug', 'overhead.py')];
  if (real) args.push('--real', '--pairs', String(OVERHEAD_REAL_PAIRS));
  if (evictMb) args.push('--evict-mb', String(evictMb));
  return JSON.parse(
    execFileSync(PYTHON, args, {
      env: { ...process.env, PYTHONWARNINGS: 'ignore', OMP_NUM_THREADS: '1' },
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .pop()!,
  );
}

function overheadPart(): void {
  const hot = overheadRun(false);
  const cold = overheadRun(false, 8);
  // One run's median moves by about ±10 µs (±0.7 %) on the shared VM: the real loop runs
  // OVERHEAD_REAL_RUNS times, each row is printed, and the verdict line gives the median run.
  const reals = Array.from({ length: OVERHEAD_REAL_RUNS }, () => overheadRun(true));
  const row = (name: string, r: Overhead) => [
    name,
    String(r.plain_us),
    String(r.instrumented_us),
    `${r.overhead_us} (${r.q1_us} to ${r.q3_us})`,
    `${r.overhead_pct} %`,
    r.agent_threads_us === null ? '—' : String(r.agent_threads_us),
    `${r.pairs} × ${r.chunk}`,
  ];
  table(
    [
      "num_workers=0, one process: CPU µs per batch of the loop's thread, plain and instrumented + attached (never stopped) iterators alternating",
      'plain',
      'instrumented',
      'added, median of pairs (quartiles)',
      'cost',
      "agent's threads (records, hang timer), µs per batch",
      'pairs × batches',
    ],
    [
      ...reals.map((r, i) => row(`throughput.py loader (16 × ≤512 tokens, 1–2 ms a batch), run ${i + 1}`, r)),
      row('no-op loader: the instrumentation alone (filters ' + hot.filters.join(', ') + ')', hot),
      row('no-op loader, caches made cold after each batch (8 MB written, both sides)', cold),
    ],
  );
  // The verdict counts the agent's threads too: they hold the GIL, so the loop waits for them.
  const all = (r: Overhead) => (100 * (r.overhead_us + (r.agent_threads_us ?? 0))) / r.plain_us;
  const mid = [...reals].sort((a, b) => all(a) - all(b))[Math.floor(reals.length / 2)];
  const verdict = all(mid) <= 2 ? 'met' : 'not met';
  console.log(
    `0-worker cost, median of ${reals.length} runs: ${all(mid).toFixed(2)} % (the loop thread ${mid.overhead_us} µs + the agent's threads ${mid.agent_threads_us ?? '?'} µs of ${mid.plain_us} µs): target ≤ 2 % ${verdict}`,
  );
  console.log('');
}

async function nextPart(): Promise<void> {
  const rtt = await nextRoundTrip(60);
  const direct = await nextRoundTripDirect(60);
  const row = (name: string, xs: number[]) => [
    name,
    median(xs).toFixed(1),
    pct(xs, 90).toFixed(1),
    Math.max(...xs).toFixed(1),
    String(xs.length),
  ];
  table(
    ['`next` → `stopped`, num_workers=0', 'median ms', 'p90 ms', 'max ms', 'n'],
    [row('DAP client → adapter → runtime', rtt), row('controller protocol directly', direct)],
  );
  console.log('');
}

/** bench/debug/record.py's JSON line (see its docstring). */
interface RecordResult {
  workers: number;
  batches: number;
  reps: number;
  step_ms: number;
  plain_ms_per_batch: number;
  recording_ms_per_batch: number;
  paired_ratio_median: number;
  paired_diff_ms_median: number;
  plain_ms_range: [number, number];
  recording_ms_range: [number, number];
  plain_cpu_us_per_batch: number;
  recording_cpu_us_per_batch: number;
  plain_main_cpu_us_per_batch: number;
  recording_main_cpu_us_per_batch: number;
  writer_cpu_us_per_batch: number;
  load_before: number;
  load_after: number;
  mb_per_batch: number;
}

/** The batch recorder's cost: the same loop without and with recording, alternating in one process. */
function recordPart(): void {
  const args = [
    '--batches',
    String(RECORD_BATCHES),
    '--reps',
    String(RECORD_REPS),
    '--budget-s',
    String(RECORD_BUDGET_S),
  ];
  let out: string;
  try {
    out = execFileSync(PYTHON, [path.join(REPO, 'bench', 'debug', 'record.py'), ...args], {
      env: { ...process.env, PYTHONWARNINGS: 'ignore', OMP_NUM_THREADS: '1' },
      encoding: 'utf8',
      timeout: RECORD_LIMIT_MS,
      killSignal: 'SIGKILL',
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { signal?: string; stderr?: string };
    const why =
      e.signal === 'SIGKILL'
        ? `did not finish within ${RECORD_LIMIT_MS / 1000} s (lower BENCH_RECORD_BATCHES / BENCH_RECORD_REPS)`
        : `failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-3).join(' ')}`;
    console.log(`recording cost: bench/debug/record.py ${why}\n`);
    return;
  }
  const r = JSON.parse(out.trim().split('\n').pop()!) as RecordResult;
  const ratio = (a: number, b: number) => (b / a).toFixed(3);
  const cost = (a: number, b: number) => `${(100 * (b / a - 1)).toFixed(1)} %`;
  const range = (x: [number, number]) => `${x[0].toFixed(1)}–${x[1].toFixed(1)}`;
  table(
    [
      `recording (num_workers=${r.workers}, ${r.step_ms} ms step, ${r.batches} batches × ${r.reps} alternating reps)`,
      'without',
      'recording',
      'ratio',
      'cost',
    ],
    [
      [
        'wall ms per batch (median)',
        r.plain_ms_per_batch.toFixed(2),
        r.recording_ms_per_batch.toFixed(2),
        ratio(r.plain_ms_per_batch, r.recording_ms_per_batch),
        cost(r.plain_ms_per_batch, r.recording_ms_per_batch),
      ],
      [
        'wall, median of the per-rep ratios (each pair ran back to back)',
        '',
        '',
        r.paired_ratio_median.toFixed(3),
        `${(100 * (r.paired_ratio_median - 1)).toFixed(1)} %`,
      ],
      [
        'recording cost per batch, wall (median of the per-rep differences)',
        '',
        `${r.paired_diff_ms_median >= 0 ? '+' : ''}${r.paired_diff_ms_median.toFixed(2)} ms`,
        '',
        '',
      ],
      ['wall ms per batch (min–max)', range(r.plain_ms_range), range(r.recording_ms_range), '', ''],
      [
        'CPU µs per batch, training process (all threads)',
        r.plain_cpu_us_per_batch.toFixed(0),
        r.recording_cpu_us_per_batch.toFixed(0),
        ratio(r.plain_cpu_us_per_batch, r.recording_cpu_us_per_batch),
        `+${(r.recording_cpu_us_per_batch - r.plain_cpu_us_per_batch).toFixed(0)} µs`,
      ],
      [
        "CPU µs per batch, the loop's thread (snapshot + queue)",
        r.plain_main_cpu_us_per_batch.toFixed(0),
        r.recording_main_cpu_us_per_batch.toFixed(0),
        ratio(r.plain_main_cpu_us_per_batch, r.recording_main_cpu_us_per_batch),
        `+${(r.recording_main_cpu_us_per_batch - r.plain_main_cpu_us_per_batch).toFixed(0)} µs`,
      ],
      [
        "CPU µs per batch, the recorder's writer thread (Arrow + write)",
        '',
        r.writer_cpu_us_per_batch.toFixed(0),
        '',
        '',
      ],
    ],
  );
  console.log(
    `(${r.mb_per_batch} MB written per batch; load average ${r.load_before.toFixed(1)} before, ${r.load_after.toFixed(1)} after)\n`,
  );
}

async function main(): Promise<void> {
  const cpu = execFileSync('nproc', { encoding: 'utf8' }).trim();
  const load = execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ')[0];
  console.log(
    `DataLoader debugger benchmark · ${cpu} cores · load ${load}` +
      (part('throughput') ? ` · ${BATCHES} batches of 16 × ≤512 tokens · median of ${REPS} alternating runs` : '') +
      '\n',
  );
  if (part('throughput')) await throughputPart();
  if (part('overhead')) overheadPart();
  if (part('record')) recordPart();
  if (part('next')) await nextPart();
  const after = execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ');
  console.log(`load average at the end: ${after}`);
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
