// Exception filters end to end against the real runtime: a hang in a blocking read (case 3), a
// worker killed with SIGKILL (case 4), an exception in collate inside a worker (case 5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { close, evaluate, findVar, launch, lineOf, topScopes, type Session } from './harness';

type Stopped = DebugProtocol.StoppedEvent['body'] & {
  stage?: string;
  batch?: { loader: string; epoch: number; index: number };
};

async function stopped(s: Session, ms = 30_000): Promise<Stopped> {
  return (await s.ev.next('stopped', ms)).body as Stopped;
}

test('case 3: a worker stuck in time.sleep stops as `hang` at that line; the main thread says what it waits for', async () => {
  // Index 9 is in batch 2 (batch size 4), which worker 0 fetches (round robin).
  const s = await launch(
    ['--n', '16', '--batch-size', '4', '--workers', '2', '--sleep-at', '9', '--sleep-s', '6'],
    { filters: ['hang'] },
    { hangTimeout: 1.5 },
  );
  try {
    const stop = await stopped(s);
    assert.equal(stop.reason, 'exception');
    assert.equal(stop.text, 'hang');
    assert.equal(stop.threadId, 100);
    const { frames } = await topScopes(s.dc, 100);
    const hangLine = lineOf('HANG-LINE');
    assert.ok(
      frames.some((f) => f.line === hangLine && f.source?.path?.endsWith('loader.py')),
      `a frame at loader.py:${hangLine}: ${JSON.stringify(frames.map((f) => [f.name, f.line]))}`,
    );
    const info = await s.dc.exceptionInfoRequest({ threadId: 100 });
    assert.equal(info.body.exceptionId, 'hang');
    assert.match(info.body.details?.stackTrace ?? '', new RegExp(`loader\\.py", line ${hangLine}`));
    // The main process blocks on batch 2 by itself; its thread says so.
    const deadline = Date.now() + 60_000;
    let mainName = '';
    while (Date.now() < deadline) {
      mainName = (await s.dc.threadsRequest()).body.threads.find((t) => t.id === 1)?.name ?? '';
      if (/waiting \d+s for batch 2 from worker 0/.test(mainName)) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.match(mainName, /waiting \d+s for batch 2 from worker 0/);
    await s.dc.continueRequest({ threadId: 100 });
    await s.ev.next('terminated', 60_000);
    assert.match(s.ev.output(), /done steps=4 /);
  } finally {
    await close(s);
  }
});

test('case 3: no hang stop while the user holds the stage paused', async () => {
  const s = await launch(
    ['--n', '16', '--batch-size', '4', '--workers', '2'],
    { functionBreakpoints: [{ name: 'fetch', condition: 'batch_index == 2' }], filters: ['hang'] },
    { hangTimeout: 1 },
  );
  try {
    const stop = await stopped(s);
    assert.equal(stop.reason, 'function breakpoint');
    await new Promise((r) => setTimeout(r, 3000)); // three hang timeouts with the worker paused
    assert.deepEqual(
      s.ev.pending('stopped').map((e) => e.body.text),
      [],
      'no other stop while paused',
    );
    await s.dc.continueRequest({ threadId: stop.threadId! });
    await s.ev.next('terminated', 60_000);
    assert.ok(!s.ev.all.some((e) => e.event === 'stopped' && e.body.text === 'hang'), 'never a hang stop');
    assert.match(s.ev.output(), /done steps=4 /);
  } finally {
    await close(s);
  }
});

test('case 4: a worker killed by SIGKILL stops as `worker_died`; the adapter survives the main process error', async () => {
  const s = await launch(['--n', '16', '--batch-size', '4', '--workers', '2', '--kill-at', '9'], {
    filters: ['worker_died'],
  });
  try {
    const stop = await stopped(s);
    assert.equal(stop.reason, 'exception');
    assert.equal(stop.text, 'worker_died');
    assert.equal(stop.threadId, 100);
    const info = await s.dc.exceptionInfoRequest({ threadId: 100 });
    assert.equal(info.body.exceptionId, 'worker_died');
    assert.match(info.body.description ?? '', /SIGKILL|signal 9/);
    await s.dc.continueRequest({ threadId: 100 });
    const exited = await s.ev.next('exited', 60_000);
    assert.notEqual(exited.body.exitCode, 0, 'torch raises in the main process');
    await s.ev.next('terminated', 60_000);
    // The adapter is still alive and answering.
    const threads = await s.dc.threadsRequest();
    assert.ok(Array.isArray(threads.body.threads));
  } finally {
    await close(s);
  }
});

test("case 5: an exception with several constructor arguments in a worker's collate stops live, with indices", async () => {
  const s = await launch(['--n', '16', '--batch-size', '4', '--workers', '2', '--collate-error-at', '8'], {
    filters: ['collate_error'],
  });
  try {
    const stop = await stopped(s);
    assert.equal(stop.reason, 'exception');
    assert.equal(stop.text, 'collate_error');
    assert.ok(stop.threadId! >= 100, 'stops in the worker');
    const info = await s.dc.exceptionInfoRequest({ threadId: stop.threadId! });
    assert.equal(info.body.details?.typeName, 'BadBatch');
    assert.match(info.body.description ?? '', /batch 8: refusing this batch \(4 samples\)/);
    const { frames, scopes } = await topScopes(s.dc, stop.threadId!);
    assert.equal(findVar(scopes, 'indices')?.value.replace(/\s/g, ''), '[8,9,10,11]');
    // The live exception object, attributes and all.
    assert.equal(await evaluate(s.dc, frames[0].id, 'exception.count'), '4');
    await s.dc.continueRequest({ threadId: stop.threadId! });
    const exited = await s.ev.next('exited', 60_000);
    assert.notEqual(exited.body.exitCode, 0);
    await s.ev.next('terminated', 60_000);
  } finally {
    await close(s);
  }
});

test('stopping a launch session while spawn workers are paused leaves no process behind', async (t) => {
  if (process.platform !== 'linux') return t.skip('reads process groups from /proc');
  const s = await launch(['--n', '16', '--batch-size', '4', '--workers', '2', '--start-method', 'spawn'], {
    functionBreakpoints: [{ name: 'fetch' }],
  });
  let group = 0;
  try {
    // A bound, not a timing: two spawn workers import torch before the first stop (20-40 s at load 11).
    const stop = await stopped(s, 120_000);
    assert.ok(stop.threadId! >= 100);
    const main = (await s.dc.threadsRequest()).body.threads.find((th) => th.id === 1);
    const pid = Number(/pid (\d+)/.exec(main?.name ?? '')?.[1]);
    assert.ok(pid > 0, `the main thread names its pid: ${main?.name}`);
    group = pgrpOf(pid)!;
    assert.ok(members(group).length >= 3, 'controller, program and workers share one process group');
  } finally {
    await close(s);
  }
  // Everything in the launched group, a spawn worker still importing torch included, is gone.
  const end = Date.now() + 10_000;
  while (members(group).length && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(members(group), []);
});

function pgrpOf(pid: number): number | undefined {
  try {
    // /proc/PID/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces, so split after ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return state[0] === 'Z' ? undefined : Number(state[2]);
  } catch {
    return undefined;
  }
}

function members(group: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => pgrpOf(pid) === group);
}
