// Launch/attach arguments of the `batchscope` debug type (mirrors package.json
// contributes.debuggers[0].configurationAttributes) and their validation. vscode-free.
import type { DebugProtocol } from '@vscode/debugprotocol';
import * as path from 'node:path';
import type { FilterId } from '../../protocol/debug';

export { STAGES, type StageName } from '../../protocol/debug';

export const EXCEPTION_FILTERS: (DebugProtocol.ExceptionBreakpointsFilter & { filter: FilterId })[] = [
  {
    filter: 'fetch_error',
    label: 'Fetch errors',
    description: 'An exception in __getitem__ / __iter__ (stops with the live exception and the offending indices).',
    default: true,
    supportsCondition: true,
    conditionDescription: 'Python expression over `exc` and `indices`',
  },
  {
    filter: 'collate_error',
    label: 'Collate errors',
    description: 'An exception in collate_fn.',
    default: true,
    supportsCondition: true,
    conditionDescription: 'Python expression over `exc` and `indices`',
  },
  {
    filter: 'worker_died',
    label: 'Worker died',
    description: 'A DataLoader worker process exited or was killed.',
    default: true,
  },
  {
    filter: 'hang',
    label: 'Hang',
    description: 'A stage ran longer than hangTimeout seconds (shows its Python stack).',
    default: true,
  },
  {
    filter: 'nan_inf',
    label: 'NaN / Inf in batch',
    description: 'A collated tensor holds NaN or Inf.',
    default: false,
    supportsCondition: true,
    conditionDescription: 'Python expression over `batch`',
  },
];

interface CommonArgs {
  /** Python interpreter (launch). */
  python?: string;
  cwd?: string;
  env?: Record<string, string | null>;
  args?: string[];
  /** Seconds a stage may run before the `hang` filter stops it. */
  hangTimeout?: number;
  /** Folder with tokenizer.json, or the file itself. */
  tokenizer?: string;
  /** Folder holding the `batchscope_runtime` package (set by the extension; default: dist/../runtime). */
  runtimePath?: string;
  /** Batch recorder: a batch count, or { batches, maxMB, path, loader } (runtime/batchscope_runtime/record). */
  record?: number | boolean | RecordArgs;
}

export interface RecordArgs {
  /** Batches to record (default 100). */
  batches?: number;
  /** Size cap of the file in MB (default 256). */
  maxMB?: number;
  /** The .arrow file (default: batchscope-batches-<time>.arrow in the program's working directory). */
  path?: string;
  /** Record this loader only (its name in the debugger's threads). */
  loader?: string;
}

export interface LaunchArgs extends DebugProtocol.LaunchRequestArguments, CommonArgs {
  program?: string;
  module?: string;
  config?: string;
}

export interface AttachArgs extends DebugProtocol.AttachRequestArguments, CommonArgs {
  host?: string;
  port?: number;
  secret?: string;
}

export class ConfigError extends Error {}

/** Checks the launch arguments; returns the exact one of program/module/config to run. */
export function launchTarget(a: LaunchArgs): { kind: 'program' | 'module' | 'config'; value: string } {
  const given = (['program', 'module', 'config'] as const).filter(
    (k) => typeof a[k] === 'string' && a[k]!.trim() !== '',
  );
  if (given.length !== 1) {
    throw new ConfigError(
      given.length === 0
        ? 'batchscope launch: set one of "program" (a .py script), "module" (python -m) or "config" (train.yaml)'
        : `batchscope launch: set only one of "program", "module", "config" (got ${given.join(', ')})`,
    );
  }
  const kind = given[0];
  if (kind === 'config' && Array.isArray(a.args) && a.args.length) {
    throw new ConfigError(
      'batchscope launch: "args" applies to "program" and "module"; a training config takes its settings from the YAML file',
    );
  }
  let value = a[kind]!;
  if (kind !== 'module' && a.cwd && !path.isAbsolute(value)) value = path.resolve(a.cwd, value);
  return { kind, value };
}

export function hangTimeoutOf(a: CommonArgs): number {
  const t = a.hangTimeout;
  if (t === undefined || t === null) return 30;
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0)
    throw new ConfigError(`batchscope: "hangTimeout" must be a positive number of seconds (got ${JSON.stringify(t)})`);
  return t;
}

export function checkAttach(a: AttachArgs): { host: string; port: number; secret: string } {
  const port = a.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new ConfigError(
      `batchscope attach: "port" must be the port printed by the runtime (got ${JSON.stringify(port)})`,
    );
  }
  return { host: a.host || '127.0.0.1', port, secret: a.secret ?? '' };
}

/**
 * The `record` setting as the runtime takes it (JSON in BATCHSCOPE_RECORD, or the recordBatches
 * arguments), or undefined when recording is off. Relative paths resolve against `cwd`.
 */
export function recordOf(a: CommonArgs, cwd?: string): RecordArgs | undefined {
  const r = a.record;
  if (r === undefined || r === null || r === false || r === 0) return undefined;
  if (r === true) return {};
  if (typeof r === 'number') {
    if (!Number.isInteger(r) || r < 1)
      throw new ConfigError(`batchscope: "record" must be a number of batches >= 1 or an object (got ${r})`);
    return { batches: r };
  }
  if (typeof r !== 'object' || Array.isArray(r))
    throw new ConfigError(
      `batchscope: "record" must be a number of batches or { "batches", "maxMB", "path", "loader" } (got ${JSON.stringify(r)})`,
    );
  const out: RecordArgs = {};
  for (const [k, v] of Object.entries(r)) {
    if (k === 'batches') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
        throw new ConfigError(`batchscope: "record.batches" must be a whole number >= 1 (got ${JSON.stringify(v)})`);
      out.batches = v;
    } else if (k === 'maxMB') {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
        throw new ConfigError(
          `batchscope: "record.maxMB" must be a positive number of megabytes (got ${JSON.stringify(v)})`,
        );
      out.maxMB = v;
    } else if (k === 'path') {
      if (typeof v !== 'string' || !v.trim())
        throw new ConfigError(`batchscope: "record.path" must be a file path (got ${JSON.stringify(v)})`);
      out.path = cwd && !path.isAbsolute(v) ? path.resolve(cwd, v) : v;
    } else if (k === 'loader') {
      if (typeof v !== 'string' || !v) throw new ConfigError(`batchscope: "record.loader" must be a loader name`);
      out.loader = v;
    } else {
      throw new ConfigError(`batchscope: unknown setting "record.${k}" (expected batches, maxMB, path, loader)`);
    }
  }
  return out;
}
