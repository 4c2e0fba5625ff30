// Finding the Python interpreter for the runtime. Order (issue 4): the `batchscope.python`
// setting, the Python extension's active environment (the glue passes its path in), then
// python3 (or python) on PATH. Each candidate is checked by running it.
import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export type PythonSource = 'setting' | 'python-extension' | 'path';

export interface PythonCandidate {
  path: string;
  source: PythonSource;
}

export interface FoundPython extends PythonCandidate {
  /** e.g. "3.11.7" */
  version: string;
}

export class PythonNotFoundError extends Error {
  constructor(message: string, readonly tried: { candidate: PythonCandidate; problem: string }[]) {
    super(message);
    this.name = 'PythonNotFoundError';
  }
}

/** The candidates in order, without running anything. `envPath` defaults to process.env.PATH. */
export function pythonCandidates(setting?: string, pythonExtPath?: string, envPath = process.env.PATH ?? '', platform = process.platform): PythonCandidate[] {
  const out: PythonCandidate[] = [];
  const s = setting?.trim();
  if (s) out.push({ path: expandHome(s), source: 'setting' });
  if (pythonExtPath?.trim()) out.push({ path: expandHome(pythonExtPath.trim()), source: 'python-extension' });
  const names = platform === 'win32' ? ['python3.exe', 'python.exe'] : ['python3', 'python'];
  for (const name of names) {
    for (const dir of envPath.split(platform === 'win32' ? ';' : ':')) {
      if (!dir) continue;
      const p = path.join(dir, name);
      if (isExecutable(p) && !out.some((c) => c.path === p)) out.push({ path: p, source: 'path' });
    }
  }
  return out;
}

/** Runs `python -c ...` and returns its version, or throws with what went wrong. */
export function probePython(python: string, timeoutMs = 15000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(python, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], { timeout: timeoutMs, windowsHide: true }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${python}: ${stderr.trim() || err.message}`));
      else {
        const version = stdout.trim();
        const [major] = version.split('.').map(Number);
        if (major !== 3) reject(new Error(`${python} is Python ${version}; Python 3 is required`));
        else resolve(version);
      }
    });
  });
}

/**
 * The interpreter to use. An explicit setting that does not run is an error (the user asked for
 * it; silently using another one would hide the mistake); the others fall through in order.
 */
export async function findPython(setting?: string, pythonExtPath?: string): Promise<FoundPython> {
  const tried: { candidate: PythonCandidate; problem: string }[] = [];
  for (const candidate of pythonCandidates(setting, pythonExtPath)) {
    try {
      return { ...candidate, version: await probePython(candidate.path) };
    } catch (e) {
      const problem = (e as Error).message;
      if (candidate.source === 'setting') {
        throw new PythonNotFoundError(`batchscope.python is set to "${setting}", which does not run: ${problem}`, [{ candidate, problem }]);
      }
      tried.push({ candidate, problem });
    }
  }
  const detail = tried.length ? ` Tried: ${tried.map((t) => `${t.candidate.path} (${t.problem})`).join('; ')}.` : '';
  throw new PythonNotFoundError(`No Python 3 interpreter found: set batchscope.python, select one in the Python extension, or put python3 on PATH.${detail}`, tried);
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

function isExecutable(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
