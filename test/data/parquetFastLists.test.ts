// The typed-array decoder of integer-list columns (src/core/datasets/parquetFastLists.ts) against pyarrow:
// every row of files written with each page version, codec, dictionary on/off, with and without an
// OffsetIndex, tiny pages (rows spanning pages), null and empty lists, read whole and in small windows
// (the paths a first page and a jump take). Columns it does not cover (null elements, int64 beyond 2^53,
// strings) go to hyparquet and must still read exactly.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openDataset } from '../../src/core/datasets/open';
import { parquetReadConfig } from '../../src/core/datasets/parquetSource';
import { decodeConfig, stopParquetWorker } from '../../src/core/datasets/parquetWorkerClient';
import { fastPagesConfig } from '../../src/core/datasets/parquetFastPages';
import { snappyDecode } from '../../src/core/datasets/parquetSnappy';
import { snappyUncompress } from 'hyparquet/src/snappy.js';
import { normalize } from './fixtures';

const PY = process.env.BATCHSCOPE_TEST_PYTHON ?? resolve(__dirname, '../../.venv/bin/python');
const dir = mkdtempSync(join(tmpdir(), 'bs-pq-fast-'));
after(() => {
  stopParquetWorker();
  rmSync(dir, { recursive: true, force: true });
});

const WRITER = `
import json, sys, random
import pyarrow as pa, pyarrow.parquet as pq
out = sys.argv[1]
random.seed(7)
n = 1000
def lst(i, lo, hi, vals):
    if i % 7 == 3: return None
    if i % 5 == 1: return []
    return [random.choice(vals) for _ in range(random.randint(lo, hi))]
ids = [lst(i, 1, 40, range(0, 150000)) for i in range(n)]
labels = [None if x is None else [(-100 if k < len(x) // 3 else v) for k, v in enumerate(x)] for x in ids]
mask = [None if x is None else [1] * len(x) for x in ids]
req = [[i, i * 3, -i] * (i % 4) for i in range(n)]
big = [[2 ** 60 + i, -i] if i % 50 == 0 else [i] for i in range(n)]
nullel = [[i, None, i + 1] if i % 9 == 0 else [i] for i in range(n)]
text = [f"row {i}" for i in range(n)]
req_t = pa.list_(pa.field("item", pa.int32(), nullable=False))
schema = pa.schema([
    ("ids", pa.list_(pa.int32())), ("labels", pa.list_(pa.int64())), ("mask", pa.list_(pa.int8())),
    pa.field("req", req_t, nullable=False), ("big", pa.list_(pa.int64())), ("nullel", pa.list_(pa.int32())),
    ("text", pa.string()),
])
t = pa.table([ids, labels, mask, req, big, nullel, text], schema=schema)
variants = {
    "v1_snappy_dict": dict(compression="snappy", data_page_version="1.0"),
    "v1_none_plain_tinypages": dict(compression="none", use_dictionary=False, data_page_size=256, write_batch_size=16),
    "v1_snappy_index_tinypages": dict(compression="snappy", write_page_index=True, data_page_size=512, write_batch_size=32),
    "v2_zstd_dict_index": dict(compression="zstd", data_page_version="2.0", write_page_index=True, data_page_size=1024, write_batch_size=64),
    "v2_snappy_plain_index": dict(compression="snappy", data_page_version="2.0", use_dictionary=False, write_page_index=True, data_page_size=700, write_batch_size=50),
    "tokens_only_snappy": dict(compression="snappy", data_page_size=900, write_batch_size=40),
}
for name, kw in variants.items():
    tt = t.select(["ids", "labels", "mask", "req"]) if name.startswith("tokens_only") else t
    pq.write_table(tt, f"{out}/{name}.parquet", row_group_size=300, **kw)
def j(v):
    if isinstance(v, list): return [j(x) for x in v]
    if isinstance(v, int) and abs(v) > 2 ** 53: return str(v)
    return v
json.dump({c: [j(v) for v in t.column(c).to_pylist()] for c in t.column_names}, open(f"{out}/expected.json", "w"))
print(json.dumps(list(variants)))
`;
const r = spawnSync(PY, ['-c', WRITER, dir], { encoding: 'utf8' });
if (r.status !== 0) throw new Error(r.stderr);
const variants = JSON.parse(r.stdout) as string[];
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, unknown[]>;

