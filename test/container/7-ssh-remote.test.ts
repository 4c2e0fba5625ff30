// Container scenario 7: the SSH-remote recipe of docs/remote.md. A second container plays a compute
// node you can only ssh to (sshd, no VS Code server); a job there listens with BATCHSCOPE_LISTEN; its
// secret is read over ssh from the session file; the dev container (the "login node" with the VS Code
// server) opens `ssh -N -L 5679:127.0.0.1:5678 node` and attaches to 127.0.0.1:5679. It stops at
// collate, detaches, and the job on the node finishes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { FIXTURES, REPO, UI_TIMEOUT, type Session } from '../e2e/harness';
import { attachConfig, checkCollatedBatch, functionBreakpoint } from './debug-views';
import { CPY, CTRL_PORT, ROOT, background, bgLog, copyIn, put, sh, startRemote, until, type Background } from './lane';

let s: Session;
let node = '';
let ip = '';
let job: Background | undefined;
let tunnel: Background | undefined;
const WS = `${ROOT}/ssh/workspace`; // the same path on the node, so ${workspaceFolder}/tokenizer resolves on both
const LOCAL_PORT = 5679;
const KEY = '/root/.ssh/lane_key';
const SSH = `ssh -i ${KEY} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR`;

function podman(...args: string[]): string {
  const r = spawnSync('podman', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`podman ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

before(async () => {
  // The node: the lane's image, no published ports, sshd with a key the dev container holds.
  node = podman(
    'run',
    '-d',
    '--security-opt',
    'label=disable',
    '--label',
    `batchscope.lane=${process.env.BATCHSCOPE_LANE_LABEL}`,
    process.env.BATCHSCOPE_LANE_IMAGE!,
    'sleep',
    'infinity',
  );
  sh('ssh-keygen -A >/dev/null && mkdir -p /run/sshd', { container: node });
  background('sshd', 'exec /usr/sbin/sshd -D -e', node);
  sh(`test -f ${KEY} || ssh-keygen -q -t ed25519 -N '' -f ${KEY}`);
  put('/root/.ssh/authorized_keys', sh(`cat ${KEY}.pub`).stdout, node);
  sh('chmod 600 /root/.ssh/authorized_keys', { container: node });
  ip = podman('inspect', '-f', '{{.NetworkSettings.IPAddress}}', node);
  assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/, `the node has an address: ${ip}`);
  await until('sshd on the node', 60_000, () => sh(`${SSH} root@${ip} true`, { ok: true }).status === 0);

  // The job and the runtime on the node (a plain copy of runtime/, as a user installs it there).
  const JOB = join(REPO, 'test/fixtures/debug');
  for (const [src, dest] of [
    [join(JOB, 'loader_job.py'), `${WS}/loader_job.py`],
    [join(JOB, 'debug_data.py'), `${WS}/debug_data.py`],
    [join(FIXTURES, 'tokenizer'), `${WS}/tokenizer`],
    [join(REPO, 'runtime/batchscope_runtime'), '/opt/bs-runtime/batchscope_runtime'],
  ]) {
    copyIn(src, dest, node);
  }
  s = await startRemote({
    name: 'ssh',
    copy: { 'debug_data.py': join(JOB, 'debug_data.py'), tokenizer: join(FIXTURES, 'tokenizer') },
    // A launch.json from the start: without one (and no Python file) Run and Debug shows only its
    // welcome view, with no Breakpoints pane. The port and secret are filled in once the job listens.
    write: { '.vscode/launch.json': attachConfig(0, '') },
    viewport: { width: 1280, height: 1000 },
  });
});
after(async () => {
  job?.stop();
  tunnel?.stop();
  await s?.close();
  if (node) spawnSync('podman', ['rm', '-f', '-t', '2', node], { stdio: 'ignore' });
});

test(
  'attach through ssh -N -L to a job on an SSH-only node; detach; the job finishes',
  { timeout: 360_000 },
  async () => {
    await functionBreakpoint(s, 'collate');
    job = background(
      'ssh-job',
      `cd ${WS} && BATCHSCOPE_LISTEN=${CTRL_PORT} BATCHSCOPE_SESSION_FILE=/root/session.json PYTHONPATH=/opt/bs-runtime ` +
        `${CPY} loader_job.py --listen --workers 2 --size 800 --batch-size 4 --step-sleep 0.25`,
      node,
    );
    await until('the job on the node to listen', 120_000, () =>
      bgLog('ssh-job', node).includes('batchscope: listening on 127.0.0.1:'),
    );
    // As docs/remote.md says: the secret is in the session file, read over ssh; then the tunnel.
    const session = JSON.parse(sh(`${SSH} root@${ip} cat /root/session.json`).stdout) as {
      port: number;
      secret: string;
    };
    tunnel = background(
      'tunnel',
      `exec ${SSH} -N -o ExitOnForwardFailure=yes -L ${LOCAL_PORT}:127.0.0.1:${session.port} root@${ip}`,
    );
    await until('the tunnel to listen', 30_000, () =>
      sh(`cat /proc/net/tcp`).stdout.includes(`0100007F:${LOCAL_PORT.toString(16).toUpperCase()} `),
    );

    sh(`cat > ${WS}/.vscode/launch.json`, { input: attachConfig(LOCAL_PORT, session.secret) });
    await s.command('Debug: Start Debugging');
    await s.page.locator('.debug-toolbar .action-label.codicon-debug-continue').waitFor({ timeout: 180_000 });
    await s.screenshot('stopped-at-collate-over-ssh');
    await checkCollatedBatch(s, WS, node);
    await s.screenshot('variables-over-ssh');

    await s.page.locator('.debug-toolbar .action-label.codicon-debug-disconnect').click();
    await s.page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
    const code = await until('the job on the node to finish', 240_000, () => job!.exitCode() ?? false);
    assert.equal(code, 0, `the job finished cleanly: ${bgLog('ssh-job', node).slice(-800)}`);
    assert.match(bgLog('ssh-job', node), /"batch": 199\b/, 'the job ran through its last batch');
  },
);
