// Starting and controlling a training run of the bundled runtime:
//   python -m batchscope_runtime train CONFIG --set k=v ... [--nproc N] --stdin-control --stop-file F
// Events arrive as NDJSON on stdout (protocol.ts); stderr is passed through line by line.
// stop(): first call asks for a graceful stop (stdin request + stop file, which also reaches
// torchrun's rank 0), the runtime checkpoints and exits; a second call kills the process tree.
import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { LineSplitter, parseEventLine, type ErrorEvent, type FinishedEvent, type TrainEvent } from '../../protocol/trainEvents';
import { killTree, spawnRuntime } from './process';

export interface StartTrainingOptions {
  python: string;
  /** path of the YAML config */
  config: string;
  /** "key=value" strings, passed as --set */
  overrides?: string[];
  cwd?: string;
  /** extra environment variables (merged over process.env) */
  env?: NodeJS.ProcessEnv;
  /** processes per node; > 1 launches through torchrun */
  nproc?: number;
  /** folder holding batchscope_runtime (default: see runtimeDir()) */
  runtimeDir?: string;
}

export interface TrainingExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stop() was called before the exit */
  stopRequested: boolean;
  /** the process tree was killed by a second stop() */
  killed: boolean;
  finished?: FinishedEvent;
  error?: ErrorEvent;
}

export interface TrainingRunEvents {
  event: [TrainEvent];
  stderr: [string];
  /** a stdout line that is not a valid protocol event */
  protocolError: [{ error: string; line: string }];
  exit: [TrainingExit];
}

export class TrainingRun extends EventEmitter<TrainingRunEvents> {
  readonly child: ChildProcess;
  readonly stopFile: string;
  /** resolves on exit */
  readonly done: Promise<TrainingExit>;
  private stopCount = 0;
  private killed = false;
  private finished?: FinishedEvent;
  private error?: ErrorEvent;
  private lastCheckpoint?: string;
  private exited = false;

  constructor(readonly options: StartTrainingOptions) {
    super();
    this.stopFile = path.join(os.tmpdir(), `batchscope-stop-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
    const args = ['train', options.config, '--stdin-control', '--stop-file', this.stopFile];
    for (const o of options.overrides ?? []) args.push('--set', o);
    if (options.nproc && options.nproc > 1) args.push('--nproc', String(options.nproc));
    this.child = spawnRuntime(options.python, args, { cwd: options.cwd, env: options.env, runtimeDir: options.runtimeDir });

    const out = new LineSplitter();
    const err = new LineSplitter();
    const onEvent = (line: string) => {
      const parsed = parseEventLine(line);
      if (!parsed.ok) {
        this.emit('protocolError', { error: parsed.error, line: parsed.line });
        return;
      }
      const e = parsed.event;
      if (e.type === 'finished') this.finished = e;
      if (e.type === 'error') this.error = e;
      if (e.type === 'checkpoint') this.lastCheckpoint = e.path;
      this.emit('event', e);
    };
    this.child.stdout?.setEncoding('utf8').on('data', (d: string) => out.push(d).forEach(onEvent));
    this.child.stderr?.setEncoding('utf8').on('data', (d: string) => err.push(d).forEach((l) => this.emit('stderr', l)));
    this.child.stdin?.on('error', () => undefined); // EPIPE after the runtime exited

    this.done = new Promise((resolve) => {
      let spawnError: Error | undefined;
      this.child.on('error', (e) => (spawnError = e));
      this.child.on('close', (code, signal) => {
        out.flush().forEach(onEvent);
        err.flush().forEach((l) => this.emit('stderr', l));
        if (spawnError) this.emit('stderr', `batchscope: error: cannot start ${options.python}: ${spawnError.message}`);
        this.exited = true;
        rmSync(this.stopFile, { force: true });
        const exit: TrainingExit = { code, signal, stopRequested: this.stopCount > 0, killed: this.killed, finished: this.finished, error: this.error };
        this.emit('exit', exit);
        resolve(exit);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** The newest checkpoint this run reported. */
  get checkpoint(): string | undefined {
    return this.lastCheckpoint;
  }

  /**
   * First call: graceful stop (checkpoint, then exit). Second call: kill the process tree.
   * Returns what it did.
   */
  stop(): 'requested' | 'killed' | 'not-running' {
    if (this.exited) return 'not-running';
    this.stopCount++;
    if (this.stopCount === 1) {
      try {
        writeFileSync(this.stopFile, 'stop\n');
      } catch {
        /* the stdin request below still reaches a single-process run */
      }
      this.child.stdin?.write(JSON.stringify({ type: 'stop' }) + '\n');
      return 'requested';
    }
    this.killed = true;
    killTree(this.child);
    return 'killed';
  }

  /** A new run of the same config resuming from `checkpoint` (default: the latest in output_dir). */
  resume(checkpoint?: string): TrainingRun {
    return resumeTraining(this.options, checkpoint);
  }
}

export function startTraining(options: StartTrainingOptions): TrainingRun {
  return new TrainingRun(options);
}

/** Starts `options` again with resume_from_checkpoint set (a path, or true = the latest). */
export function resumeTraining(options: StartTrainingOptions, checkpoint?: string): TrainingRun {
  const overrides = (options.overrides ?? []).filter((o) => !o.startsWith('resume_from_checkpoint='));
  overrides.push(`resume_from_checkpoint=${checkpoint ?? 'true'}`);
  return new TrainingRun({ ...options, overrides });
}

/**
 * `python -m batchscope_runtime preview CONFIG --n N --out FILE`: the first N samples as the chosen
 * engine feeds them (tokens, labels) plus truncated/dropped counts, one JSON object per line in FILE.
 * Resolves with the exit code and stderr (a config error is a `batchscope: error: FILE:LINE:COL:` line).
 */
export function previewTrainingData(options: { python: string; config: string; n: number; out: string; runtimeDir?: string }): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnRuntime(options.python, ['preview', options.config, '--n', String(options.n), '--out', options.out], {
      cwd: path.dirname(options.config),
      runtimeDir: options.runtimeDir,
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.stdout?.resume();
    child.stdin?.end();
    child.on('error', (e) => resolve({ code: null, stderr: `${stderr}${e.message}` }));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}
