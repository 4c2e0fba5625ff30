// What the panel receives for a sharded model, an index with a missing shard, and the checkpoint pick order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openSafetensorsModel } from '../../../src/core/weights/model';
import { compareCheckpointDirs, modelView } from '../../../src/panels/weights/view';

const DIR = resolve(process.env.BATCHSCOPE_FIXTURES ?? 'test/.fixtures', 'safetensors');

test('model view of a sharded index: every tensor with its shard, sizes, metadata, JSON-clean', async () => {
  const v = modelView(await openSafetensorsModel(join(DIR, 'sharded', 'model.safetensors.index.json')));
  assert.equal(v.kind, 'index');
  assert.equal(v.title, 'model.safetensors.index.json');
  assert.deepEqual(
    v.shards.map((s) => [s.file, s.tensors]),
    [
      ['model-00001-of-00002.safetensors', 2],
      ['model-00002-of-00002.safetensors', 2],
    ],
  );
  const bf = v.tensors.find((t) => t.name === 'layers.1.weight')!;
  assert.deepEqual([bf.dtype, bf.shape, bf.bytes, bf.file], ['BF16', [8, 8], 128, 'model-00002-of-00002.safetensors']);
  assert.equal(v.totalBytes, Number(v.metadata.total_size));
  assert.deepEqual(JSON.parse(JSON.stringify(v)), v);
});

test('an index naming a missing shard still opens, with the problem named', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-idx-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(DIR, 'sharded'), dir, { recursive: true });
  unlinkSync(join(dir, 'model-00002-of-00002.safetensors'));
  const m = await openSafetensorsModel(dir);
  assert.equal(m.tensors.length, 2);
  assert.equal(m.problems.length, 1);
  assert.match(m.problems[0].file, /model-00002-of-00002\.safetensors$/);
  assert.match(m.problems[0].message, /does not exist/);
});

test('checkpoint folders sort newest first by step number', () => {
  const dirs = ['/o/checkpoint-9', '/o/checkpoint-10', '/o/checkpoint-100', '/base'];
  assert.deepEqual([...dirs].sort(compareCheckpointDirs), [
    '/base',
    '/o/checkpoint-100',
    '/o/checkpoint-10',
    '/o/checkpoint-9',
  ]);
});
