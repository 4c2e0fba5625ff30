// Runs Parquet row-group decodes in one reused child process with a heap bound and a time bound.
// (The integer-list columns of the rows on screen decode in the host instead, through code whose every
// allocation and loop is bounded by checked page headers: parquetFastLists.decodeListsLocally. Only
// hyparquet, which trusts run lengths, needs this process.)
// A decode that runs out of its heap or its time ends only that process; the caller gets a
// ParquetDecodeError and the next decode starts a fresh process.
//
// Why a process and not a worker thread: a worker's `resourceLimits` stop most runaway decodes with
// ERR_WORKER_OUT_OF_MEMORY, but not the one hyparquet actually has. A corrupt RLE run writes past the end
// of a plain Array (`output[seen + i] = value`), V8 grows the backing store in one allocation larger
// than the 16 MB of slack Node gives a worker at its limit, and that is a fatal OOM of the *whole
// process*: measured on Node 20 (the extension host's), `new Worker('const a=[]; for(;;) a.push(1)',
// { eval: true, resourceLimits: { maxOldGenerationSizeMb: 64 } })` aborts the parent. A child process
// with --max-old-space-size dies alone. test/data/parquetIsolation.test.ts runs such a corrupt page.
//
// Where the decoder script is (first that exists):
//   1. $BATCHSCOPE_PARQUET_WORKER;
//   2. parquetWorker.js beside this code: every esbuild bundle in dist/ (extension, CLI) — scripts/build.mjs
//      writes dist/parquetWorker.js;
//   3. parquetWorker.ts beside this code: the TypeScript source, run by tsx (tests, scripts). The child runs
//      plain node, so the source is bundled once with esbuild (a devDependency, present wherever the
//      sources are) into the temp folder, keyed by the sources' mtimes, and reused.
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { DecodeRequest, DecodeResult } from './parquetDecode';

export class ParquetDecodeError extends Error {
  constructor(
    message: string,
    readonly kind: 'out-of-memory' | 'timeout' | 'worker-exit' | 'decode' | 'no-worker',
  ) {
    super(message);
    this.name = 'ParquetDecodeError';
  }
}

export interface DecodeLimits {
  /** Heap (old generation) bound of the worker, MB. */
  heapMb: number;
  timeoutMs: number;
}

/** Tunables; tests lower the time bound so a stuck decode fails fast. */
export const decodeConfig = {
  minHeapMb: 64,
  maxHeapMb: Math.max(256, Math.min(4096, Math.floor(totalmem() / 2 ** 20 / 4))),
  /** Decoded cells take about this many heap bytes per byte of uncompressed column data. */
  heapPerByte: 12,
  baseTimeoutMs: 10_000,
  /** Extra time per MB of column data handed over. */
  timeoutPerMbMs: 100,
  /** An idle decoder process is ended after this long (it holds ~40 MB). */
  idleMs: 30_000,
};

/** Heap and time bounds for a decode of `bytes` compressed bytes that expand to `uncompressed` bytes. */
export function limitsFor(bytes: number, uncompressed: number): DecodeLimits {
  const mb = (x: number) => x / 2 ** 20;
  const need = Math.max(decodeConfig.minHeapMb, 32 + decodeConfig.heapPerByte * mb(Math.max(bytes, uncompressed)));
  // Power-of-two buckets, so a worker sized for one row group serves the next ones of a file.
  let heapMb = decodeConfig.minHeapMb;
  while (heapMb < need && heapMb < decodeConfig.maxHeapMb) heapMb *= 2;
  heapMb = Math.min(heapMb, decodeConfig.maxHeapMb);
  const timeoutMs = decodeConfig.baseTimeoutMs + decodeConfig.timeoutPerMbMs * mb(bytes + uncompressed);
  return { heapMb, timeoutMs };
}

let resolved: string | undefined;

export function parquetWorkerPath(): string {
  if (resolved && existsSync(resolved)) return resolved;
  const env = process.env.BATCHSCOPE_PARQUET_WORKER;
  const bundled = join(__dirname, 'parquetWorker.js');
  const source = join(__dirname, 'parquetWorker.ts');
  if (env && existsSync(env)) resolved = env;
  else if (existsSync(bundled)) resolved = bundled;
  else if (existsSync(source)) resolved = bundleFromSource(source);
  else {
    const looked = [env, bundled, source].filter(Boolean).join(', ');
    throw new ParquetDecodeError(
      `Parquet decoder worker not found (looked for ${looked}; run \`npm run build\`)`,
      'no-worker',
    );
  }
  return resolved;
}

function bundleFromSource(entry: string): string {
  const key = createHash('sha1');
  const sources = [
    'parquetWorker.ts',
    'parquetDecode.ts',
    'parquetFastLists.ts',
    'parquetFastPages.ts',
    'parquetPrefix.ts',
  ];
  for (const f of [...sources, 'parquetPacked.ts', 'valueForms.ts', 'parquetSpecs.ts']) {
    const p = join(__dirname, f);
    key.update(`${f}:${existsSync(p) ? statSync(p).mtimeMs : 0};`);
  }
  const dir = join(tmpdir(), 'batchscope-dev');
  const out = join(dir, `parquetWorker-${key.digest('hex').slice(0, 12)}.js`);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  // Not a literal require: the extension/CLI bundles must not pull esbuild in (they never get here).
  const esbuild = createRequire(entry)(['es', 'build'].join('')) as typeof import('esbuild');
  const tmp = `${out}.${process.pid}.tmp`;
  esbuild.buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    outfile: tmp,
    logLevel: 'warning',
  });
  renameSync(tmp, out); // atomic: parallel test processes may build at the same time
  return out;
}

