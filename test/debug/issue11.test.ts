// Issue 11 against real programs: DataLoaders without auto-collation (`batch_size=None`, as in
// streaming and pretraining pipelines) stop at `fetch`, and at `collate` when a collate_fn is given,
// with 0 and 2 workers, map-style and iterable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { REPO, close, findVar, launch, lineOf, topScopes, type Session } from './harness';

const UNBATCHED = path.join(REPO, 'test', 'debug', 'programs', 'unbatched.py');

type Stopped = DebugProtocol.StoppedEvent['body'] & {
  stage?: string;
  batch?: { loader: string; epoch: number; index: number };
};

async function stopped(s: Session, ms = 30_000): Promise<Stopped> {
  return (await s.ev.next('stopped', ms)).body as Stopped;
}

async function runsToEnd(s: Session, steps: number): Promise<void> {
  await s.ev.next('terminated', 60_000);
  assert.match(s.ev.output(), new RegExp(`indices=${[...Array(steps).keys()].join(',')}\\b`));
  const exited = s.ev.all.find((e) => e.event === 'exited');
  assert.equal(exited?.body.exitCode, 0, s.ev.output().slice(-2000));
}

/** Stops at `stage` of batch 3 (each item is one batch), checks where, and runs to the end. */
async function stopsAt(stage: 'fetch' | 'collate', args: string[], mapStyle: boolean): Promise<void> {
  const s = await launch(
    ['--n', '8', ...args],
    { functionBreakpoints: [{ name: stage, condition: 'batch_index == 3' }] },
    { program: UNBATCHED },
  );
  try {
    const stop = await stopped(s);
    assert.equal(stop.reason, 'function breakpoint');
    assert.equal(stop.stage, stage);
    assert.equal(stop.batch?.index, 3);
    const workers = args.includes('--workers');
    if (workers) assert.ok(stop.threadId! >= 100, `runs in a worker thread (got ${stop.threadId})`);
    else assert.equal(stop.threadId, 1);
    if (mapStyle) {
      const { scopes } = await topScopes(s.dc, stop.threadId!);
      assert.equal(findVar(scopes, 'indices')?.value.replace(/\s/g, ''), '[3]');
    }
    await s.dc.continueRequest({ threadId: stop.threadId! });
    await runsToEnd(s, 8);
    assert.equal(s.ev.pending('stopped').length, 0, 'one stop only');
  } finally {
    await close(s);
  }
}

test('batch_size=None, map-style, 0 workers: fetch stops at batch 3 with indices [3]', async () => {
  await stopsAt('fetch', [], true);
});

test('batch_size=None, map-style, 2 workers: fetch stops in a worker', async () => {
  await stopsAt('fetch', ['--workers', '2'], true);
});

test('batch_size=None, map-style, 2 workers, collate_fn given: collate stops', async () => {
  await stopsAt('collate', ['--workers', '2', '--collate'], true);
});

test('batch_size=None, iterable, 0 workers: fetch and collate stop', async () => {
  await stopsAt('fetch', ['--iterable'], false);
  await stopsAt('collate', ['--iterable', '--collate'], false);
});

test('batch_size=None, iterable, 2 workers: fetch and collate stop in a worker', async () => {
  await stopsAt('fetch', ['--iterable', '--workers', '2'], false);
  await stopsAt('collate', ['--iterable', '--workers', '2', '--collate'], false);
});

/** The batch index of every stop of a run, continuing each, until the program ends. */
async function stopIndices(s: Session): Promise<number[]> {
  const seen: number[] = [];
  for (;;) {
    const e = await s.ev.nextAny(['stopped', 'terminated'], 60_000);
    if (e.event === 'terminated') return seen;
    const stop = e.body as Stopped;
    seen.push(stop.batch!.index);
    await s.dc.continueRequest({ threadId: stop.threadId! });
  }
}

