// What the container scenarios share: commands inside the lane's dev container, and one code-server
// per scenario started INSIDE it (bound in the container, reached through the published port),
// driven by test/e2e/harness.ts's Session from Chromium on this machine.
// scripts/container/lane.mjs brings the container up and passes its id and ports in the environment.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO, Session, USER_SETTINGS, type SessionOptions } from '../e2e/harness';

export const SHOTS = join(REPO, 'test-output/container');
/** The Python inside the image (Debian's python3-torch 1.13 + the pinned stack). */
export const CPY = '/opt/venv/bin/python';
/** Where each scenario keeps its files inside the container (never bind-mounted from this machine). */
export const ROOT = '/root/lane';
export const CTRL_PORT = 5678;
const UI_PORT_IN = 8080;

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the container lane through scripts/test-container.sh`);
  return v;
}
export const CONTAINER = () => env('BATCHSCOPE_LANE_CONTAINER');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `podman exec` in the dev container (or `container`): bash -c `script`; throws on a non-zero exit unless `ok`. */
export function sh(script: string, opts: { container?: string; input?: string; ok?: boolean } = {}): Run {
  const r = spawnSync('podman', ['exec', '-i', opts.container ?? CONTAINER(), 'bash', '-c', script], {
    encoding: 'utf8',
    input: opts.input ?? '',
    maxBuffer: 64 << 20,
  });
  const out = { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  if (!opts.ok && r.status !== 0)
    throw new Error(`in the container: ${script}\n→ exit ${r.status}: ${out.stderr.slice(-1500)}`);
  return out;
}

/** Writes `text` to `path` inside the container (through stdin: no quoting games). */
export function put(path: string, text: string, container?: string): void {
  sh(`mkdir -p "$(dirname '${path}')" && cat > '${path}'`, { input: text, container });
}

/** Copies a file or folder of this machine into the container. */
export function copyIn(src: string, dest: string, container?: string): void {
  sh(`mkdir -p '${dest.replace(/\/[^/]*$/, '')}'`, { container });
  const r = spawnSync('podman', ['cp', resolve(src), `${container ?? CONTAINER()}:${dest}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`podman cp ${src} → ${dest}: ${r.stderr}`);
}

/** A background process inside the container, in its own process group; `stop()` ends that group. */
export interface Background {
  pid: number;
  /** Exit status once it ended (written by the wrapper), else null. */
  exitCode(): number | null;
  stop(): void;
}
export function background(name: string, script: string, container?: string): Background {
  const dir = `${ROOT}/bg/${name}`;
  sh(`rm -rf ${dir} && mkdir -p ${dir}`, { container });
  // setsid: the command and everything it spawns form one group we can end by its id.
  put(`${dir}/run.sh`, `cd ${dir}\n${script}\n`, container);
  sh(
    `setsid bash -c 'echo $$ > ${dir}/pid; bash ${dir}/run.sh > ${dir}/out.log 2>&1; echo $? > ${dir}/status' </dev/null >/dev/null 2>&1 &`,
    { container },
  );
  let pid = 0;
  for (let i = 0; i < 50 && !pid; i++) {
    pid = Number(sh(`cat ${dir}/pid 2>/dev/null || true`, { container }).stdout.trim()) || 0;
    if (!pid) spawnSync('sleep', ['0.1']);
  }
  if (!pid) throw new Error(`${name} did not start in the container`);
  return {
    pid,
    exitCode: () => {
      const t = sh(`cat ${dir}/status 2>/dev/null || true`, { container }).stdout.trim();
      return t === '' ? null : Number(t);
    },
    stop: () => void sh(`kill -TERM -- -${pid} 2>/dev/null || true`, { container, ok: true }),
  };
}
export const bgLog = (name: string, container?: string) =>
  sh(`cat ${ROOT}/bg/${name}/out.log 2>/dev/null || true`, { container }).stdout;

/** Polls `check` until it returns a value (not undefined/false) or `ms` pass. */
export async function until<T>(
  what: string,
  ms: number,
  check: () => T | undefined | false | Promise<T | undefined | false>,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function serving(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { redirect: 'manual' })).status < 500;
  } catch {
    return false;
  }
}

export interface RemoteOptions extends Omit<SessionOptions, 'copy' | 'write' | 'shots'> {
  /** Workspace-relative path → text, written inside the container. */
  write?: Record<string, string>;
  /** Workspace-relative path → a file or folder of this machine, copied into the container. */
  copy?: Record<string, string>;
}

/**
 * A code-server inside the dev container with the VSIX the lane installed there, a workspace that
 * exists only in the container, and Chromium on this machine on the published port.
 * The config's customizations.vscode.settings become the server's Machine settings, as Dev Containers applies them.
 */
export async function startRemote(opts: RemoteOptions): Promise<Session> {
  const base = `${ROOT}/${opts.name}`;
  const ws = `${base}/workspace`;
  const ud = `${base}/user-data`;
  sh(`rm -rf ${base} && mkdir -p ${ws}/.vscode ${ud}/User ${ud}/Machine`);
  put(
    `${ud}/User/settings.json`,
    JSON.stringify({ ...USER_SETTINGS, 'security.workspace.trust.enabled': opts.trust === true }, null, 2),
  );
  put(`${ud}/Machine/settings.json`, env('BATCHSCOPE_LANE_SETTINGS'));
  put(`${ws}/.vscode/settings.json`, JSON.stringify({ ...opts.settings }, null, 2));
  for (const [rel, src] of Object.entries(opts.copy ?? {})) copyIn(src, `${ws}/${rel}`);
  for (const [rel, text] of Object.entries(opts.write ?? {})) put(`${ws}/${rel}`, text);

  const args = [
    env('BATCHSCOPE_E2E_NODE'),
    env('BATCHSCOPE_E2E_ENTRY'),
    '--auth',
    'none',
    '--bind-addr',
    `0.0.0.0:${UI_PORT_IN}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    ...(opts.trust ? [] : ['--disable-workspace-trust']),
    '--user-data-dir',
    ud,
    '--extensions-dir',
    env('BATCHSCOPE_LANE_EXT'),
    ws,
  ]
    .map((a) => `'${a}'`)
    .join(' ');
  const server = background(`code-server-${opts.name}`, `exec ${args}`);
  const url = `http://127.0.0.1:${env('BATCHSCOPE_LANE_UI_PORT')}`;
  await until('code-server in the container to answer on the published port', 90_000, async () => {
    if (server.exitCode() !== null)
      throw new Error(`code-server exited in the container: ${bgLog(`code-server-${opts.name}`)}`);
    return serving(`${url}/healthz`);
  });
  const stop = async () => {
    server.stop();
    // One published port for all scenarios: the next one may start only once this server is gone.
    await until('code-server to stop', 30_000, async () => !(await serving(`${url}/healthz`)));
    // Its logs, for diagnosis, next to the screenshots.
    mkdirSync(join(SHOTS, 'logs'), { recursive: true });
    spawnSync('podman', ['cp', `${CONTAINER()}:${ud}/logs`, join(SHOTS, 'logs', opts.name)], { stdio: 'ignore' });
  };
  const profile = mkdtempSync(join(env('BATCHSCOPE_E2E_RUN'), `${opts.name}-chromium-`));
  return Session.connect(
    { ...opts, copy: undefined, write: undefined, shots: SHOTS },
    { url, workspace: ws, stop },
    profile,
  );
}

/** True where `path` exists inside the container. */
export const existsIn = (path: string, container?: string) =>
  sh(`test -e '${path}'`, { ok: true, container }).status === 0;
