// Spawning the bundled Python runtime: where it lives, the environment it needs, and how to end a
// process tree. The one place for these (training, the doctor and the debug launch all use it).
// Pure Node (no vscode import) so the CLI, the DAP adapter, the tests and the extension share it.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

let configuredRuntimeDir: string | undefined;

/** The extension calls this once with `context.asAbsolutePath('runtime')`. */
export function setRuntimeDir(dir: string): void {
  configuredRuntimeDir = dir;
}

/**
 * The folder that holds the `batchscope_runtime` package (it goes on PYTHONPATH).
 * In the VSIX it is `<extension>/runtime` (dist/../runtime); from the sources under tsx it is
 * `<repo>/runtime` (src/runtime/../../runtime). The lazily loaded bundles share no module state with
 * the extension bundle, so they find it from their own __dirname.
 */
export function runtimeDir(explicit?: string): string {
  if (explicit) return explicit;
  if (configuredRuntimeDir) return configuredRuntimeDir;
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  for (const rel of ['../runtime', '../../runtime', 'runtime']) {
    const dir = path.resolve(here, rel);
    if (existsSync(path.join(dir, 'batchscope_runtime', '__init__.py'))) return dir;
  }
  throw new Error(`cannot find the batchscope_runtime package near ${here}; call setRuntimeDir()`);
}

/**
 * The environment for a runtime process: `base` with `extra` over it (a null value in `extra`
 * removes the variable, as launch.json's `env` does), the runtime first on PYTHONPATH, unbuffered
 * UTF-8 I/O (the host reads the pipes as UTF-8 lines).
 */
export function runtimeEnv(dir: string, base: NodeJS.ProcessEnv = process.env, extra: Record<string, string | null | undefined> = {}): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    if (v === null) delete merged[k];
    else if (v !== undefined) merged[k] = String(v);
  }
  const prev = merged.PYTHONPATH;
  merged.PYTHONPATH = prev ? `${dir}${path.delimiter}${prev}` : dir;
  merged.PYTHONUNBUFFERED = '1';
  merged.PYTHONIOENCODING = 'utf-8';
  return merged;
}

/** Starts `python -m batchscope_runtime <args>` in its own process group (so the tree can be killed). */
export function spawnRuntime(python: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; runtimeDir?: string }): ChildProcess {
  const dir = runtimeDir(opts.runtimeDir);
  return spawn(python, ['-m', 'batchscope_runtime', ...args], {
    cwd: opts.cwd,
    env: runtimeEnv(dir, process.env, opts.env ?? {}),
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: process.platform !== 'win32',
    windowsHide: true,
  });
}

/**
 * Kills a runtime process and everything it started (torchrun workers, DataLoader workers, the
 * debugged program). Every runtime process is spawned as a group leader (`detached`), so the group
 * is killed even after the leader itself has exited: its DataLoader workers may still be in it.
 */
export function killTree(child: ChildProcess): void {
  if (child.pid === undefined) return;
  const alive = child.exitCode === null && child.signalCode === null;
  if (process.platform === 'win32') {
    if (alive) spawn('taskkill', ['/pid', String(child.pid), '/T', '/F'], { windowsHide: true }).on('error', () => child.kill('SIGKILL'));
    return;
  }
  // torchrun starts each worker in a new session, so the process group alone would miss them:
  // collect the descendants from the process table first (only while the leader lives: after its
  // exit they are reparented and its pid says nothing), then kill the group and every one.
  const pids = alive ? [...descendants(child.pid)] : [];
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    if (alive) child.kill('SIGKILL');
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** Every descendant of `root` according to `ps` (empty when ps is unavailable). */
export function descendants(root: number): Set<number> {
  let table: string;
  try {
    table = execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8', timeout: 5000 });
  } catch {
    return new Set();
  }
  const children = new Map<number, number[]>();
  for (const line of table.split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (!Number.isFinite(pid) || !Number.isFinite(ppid)) continue;
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  const out = new Set<number>();
  const stack = [root];
  while (stack.length) {
    for (const c of children.get(stack.pop()!) ?? []) {
      if (!out.has(c)) {
        out.add(c);
        stack.push(c);
      }
    }
  }
  return out;
}
