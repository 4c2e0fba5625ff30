// Container scenario 5: the debug controller from outside the container.
//  - The container publishes port 5678 on this machine's loopback. A job listens on 5678 inside.
//    A connection through the published port arrives on the container's bridge address, so it
//    never reaches the controller (bound to 127.0.0.1 only; it also drops non-loopback peers).
//  - A forwarded connection (a relay started inside the container, as VS Code's port forwarding
//    does: `podman exec … socat STDIO TCP:127.0.0.1:5678`) arrives from loopback: the right secret
//    gets `welcome`, a wrong one `refused: bad secret`.
//  - The session file holding the secret is mode 0600, and gone once the job exits.
// The outcomes are written into the workspace and shown in the VS Code server (the screenshot).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import type { Session } from '../e2e/harness';
import {
  CONTAINER,
  CPY,
  CTRL_PORT,
  ROOT,
  background,
  bgLog,
  existsIn,
  sh,
  startRemote,
  until,
  type Background,
} from './lane';

let job: Background | undefined;
let s: Session | undefined;
const DIR = `${ROOT}/security`;
const SESSION_FILE = `${DIR}/session.json`;

before(() => {
  sh(`rm -rf ${DIR} && mkdir -p ${DIR}`);
  const runtime = sh(`ls -d ${process.env.BATCHSCOPE_LANE_EXT}/batchscope.batchscope-*/runtime`).stdout.trim();
  // A job that listens and runs until told to stop (a file), then exits normally.
  sh(`cat > ${DIR}/job.py`, {
    input:
      'import os, time, batchscope_runtime\nbatchscope_runtime.listen()\nwhile not os.path.exists("stop"):\n    time.sleep(0.1)\nprint("job done")\n',
  });
  job = background(
    'security-job',
    `cd ${DIR} && BATCHSCOPE_LISTEN=${CTRL_PORT} BATCHSCOPE_SESSION_FILE=${SESSION_FILE} PYTHONPATH=${runtime} ${CPY} job.py`,
  );
});
after(async () => {
  job?.stop();
  await s?.close();
});

/** Sends a hello and returns the first line back, or how the connection ended without one. */
function helloOverTcp(port: number, secret: string): Promise<string> {
  return new Promise((done) => {
    const sock = connect({ host: '127.0.0.1', port });
    let buf = '';
    const finish = (what: string) => {
      sock.destroy();
      done(what);
    };
    sock.setTimeout(15_000, () => finish('timeout: no answer'));
    sock.on('connect', () =>
      sock.write(
        JSON.stringify({ type: 'hello', role: 'adapter', protocol: 1, secret, client: 'container-lane' }) + '\n',
      ),
    );
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\n')) finish(buf.split('\n')[0]);
    });
    sock.on('error', (e: NodeJS.ErrnoException) => finish(`error: ${e.code ?? e.message}`));
    sock.on('end', () => finish(buf ? buf : 'closed: no answer'));
  });
}

/** The same hello through a relay inside the container: its connection comes from loopback there. */
function helloForwarded(secret: string): Promise<string> {
  return new Promise((done, fail) => {
    const relay = spawn('podman', ['exec', '-i', CONTAINER(), 'socat', 'STDIO', `TCP:127.0.0.1:${CTRL_PORT}`]);
    let buf = '';
    relay.stdout.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\n')) {
        relay.stdin.end(); // closing our side detaches, as a debugger's Disconnect does
        done(buf.split('\n')[0]);
      }
    });
    relay.on('error', fail);
    relay.on('exit', () => done(buf || 'closed: no answer'));
    relay.stdin.write(
      JSON.stringify({ type: 'hello', role: 'adapter', protocol: 1, secret, client: 'container-lane' }) + '\n',
    );
  });
}

test(
  'published port refused, forwarded port accepted with the secret, session file 0600 and removed at exit',
  { timeout: 240_000 },
  async () => {
    await until('the job to listen', 120_000, () =>
      bgLog('security-job').includes('batchscope: listening on 127.0.0.1:'),
    );
    assert.equal(sh(`stat -c %a ${SESSION_FILE}`).stdout.trim(), '600', 'the session file is mode 0600');
    const { secret, port } = JSON.parse(sh(`cat ${SESSION_FILE}`).stdout) as { secret: string; port: number };
    assert.equal(port, CTRL_PORT);
    // The controller's socket, as the kernel in the container lists it: 127.0.0.1:5678, nothing on 0.0.0.0.
    const hexPort = CTRL_PORT.toString(16).toUpperCase().padStart(4, '0');
    const listeners = sh(`cat /proc/net/tcp /proc/net/tcp6`)
      .stdout.split('\n')
      .filter((l) => l.includes(`:${hexPort} `) && / 0A /.test(l));
    assert.ok(
      listeners.length > 0 && listeners.every((l) => l.includes(`0100007F:${hexPort}`)),
      `bound to loopback only: ${listeners.join(' | ')}`,
    );

    const published = Number(process.env.BATCHSCOPE_LANE_PUBLISHED_PORT);
    const outside = await helloOverTcp(published, secret);
    assert.doesNotMatch(outside, /welcome/, `through the published port: ${outside}`);
    const wrong = await helloForwarded('0'.repeat(secret.length));
    assert.match(wrong, /"refused".*bad secret/, `forwarded, wrong secret: ${wrong}`);
    const right = await helloForwarded(secret);
    assert.match(right, /"type":\s*"welcome"/, `forwarded, right secret: ${right}`);
    assert.equal(job!.exitCode(), null, 'the job keeps running after the forwarded client detached');

    sh(`touch ${DIR}/stop`);
    const code = await until('the job to exit', 60_000, () => job!.exitCode() ?? false);
    assert.equal(code, 0, bgLog('security-job'));
    const removed = !existsIn(SESSION_FILE);

    // What happened, shown in the VS Code server of the container (the scenario's screenshot).
    const report = [
      '# Debug controller seen from outside the container',
      '',
      `- published port 127.0.0.1:${published} → container :${CTRL_PORT}: \`${outside}\``,
      `- forwarded from loopback inside the container, wrong secret: \`${wrong}\``,
      `- forwarded from loopback inside the container, right secret: \`${right.replace(/"controllerPid":\d+,?/, '')}\``,
      `- listening sockets on :${CTRL_PORT}: \`${listeners.map((l) => l.trim().split(/\s+/)[1]).join(', ')}\` (0100007F = 127.0.0.1)`,
      `- session file mode 0600; removed at exit: ${removed}`,
      '',
    ].join('\n');
    s = await startRemote({ name: 'security', write: { 'security-report.md': report } });
    await s.quickOpen('security-report.md');
    await s.page.locator('.monaco-editor .view-lines', { hasText: 'published port' }).waitFor({ timeout: 60_000 });
    await s.screenshot('report');
    assert.ok(removed, 'the session file (with the secret) is removed when the job exits');
  },
);
