// The safetensors core against files written by the real `safetensors` library; ground truth from torch
// (test/fixtures/builders/e_safetensors.py writes expected.json next to the files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readSafetensorsHeader, SafetensorsError } from '../../src/core/weights/header';
import { tensorStats } from '../../src/core/weights/stats';
import { openSafetensorsModel } from '../../src/core/weights/model';
import { compareModels, sortCompareRows } from '../../src/core/weights/compare';

const DIR = resolve(process.env.BATCHSCOPE_FIXTURES ?? 'test/.fixtures', 'safetensors');
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8'));

type Exp = {
  count: number;
  nan: number;
  inf: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
};

function close(actual: number | null, want: number | null, what: string): void {
  if (want === null) return assert.equal(actual, null, what);
  assert.ok(actual !== null, `${what}: got null, want ${want}`);
  const tol = 1e-9 * Math.max(1, Math.abs(want));
  assert.ok(Math.abs(actual - want) <= tol, `${what}: got ${actual}, want ${want}`);
}

function checkStats(name: string, got: Awaited<ReturnType<typeof tensorStats>>, want: Exp): void {
  assert.equal(got.count, want.count, `${name} count`);
  assert.equal(got.nan, want.nan, `${name} nan`);
  assert.equal(got.inf, want.inf, `${name} inf`);
  for (const k of ['min', 'max', 'mean', 'std'] as const) close(got[k], want[k], `${name} ${k}`);
}

test('header: names, dtypes, shapes and absolute offsets match the file written by safetensors', async () => {
  const h = await readSafetensorsHeader(join(DIR, 'dtypes.safetensors'));
  const want = expected['dtypes.safetensors'];
  assert.equal(h.fileSize, want.size);
  assert.deepEqual(h.metadata, want.header.__metadata__);
  const names = Object.keys(want.header).filter((k) => k !== '__metadata__');
  assert.equal(h.tensors.length, names.length);
  for (const t of h.tensors) {
    const e = want.header[t.name];
    assert.equal(t.dtype, e.dtype, t.name);
    assert.deepEqual(t.shape, e.shape, t.name);
    assert.deepEqual(t.dataOffsets, e.data_offsets, t.name);
    assert.equal(t.offset, h.dataStart + e.data_offsets[0]);
    assert.equal(t.error, undefined, t.name);
  }
  // File order: offsets ascend.
  assert.ok(h.tensors.every((t, i) => i === 0 || t.offset >= h.tensors[i - 1].offset));
  assert.deepEqual(h.problems, []);
});

test('stats for every dtype (F32 F16 BF16 F64 F8 I* U8 BOOL, NaN/Inf, scalar, empty) match torch', async () => {
  const h = await readSafetensorsHeader(join(DIR, 'dtypes.safetensors'));
  const want = expected['dtypes.safetensors'].stats as Record<string, Exp>;
  for (const t of h.tensors) checkStats(t.name, await tensorStats(t), want[t.name]);
});

test('stats read in small chunks agree with one-chunk reads (chunk merging is exact)', async () => {
  const h = await readSafetensorsHeader(join(DIR, 'dtypes.safetensors'));
  const big = h.tensors.find((t) => t.name === 'big.weight')!;
  let reads = 0;
  const s = await tensorStats(big, { chunkBytes: 64 * 1024 + 3, onProgress: () => reads++ });
  assert.ok(reads > 15, `expected many chunks, got ${reads}`);
  checkStats('big.weight', s, expected['dtypes.safetensors'].stats['big.weight']);
  const bf = h.tensors.find((t) => t.name === 'bf16.special')!;
  checkStats(
    'bf16.special (8-byte chunks)',
    await tensorStats(bf, { chunkBytes: 8 }),
    expected['dtypes.safetensors'].stats['bf16.special'],
  );
});

test('a sharded index opens as one model; stats come from the right shard', async () => {
  const m = await openSafetensorsModel(join(DIR, 'sharded', 'model.safetensors.index.json'));
  assert.equal(m.kind, 'index');
  assert.equal(m.shards.length, 2);
  assert.deepEqual(m.problems, []);
  const map = expected.sharded.weight_map as Record<string, string>;
  assert.deepEqual(m.tensors.map((t) => t.name).sort(), Object.keys(map).sort());
  for (const t of m.tensors) {
    assert.ok(t.file.endsWith(map[t.name]), `${t.name} in ${t.file}`);
    checkStats(t.name, await tensorStats(t), expected.sharded.stats[t.name]);
  }
  const folder = await openSafetensorsModel(join(DIR, 'sharded'));
  assert.equal(folder.kind, 'folder');
  assert.equal(folder.tensors.length, m.tensors.length);
});

test('compare: exactly the changed tensor is reported, with the relative norm torch computes', async () => {
  const a = await openSafetensorsModel(join(DIR, 'ckpt_a'));
  const b = await openSafetensorsModel(join(DIR, 'ckpt_b', 'model.safetensors'));
  const rows = sortCompareRows(await compareModels(a, b, { chunkBytes: 40 }));
  const want = expected.compare as Record<string, { diff_norm: number; norm_a: number; rel: number }>;
  assert.equal(rows.length, Object.keys(want).length);
  assert.equal(rows[0].name, 'layers.0.weight');
  assert.equal(rows[0].status, 'changed');
  for (const r of rows) {
    const w = want[r.name];
    assert.equal(r.status, w.diff_norm === 0 ? 'unchanged' : 'changed', r.name);
    close(r.diffNorm!, w.diff_norm, `${r.name} diff`);
    close(r.normA!, w.norm_a, `${r.name} norm`);
    close(r.relChange!, w.rel, `${r.name} rel`);
  }
});

