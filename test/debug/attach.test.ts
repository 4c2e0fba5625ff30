// Attach to a job that is already running (case 9) and the remote layout: the runtime listening
// on loopback in one process, the standalone adapter in `--server` mode in another, the client
// attaching by host + port + secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import {
  PROGRAM,
  PYTHON,
  RUNTIME,
  TOKENIZER,
  adapterPath,
  configure,
  evaluate,
  openSession,
  topScopes,
  vars,
  findVar,
  type Session,
} from './harness';

type Stopped = DebugProtocol.StoppedEvent['body'] & {
  stage?: string;
  batch?: { loader: string; epoch: number; index: number };
};

interface Job {
  proc: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
  waitFor: (re: RegExp, ms: number) => Promise<void>;
}

function startJob(args: string[], env: Record<string, string>): Job {
  const proc = spawn(PYTHON, [PROGRAM, ...args], {
    env: { ...process.env, PYTHONPATH: RUNTIME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners: Array<() => void> = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of [...listeners]) l();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const waitFor = (re: RegExp, ms: number) =>
    new Promise<void>((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`job did not print ${re} within ${ms} ms:\n${out.slice(-2000)}`)),
        ms,
      );
      const check = () => {
        if (re.test(out)) {
          clearTimeout(t);
          listeners.splice(listeners.indexOf(check), 1);
          resolve();
        }
      };
      listeners.push(check);
      check();
    });
  return { proc, out: () => out, exited, waitFor };
}

/** DebugClients still open when a test fails; stopped in `finally` so no adapter outlives its test. */
const live: Session[] = [];
async function stopAll(): Promise<void> {
  for (const s of live.splice(0)) await s.dc.stop().catch(() => {});
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(what)), ms))),
  ]).finally(() => clearTimeout(t));
}

function sessionFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bs-session-')), 'session.json');
}

async function readSession(file: string, ms = 60_000): Promise<{ port: number; secret: string; pid: number }> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

test('case 9: attach after 200 steps, stop once, detach: the job runs to its end', async () => {
  const file = sessionFile();
  const job = startJob(
    ['--listen', '--n', '900', '--batch-size', '2', '--step-delay', '0.01', '--tokenizer', TOKENIZER],
    { BATCHSCOPE_SESSION_FILE: file, BATCHSCOPE_SECRET: 'attach-secret' },
  );
  try {
    const sess = await readSession(file);
    assert.equal(sess.secret, 'attach-secret');
    await job.waitFor(/step 200\n/, 60_000);
    const s = await openSession();
    live.push(s);
    await configure(
      s,
      s.dc.attachRequest({
        port: sess.port,
        secret: sess.secret,
        tokenizer: TOKENIZER,
      } as DebugProtocol.AttachRequestArguments),
      {
        functionBreakpoints: [{ name: 'train_step' }],
      },
    );
    const stop = (await s.ev.next('stopped', 120_000)).body as Stopped;
    assert.equal(stop.stage, 'train_step');
    assert.ok(stop.batch!.index >= 200, `attached late: batch ${stop.batch!.index}`);
    const { frames, scopes } = await topScopes(s.dc, 1);
    assert.equal(await evaluate(s.dc, frames[0].id, 'batch_index'), String(stop.batch!.index));
    // The attach-side tokenizer decodes input_ids here (the job's controller has none).
    const batch = findVar(scopes, 'batch')!;
    const inputIds = (await vars(s.dc, batch.variablesReference)).get('input_ids')!;
    const decoded = (await vars(s.dc, inputIds.variablesReference)).get('decoded');
    assert.ok(decoded, 'input_ids has a decoded child');
    // Lazy: its one child replaces it, and that one's children are the rows.
    const [resolved] = (await s.dc.variablesRequest({ variablesReference: decoded.variablesReference })).body.variables;
    const rows = [...(await vars(s.dc, resolved.variablesReference)).values()].map((v) => v.value);
    assert.match(rows[0], /sample \d+: /);

    const detachedAt = Date.now();
    await s.dc.disconnectRequest({ terminateDebuggee: false });
    await s.dc.stop();
    live.splice(live.indexOf(s), 1);
    const code = await withTimeout(job.exited, 30_000, 'the job did not finish after detach');
    assert.equal(code, 0, job.out().slice(-2000));
    assert.match(job.out(), /done steps=450 /);
    // 450 steps × 10 ms: what is left after the stop must not wait on anything we left behind.
    assert.ok(Date.now() - detachedAt < 20_000, 'the job finished promptly after detach');
  } finally {
    job.proc.kill('SIGKILL');
    await stopAll();
  }
});

/** Ground truth for the Variables view: the Python tokenizers library decoding the same id rows. */
function pythonDecode(rows: number[][]): string[] {
  const code =
    'import json, sys\nfrom tokenizers import Tokenizer\nt = Tokenizer.from_file(sys.argv[1])\n' +
    'print(json.dumps([t.decode([i for i in r if i >= 0], skip_special_tokens=False) for r in json.loads(sys.argv[2])]))';
  return JSON.parse(
    execFileSync(PYTHON, ['-c', code, path.join(TOKENIZER, 'tokenizer.json'), JSON.stringify(rows)], {
      encoding: 'utf8',
    }),
  );
}

