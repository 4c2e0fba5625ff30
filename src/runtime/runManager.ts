// Owns the window's training run: the live TrainingRun (runtime client), the event history that a
// reopened or restored dashboard replays, the folded RunState and a capped tail of stderr.
// One run at a time. No vscode import: the glue (task terminal, status bar, dashboard) listens.
import { EventEmitter } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { startTraining, type StartTrainingOptions, type TrainEvent, type TrainingExit, type TrainingRun } from './index';
import { applyEvent, latestCheckpoint, newRunState, type RunState } from '../core/training/runState';
import { checkpointEvents, parseTrainerLog } from '../core/training/trainerLog';

export const LOG_TAIL_LINES = 400;

export interface RunInfo {
  config: string | null;
  active: boolean;
  canResume: boolean;
}

interface ManagerEvents {
  event: [TrainEvent];
  log: [string];
  /** start, exit, restore: anything that changes RunInfo */
  run: [RunInfo];
  exit: [TrainingExit];
}

export class RunManager extends EventEmitter<ManagerEvents> {
  private run?: TrainingRun;
  private lastOptions?: StartTrainingOptions;
  private history: TrainEvent[] = [];
  private logTail: string[] = [];
  state: RunState = newRunState();

  get active(): boolean {
    return !!this.run?.running;
  }

  get current(): TrainingRun | undefined {
    return this.run;
  }

  get options(): StartTrainingOptions | undefined {
    return this.lastOptions;
  }

  info(): RunInfo {
    return { config: this.lastOptions?.config ?? null, active: this.active, canResume: !this.active && !!this.lastOptions && (!!latestCheckpoint(this.state) || this.state.phase !== 'idle') };
  }

  events(): readonly TrainEvent[] {
    return this.history;
  }

  log(): readonly string[] {
    return this.logTail;
  }

  /**
   * Starts a run. With a `resume_from_checkpoint=…` override on the same config as the previous run,
   * the history continues (the curves go on from the checkpoint's step); otherwise it starts afresh.
   * Throws if a run is already active.
   */
  start(options: StartTrainingOptions): TrainingRun {
    if (this.active) throw new Error(`a training run is already active (${this.lastOptions?.config}); stop it first`);
    const sameConfig = !!this.lastOptions && path.resolve(this.lastOptions.config) === path.resolve(options.config);
    if (!(isResume(options.overrides) && sameConfig)) this.reset();
    this.state.phase = 'starting';
    const run = startTraining(options);
    this.attach(run, options);
    return run;
  }

  /** The override list that resumes the last run from its newest checkpoint (`true` = latest in output_dir). */
  resumeOverrides(): string[] {
    const base = (this.lastOptions?.overrides ?? []).filter((o) => !o.startsWith('resume_from_checkpoint='));
    return [...base, `resume_from_checkpoint=${latestCheckpoint(this.state)?.path ?? 'true'}`];
  }

  stop(): 'requested' | 'killed' | 'not-running' {
    return this.run?.stop() ?? 'not-running';
  }

  /** After a window reload: rebuild the history from output_dir/trainer_log.jsonl (no live run). */
  async restoreFromLog(config: string | null, outputDir: string): Promise<number> {
    if (this.active || this.history.length) return this.history.length;
    const file = path.join(outputDir, 'trainer_log.jsonl');
    const text = await readFile(file, 'utf8');
    const { events } = parseTrainerLog(text);
    // The log has no checkpoint lines: the checkpoint-N folders are the list (and what Resume uses).
    const dirs = await readdir(outputDir).catch(() => [] as string[]);
    this.reset();
    for (const ev of [...events, ...checkpointEvents(outputDir, dirs, path.sep)]) this.record(ev);
    if (config) this.lastOptions = { python: '', config };
    // The log has no end line; the process of that run is gone with the old extension host. Record how
    // it ended (all steps done: completed, else stopped) as an event, so the replaying webview agrees.
    if (this.state.phase === 'running' || this.state.phase === 'starting') {
      const last = this.state.last;
      const done = !!last && last.total_steps > 0 && last.step >= last.total_steps;
      this.record({ type: 'finished', time: last?.time ?? 0, step: this.state.step, total_steps: this.state.totalSteps, reason: done ? 'completed' : 'stopped', elapsed_s: last?.elapsed_s ?? 0, output_dir: outputDir });
    }
    this.emit('run', this.info());
    return events.length;
  }

  private reset(): void {
    this.history = [];
    this.logTail = [];
    this.state = newRunState();
  }

  private record(ev: TrainEvent): void {
    this.history.push(ev);
    applyEvent(this.state, ev);
  }

  private attach(run: TrainingRun, options: StartTrainingOptions): void {
    this.run = run;
    this.lastOptions = { ...options, overrides: (options.overrides ?? []).filter((o) => !o.startsWith('resume_from_checkpoint=')) };
    run.on('event', (ev) => {
      this.record(ev);
      this.emit('event', ev);
    });
    const pushLog = (line: string) => {
      this.logTail.push(line);
      if (this.logTail.length > LOG_TAIL_LINES) this.logTail.splice(0, this.logTail.length - LOG_TAIL_LINES);
      this.emit('log', line);
    };
    run.on('stderr', pushLog);
    run.on('protocolError', ({ error, line }) => pushLog(`batchscope: bad event line (${error}): ${line.slice(0, 200)}`));
    run.on('exit', (exit) => {
      if (this.state.phase === 'running' || this.state.phase === 'starting') {
        // Exited without a finished/error event: a crash, a kill, or a Python that could not start the runtime.
        this.state.phase = exit.stopRequested ? 'stopped' : 'error';
        if (!exit.stopRequested && !this.state.error) {
          const tail = this.logTail.slice(-5).join('\n');
          const ev: TrainEvent = { type: 'error', time: Date.now() / 1000, error_type: 'ProcessExit', message: `the runtime exited with ${exit.signal ?? `code ${exit.code}`} before finishing${tail ? `:\n${tail}` : ''}`, hint: null };
          this.record(ev);
          this.emit('event', ev);
        }
      }
      this.emit('exit', exit);
      this.emit('run', this.info());
    });
    this.emit('run', this.info());
  }
}

/** True when the overrides ask to resume (`resume_from_checkpoint=` with a path or true). */
export function isResume(overrides: readonly string[] | undefined): boolean {
  const o = (overrides ?? []).filter((x) => x.startsWith('resume_from_checkpoint=')).pop();
  if (!o) return false;
  const v = o.slice('resume_from_checkpoint='.length).trim().toLowerCase();
  return v !== '' && v !== 'false' && v !== 'null' && v !== 'none' && v !== '~';
}
