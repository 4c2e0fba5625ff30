// `python -m batchscope_runtime doctor`: what the interpreter has (Python, torch + CUDA devices,
// transformers, datasets, ...) and the exact command that installs what is missing.
import { spawnRuntime } from './process';

export interface PackageStatus {
  /** null when not installed */
  version: string | null;
  /** installed and at least `minimum` */
  ok: boolean;
  required: boolean;
  minimum: string | null;
  /** what the package is used for */
  purpose: string;
  /** the reason it is not ok (missing, too old, import failed) */
  problem?: string | null;
}

export interface CudaDevice {
  index: number;
  name: string;
  /** bytes */
  total_memory: number;
  capability: string;
  bf16: boolean;
}

export interface MissingPackage {
  package: string;
  required: boolean;
  reason: string;
  /** the exact command, for this interpreter */
  install: string;
}

export interface DoctorReport {
  ok: boolean;
  runtime_version: string;
  python: { version: string; executable: string; implementation: string; platform: string };
  packages: Record<string, PackageStatus>;
  cuda: { available: boolean; version: string | null; devices: CudaDevice[]; error?: string | null };
  mps?: { available: boolean };
  missing: MissingPackage[];
}

export class DoctorError extends Error {
  constructor(message: string, readonly stderr: string) {
    super(message);
    this.name = 'DoctorError';
  }
}

/** Runs the doctor with `python` and returns its report. Rejects when the runtime cannot start. */
export function runDoctor(python: string, opts: { runtimeDir?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<DoctorReport> {
  return new Promise((resolve, reject) => {
    const child = spawnRuntime(python, ['doctor'], { runtimeDir: opts.runtimeDir, env: opts.env });
    child.stdin?.end();
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new DoctorError(`doctor did not answer within ${(opts.timeoutMs ?? 60000) / 1000} s`, stderr));
    }, opts.timeoutMs ?? 60000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new DoctorError(`cannot run ${python}: ${e.message}`, stderr));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        const report = JSON.parse(stdout) as DoctorReport;
        if (typeof report !== 'object' || report === null || !('packages' in report)) throw new Error('not a doctor report');
        resolve(report);
      } catch {
        reject(new DoctorError(`doctor failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' ') || 'no output'}`, stderr));
      }
    });
  });
}
