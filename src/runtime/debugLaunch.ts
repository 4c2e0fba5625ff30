// Starts `python -m batchscope_runtime debug …` (the controller, which then starts the user's
// program) and reads its `listening` line. The secret travels in BATCHSCOPE_SECRET so it stays
// out of `ps`. Everything the process prints after that line is the program's own output.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { killTree, runtimeEnv } from './process';

export interface LaunchSpec {
  python: string;
  /** Folder that holds the `batchscope_runtime` package. */
  runtimePath: string;
  target: { kind: 'program' | 'module' | 'config'; value: string };
  args: string[];
  cwd?: string;
  env?: Record<string, string | null>;
  hangTimeout: number;
  tokenizer?: string;
}

export interface Launched {
  proc: ChildProcess;
  port: number;
  pid: number;
  secret: string;
}

export function controllerArgv(spec: LaunchSpec): string[] {
  const argv = ['-m', 'batchscope_runtime', 'debug', '--port', '0', '--hang-timeout', String(spec.hangTimeout)];
  if (spec.tokenizer) argv.push('--tokenizer', spec.tokenizer);
  if (spec.cwd) argv.push('--cwd', spec.cwd);
  if (spec.target.kind === 'config') argv.push('--config', spec.target.value);
  else if (spec.target.kind === 'module') argv.push('--', '-m', spec.target.value, ...spec.args);
  else argv.push('--', spec.target.value, ...spec.args);
  return argv;
}

export function launchController(
  spec: LaunchSpec,
  onOutput: (category: 'stdout' | 'stderr', text: string) => void,
  timeoutMs = 30_000,
): Promise<Launched> {
  const secret = randomBytes(24).toString('hex');
  const env = runtimeEnv(spec.runtimePath, process.env, { ...spec.env, BATCHSCOPE_SECRET: secret });
  if (spec.cwd && !fs.existsSync(spec.cwd)) return Promise.reject(new Error(`batchscope launch: "cwd" does not exist: ${spec.cwd}`));

  return new Promise((resolve, reject) => {
    let proc: ChildProcess;
    try {
      // Own process group (POSIX): the controller, the program and its DataLoader workers can be
      // reaped together, so a spawn worker caught mid-start cannot outlive a terminated session.
      proc = spawn(spec.python, controllerArgv(spec), { cwd: spec.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    } catch (err) {
      reject(new Error(`batchscope launch: cannot start ${spec.python}: ${(err as Error).message}`));
      return;
    }
    let settled = false;
    let head = '';
    let stderrTail = '';
    const timer = setTimeout(() => finish(new Error(`batchscope launch: the runtime did not report its port within ${timeoutMs / 1000} s${tail()}`)), timeoutMs);
    const tail = () => (stderrTail.trim() ? `\n${stderrTail.trim().split('\n').slice(-15).join('\n')}` : '');
    function finish(err: Error | null, port?: number, pid?: number) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        killTree(proc);
        reject(err);
      } else resolve({ proc, port: port!, pid: pid ?? proc.pid ?? 0, secret });
    }
    proc.on('error', (err) => finish(new Error(`batchscope launch: cannot start "${spec.python}": ${err.message} (set "python" in launch.json or the setting batchscope.python)`)));
    proc.on('exit', (code, signal) => finish(new Error(`batchscope launch: the runtime exited (${signal ?? `code ${code}`}) before it was ready${tail()}`)));
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (s: string) => {
      if (!settled) stderrTail = (stderrTail + s).slice(-8000);
      onOutput('stderr', s);
    });
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (s: string) => {
      if (settled) return onOutput('stdout', s);
      head += s;
      const nl = head.indexOf('\n');
      if (nl < 0) return;
      const first = head.slice(0, nl);
      const rest = head.slice(nl + 1);
      let msg: { type?: string; port?: number; pid?: number } = {};
      try {
        msg = JSON.parse(first);
      } catch {
        /* handled below */
      }
      if (msg.type !== 'listening' || typeof msg.port !== 'number') {
        finish(new Error(`batchscope launch: expected the runtime's {"type":"listening",…} line first, got: ${first.slice(0, 200)}`));
        return;
      }
      finish(null, msg.port, msg.pid);
      if (rest) onOutput('stdout', rest);
    });
  });
}
