// The stage debugger end to end: DebugClient → adapter (stdio) → the real runtime → a real torch
// DataLoader on CPU (test/debug/programs/loader.py). Cases 1, 2, 6, 7, 8 and 11 of the issue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import {
  PROGRAM,
  PYTHON,
  RUNTIME,
  TOKENIZER,
  close,
  evaluate,
  findVar,
  launch,
  topScopes,
  vars,
  type Session,
} from './harness';

type Stopped = DebugProtocol.StoppedEvent['body'] & {
  stage?: string;
  batch?: { loader: string; epoch: number; index: number };
};

const SENTENCES = [
  'The quick brown fox jumps over the lazy dog.',
  'Give three tips for staying healthy.',
  'What is the capital of France?',
  'Translate to German: good morning.',
];

async function stopped(s: Session, ms = 30_000): Promise<Stopped> {
  return (await s.ev.next('stopped', ms)).body as Stopped;
}

/** Waits for the end of the program and checks it ran to completion. */
async function runsToEnd(s: Session, expectOutput: RegExp): Promise<void> {
  await s.ev.next('terminated', 60_000);
  assert.match(s.ev.output(), expectOutput);
  const exited = s.ev.all.find((e) => e.event === 'exited');
  assert.equal(exited?.body.exitCode, 0, s.ev.output().slice(-2000));
}

/** Case 1/2: break at collate of batch 3, inspect, step through the stages, continue to the end. */
async function collateBatch3(workerArgs: string[]): Promise<void> {
  const s = await launch(['--n', '24', '--batch-size', '4', '--tokenizer', TOKENIZER, ...workerArgs], {
    functionBreakpoints: [{ name: 'collate', condition: 'batch_index == 3' }],
  });
  try {
    // A bound, not a timing: spawn workers each import torch first, which on a loaded 2-core machine
    // takes 20-40 s (measured at load 11; our own import in a worker is ~0.35 s of that).
    const stop = await stopped(s, 120_000);
    assert.equal(stop.reason, 'function breakpoint');
    assert.equal(stop.stage, 'collate');
    assert.equal(stop.batch?.index, 3);
    const workers = workerArgs.includes('--workers');
    if (workers) assert.ok(stop.threadId! >= 100, `collate runs in a worker thread (got ${stop.threadId})`);
    else assert.equal(stop.threadId, 1);

    let threads = (await s.dc.threadsRequest()).body.threads;
    assert.ok(
      threads.some((t) => t.id === stop.threadId),
      'stopped thread is listed',
    );
    if (workers) {
      // Under spawn a busy machine may still be importing torch in the other worker: it is listed once it reports.
      for (let i = 0; i < 100 && threads.filter((t) => t.id >= 100).length < 2; i++) {
        await new Promise((r) => setTimeout(r, 300));
        threads = (await s.dc.threadsRequest()).body.threads;
      }
      const w = threads.filter((t) => t.id >= 100);
      assert.equal(w.length, 2, `two worker threads: ${JSON.stringify(threads)}`);
      for (const t of w) assert.match(t.name, /pid \d+/);
    }

    const { frames, scopes } = await topScopes(s.dc, stop.threadId!);
    assert.match(frames[0].name, /collate/);
    assert.ok(
      frames[0].source?.path?.endsWith('loader.py'),
      `collate frame points at the user's collate: ${JSON.stringify(frames[0])}`,
    );
    assert.ok(
      frames.some((f) => f.presentationHint === 'label'),
      'a label frame names the batch',
    );
    const indices = findVar(scopes, 'indices');
    assert.equal(indices?.value.replace(/\s/g, ''), '[12,13,14,15]');
    assert.equal(await evaluate(s.dc, frames[0].id, 'len(samples)'), '4');
    assert.equal(
      await evaluate(s.dc, frames[0].id, '[s["index"] for s in samples]').then((r) => r.replace(/\s/g, '')),
      '[12,13,14,15]',
    );

    // next → batch_ready: the collated batch, tensors summarised, ids decoded.
    await s.dc.nextRequest({ threadId: stop.threadId! });
    const ready = await stopped(s);
    assert.equal(ready.reason, 'step');
    assert.equal(ready.stage, 'batch_ready');
    assert.equal(ready.batch?.index, 3);
    const after = await topScopes(s.dc, ready.threadId!);
    const batch = findVar(after.scopes, 'batch');
    assert.ok(batch && batch.variablesReference > 0, 'batch is expandable');
    const fields = await vars(s.dc, batch.variablesReference);
    const inputIds = fields.get('input_ids')!;
    assert.match(inputIds.value, /\[4, \d+\].*int64.*cpu/);
    const summary = await vars(s.dc, inputIds.variablesReference);
    for (const k of ['shape', 'dtype', 'device', 'min', 'max', 'mean', 'padding_ratio'])
      assert.ok(summary.has(k), `input_ids has ${k}: ${[...summary.keys()]}`);
    const decoded = summary.get('decoded');
    assert.ok(decoded, 'input_ids decoded through the tokenizer');
    const rows = [...(await vars(s.dc, decoded.variablesReference)).values()].map((v) => v.value);
    assert.ok(rows[0].includes(`sample 12: ${SENTENCES[0]}`), `row 0 decodes to sample 12: ${rows[0]}`);
    const labels = await vars(s.dc, fields.get('labels')!.variablesReference);
    const lrows = [...(await vars(s.dc, labels.get('decoded')!.variablesReference)).values()].map((v) => v.value);
    assert.ok(lrows[1].includes(SENTENCES[1]), `labels row 1 keeps the answer: ${lrows[1]}`);
    assert.ok(!lrows[1].includes('sample 13'), `labels row 1 masks the prompt: ${lrows[1]}`);

    // next → the main process's to_device, then train_step of the same batch.
    await s.dc.nextRequest({ threadId: ready.threadId! });
    const dev = await stopped(s);
    assert.equal(dev.stage, 'to_device');
    assert.equal(dev.threadId, 1);
    assert.equal(dev.batch?.index, 3);
    await s.dc.nextRequest({ threadId: 1 });
    const stepStop = await stopped(s);
    assert.equal(stepStop.stage, 'train_step');
    assert.equal(stepStop.batch?.index, 3);

    await s.dc.continueRequest({ threadId: 1 });
    await runsToEnd(s, /done steps=6 /);
    // Batch progress reached the client as DAP progress events (it said it supports them).
    const starts = s.ev.all.filter((e) => e.event === 'progressStart');
    assert.ok(starts.length >= 1, 'progressStart sent');
    assert.match(starts[0].body.title, /train_loader · epoch 0/);
    assert.ok(
      s.ev.all.some((e) => e.event === 'progressEnd' && e.body.progressId === starts[0].body.progressId),
      'progress ended',
    );
  } finally {
    await close(s);
  }
}

