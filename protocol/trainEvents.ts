// The training events protocol (v1), typed to match protocol/train-events.schema.json, which is
// the single definition: the runtime writes it, this module reads it, and both are tested against
// protocol/vectors/. One JSON object per line on the runtime's events channel.
import schemaJson from './train-events.schema.json';
import { SchemaValidator, type JsonSchema } from './schema';

export const PROTOCOL_VERSION = 1;

/** A place in the YAML config (1-based), as the problem matcher shows it. */
export interface ConfigLocation {
  file: string;
  line: number;
  col: number;
  key?: string | null;
}

/** How a run is executed: Trainer + peft (default), LLaMA-Factory itself, or a user's script. */
export type TrainEngine = 'transformers' | 'llamafactory' | 'script';

/** The first event of a run, before anything loads: the engine, why it was chosen, the process layout. */
export interface LaunchEvent {
  type: 'launch';
  time: number;
  engine: TrainEngine;
  reason: string;
  config: string;
  world_size: number;
  nnodes?: number;
  node_rank?: number;
  pid?: number;
}

export interface StartedEvent {
  type: 'started';
  v: 1;
  time: number;
  pid: number;
  config: string;
  output_dir: string;
  model: string;
  device: string;
  device_name?: string | null;
  precision: 'fp32' | 'bf16' | 'fp16';
  world_size: number;
  total_steps: number;
  start_step: number;
  steps_per_epoch: number;
  num_epochs: number;
  num_train_samples: number;
  num_eval_samples: number;
  batch_size?: number;
  gradient_accumulation_steps?: number;
  resumed_from: string | null;
  engine?: TrainEngine;
  engine_reason?: string;
  finetuning_type?: 'full' | 'lora' | 'freeze';
  trainable_params?: number;
  total_params?: number;
  nnodes?: number;
  llamafactory_version?: string;
  versions: { python: string; torch: string; transformers: string; runtime: string };
}

/** One per `logging_steps` optimizer steps; values average the steps since the previous one. */
export interface StepEvent {
  type: 'step';
  time: number;
  step: number;
  total_steps: number;
  epoch: number;
  /** null when the loss was not finite */
  loss: number | null;
  lr: number;
  grad_norm: number | null;
  tokens_per_s: number;
  samples_per_s: number;
  data_wait_ms: number;
  step_ms: number;
  elapsed_s: number;
  eta_s: number | null;
  /** bytes; null on CPU */
  gpu_mem_allocated: number | null;
  gpu_mem_reserved: number | null;
}

export interface EvalEvent {
  type: 'eval';
  time: number;
  step: number;
  epoch: number;
  eval_loss: number | null;
  eval_samples: number;
}

export interface CheckpointEvent {
  type: 'checkpoint';
  time: number;
  step: number;
  path: string;
  reason: 'save_steps' | 'stop' | 'final';
  save_ms?: number;
}

export interface FinishedEvent {
  type: 'finished';
  time: number;
  step: number;
  total_steps: number;
  reason: 'completed' | 'stopped';
  elapsed_s: number;
  output_dir: string;
  last_checkpoint?: string | null;
}

export interface ErrorEvent {
  type: 'error';
  time: number;
  /** ConfigError, DataError, OutOfMemoryError, or the Python exception class name */
  error_type: string;
  message: string;
  traceback?: string | null;
  hint?: string | null;
  step?: number | null;
  location?: ConfigLocation | null;
}

export interface WarningEvent {
  type: 'warning';
  time: number;
  message: string;
  /** unknown_key, unsupported_key, ignored_value, dropped_samples, ... */
  code?: string;
  location?: ConfigLocation | null;
}

/** The batch recorder (`record:` key): progress every ~0.5 s and once at the end (`done`). */
export interface RecordEvent {
  type: 'record';
  time: number;
  /** The Arrow IPC stream file being written (opens in the dataset viewer). */
  path: string;
  batches: number;
  rows?: number;
  bytes: number;
  limit_batches?: number;
  limit_bytes?: number;
  done: boolean;
  /** Why it ended (done only): batch limit, size cap, stopped / run ended, failed. */
  reason?: 'batches' | 'size' | 'stopped' | 'error';
  error?: string;
}

export type TrainEvent =
  | LaunchEvent
  | StartedEvent
  | StepEvent
  | EvalEvent
  | CheckpointEvent
  | FinishedEvent
  | ErrorEvent
  | WarningEvent
  | RecordEvent;
export type TrainEventType = TrainEvent['type'];

/** Lines the client writes to the runtime's stdin. */
export type TrainRequest = { type: 'stop' };

const validator = new SchemaValidator(schemaJson as JsonSchema);
const requestValidator = validator.forDef('request');

/** null when `value` is a valid event of protocol v1, else the first problem. */
export function validateEvent(value: unknown): string | null {
  return validator.validate(value);
}

export function validateRequest(value: unknown): string | null {
  return requestValidator(value);
}

export type ParsedLine = { ok: true; event: TrainEvent } | { ok: false; error: string; line: string };

/** Parses one NDJSON line from the events channel. Never throws. */
export function parseEventLine(line: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}`, line };
  }
  const err = validateEvent(value);
  return err ? { ok: false, error: err, line } : { ok: true, event: value as TrainEvent };
}

/** Splits a byte stream into lines (handles chunks cut mid-line and CRLF). */
export class LineSplitter {
  private rest = '';
  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const parts = text.split('\n');
    this.rest = parts.pop() ?? '';
    return parts.map((p) => (p.endsWith('\r') ? p.slice(0, -1) : p)).filter((p) => p.length > 0);
  }
  flush(): string[] {
    const r = this.rest.trim();
    this.rest = '';
    return r ? [r] : [];
  }
}