async function readAll(path: string, step: number, from = 0): Promise<Record<string, unknown>[]> {
  const src = await openDataset(path);
  const out: Record<string, unknown>[] = [];
  try {
    for (let off = from; off < src.numRows; off += step) {
      for (const row of await src.readRows(off, step)) {
        assert.equal(row.error, undefined, `${path} row ${row.index}: ${row.error?.message}`);
        out[row.index] = Object.fromEntries(Object.entries(row.values).map(([k, v]) => [k, normalize(v)]));
      }
    }
  } finally {
    await src.close();
  }
  return out;
}

function compare(name: string, rows: Record<string, unknown>[], from = 0): void {
  for (let i = from; i < rows.length; i++) {
    for (const col of Object.keys(rows[i])) {
      assert.deepEqual(rows[i][col], expected[col][i], `${name}: row ${i} column ${col}`);
    }
  }
}

for (const name of variants) {
  const path = join(dir, `${name}.parquet`);
  test(`${name}: every row equals pyarrow's, read whole`, async () => {
    const rows = await readAll(path, 1000);
    assert.equal(rows.length, 1000);
    compare(name, rows);
  });
  test(`${name}: every row equals pyarrow's, read in small windows from the middle of row groups`, async () => {
    const saved = { ...parquetReadConfig };
    parquetReadConfig.prefixMinBytes = 0; // cut column chunks after the rows (no OffsetIndex)
    parquetReadConfig.windowBytes = 64; // windows of 256 rows (decoder process)
    parquetReadConfig.hostWindowBytes = 64; // windows of 64 rows (token lists decoded in the host)
    try {
      const rows = await readAll(path, 37, 113);
      compare(name, rows, 113);
      const jump = await readAll(path, 1000, 777);
      compare(name, jump, 777);
    } finally {
      Object.assign(parquetReadConfig, saved);
    }
  });
}

test('a file of token lists decodes without the decoder process (no process start for a first page)', async () => {
  const saved = { ...decodeConfig };
  Object.assign(decodeConfig, { baseTimeoutMs: 0, timeoutPerMbMs: 0 }); // any decode in the process fails
  try {
    stopParquetWorker();
    const rows = await readAll(join(dir, 'tokens_only_snappy.parquet'), 50);
    compare('tokens_only_snappy', rows);
  } finally {
    Object.assign(decodeConfig, saved);
  }
});

test('paging back and forth through groups without an OffsetIndex (resuming at pages met before) reads exactly', async () => {
  const saved = { ...parquetReadConfig };
  parquetReadConfig.windowBytes = 64; // windows of 256 rows: the second window of a group resumes mid-chunk
  parquetReadConfig.hostWindowBytes = 64; // (64 rows where the host decodes)
  try {
    for (const name of ['tokens_only_snappy', 'v1_snappy_dict']) {
      const src = await openDataset(join(dir, `${name}.parquet`));
      try {
        for (const off of [280, 10, 290, 555, 300, 899, 256, 0, 977]) {
          for (const row of await src.readRows(off, 23)) {
            assert.equal(row.error, undefined, `${name} row ${row.index}: ${row.error?.message}`);
            for (const [col, v] of Object.entries(row.values))
              assert.deepEqual(normalize(v), expected[col][row.index], `${name}: row ${row.index} column ${col}`);
          }
        }
      } finally {
        await src.close();
      }
    }
  } finally {
    Object.assign(parquetReadConfig, saved);
  }
});

