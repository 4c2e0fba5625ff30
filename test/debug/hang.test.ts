// Issue 11, hang stops: a worker blocked forever in a read on a named pipe (FIFO) stops as `hang`
// with its own Python stack first, each frame's live locals, read-only evaluate against them, and
// the blocking system call with the file behind its descriptor; "Show All Stacks" dumps every
// process and thread of the loader without stopping anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { close, evaluate, launch, lineOf, vars, type Session } from './harness';

type Stopped = DebugProtocol.StoppedEvent['body'] & { stage?: string; batch?: { index: number } };

async function stopped(s: Session, ms = 30_000): Promise<Stopped> {
  return (await s.ev.next('stopped', ms)).body as Stopped;
}

const linux = process.platform === 'linux';

test('hang in a FIFO read: the syscall and the file, the stuck frames first with locals, read-only evaluate', async (t) => {
  if (!linux) return t.skip('the blocking system call comes from /proc (Linux)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'batchscope-fifo-'));
  const fifo = path.join(dir, 'shard-3.fifo');
  // Index 5 is in batch 1 (batch size 4), which worker 1 fetches (round robin): thread 101.
  const s = await launch(
    ['--n', '16', '--batch-size', '4', '--workers', '2', '--fifo-at', '5', '--fifo', fifo],
    { filters: ['hang'] },
    { hangTimeout: 1.5 },
  );
  try {
    const stop = await stopped(s);
    assert.equal(stop.reason, 'exception');
    assert.equal(stop.text, 'hang');
    assert.equal(stop.threadId, 101);
    assert.equal(stop.batch?.index, 1);
    const fifoRe = fifo.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // "worker 1 blocked in read(fd 7) on /tmp/…/shard-3.fifo (FIFO) for 2 s: fetch of batch 1 at loader.py:N in __getitem__"
    const fifoLine = lineOf('FIFO-LINE');
    assert.match(
      stop.description ?? '',
      new RegExp(
        `^worker 1 blocked in read\\(fd \\d+\\) on ${fifoRe} \\(FIFO\\) for \\d+ s: fetch of batch 1 at loader\\.py:${fifoLine} in __getitem__`,
      ),
    );

    // The stuck thread's frames come first: the blocking line on top, then the callers down to the
    // worker loop, then the stage label; only then other threads (a worker has none of its own).
    const st = await s.dc.stackTraceRequest({ threadId: 101 });
    const frames = st.body.stackFrames;
    assert.equal(frames[0].line, fifoLine, JSON.stringify(frames.map((f) => [f.name, f.line])));
    assert.equal(frames[0].name, '__getitem__');
    assert.ok(frames[0].source?.path?.endsWith('loader.py'));
    const label = frames.findIndex((f) => f.presentationHint === 'label');
    assert.ok(label > 1, 'the stage label follows the stuck frames');
    assert.match(frames[label].name, /^fetch · batch 1 \(hang > 1\.5s\)/);
    assert.ok(
      frames.slice(1, label).some((f) => f.name === '_worker_loop'),
      `torch's worker loop is in the stuck thread's frames: ${frames.map((f) => f.name)}`,
    );
    assert.ok(
      frames.slice(1, label).every((f) => f.presentationHint === 'subtle' || f.source?.path?.endsWith('loader.py')),
      'library frames are subtle',
    );

    // Each frame's locals, read from another thread of the stuck process.
    const sc = await s.dc.scopesRequest({ frameId: frames[0].id });
    const scopes = new Map(sc.body.scopes.map((x) => [x.name, x.variablesReference]));
    const locals = await vars(s.dc, scopes.get('Locals')!);
    assert.equal(locals.get('i')?.value, '5');
    assert.equal(locals.get('shard_path')?.value, `'${fifo}'`);
    assert.match(locals.get('fd')?.value ?? '', /^\d+$/);
    const hang = await vars(s.dc, scopes.get('Hang')!);
    assert.equal(hang.get('stage')?.value, "'fetch'");
    assert.equal(hang.get('batch_index')?.value, '1');
    const blocked = await vars(s.dc, hang.get('blocked_in')!.variablesReference);
    assert.equal(blocked.get('syscall')?.value, "'read'");
    assert.equal(blocked.get('target')?.value, `'${fifo}'`);
    assert.equal(blocked.get('kind')?.value, "'FIFO'");
    assert.equal(blocked.get('fd')?.value, locals.get('fd')?.value, 'the descriptor the frame holds');

    // evaluate against the frame's locals; read-only: statements are refused.
    assert.equal(await evaluate(s.dc, frames[0].id, 'i * 10'), '50');
    assert.equal(await evaluate(s.dc, frames[0].id, 'os.path.basename(shard_path)'), "'shard-3.fifo'");
    assert.equal(await evaluate(s.dc, frames[0].id, 'len(self)'), '16');
    await assert.rejects(
      s.dc.evaluateRequest({ expression: 'i = 3', frameId: frames[0].id, context: 'repl' }),
      /read-only/,
    );
    assert.equal(await evaluate(s.dc, frames[0].id, 'i'), '5', 'nothing was written back');
    // A caller's frame has its own locals (torch's fetcher holds the batch's indices).
    const fetcher = frames.find((f) => f.name === 'fetch' && /_utils[/\\]fetch\.py$/.test(f.source?.path ?? ''));
    assert.ok(fetcher, `torch's fetcher frame: ${frames.map((f) => f.name)}`);
    assert.equal(fetcher.presentationHint, 'subtle');
    assert.equal(await evaluate(s.dc, fetcher.id, 'list(possibly_batched_index)'), '[4, 5, 6, 7]');

    // exceptionInfo: the stuck thread's traceback, in faulthandler's format, first.
    const info = await s.dc.exceptionInfoRequest({ threadId: 101 });
    assert.equal(info.body.exceptionId, 'hang');
    const firstBlock = (info.body.details?.stackTrace ?? '').split('\n\n')[0];
    assert.match(firstBlock, new RegExp(`loader\\.py", line ${fifoLine} in __getitem__`));

    // Show All Stacks while the worker hangs: every process, the blocking call named, nothing paused.
    const dump = ((await s.dc.customRequest('showAllStacks')) as DebugProtocol.Response).body as {
      text: string;
      processes: Array<{ role: string; pid: number }>;
    };
    const text = dump.text;
    assert.ok(dump.processes.some((p) => p.role === 'main'));
    assert.equal(dump.processes.filter((p) => p.role === 'worker').length, 2);
    assert.match(text, /== main process · pid \d+/);
    assert.match(text, /== worker 1 · train_loader \(pid \d+, epoch 0\) · fetch of batch 1/);
    assert.match(text, new RegExp(`blocked in read\\(fd \\d+\\) on ${fifoRe} \\(FIFO\\)`));
    assert.match(text, new RegExp(`File ".*loader\\.py", line ${fifoLine}, in __getitem__`));
    assert.ok(!/batchscope-agent/.test(text), "the debugger's own threads are left out");
  } finally {
    await close(s);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('hang while holding the GIL (a regex in C): served from faulthandler and /proc, the user frame named', async (t) => {
  if (!linux) return t.skip('the thread state comes from /proc (Linux)');
  const s = await launch(
    ['--n', '16', '--batch-size', '4', '--workers', '2', '--regex-at', '5'],
    { filters: ['hang'] },
    { hangTimeout: 1.5 },
  );
  try {
    const stop = await stopped(s);
    assert.equal(stop.text, 'hang');
    assert.equal(stop.threadId, 101);
    const line = lineOf('REGEX-LINE');
    // No Python thread of the worker can run, so the controller answers: the user's line (not the
    // `re` module's) and what /proc says about the thread.
    assert.match(
      stop.description ?? '',
      new RegExp(`^fetch of batch 1 stuck for over 1\\.5s at loader\\.py:${line} in __getitem__; running on a CPU`),
    );
    const frames = (await s.dc.stackTraceRequest({ threadId: 101 })).body.stackFrames;
    const user = frames.find((f) => f.line === line && f.source?.path?.endsWith('loader.py'));
    assert.ok(user, JSON.stringify(frames.map((f) => [f.name, f.line])));
    assert.notEqual(user.presentationHint, 'subtle');
    assert.equal(frames[0].presentationHint, 'subtle', 'the re module frame above it is dimmed');
    await assert.rejects(s.dc.evaluateRequest({ expression: 'i', frameId: user.id, context: 'repl' }), /stuck or gone/);
    // faulthandler lists its signal handler's thread first; the stuck thread's block is moved up.
    const info = await s.dc.exceptionInfoRequest({ threadId: 101 });
    const first = (info.body.details?.stackTrace ?? '').split('\n\n')[0];
    assert.match(first, new RegExp(`loader\\.py", line ${line} in __getitem__`));
    const dump = ((await s.dc.customRequest('showAllStacks')) as DebugProtocol.Response).body as { text: string };
    assert.match(dump.text, /no answer within 3 s; its main thread: running on a CPU/);
  } finally {
    await close(s);
  }
});

test('Show All Stacks on a running job: every process and thread, and the job keeps running', async () => {
  const s = await launch(['--n', '64', '--batch-size', '4', '--workers', '2', '--step-delay', '0.2']);
  try {
    // Let the workers start (their agents connect on their first batch).
    const deadline = Date.now() + 30_000;
    let body: { text: string; processes: Array<{ role: string; threads: unknown[] }> } | undefined;
    while (Date.now() < deadline) {
      body = ((await s.dc.customRequest('showAllStacks')) as DebugProtocol.Response).body;
      if (body!.processes.filter((p) => p.role === 'worker').length === 2) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.equal(body!.processes.filter((p) => p.role === 'worker').length, 2, body!.text);
    assert.match(body!.text, /Thread "MainThread"/);
    assert.match(body!.text, /File ".*loader\.py", line \d+, in main/);
    assert.equal(s.ev.pending('stopped').length, 0, 'nothing stopped');
    await s.ev.next('terminated', 60_000);
    assert.match(s.ev.output(), /done steps=16 /);
  } finally {
    await close(s);
  }
});