test('case 1: collate breakpoint on batch 3, no workers: inspect, decode, step, run to the end', () =>
  collateBatch3([]));

test('case 2: the same with num_workers=2 (fork)', () => collateBatch3(['--workers', '2', '--start-method', 'fork']));

test('case 2: the same with num_workers=2 (spawn)', () => collateBatch3(['--workers', '2', '--start-method', 'spawn']));

test('case 8: shuffle with a seeded generator: the stopped batch has the indices the plain DataLoader yields', async () => {
  const dump = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bs-ix-')), 'plain.jsonl');
  const argv = ['--n', '20', '--batch-size', '3', '--shuffle', '--seed', '1234', '--workers', '2'];
  execFileSync(PYTHON, [PROGRAM, ...argv, '--dump-indices', dump], {
    env: { ...process.env, PYTHONPATH: RUNTIME },
    stdio: 'ignore',
  });
  const plain = fs
    .readFileSync(dump, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { batch: number; indices: number[] });
  const s = await launch(argv, { functionBreakpoints: [{ name: 'fetch', condition: 'batch_index == 4' }] });
  try {
    const stop = await stopped(s);
    assert.equal(stop.batch?.index, 4);
    const { scopes } = await topScopes(s.dc, stop.threadId!);
    assert.deepEqual(JSON.parse(findVar(scopes, 'indices')!.value), plain[4].indices);
    await s.dc.continueRequest({ threadId: stop.threadId! });
    await runsToEnd(s, /done steps=7 /);
  } finally {
    await close(s);
  }
});

test('case 6: IterableDataset with 2 workers and uneven shards', async () => {
  // worker 0 yields 7 samples (batches of 2 → 4 batches), worker 1 yields 3 (2 batches).
  const s = await launch(['--iterable', '--n', '10', '--first-shard', '7', '--batch-size', '2', '--workers', '2'], {
    functionBreakpoints: [{ name: 'collate', condition: 'worker_id == 1' }],
  });
  try {
    const seen: number[] = [];
    for (;;) {
      const e = await s.ev.nextAny(['stopped', 'terminated']);
      if (e.event === 'terminated') break;
      const stop = e.body as Stopped;
      assert.equal(stop.threadId, 101, 'collate of worker 1 of loader 0');
      const { frames } = await topScopes(s.dc, stop.threadId!);
      seen.push(Number(await evaluate(s.dc, frames[0].id, 'len(samples)')));
      await s.dc.continueRequest({ threadId: stop.threadId! });
    }
    assert.deepEqual(seen, [2, 1], 'worker 1 collates a full and a partial batch');
    assert.match(s.ev.output(), /done steps=6 /);
  } finally {
    await close(s);
  }
});