// Pages of ~1 MB (pyarrow's default) in one big row group: a window deep in the group walks pages that lie
// wholly before it, decompressing only their repetition levels (fastPagesConfig.levelsPrefix), or the
// whole page when the levels run past that prefix.
const BIG_WRITER = `
import json, sys, random
import pyarrow as pa, pyarrow.parquet as pq
out = sys.argv[1]
random.seed(3)
n = 3000
ids = [[random.randrange(150000) for _ in range(random.randint(50, 400))] for i in range(n)]
labels = [[(-100 if k < len(x) // 3 else v) for k, v in enumerate(x)] for x in ids]
t = pa.table({"input_ids": pa.array(ids, pa.list_(pa.int32())), "labels": pa.array(labels, pa.list_(pa.int64()))})
pq.write_table(t, f"{out}/big_dict.parquet", compression="snappy", row_group_size=n)
pq.write_table(t, f"{out}/big_plain.parquet", compression="snappy", row_group_size=n, use_dictionary=False)
json.dump({"input_ids": ids, "labels": labels}, open(f"{out}/big.json", "w"))
for i, data in enumerate([bytes(random.randrange(256) for _ in range(70000)), b"abcd" * 30000 + bytes(range(256)) * 40,
                          json.dumps(ids[:50]).encode()]):
    open(f"{out}/snappy{i}.bin", "wb").write(pa.compress(data, "snappy", asbytes=True))
    open(f"{out}/snappy{i}.raw", "wb").write(data)
`;
const big = spawnSync(PY, ['-c', BIG_WRITER, dir], { encoding: 'utf8' });
if (big.status !== 0) throw new Error(big.stderr);
const bigExpected = JSON.parse(readFileSync(join(dir, 'big.json'), 'utf8')) as Record<string, unknown[]>;

test('jumps deep into big-paged row groups read exactly (levels-only decompression of the pages before)', async () => {
  const saved = fastPagesConfig.levelsPrefix;
  try {
    // The default prefix, one too small for the levels (whole page instead), and one of 5 bytes.
    for (const prefix of [saved, 2048, 5]) {
      fastPagesConfig.levelsPrefix = prefix;
      for (const name of ['big_dict', 'big_plain']) {
        const src = await openDataset(join(dir, `${name}.parquet`));
        try {
          for (const off of [2950, 1700, 40, 2999, 1234, 0, 2500]) {
            for (const row of await src.readRows(off, 50)) {
              assert.equal(row.error, undefined, `${name} row ${row.index}: ${row.error?.message}`);
              for (const [col, v] of Object.entries(row.values))
                assert.deepEqual(
                  normalize(v),
                  bigExpected[col][row.index],
                  `${name} (prefix ${prefix}): row ${row.index} ${col}`,
                );
            }
          }
        } finally {
          await src.close();
        }
      }
    }
  } finally {
    fastPagesConfig.levelsPrefix = saved;
  }
});

test("snappyDecode gives pyarrow's snappy bytes, and accepts and refuses what hyparquet's decoder does", () => {
  const hy = (input: Uint8Array, n: number): Uint8Array | 'error' => {
    try {
      const out = new Uint8Array(n);
      snappyUncompress(input, out);
      return out;
    } catch {
      return 'error';
    }
  };
  const ours = (input: Uint8Array, n: number): Uint8Array | 'error' => {
    try {
      return snappyDecode(input, n);
    } catch {
      return 'error';
    }
  };
  let seed = 99;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  let refused = 0;
  for (let i = 0; i < 3; i++) {
    const input = new Uint8Array(readFileSync(join(dir, `snappy${i}.bin`)));
    const raw = new Uint8Array(readFileSync(join(dir, `snappy${i}.raw`)));
    assert.deepEqual(ours(input, raw.length), raw, `stream ${i}`);
    assert.equal(ours(input, raw.length + 1), 'error', `stream ${i}: a longer page size`);
    // A prefix decode gives the same first bytes.
    assert.deepEqual(snappyDecode(input, raw.length, 1000).subarray(0, 1000), raw.subarray(0, 1000));
    for (let k = 0; k < 400; k++) {
      const d = input.slice();
      const at = rand(Math.min(d.length, k < 200 ? 64 : d.length));
      if (k % 2) d[at] ^= 1 << rand(8);
      else d[at] = rand(256);
      const a = ours(d, raw.length);
      const b = hy(d, raw.length);
      if (a === 'error') refused++;
      assert.deepEqual(a, b, `stream ${i}, damage ${k} at byte ${at}`);
    }
  }
  assert.ok(refused > 50, `only ${refused} damaged streams refused`);
});
