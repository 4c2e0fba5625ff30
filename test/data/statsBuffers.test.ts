// Stats of a tokenized Arrow file read from its raw buffers (arrowListScan.ts + stats.ts) against the same
// numbers computed row by row in Python over pyarrow's lists: null rows, empty rows, padding on both ends,
// mask rows of another length, int64 labels above 2^31 and below −2^31 whose low word is −100, other
// negative labels, sliced tables, empty batches, int64 / uint64 / large_list layouts, and compressed
// bodies (which take the decode fallback). The generic row path (a source without raw buffers) must agree.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openDataset } from '../../src/core/datasets/open';
import { computeColumnStats } from '../../src/core/datasets/columnStats';
import { computeStats } from '../../src/core/datasets/stats';
import type { DatasetSource, StatsOptions } from '../../src/core/datasets/types';

const PY = process.env.BATCHSCOPE_TEST_PYTHON ?? resolve(__dirname, '../../.venv/bin/python');
const dir = mkdtempSync(join(tmpdir(), 'bs-stats-buf-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const OPTIONS: Record<string, StatsOptions> = {
  plain: { cutoffLen: 6 },
  eos_bos: { cutoffLen: 6, eosId: 2, bosId: 1 },
  pad: { cutoffLen: 6, padId: 0, eosId: 2 },
  pad_is_eos: { cutoffLen: 6, padId: 2, eosId: 2 },
};

const WRITER = `
import json, sys, random
import pyarrow as pa, pyarrow.ipc as ipc
out = sys.argv[1]
random.seed(11)
OPTIONS = json.loads(sys.argv[2])
n = 400
ids, mask, labels = [], [], []
for i in range(n):
    if i % 37 == 5:
        ids.append(None)
    elif i % 41 == 7:
        ids.append([])
    else:
        k = random.randint(1, 12)
        row = [random.choice([0, 1, 2, 3, 4, 5, 30000]) for _ in range(k)]
        if i % 3 == 0: row = [0] * random.randint(0, 3) + row + [0] * random.randint(0, 3)
        if i % 5 == 0: row = [1, 1] + row
        if i % 4 == 0: row = row + [2]
        ids.append(row)
    r = ids[-1]
    if r is None or i % 29 == 3:
        mask.append(None if i % 2 else [1] * random.randint(0, 4))
    elif i % 23 == 4:
        mask.append([1] * (len(r) + 1))  # another length: padding comes from the pad id, if any
    else:
        mask.append([0 if (x == 0 and random.random() < 0.8) else random.choice([1, 1, 1, 2]) for x in r])
    if i % 31 == 6:
        labels.append(None)
    else:
        m = len(r) if r is not None else random.randint(0, 5)
        if i % 19 == 2: m += 1
        pool = [-100, -100, -100, 5, 70000, -1, -200, 2**31 + 5, 2**32 - 100, -(2**32) - 100, -(2**31) - 1]
        labels.append([random.choice(pool) for _ in range(m)])

def truth(opt):
    eos, bos, pad = opt.get("eosId"), opt.get("bosId"), opt.get("padId")
    cut = opt["cutoffLen"]
    lens = []; c = dict(rows=0, trained=0, positions=0, noTrained=0, mismatch=0, padding=0, padPositions=0, noEos=0, doubleBos=0, atOrOver=0)
    for i in range(n):
        c["rows"] += 1
        r, m, lab = ids[i], mask[i], labels[i]
        if r is not None:
            first, last = 0, len(r) - 1
            if m is not None and len(m) == len(r):
                while first <= last and m[first] == 0: first += 1
                while last >= first and m[last] == 0: last -= 1
                c["padding"] += sum(1 for x in m if x == 0); c["padPositions"] += len(r)
            elif pad is not None:
                if pad != eos:
                    while first <= last and r[first] == pad: first += 1
                    while last >= first and r[last] == pad: last -= 1
                else:
                    while last > first and r[last] == pad and r[last - 1] == pad: last -= 1
                c["padding"] += len(r) - (last - first + 1); c["padPositions"] += len(r)
            L = max(0, last - first + 1)
            lens.append(L)
            if L >= cut: c["atOrOver"] += 1
            if eos is not None and not (last >= first and r[last] == eos): c["noEos"] += 1
            if bos is not None and last - first >= 1 and r[first] == bos and r[first + 1] == bos: c["doubleBos"] += 1
        if lab is not None:
            t = sum(1 for x in lab if x != -100)
            c["trained"] += t; c["positions"] += len(lab)
            if t == 0: c["noTrained"] += 1
            if r is not None and len(lab) != len(r): c["mismatch"] += 1
    c["lengths"] = lens
    c["idLenMax"] = max(len(r) for r in ids if r is not None)
    return c

def write(name, t, compression=None, sizes=(50, 0, 113, 1, 236)):
    opts = ipc.IpcWriteOptions(compression=compression)
    with pa.OSFile(f"{out}/{name}.arrow", "wb") as f, ipc.new_stream(f, t.schema, options=opts) as w:
        at = 0
        for s in sizes:
            part = t.slice(at, s)  # a slice: its arrays start at an offset, as pyarrow writes them
            for b in (part.to_batches() if s else [pa.RecordBatch.from_pylist([], schema=t.schema)]):
                w.write_batch(b)
            at += s

def table(id_t, mask_t, lab_t, large=False):
    L = pa.large_list if large else pa.list_
    return pa.table({
        "input_ids": pa.array(ids, L(id_t)),
        "attention_mask": pa.array(mask, L(mask_t)),
        "labels": pa.array(labels, L(lab_t)),
    })

write("i32", table(pa.int32(), pa.int8(), pa.int64()))
write("i32_lz4", table(pa.int32(), pa.int8(), pa.int64()), compression="lz4")
write("i64", table(pa.int64(), pa.int64(), pa.int64()))
write("large", table(pa.int32(), pa.int8(), pa.int64(), large=True))
write("i16_u8", table(pa.int16(), pa.uint8(), pa.int64()))
# A table sliced away from its start: the offsets pyarrow writes for it.
big = pa.concat_tables([table(pa.int32(), pa.int8(), pa.int64())] * 2)
with pa.OSFile(f"{out}/sliced.arrow", "wb") as f, ipc.new_stream(f, big.schema) as w:
    for b in big.slice(n - 50, n).to_batches(max_chunksize=120):
        w.write_batch(b)
rot = list(range(n - 50, n)) + list(range(0, n - 50))
json.dump({k: truth(v) for k, v in OPTIONS.items()}, open(f"{out}/truth.json", "w"))
ids, mask, labels = [ids[i] for i in rot], [mask[i] for i in rot], [labels[i] for i in rot]
json.dump({k: truth(v) for k, v in OPTIONS.items()}, open(f"{out}/truth_sliced.json", "w"))
`;
const r = spawnSync(PY, ['-c', WRITER, dir, JSON.stringify(OPTIONS)], { encoding: 'utf8' });
if (r.status !== 0) throw new Error(r.stderr);

type Truth = Record<string, number> & { lengths: number[]; idLenMax: number };
const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Record<string, Truth>;
const truthSliced = JSON.parse(readFileSync(join(dir, 'truth_sliced.json'), 'utf8')) as Record<string, Truth>;

function check(s: Awaited<ReturnType<typeof computeStats>>, t: Truth, what: string) {
  assert.equal(s.rows, t.rows, `${what}: rows`);
  assert.equal(s.errors.length, 0, `${what}: ${s.errors[0]?.message}`);
  assert.equal(s.atOrOverCutoff, t.atOrOver, `${what}: atOrOverCutoff`);
  assert.equal(s.minLength, Math.min(...t.lengths), `${what}: min`);
  assert.equal(s.maxLength, Math.max(...t.lengths), `${what}: max`);
  assert.ok(Math.abs(s.meanLength - t.lengths.reduce((a, b) => a + b, 0) / t.lengths.length) < 1e-9, `${what}: mean`);
  assert.equal(s.trainedTokenRatio, t.trained / t.positions, `${what}: trained ratio`);
  assert.equal(s.rowsWithNoTrainedTokens, t.noTrained, `${what}: rows with no trained tokens`);
  assert.equal(s.rowsWithLengthMismatch, t.mismatch, `${what}: length mismatches`);
  assert.equal(s.paddingFraction, t.padPositions ? t.padding / t.padPositions : 0, `${what}: padding`);
  if (s.rowsWithoutEos !== null) assert.equal(s.rowsWithoutEos, t.noEos, `${what}: rows without EOS`);
  if (s.rowsWithDoubleBos !== null) assert.equal(s.rowsWithDoubleBos, t.doubleBos, `${what}: double BOS`);
  assert.equal(
    s.histogram.reduce((a, b) => a + b.count, 0),
    t.lengths.length,
    `${what}: histogram covers every row with ids`,
  );
}

/** The same source seen without its raw-buffer scans: stats go through readRows, row by row. */
function rowsOnly(src: DatasetSource): DatasetSource {
  return {
    format: src.format,
    numRows: src.numRows,
    columns: src.columns,
    notes: src.notes,
    errors: src.errors,
    readRows: (o, l, sig) => src.readRows(o, l, sig),
    close: () => src.close(),
  } as DatasetSource;
}

for (const name of ['i32', 'i32_lz4', 'i64', 'large', 'i16_u8', 'sliced']) {
  test(`stats from raw buffers of ${name}.arrow equal the Python row-by-row numbers`, async () => {
    const src = await openDataset(join(dir, `${name}.arrow`));
    try {
      assert.ok('scanLists' in src, 'an Arrow source offers raw-buffer scans');
      for (const [k, opt] of Object.entries(OPTIONS)) {
        const t = (name === 'sliced' ? truthSliced : truth)[k];
        const fast = await computeStats(src, opt);
        check(fast, t, `${name} ${k}`);
        const slow = await computeStats(rowsOnly(src), opt);
        assert.deepEqual({ ...slow, errors: [] }, { ...fast, errors: [] }, `${name} ${k}: row path agrees`);
      }
    } finally {
      await src.close();
    }
  });
}

test('column summaries take list lengths from offsets alone and equal the row path and Python', async () => {
  for (const name of ['i32', 'i32_lz4', 'large', 'sliced']) {
    const src = await openDataset(join(dir, `${name}.arrow`));
    try {
      const fast = await computeColumnStats(src);
      const slow = await computeColumnStats(rowsOnly(src));
      assert.deepEqual(fast, slow, `${name}: raw-buffer and row summaries agree`);
      const t = (name === 'sliced' ? truthSliced : truth).plain;
      const ids = fast.find((c) => c.name === 'input_ids')!;
      assert.equal(ids.measure, 'length');
      assert.equal(ids.rows, t.rows);
      assert.equal(ids.nulls, t.rows - t.lengths.length, `${name}: null rows of input_ids`);
      assert.equal(ids.max, t.idLenMax, `${name}: longest input_ids row`);
    } finally {
      await src.close();
    }
  }
});

test('a raw-buffer scan stops at the next batch when cancelled, and the source reads on afterwards', async () => {
  const src = await openDataset(join(dir, 'i32.arrow'));
  try {
    const ac = new AbortController();
    const seen: number[] = [];
    await assert.rejects(
      computeStats(src, {
        cutoffLen: 6,
        eosId: 2,
        signal: ac.signal,
        onProgress: (p) => {
          seen.push(p.done);
          ac.abort();
        },
      }),
      { name: 'AbortError' },
    );
    assert.deepEqual(seen, [50], 'one batch counted, then stopped');
    const s = await computeStats(src, OPTIONS.eos_bos);
    check(s, truth.eos_bos, 'after a cancelled scan');
  } finally {
    await src.close();
  }
});
