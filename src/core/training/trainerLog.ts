// Rebuilding a run's history from `output_dir/trainer_log.jsonl` when the dashboard is restored after
// a window reload (the host's in-memory history is gone then). The runtime writes LLaMA-Factory's
// keys (current_steps, total_steps, loss, lr, epoch, elapsed_time, remaining_time) plus its own
// (tokens_per_s, data_wait_ms, …), so logs of LLaMA-Factory runs load too; eval lines carry
// eval_loss. Protocol event lines are accepted as they are. Bad lines are skipped and counted.
import { parseEventLine, type EvalEvent, type StepEvent, type TrainEvent } from '../../../protocol/trainEvents';

export interface TrainerLog {
  events: TrainEvent[];
  skipped: { line: number; error: string }[];
}

export function parseTrainerLog(text: string): TrainerLog {
  const state = parseTrainerState(text);
  if (state) return state;
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

/**
 * transformers.Trainer's `trainer_state.json` (in every `checkpoint-N/`, and in output_dir after
 * `save_state()`): its `log_history` holds `{loss, learning_rate, grad_norm, epoch, step}` and
 * `{eval_loss, step}` entries. null when `text` is not such a file.
 */
export function parseTrainerState(text: string): TrainerLog | null {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return null;
  }
  if (
    typeof o !== 'object' ||
    o === null ||
    Array.isArray(o) ||
    !Array.isArray((o as { log_history?: unknown }).log_history)
  )
    return null;
  const st = o as { log_history: unknown[]; max_steps?: unknown };
  const total = typeof st.max_steps === 'number' ? st.max_steps : 0;
  const events: TrainEvent[] = [];
  const skipped: TrainerLog['skipped'] = [];
  st.log_history.forEach((entry, i) => {
    const h = entry as Record<string, unknown>;
    if (typeof h !== 'object' || h === null || typeof h.step !== 'number') {
      skipped.push({ line: i + 1, error: 'log_history entry without a step' });
      return;
    }
    const lf = { ...h, current_steps: h.step, total_steps: total, lr: h.learning_rate };
    if (!('loss' in h) && !('eval_loss' in h)) return; // the final train_runtime summary
    const ev = fromLlamaFactory(JSON.stringify(lf));
    if (ev) events.push(ev);
  });
  return { events, skipped };
}

/** `H:MM:SS` (LLaMA-Factory's elapsed/remaining time) → seconds. */
export function parseClock(s: unknown): number | null {
  if (typeof s !== 'string') return null;
  const m = /^(?:(\d+) days?, )?(\d+):(\d{2}):(\d{2})(?:\.\d+)?$/.exec(s.trim());
  if (!m) return null;
  return Number(m[1] ?? 0) * 86400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

function fromLlamaFactory(line: string): StepEvent | EvalEvent | null {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof o !== 'object' || o === null || typeof o.current_steps !== 'number' || typeof o.total_steps !== 'number')
    return null;
  const num = (v: unknown, d = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);
  const orNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  if ('eval_loss' in o && !('loss' in o)) {
    return {
      type: 'eval',
      time: 0,
      step: o.current_steps,
      epoch: num(o.epoch),
      eval_loss: orNull(o.eval_loss),
      eval_samples: num(o.eval_samples),
    };
  }
  if (!('loss' in o)) return null;
  return {
    type: 'step',
    time: 0,
    step: o.current_steps,
    total_steps: o.total_steps,
    epoch: num(o.epoch),
    loss: orNull(o.loss),
    lr: num(o.lr ?? o.learning_rate),
    grad_norm: orNull(o.grad_norm),
    // LLaMA-Factory's `throughput` is tokens/s too.
    tokens_per_s: num(o.tokens_per_s ?? o.throughput),
    samples_per_s: num(o.samples_per_s),
    data_wait_ms: num(o.data_wait_ms),
    step_ms: num(o.step_ms),
    elapsed_s: parseClock(o.elapsed_time) ?? 0,
    eta_s: parseClock(o.remaining_time),
    gpu_mem_allocated: orNull(o.gpu_mem_allocated),
    gpu_mem_reserved: orNull(o.gpu_mem_reserved),
  };
}

/** `checkpoint-N` folder names → checkpoint events (the log has none), oldest first. */
export function checkpointEvents(outputDir: string, names: string[], sep = '/'): TrainEvent[] {
  return names
    .map((n) => /^checkpoint-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({
      type: 'checkpoint' as const,
      time: 0,
      step: Number(m[1]),
      path: `${outputDir.replace(/[\\/]+$/, '')}${sep}${m[0]}`,
      reason: 'save_steps' as const,
    }))
    .sort((a, b) => a.step - b.step);
}