test('attach (BATCHSCOPE_LISTEN, 2 workers): the lazy `decoded` entry resolves to one variable whose rows match Python', async () => {
  const file = sessionFile();
  // The job encodes with the fixture tokenizer but its controller has none: decoding happens in the adapter.
  // Reads are slow (200 ms a batch against a 10 ms step), so each worker always has a batch still to
  // collate: the other worker must reach its collate stop while the first holds the batch the loop
  // waits for. With fast reads, a worker a batch ahead of the other could have collated all its
  // prefetched batches before the breakpoint reached it, and then wait for indices that never came
  // while the loop waited for the held batch (a CI-like run timed out so).
  const job = startJob(
    [
      '--n',
      '400',
      '--batch-size',
      '4',
      '--workers',
      '2',
      '--step-delay',
      '0.01',
      '--fetch-delay',
      '0.05',
      '--tokenizer',
      TOKENIZER,
    ],
    { BATCHSCOPE_LISTEN: '127.0.0.1:0', BATCHSCOPE_SESSION_FILE: file, BATCHSCOPE_SECRET: 'lazy-secret' },
  );
  try {
    const sess = await readSession(file);
    const s = await openSession();
    live.push(s);
    await configure(
      s,
      s.dc.attachRequest({
        port: sess.port,
        secret: sess.secret,
        tokenizer: TOKENIZER,
      } as DebugProtocol.AttachRequestArguments),
      { functionBreakpoints: [{ name: 'collate' }] },
    );
    const first = (await s.ev.next('stopped', 60_000)).body as Stopped;
    assert.equal(first.stage, 'collate');
    // Like the user in VS Code: step over collate, so the collated batch is in Variables.
    await s.dc.nextRequest({ threadId: first.threadId! });
    await s.ev
      .next('stopped', 30_000, (e) => e.body.threadId === first.threadId)
      .catch((e: Error) => {
        throw new Error(`no step stop after collate: ${e.message}`);
      });
    const { scopes } = await topScopes(s.dc, first.threadId!);
    const batch = findVar(scopes, 'batch');
    assert.ok(batch && batch.variablesReference > 0, `a batch in Variables: ${JSON.stringify([...scopes.keys()])}`);
    const inputIds = (await vars(s.dc, batch.variablesReference)).get('input_ids')!;
    const tensor = await vars(s.dc, inputIds.variablesReference);
    const decoded = tensor.get('decoded');
    assert.ok(decoded, 'input_ids has a decoded child');
    assert.equal(decoded.presentationHint?.lazy, true, 'decoded is lazy (read when expanded)');
    // The other worker stops at collate too, and goes on alone: neither its stop nor its continue
    // may take away the entries of the thread the user is looking at.
    const other = (
      await s.ev
        .next('stopped', 30_000, (e) => e.body.threadId !== first.threadId)
        .catch((e: Error) => {
          throw new Error(`the other worker never stopped at collate: ${e.message}`);
        })
    ).body as Stopped;
    await s.dc.continueRequest({ threadId: other.threadId!, singleThread: true });
    await s.ev.next('continued', 30_000, (e) => e.body.threadId === other.threadId);
    // VS Code resolves a lazy entry by fetching its children: exactly one variable, which replaces it.
    const resolved = (await s.dc.variablesRequest({ variablesReference: decoded.variablesReference })).body.variables;
    assert.equal(resolved.length, 1, `a lazy entry resolves to one variable: ${JSON.stringify(resolved)}`);
    assert.equal(resolved[0].name, 'decoded');
    assert.ok(resolved[0].variablesReference > 0, 'the resolved entry expands to its rows');
    const rows = (await s.dc.variablesRequest({ variablesReference: resolved[0].variablesReference })).body.variables;
    // Ids of the same rows, read from the tensor's `values` child.
    const values = tensor.get('values')!;
    const ids: number[][] = [];
    for (const r of (await s.dc.variablesRequest({ variablesReference: values.variablesReference })).body.variables)
      ids.push([...(await vars(s.dc, r.variablesReference)).values()].map((c) => Number(c.value)));
    assert.equal(ids.length, 4, 'batch size 4');
    assert.deepEqual(
      rows.map((r) => JSON.parse(r.value)),
      pythonDecode(ids),
    );
    assert.match(rows[0].value, /sample \d+: /);

    await s.dc.disconnectRequest({ terminateDebuggee: false });
    await s.dc.stop();
    live.splice(live.indexOf(s), 1);
    assert.equal(
      await withTimeout(job.exited, 60_000, 'the job did not finish after detach'),
      0,
      job.out().slice(-2000),
    );
  } finally {
    job.proc.kill('SIGKILL');
    await stopAll();
  }
});