test('hitCondition `% 2` on fetch with 2 workers stops batches 1, 3, 5, 7 (batch order, not arrival order)', async () => {
  const s = await launch(['--n', '32', '--batch-size', '4', '--workers', '2'], {
    functionBreakpoints: [{ name: 'fetch', hitCondition: '% 2' }],
  });
  try {
    assert.deepEqual(await stopIndices(s), [1, 3, 5, 7]);
    assert.match(s.ev.output(), /done steps=8 /);
  } finally {
    await close(s);
  }
});

test('a condition and `% 2` with 2 workers count only the batches whose condition holds, in batch order', async () => {
  // Batches 2..7 satisfy the condition; every second of them stops: 3, 5, 7.
  const s = await launch(['--n', '32', '--batch-size', '4', '--workers', '2'], {
    functionBreakpoints: [{ name: 'collate', condition: 'batch_index >= 2', hitCondition: '% 2' }],
  });
  try {
    assert.deepEqual(await stopIndices(s), [3, 5, 7]);
    assert.match(s.ev.output(), /done steps=8 /);
  } finally {
    await close(s);
  }
});

test('nan_inf: a batch holding a NaN stops at batch_ready with `nan_inf`, naming the tensor', async () => {
  const s = await launch(
    ['--n', '8', '--workers', '2', '--collate', '--nan-at', '5'],
    { filters: ['nan_inf'] },
    { program: UNBATCHED },
  );
  try {
    const stop = await stopped(s);
    assert.equal(stop.reason, 'exception');
    assert.equal(stop.text, 'nan_inf');
    assert.equal(stop.stage, 'batch_ready');
    assert.equal(stop.batch?.index, 5);
    assert.ok(stop.threadId! >= 100, 'collate ran in a worker');
    const info = await s.dc.exceptionInfoRequest({ threadId: stop.threadId! });
    assert.equal(info.body.exceptionId, 'nan_inf');
    assert.match(info.body.description ?? '', /batch\['x'\] \(1\)/);
    await s.dc.continueRequest({ threadId: stop.threadId! });
    await runsToEnd(s, 8);
    assert.equal(s.ev.pending('stopped').length, 0, 'only the NaN batch stops');
  } finally {
    await close(s);
  }
});

async function fetchErrorAt7(workerArgs: string[]): Promise<void> {
  // Batch size 3: batch 2 holds indices [6, 7, 8], and sample 7 raises.
  const s = await launch(['--n', '12', '--batch-size', '3', '--fetch-error-at', '7', ...workerArgs], {
    filters: ['fetch_error'],
  });
  try {
    const stop = await stopped(s);
    assert.equal(stop.reason, 'exception');
    assert.equal(stop.text, 'fetch_error');
    assert.equal(stop.batch?.index, 2);
    assert.match(stop.description ?? '', /ValueError: sample 7 is corrupt/);
    assert.match(stop.description ?? '', /sample 7, position 1 of indices \[6, 7, 8\]/);
    const { frames, scopes } = await topScopes(s.dc, stop.threadId!);
    const line = lineOf('FETCH-ERROR-LINE');
    assert.equal(frames[0].line, line, JSON.stringify(frames.map((f) => [f.name, f.line])));
    assert.ok(frames[0].source?.path?.endsWith('loader.py'));
    assert.equal(findVar(scopes, 'failing_index')?.value, '7');
    assert.equal(findVar(scopes, 'indices')?.value.replace(/\s/g, ''), '[6,7,8]');
    await s.dc.continueRequest({ threadId: stop.threadId! });
    const exited = await s.ev.next('exited', 60_000);
    assert.notEqual(exited.body.exitCode, 0, 'the error reaches the training loop');
  } finally {
    await close(s);
  }
}

test('fetch_error, no workers: the top frame is the raising line, and sample 7 of [6, 7, 8] is named', async () => {
  await fetchErrorAt7([]);
});

test('fetch_error, 2 workers: the same in the worker', async () => {
  await fetchErrorAt7(['--workers', '2']);
});

test('fetch_error through a user __getitems__: the raising line, and the index that fails alone', async () => {
  await fetchErrorAt7(['--getitems']);
});
