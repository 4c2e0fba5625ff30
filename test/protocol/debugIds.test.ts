// The TypeScript side of the controller wire agrees with protocol/vectors/debug-ids.json, the file
// the Python side (runtime/tests/test_debug_units.py) is checked against too: thread and frame ids,
// the label frame's depth, the stage names and the exception filter ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  FILTERS,
  FRAME_STRIDE,
  LABEL_DEPTH,
  MAIN_THREAD_ID,
  STAGES,
  frameId,
  pinThreadId,
  workerThreadId,
} from '../../protocol/debug';
import { EXCEPTION_FILTERS } from '../../src/dap/launchConfig';
import { placeOf, withBatchLabel } from '../../src/dap/session';

interface Ids {
  threads: { role: 'main' | 'pin' | 'worker'; loader?: number; worker?: number; threadId: number }[];
  frames: { threadId: number; depth: number; frameId: number }[];
  stages: string[];
  filters: string[];
}
const ids = JSON.parse(readFileSync(resolve('protocol/vectors/debug-ids.json'), 'utf8')) as Ids;

test('thread ids: main 1, pin 2+L, worker 100·(L+1)+w, as in debug-ids.json', () => {
  assert.ok(ids.threads.length >= 3);
  for (const t of ids.threads) {
    if (t.role === 'main') assert.equal(MAIN_THREAD_ID, t.threadId);
    else if (t.role === 'pin') assert.equal(pinThreadId(t.loader!), t.threadId, JSON.stringify(t));
    else assert.equal(workerThreadId(t.loader!, t.worker!), t.threadId, JSON.stringify(t));
  }
});

test('frame ids are threadId·100 + depth; the label depth is a frame depth no controller frame reaches', () => {
  assert.ok(ids.frames.length >= 2);
  for (const f of ids.frames) assert.equal(frameId(f.threadId, f.depth), f.frameId, JSON.stringify(f));
  assert.equal(LABEL_DEPTH, 99);
  assert.equal(LABEL_DEPTH, FRAME_STRIDE - 1);
  // The adapter's label frame uses the same formula and its scopes request is recognised by it.
  const label = withBatchLabel(
    { stackFrames: [{ id: frameId(103, 0), name: 'collate', line: 1, column: 1 }], totalFrames: 1 },
    { threadId: 103 },
    { threadId: 103, batch: { loader: 'train_loader', epoch: 0, index: 7 } },
  );
  const last = label.stackFrames.at(-1)!;
  assert.equal(last.id, frameId(103, LABEL_DEPTH));
  assert.equal(last.id % FRAME_STRIDE, LABEL_DEPTH);
  assert.match(last.name, /^batch 7 · worker 3 · train_loader · epoch 0$/);
});

test('placeOf names each thread kind the way the ids are built', () => {
  assert.equal(placeOf(MAIN_THREAD_ID), 'main process');
  assert.equal(placeOf(pinThreadId(1)), 'pin-memory thread');
  assert.equal(placeOf(workerThreadId(1, 2)), 'worker 2');
});

test('stages and exception filters are the lists debug-ids.json (and wire.py) hold', () => {
  assert.deepEqual([...STAGES], ids.stages);
  assert.deepEqual([...FILTERS], ids.filters);
  assert.deepEqual(
    EXCEPTION_FILTERS.map((f) => f.filter),
    ids.filters,
  );
});