test('remote: runtime listening via BATCHSCOPE_LISTEN, adapter in --server mode, attach by host+port+secret', async () => {
  const file = sessionFile();
  const job = startJob(['--n', '400', '--batch-size', '2', '--step-delay', '0.01'], {
    BATCHSCOPE_LISTEN: '127.0.0.1:0',
    BATCHSCOPE_SESSION_FILE: file,
    BATCHSCOPE_SECRET: 'remote-secret',
  });
  const server = spawn(process.execPath, [adapterPath(), '--server=0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const adapterPort = await new Promise<number>((resolve, reject) => {
      let buf = '';
      server.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /listening on port (\d+)/.exec(buf);
        if (m) resolve(Number(m[1]));
      });
      server.on('exit', (c) => reject(new Error(`adapter server exited ${c}`)));
    });
    const sess = await readSession(file);
    const s = await openSession(adapterPort);
    live.push(s);
    await configure(
      s,
      s.dc.attachRequest({
        host: '127.0.0.1',
        port: sess.port,
        secret: 'remote-secret',
      } as DebugProtocol.AttachRequestArguments),
      {
        functionBreakpoints: [{ name: 'fetch', hitCondition: '1' }],
      },
    );
    const stop = (await s.ev.next('stopped', 120_000)).body as Stopped;
    assert.equal(stop.stage, 'fetch');
    const threads = (await s.dc.threadsRequest()).body.threads;
    assert.ok(
      threads.some((t) => t.id === 1),
      JSON.stringify(threads),
    );
    await s.dc.disconnectRequest({ terminateDebuggee: false });
    await s.dc.stop();
    live.splice(live.indexOf(s), 1);
    assert.equal(
      await withTimeout(job.exited, 30_000, 'the job did not finish after detach'),
      0,
      job.out().slice(-2000),
    );
    assert.match(job.out(), /done steps=200 /);
  } finally {
    job.proc.kill('SIGKILL');
    await stopAll();
    server.kill('SIGKILL');
  }
});

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

test('late attach: indices are known from the sampler on, "unknown" before; Stop ends the job, its paused workers and its session file', async (t) => {
  if (process.platform !== 'linux') return t.skip('reads /proc');
  const file = sessionFile();
  // 0.25 s steps: the 4 batches the workers prefetched before the attach take 1 s to reach train_step,
  // so the breakpoint is armed before the last of them arrives even on a loaded machine.
  const job = startJob(['--listen', '--n', '800', '--batch-size', '4', '--workers', '2', '--step-delay', '0.25'], {
    BATCHSCOPE_SESSION_FILE: file,
    BATCHSCOPE_SECRET: 'stop-secret',
  });
  try {
    const sess = await readSession(file);
    await job.waitFor(/step 50\n/, 60_000);
    const s = await openSession();
    live.push(s);
    await configure(
      s,
      s.dc.attachRequest({ port: sess.port, secret: sess.secret } as DebugProtocol.AttachRequestArguments),
      {
        functionBreakpoints: [{ name: 'train_step' }],
      },
    );
    // The first train_step after attach is a batch a worker prefetched before: its indices were drawn
    // unseen, and it says so. The sampler's later output is seen: no shuffle, so batch i is 4i..4i+3.
    const seen: Array<[number, string]> = [];
    for (let i = 0; i < 8; i++) {
      const stop = (await s.ev.next('stopped', 60_000)).body as Stopped;
      assert.equal(stop.stage, 'train_step');
      const { frames } = await topScopes(s.dc, 1);
      seen.push([stop.batch!.index, await evaluate(s.dc, frames[0].id, 'indices')]);
      await s.dc.continueRequest({ threadId: 1 });
    }
    assert.equal(seen[0][1], "'unknown (batch dispatched before attach)'", JSON.stringify(seen));
    const known = seen.filter(([, v]) => !v.startsWith("'unknown"));
    assert.ok(known.length >= 3, JSON.stringify(seen));
    assert.ok(
      seen.every(([b, v]) => !v.startsWith("'unknown") || b < known[0][0]),
      JSON.stringify(seen),
    );
    for (const [b, v] of known)
      assert.equal(v, JSON.stringify([4 * b, 4 * b + 1, 4 * b + 2, 4 * b + 3]).replace(/,/g, ', '));

    // Pause a worker at fetch (it cannot exit by itself), then Stop: terminate the debuggee.
    await s.dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'fetch' }] });
    const wstop = (await s.ev.next('stopped', 60_000, (e) => (e.body.threadId ?? 0) >= 100)).body as Stopped;
    assert.ok(wstop.threadId! >= 100);
    const threads = (await s.dc.threadsRequest()).body.threads;
    const pids = threads.map((th) => Number(/pid (\d+)/.exec(th.name)?.[1])).filter((p) => p > 0);
    assert.ok(pids.includes(sess.pid) && pids.length >= 3, JSON.stringify(threads));
    await s.dc.disconnectRequest({ terminateDebuggee: true });
    await s.dc.stop();
    live.splice(live.indexOf(s), 1);
    assert.notEqual(await withTimeout(job.exited, 30_000, 'the job did not end on Stop'), 0);
    const end = Date.now() + 10_000;
    while ((pids.some(alive) || fs.existsSync(file)) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(pids.filter(alive), [], 'the job and every worker are gone');
    assert.equal(fs.existsSync(file), false, 'the session file (it holds the secret) is removed');
  } finally {
    job.proc.kill('SIGKILL');
    await stopAll();
  }
});