interface Held {
  proc: ChildProcess;
  heapMb: number;
  stderr: string;
  idle?: NodeJS.Timeout;
}

let held: Held | undefined;
let nextId = 1;
let queue: Promise<unknown> = Promise.resolve();

function spawn(heapMb: number): Held {
  const proc = fork(parquetWorkerPath(), [], {
    // Plain node flags only: never the parent's (tsx loaders, inspector ports).
    execArgv: [
      `--max-old-space-size=${heapMb}`,
      // bench/: profile the decoder (a CPU profile per worker process in this folder).
      ...(process.env.BATCHSCOPE_PARQUET_PROFILE_DIR
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BATCHSCOPE_PARQUET_PROFILE_DIR}`]
        : []),
    ],
    serialization: 'advanced', // typed arrays and bigints cross as they are
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const h: Held = { proc, heapMb, stderr: '' };
  proc.stderr?.on('data', (d: Buffer) => {
    h.stderr = (h.stderr + d.toString('utf8')).slice(-4096);
  });
  proc.on('exit', () => {
    if (held === h) held = undefined;
  });
  proc.on('error', () => undefined); // reported to the job in flight by its own listener
  unrefProc(proc);
  return h;
}

/** Neither the process nor its channel keeps the parent alive (the CLI exits when its work is done). */
function unrefProc(proc: ChildProcess): void {
  proc.unref();
  (proc as unknown as { channel?: { unref(): void } }).channel?.unref();
  (proc.stderr as unknown as { unref?: () => void } | null)?.unref?.();
}

function drop(h: Held): void {
  if (held === h) held = undefined;
  if (h.idle) clearTimeout(h.idle);
  if (h.proc.exitCode === null && h.proc.signalCode === null) h.proc.kill('SIGKILL');
}

async function runOne(req: DecodeRequest, limits: DecodeLimits): Promise<DecodeResult> {
  if (held && held.heapMb < limits.heapMb) drop(held);
  if (!held) held = spawn(limits.heapMb);
  const h = held;
  if (h.idle) clearTimeout(h.idle);
  const id = nextId++;
  try {
    return await new Promise<DecodeResult>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        h.proc.off('message', onMessage);
        h.proc.off('error', onError);
        h.proc.off('exit', onExit);
      };
      const fail = (e: ParquetDecodeError) => {
        done();
        drop(h);
        reject(e);
      };
      const onMessage = (msg: { id: number; ok: boolean; res?: DecodeResult; message?: string }) => {
        if (msg.id !== id) return;
        done();
        if (msg.ok) resolve(msg.res!);
        else reject(new ParquetDecodeError(msg.message ?? 'decode failed', 'decode'));
      };
      const onError = (err: Error) =>
        fail(new ParquetDecodeError(`decoder process failed: ${err.message}`, 'worker-exit'));
      const onExit = (code: number | null, signal: string | null) => {
        // Let the last stderr chunk arrive before deciding what the exit means.
        setImmediate(() => {
          if (/heap out of memory|heap limit/i.test(h.stderr)) {
            fail(
              new ParquetDecodeError(
                `decoding needed more than its ${h.heapMb} MB memory bound (decoder ran out of heap): corrupt data page?`,
                'out-of-memory',
              ),
            );
          } else fail(new ParquetDecodeError(`decoder process exited (${signal ?? `code ${code}`})`, 'worker-exit'));
        });
      };
      const timer = setTimeout(
        () =>
          fail(
            new ParquetDecodeError(
              `decoding took over ${Math.round(limits.timeoutMs)} ms and was stopped: corrupt data page?`,
              'timeout',
            ),
          ),
        limits.timeoutMs,
      );
      h.proc.on('message', onMessage);
      h.proc.on('error', onError);
      h.proc.on('exit', onExit);
      h.proc.send({ id, req }, (err) => {
        if (err) fail(new ParquetDecodeError(`cannot reach the decoder process: ${err.message}`, 'worker-exit'));
      });
    });
  } finally {
    if (held === h) {
      h.idle = setTimeout(() => drop(h), decodeConfig.idleMs);
      h.idle.unref();
    }
  }
}

/** Decodes in the shared decoder process. Calls are queued (one at a time), so a time bound measures this decode only. */
export function decodeIsolated(req: DecodeRequest, limits: DecodeLimits): Promise<DecodeResult> {
  const run = queue.then(() => runOne(req, limits));
  queue = run.catch(() => undefined);
  return run;
}

/**
 * Starts the decoder process ahead of the first decode (a file was just opened): its start-up then
 * overlaps the footer read and the caller's own work. Queued like a decode, so it never races one.
 */
export function prewarmDecoder(heapMb: number): void {
  queue = queue.then(() => {
    try {
      if (held && held.heapMb < heapMb) drop(held);
      if (!held) {
        held = spawn(heapMb);
        held.idle = setTimeout(() => held && drop(held), decodeConfig.idleMs);
        held.idle.unref();
      }
    } catch {
      // no decoder script: the decode reports it
    }
  });
}

/** Ends the decoder process now (tests, extension deactivation). */
export function stopParquetWorker(): void {
  if (held) drop(held);
}
