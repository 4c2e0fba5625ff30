// Case 10 of the issue: a connection without the secret, with a wrong one, or to a non-loopback
// address is refused — checked against the REAL attach-mode controller
// (`python -m batchscope_runtime controller`), both with the wire client and through the adapter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as net from 'node:net';
import { ControllerClient } from '../../src/runtime/debugClient';
import { PYTHON, RUNTIME, openSession } from './harness';

const SECRET = 'test-secret-' + Math.random().toString(36).slice(2);
let job: ChildProcess;
let controller: ChildProcess;
let port = 0;

before(async () => {
  // Something for the controller to watch: it exits once the watched job is gone.
  job = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { stdio: 'ignore' });
  controller = spawn(
    PYTHON,
    ['-m', 'batchscope_runtime', 'controller', '--port', '0', '--watch-pid', String(job.pid)],
    {
      env: { ...process.env, PYTHONPATH: RUNTIME, BATCHSCOPE_SECRET: SECRET },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    controller.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        const msg = JSON.parse(buf.slice(0, nl));
        if (msg.type === 'listening') resolve(msg.port);
        else reject(new Error(buf));
      }
    });
    controller.on('exit', (code) => reject(new Error(`controller exited ${code}`)));
  });
});

after(() => {
  job.kill('SIGKILL');
  controller.kill('SIGKILL');
});

test('no secret, or a wrong one, is refused with the reason', async () => {
  await assert.rejects(ControllerClient.connect('127.0.0.1', port, ''), /refused.*bad secret/);
  await assert.rejects(ControllerClient.connect('127.0.0.1', port, SECRET + 'x'), /refused.*bad secret/);
});

test('the right secret is welcomed; a second adapter is refused while one is attached', async () => {
  const c = await ControllerClient.connect('127.0.0.1', port, SECRET);
  try {
    assert.equal(c.welcome?.mode, 'attach');
    assert.equal(c.welcome?.protocol, 1);
    const t = await c.request<{ threads: unknown[] }>('threads');
    assert.ok(Array.isArray(t.threads));
    await assert.rejects(c.request('noSuchCommand'), /./);
    await assert.rejects(ControllerClient.connect('127.0.0.1', port, SECRET), /another client is attached/);
  } finally {
    await c.request('detach').catch(() => {});
    c.close();
  }
  // Detached: a new adapter may attach again.
  await waitFor(async () => {
    const again = await ControllerClient.connect('127.0.0.1', port, SECRET);
    again.close();
  });
});

test('the controller cannot be reached on a non-loopback address', async (t) => {
  const ext = Object.values(os.networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal);
  if (!ext) return t.skip('this machine has no non-loopback IPv4 interface');
  await assert.rejects(
    new Promise<void>((resolve, reject) => {
      const s = net.createConnection({ host: ext.address, port }, () => {
        s.destroy();
        resolve();
      });
      s.on('error', reject);
    }),
    /ECONNREFUSED/,
  );
  await assert.rejects(ControllerClient.connect(ext.address, port, SECRET, { timeoutMs: 3000 }), /cannot connect/);
});

test('attach through the adapter with a wrong secret fails the attach request with the reason', async () => {
  const s = await openSession();
  try {
    await assert.rejects(s.dc.attachRequest({ port, secret: 'nope' } as never), /bad secret/);
  } finally {
    await s.dc.stop();
  }
});

test('attach without a port names the attribute', async () => {
  const s = await openSession();
  try {
    await assert.rejects(s.dc.attachRequest({} as never), /"port"/);
  } finally {
    await s.dc.stop();
  }
});

async function waitFor(fn: () => Promise<void>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