test('case 7: persistent workers with pin_memory over 2 epochs keep their thread ids', async () => {
  const s = await launch(
    ['--n', '8', '--batch-size', '4', '--workers', '2', '--persistent', '--pin-memory', '--epochs', '2'],
    {
      functionBreakpoints: [{ name: 'fetch' }],
    },
  );
  try {
    const byEpoch = new Map<number, Set<number>>();
    const names = new Map<number, string>();
    for (let i = 0; i < 4; i++) {
      const stop = await stopped(s);
      const epoch = stop.batch!.epoch;
      if (!byEpoch.has(epoch)) byEpoch.set(epoch, new Set());
      byEpoch.get(epoch)!.add(stop.threadId!);
      for (const t of (await s.dc.threadsRequest()).body.threads)
        if (t.id === stop.threadId) names.set(t.id * 10 + epoch, t.name);
      const cont = await s.dc.continueRequest({ threadId: stop.threadId!, singleThread: true });
      assert.equal(cont.body.allThreadsContinued, false, 'single-thread continue resumes only that thread');
    }
    assert.deepEqual([...byEpoch.keys()].sort(), [0, 1]);
    assert.deepEqual([...byEpoch.get(0)!].sort(), [100, 101]);
    assert.deepEqual([...byEpoch.get(1)!].sort(), [100, 101]);
    // Same ids, same pids (persistent), the epoch in the name follows.
    assert.match(names.get(1000)!, /epoch 0/);
    assert.match(names.get(1001)!, /epoch 1/);
    assert.equal(/pid (\d+)/.exec(names.get(1000)!)![1], /pid (\d+)/.exec(names.get(1001)!)![1]);
    await runsToEnd(s, /done steps=4 /);
  } finally {
    await close(s);
  }
});

test('case 11: train and val loaders in one run', async () => {
  const s = await launch(['--n', '8', '--batch-size', '4', '--workers', '2', '--val'], {
    functionBreakpoints: [{ name: 'collate', condition: 'loader == "val_loader"', hitCondition: '2' }],
  });
  try {
    const stop = await stopped(s);
    assert.equal(stop.batch?.loader, 'val_loader');
    assert.equal(stop.batch?.index, 1, 'the 2nd hit is batch 1');
    assert.ok(stop.threadId! >= 200 && stop.threadId! < 300, `val workers are loader 1 (got ${stop.threadId})`);
    const threads = (await s.dc.threadsRequest()).body.threads;
    assert.ok(
      threads.some((t) => /val_loader/.test(t.name)),
      JSON.stringify(threads),
    );
    await s.dc.continueRequest({ threadId: stop.threadId! });
    await runsToEnd(s, /done steps=2 /);
  } finally {
    await close(s);
  }
});

test('stepIn goes to the per-sample fetch, stepOut to the end of the batch, pause stops at the next stage; unknown stage names are refused', async () => {
  const s = await launch(['--n', '400', '--batch-size', '4', '--step-delay', '0.01'], {
    functionBreakpoints: [{ name: 'fetch', condition: 'batch_index == 1' }],
  });
  try {
    const stop = await stopped(s);
    assert.equal(stop.stage, 'fetch');
    await s.dc.stepInRequest({ threadId: 1 });
    const sample = await stopped(s);
    assert.equal(sample.stage, 'sample');
    assert.equal(sample.batch?.index, 1);
    const { frames } = await topScopes(s.dc, 1);
    assert.equal(await evaluate(s.dc, frames[0].id, 'index'), '4', 'the first sample of batch 1');
    await s.dc.stepOutRequest({ threadId: 1 });
    const out = await stopped(s);
    assert.equal(out.stage, 'batch_ready');
    assert.equal(out.batch?.index, 1);
    await s.dc.continueRequest({ threadId: 1 });
    await new Promise((r) => setTimeout(r, 300));
    await s.dc.pauseRequest({ threadId: 1 });
    const paused = await stopped(s);
    assert.equal(paused.reason, 'pause');
    assert.ok(paused.batch!.index > 1, 'paused in a later batch');
    // Python in the stopped stage's frame, as the REPL and watch use it.
    const top = await topScopes(s.dc, 1);
    assert.equal(await evaluate(s.dc, top.frames[0].id, 'batch_index'), String(paused.batch!.index));
    await assert.rejects(evaluate(s.dc, top.frames[0].id, 'undefined_name_xyz'), /NameError/);
    const bps = await s.dc.setFunctionBreakpointsRequest({
      breakpoints: [
        { name: 'collate', condition: 'batch_index ==' },
        { name: 'no_such_stage' },
        { name: 'train_step', hitCondition: '% 3' },
      ],
    });
    assert.deepEqual(
      bps.body.breakpoints.map((b) => b.verified),
      [false, false, true],
    );
    assert.match(bps.body.breakpoints[0].message ?? '', /condition/);
    assert.match(bps.body.breakpoints[1].message ?? '', /no_such_stage/);
  } finally {
    await close(s);
  }
});
