// What the `batchscope-train` task's terminal prints for each event. Errors and warnings that point
// at the config come out as `batchscope: error: FILE:LINE:COL: message`, the line the contributed
// problem matcher `$batchscope-train` turns into a diagnostic on the YAML line. Pure.
import type { TrainEvent } from '../../../protocol/trainEvents';
import { formatEta, formatGiB, formatLoss, formatRate } from './runState';

export const MATCHER_LINE = /^batchscope: (error|warning): (.+?):(\d+):(\d+): (.*)$/;

/** 1-based line and column of a top-level `key:` in YAML text, or undefined. */
export function findKeyLine(yamlText: string, key: string): { line: number; col: number } | undefined {
  const lines = yamlText.split(/\r?\n/);
  const re = new RegExp(`^${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*:`);
  for (let i = 0; i < lines.length; i++) if (re.test(lines[i])) return { line: i + 1, col: 1 };
  return undefined;
}

/** The config key an error without a location most likely concerns (CUDA OOM → batch size). */
export function keyForError(errorType: string, message: string): string | undefined {
  if (/OutOfMemory|out of memory/i.test(errorType + ' ' + message)) return 'per_device_train_batch_size';
  return undefined;
}

export interface FormatContext {
  /** Absolute path of the config, for errors without a location. */
  config: string;
  /** The config's text, to find the line of a key. */
  configText?: string;
}

/** One event → terminal lines (no line endings). */
export function eventLines(ev: TrainEvent, ctx: FormatContext): string[] {
  switch (ev.type) {
    case 'launch': {
      const nodes = ev.nnodes && ev.nnodes > 1 ? ` on ${ev.nnodes} nodes` : '';
      return [`Batchscope: ${ev.engine} engine (${ev.reason}), world size ${ev.world_size}${nodes}`];
    }
    case 'started': {
      const resumed = ev.resumed_from ? `, resumed from ${ev.resumed_from}` : '';
      return [
        `Batchscope training: ${ev.model} on ${ev.device_name ?? ev.device} (${ev.precision}, ${ev.world_size} process${ev.world_size > 1 ? 'es' : ''})`,
        `  ${ev.num_train_samples} samples, ${ev.total_steps} steps (${ev.steps_per_epoch} per epoch), output ${ev.output_dir}${resumed}`,
      ];
    }
    case 'step': {
      const mem = ev.gpu_mem_allocated !== null ? ` · mem ${formatGiB(ev.gpu_mem_allocated)}` : '';
      return [
        `step ${ev.step}/${ev.total_steps} · loss ${formatLoss(ev.loss)} · lr ${ev.lr.toExponential(2)} · ${formatRate(ev.tokens_per_s)} tok/s · data ${ev.data_wait_ms.toFixed(0)}/${ev.step_ms.toFixed(0)} ms${mem} · ETA ${formatEta(ev.eta_s)}`,
      ];
    }
    case 'eval':
      return [`eval at step ${ev.step}: loss ${formatLoss(ev.eval_loss)} (${ev.eval_samples} samples)`];
    case 'checkpoint':
      return [`checkpoint at step ${ev.step}: ${ev.path}`];
    case 'finished':
      return [
        `training ${ev.reason} at step ${ev.step}/${ev.total_steps} after ${formatEta(ev.elapsed_s)}; output in ${ev.output_dir}`,
      ];
    case 'warning': {
      const loc = ev.location;
      return [
        loc ? `batchscope: warning: ${loc.file}:${loc.line}:${loc.col}: ${ev.message}` : `warning: ${ev.message}`,
      ];
    }
    case 'record':
      // Progress goes to the dashboard; the terminal gets the final line only.
      return ev.done
        ? [
            `batchscope: recorded ${ev.batches} batches (${(ev.bytes / 1048576).toFixed(2)} MB) to ${ev.path}${ev.error ? `: ${ev.error}` : ''}`,
          ]
        : [];
    case 'error': {
      let loc = ev.location ? { file: ev.location.file, line: ev.location.line, col: ev.location.col } : undefined;
      if (!loc) {
        // CUDA OOM has no config location of its own; point at the knob that fixes it.
        const key = keyForError(ev.error_type, ev.message);
        const at = key && ctx.configText ? findKeyLine(ctx.configText, key) : undefined;
        if (at) loc = { file: ctx.config, ...at };
      }
      const msg = `${ev.error_type}: ${firstLine(ev.message)}${ev.hint ? ` (${firstLine(ev.hint)})` : ''}`;
      const out = [loc ? `batchscope: error: ${loc.file}:${loc.line}:${loc.col}: ${msg}` : `batchscope: error: ${msg}`];
      if (ev.traceback) out.push(...ev.traceback.trimEnd().split('\n'));
      return out;
    }
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}
