// Folds a run's training events into what the status bar, the progress notification and the
// dashboard show. Pure (no vscode, no DOM): the host and the webview run the same code, and the
// webview rebuilds the whole picture from the host's event history after a reload.
import type {
  CheckpointEvent,
  ErrorEvent,
  FinishedEvent,
  LaunchEvent,
  StartedEvent,
  StepEvent,
  TrainEvent,
  WarningEvent,
  RecordEvent,
} from '../../../protocol/trainEvents';

export type RunPhase = 'idle' | 'starting' | 'running' | 'finished' | 'stopped' | 'error';

/** Column-oriented series, the shape uPlot takes (x first). Gaps are null. */
export interface RunSeries {
  step: number[];
  loss: (number | null)[];
  lr: number[];
  gradNorm: (number | null)[];
  tokensPerS: number[];
  samplesPerS: number[];
  dataWaitMs: number[];
  stepMs: number[];
  gpuAllocated: (number | null)[];
  gpuReserved: (number | null)[];
}

export interface RunState {
  phase: RunPhase;
  /** The engine that runs the config, why, and the process layout (the run's first event). */
  launch?: LaunchEvent;
  started?: StartedEvent;
  last?: StepEvent;
  step: number;
  totalSteps: number;
  series: RunSeries;
  evals: { step: number; loss: number | null }[];
  checkpoints: CheckpointEvent[];
  warnings: WarningEvent[];
  /** The batch recorder's latest progress (`record:` key), if the run records. */
  record?: RecordEvent;
  error?: ErrorEvent;
  finished?: FinishedEvent;
}

export function emptySeries(): RunSeries {
  return {
    step: [],
    loss: [],
    lr: [],
    gradNorm: [],
    tokensPerS: [],
    samplesPerS: [],
    dataWaitMs: [],
    stepMs: [],
    gpuAllocated: [],
    gpuReserved: [],
  };
}

export function newRunState(): RunState {
  return { phase: 'idle', step: 0, totalSteps: 0, series: emptySeries(), evals: [], checkpoints: [], warnings: [] };
}

/** Applies one event in place and returns the state. */
export function applyEvent(s: RunState, ev: TrainEvent): RunState {
  switch (ev.type) {
    case 'launch':
      s.launch = ev;
      if (s.phase === 'idle') s.phase = 'starting';
      break;
    case 'started':
      // A resumed run continues the same curves; a started event after a finished one is a new segment.
      s.started = ev;
      s.phase = 'running';
      s.totalSteps = ev.total_steps;
      s.step = ev.start_step;
      s.error = undefined;
      s.finished = undefined;
      if (ev.start_step > 0) dropStepsAfter(s, ev.start_step);
      break;
    case 'step': {
      s.phase = 'running';
      s.last = ev;
      s.step = ev.step;
      s.totalSteps = ev.total_steps;
      const x = s.series;
      // Steps arrive in order; a resume from an earlier checkpoint replays steps: keep the newest values.
      if (x.step.length && ev.step <= x.step[x.step.length - 1]) dropStepsAfter(s, ev.step - 1);
      x.step.push(ev.step);
      x.loss.push(ev.loss);
      x.lr.push(ev.lr);
      x.gradNorm.push(ev.grad_norm);
      x.tokensPerS.push(ev.tokens_per_s);
      x.samplesPerS.push(ev.samples_per_s);
      x.dataWaitMs.push(ev.data_wait_ms);
      x.stepMs.push(ev.step_ms);
      x.gpuAllocated.push(ev.gpu_mem_allocated);
      x.gpuReserved.push(ev.gpu_mem_reserved);
      break;
    }
    case 'eval':
      s.evals.push({ step: ev.step, loss: ev.eval_loss });
      break;
    case 'checkpoint':
      if (!s.checkpoints.some((c) => c.path === ev.path)) s.checkpoints.push(ev);
      break;
    case 'finished':
      s.finished = ev;
      s.step = ev.step;
      s.phase = ev.reason === 'stopped' ? 'stopped' : 'finished';
      break;
    case 'error':
      s.error = ev;
      s.phase = 'error';
      break;
    case 'warning':
      s.warnings.push(ev);
      break;
    case 'record':
      s.record = ev;
      break;
  }
  return s;
}

export function foldEvents(events: readonly TrainEvent[], s: RunState = newRunState()): RunState {
  for (const ev of events) applyEvent(s, ev);
  return s;
}

function dropStepsAfter(s: RunState, step: number): void {
  const x = s.series;
  let keep = x.step.length;
  while (keep > 0 && x.step[keep - 1] > step) keep--;
  for (const k of Object.keys(x) as (keyof RunSeries)[]) x[k].length = keep;
  s.evals = s.evals.filter((e) => e.step <= step);
}