test('compare: tensors present on one side only, and different shapes, are listed as such', async () => {
  const a = await openSafetensorsModel(join(DIR, 'ckpt_a'));
  const s = await openSafetensorsModel(join(DIR, 'sharded'));
  const rows = await compareModels(a, s);
  const by = Object.fromEntries(rows.map((r) => [r.name, r.status]));
  assert.equal(by['layers.0.bias'], 'only-a');
  assert.equal(by['embed.weight'], 'changed');
  const one = await openSafetensorsModel(join(DIR, 'dtypes.safetensors'));
  const rows2 = await compareModels(one, a);
  assert.ok(rows2.some((r) => r.status === 'only-b' && r.name === 'lm_head.weight'));
});

test('corrupt header: clear error naming the file and the byte offset of the JSON error', async () => {
  const file = join(DIR, 'corrupt_header.safetensors');
  await assert.rejects(readSafetensorsHeader(file), (err: unknown) => {
    assert.ok(err instanceof SafetensorsError);
    assert.equal(err.file, file);
    // The builder kept the first 40 bytes of JSON and padded with spaces: the fault is where content stops.
    assert.equal(err.byteOffset, 8 + 40);
    assert.match(
      err.message,
      /corrupt_header\.safetensors: byte \d+: header is not valid JSON \(Unterminated string\)$/,
    );
    return true;
  });
});

test('header length past the end of the file: error at byte 0 with the file size', async () => {
  await assert.rejects(
    readSafetensorsHeader(join(DIR, 'bad_length.safetensors')),
    /bad_length\.safetensors: byte 0: header length \d+ runs past the end of the file \(\d+ bytes\)/,
  );
});

test('truncated file: header still lists every tensor; the cut one carries the error, stats refuse it', async () => {
  const h = await readSafetensorsHeader(join(DIR, 'truncated.safetensors'));
  const bad = h.tensors.filter((t) => t.error);
  assert.equal(bad.length, 1);
  assert.match(bad[0].error!, /past the end of the file/);
  assert.equal(h.problems.length, 1);
  assert.equal(h.problems[0].byteOffset, bad[0].offset + bad[0].byteLength);
  await assert.rejects(tensorStats(bad[0]), /truncated\.safetensors: tensor ".*": data ends at byte \d+, past the end/);
  const good = h.tensors.find((t) => !t.error)!;
  assert.equal((await tensorStats(good)).count, good.numel);
});

test('not a safetensors file at all (a text file, a tiny file): errors, not crashes', async () => {
  await assert.rejects(readSafetensorsHeader(join(DIR, 'expected.json')), /expected\.json: byte 0: header length/);
  await assert.rejects(openSafetensorsModel(join(DIR, 'nope')), /ENOENT/);
});

test('a 10 GiB shard (sparse file): the header costs two small reads; stats read only the tensor asked for', async (t) => {
  const { mkdtempSync, openSync, writeSync, ftruncateSync, closeSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'bs-st-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'model-00001-of-00004.safetensors');
  const big = 10 * 2 ** 30;
  let json = JSON.stringify({
    __metadata__: { format: 'pt' },
    'big.weight': { dtype: 'BF16', shape: [big / 2], data_offsets: [0, big] },
    tail: { dtype: 'F32', shape: [4], data_offsets: [big, big + 16] },
  });
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = Buffer.alloc(8 + json.length);
  head.writeBigUInt64LE(BigInt(json.length), 0);
  head.write(json, 8, 'utf8');
  const fd = openSync(file, 'w');
  writeSync(fd, head, 0, head.length, 0);
  ftruncateSync(fd, head.length + big + 16);
  writeSync(fd, Buffer.from(new Float32Array([1, -2, Number.NaN, 5]).buffer), 0, 16, head.length + big);
  closeSync(fd);

  const t0 = performance.now();
  const h = await readSafetensorsHeader(file);
  assert.ok(performance.now() - t0 < 1000);
  assert.equal(h.fileSize, head.length + big + 16);
  assert.deepEqual(h.problems, []);
  const tail = h.tensors.find((x) => x.name === 'tail')!;
  assert.equal(tail.offset, head.length + big);
  let bytesRead = 0;
  const s = await tensorStats(tail, { onProgress: (done) => (bytesRead = done) });
  assert.equal(bytesRead, 16);
  assert.deepEqual([s.min, s.max, s.nan, s.count], [-2, 5, 1, 4]);
  // Cancelling a long statistics read stops it.
  const ac = new AbortController();
  const bigT = h.tensors.find((x) => x.name === 'big.weight')!;
  const p = tensorStats(bigT, { signal: ac.signal, onProgress: () => ac.abort() });
  await assert.rejects(p, /cancelled/);
});

test('a bad entry in the header names the tensor and the byte offset of its key', async () => {
  const { parseSafetensorsHeader } = await import('../../src/core/weights/header');
  const json = '{"ok":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"bad":{"shape":[2],"data_offsets":[4,12]}}';
  const bytes = new TextEncoder().encode(json);
  assert.throws(
    () => parseSafetensorsHeader('m.safetensors', 8 + bytes.length + 12, bytes),
    (err: unknown) => {
      assert.ok(err instanceof SafetensorsError);
      assert.equal(err.byteOffset, 8 + json.indexOf('"bad"'));
      assert.match(err.message, /^m\.safetensors: byte \d+: tensor "bad" has no dtype$/);
      return true;
    },
  );
  const sizeMismatch = new TextEncoder().encode('{"t":{"dtype":"BF16","shape":[3],"data_offsets":[0,4]}}');
  const h = parseSafetensorsHeader('m.safetensors', 8 + sizeMismatch.length + 4, sizeMismatch);
  assert.match(h.tensors[0].error!, /is 6 bytes but data_offsets span 4/);
  assert.equal(h.problems.length, 1);
});
