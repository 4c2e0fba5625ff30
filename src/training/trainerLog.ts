// Rebuilding a run's history from `output_dir/trainer_log.jsonl` when the dashboard is restored after
// a window reload (the host's in-memory history is gone then). Lines are protocol events as the
// runtime writes them; LLaMA-Factory's own trainer_log.jsonl lines (current_steps, loss, lr, …) are
// read too, so the dashboard also shows runs made outside Batchscope. Bad lines are skipped and counted.
import { parseEventLine, type StepEvent, type TrainEvent } from '../runtime/protocol';

export interface TrainerLog {
  events: TrainEvent[];
  skipped: { line: number; error: string }[];
}

export function parseTrainerLog(text: string): TrainerLog {
  const events: TrainEvent[] = [];
  const skipped: TrainerLog['skipped'] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const parsed = parseEventLine(line);
    if (parsed.ok) {
      events.push(parsed.event);
      continue;
    }
    const lf = fromLlamaFactory(line);
    if (lf) events.push(lf);
    else skipped.push({ line: i + 1, error: parsed.error });
  }
  return { events, skipped };
}

/** `H:MM:SS` (LLaMA-Factory's elapsed/remaining time) → seconds. */
export function parseClock(s: unknown): number | null {
  if (typeof s !== 'string') return null;
  const m = /^(?:(\d+) days?, )?(\d+):(\d{2}):(\d{2})(?:\.\d+)?$/.exec(s.trim());
  if (!m) return null;
  return Number(m[1] ?? 0) * 86400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

function fromLlamaFactory(line: string): StepEvent | null {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof o !== 'object' || o === null || typeof o.current_steps !== 'number' || typeof o.total_steps !== 'number') return null;
  // Eval-only lines carry eval_loss and no loss: not a training step.
  if (typeof o.loss !== 'number') return null;
  const num = (v: unknown, d = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);
  return {
    type: 'step',
    time: 0,
    step: o.current_steps,
    total_steps: o.total_steps,
    epoch: num(o.epoch),
    loss: o.loss,
    lr: num(o.lr ?? o.learning_rate),
    grad_norm: typeof o.grad_norm === 'number' ? o.grad_norm : null,
    tokens_per_s: num(o.throughput),
    samples_per_s: 0,
    data_wait_ms: 0,
    step_ms: 0,
    elapsed_s: parseClock(o.elapsed_time) ?? 0,
    eta_s: parseClock(o.remaining_time),
    gpu_mem_allocated: null,
    gpu_mem_reserved: null,
  };
}