/** `transformers engine (the default) · LoRA · world size 4 on 2 nodes`; '' before the run says. */
export function engineSummary(s: RunState): string {
  const engine = s.started?.engine ?? s.launch?.engine;
  if (!engine) return '';
  const reason = s.started?.engine_reason ?? s.launch?.reason;
  const parts = [`${engine} engine${reason ? ` (${reason})` : ''}`];
  const tuning = s.started?.finetuning_type;
  if (tuning) {
    const label = tuning === 'lora' ? 'LoRA' : tuning;
    const t = s.started?.trainable_params;
    const n = s.started?.total_params;
    parts.push(t !== undefined && n ? `${label}, ${((100 * t) / n).toFixed(2)}% of weights trained` : label);
  }
  const world = s.started?.world_size ?? s.launch?.world_size ?? 1;
  const nodes = s.started?.nnodes ?? s.launch?.nnodes ?? 1;
  parts.push(nodes > 1 ? `world size ${world} on ${nodes} nodes` : `world size ${world}`);
  return parts.join(' · ');
}

/** Number of loss points received (what `#points-count` shows). */
export function lossPointCount(s: RunState): number {
  return s.series.loss.filter((v) => v !== null).length;
}

/** `5s`, `1m 05s`, `2h 03m`; `—` when unknown. */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const t = Math.round(seconds);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m ${String(t % 60).padStart(2, '0')}s`;
  const h = Math.floor(t / 3600);
  if (h < 48) return `${h}h ${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** Loss with 3 significant digits after the point for typical values (3.21, 0.0123). */
export function formatLoss(loss: number | null | undefined): string {
  if (loss === null || loss === undefined) return 'nan';
  if (!Number.isFinite(loss)) return String(loss);
  const a = Math.abs(loss);
  if (a >= 100) return loss.toFixed(1);
  if (a >= 0.1 || a === 0) return loss.toFixed(2);
  return loss.toPrecision(3);
}

export function formatRate(perS: number): string {
  if (perS >= 1e6) return `${(perS / 1e6).toFixed(2)}M`;
  if (perS >= 1e4) return `${(perS / 1e3).toFixed(1)}k`;
  return perS >= 100 ? perS.toFixed(0) : perS.toFixed(1);
}

export function formatGiB(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/** The one-line status: `step 12 / 30 · loss 3.21 · ETA 5s` (plus the end state when over). */
export function statusText(s: RunState): string {
  if (s.phase === 'idle') return 'no run';
  if (s.phase === 'starting' || (!s.last && s.phase === 'running' && !s.started)) return 'starting…';
  const parts = [`step ${s.step} / ${s.totalSteps}`];
  if (s.last) parts.push(`loss ${formatLoss(s.last.loss)}`);
  if (s.phase === 'running') parts.push(`ETA ${formatEta(s.last?.eta_s ?? null)}`);
  else if (s.phase === 'finished') parts.push('done');
  else if (s.phase === 'stopped') parts.push('stopped');
  else if (s.phase === 'error') parts.push(`error: ${s.error?.error_type ?? 'failed'}`);
  return parts.join(' · ');
}

/** Short status bar text with a codicon. */
export function statusBarText(s: RunState): string {
  const icon =
    s.phase === 'running' || s.phase === 'starting'
      ? '$(sync~spin)'
      : s.phase === 'error'
        ? '$(error)'
        : s.phase === 'stopped'
          ? '$(debug-stop)'
          : '$(check)';
  return `${icon} ${statusText(s)}`;
}

/** Percent done for the progress notification (0 when the total is unknown). */
export function percentDone(s: RunState): number {
  return s.totalSteps > 0 ? Math.min(100, (100 * s.step) / s.totalSteps) : 0;
}

/** The data-wait share of step time over the last `window` logged steps (data-loader bound if high). */
export function dataWaitShare(s: RunState, window = 10): number | null {
  const x = s.series;
  const n = x.step.length;
  if (!n) return null;
  let wait = 0;
  let total = 0;
  for (let i = Math.max(0, n - window); i < n; i++) {
    wait += x.dataWaitMs[i];
    total += x.stepMs[i];
  }
  return total > 0 ? wait / total : null;
}

/** The latest checkpoint (highest step), what Resume continues from. */
export function latestCheckpoint(s: RunState): CheckpointEvent | undefined {
  return s.checkpoints.reduce<CheckpointEvent | undefined>(
    (best, c) => (!best || c.step >= best.step ? c : best),
    undefined,
  );
}
