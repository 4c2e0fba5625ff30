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
    parquetReadConfig.windowBytes = 64; // windows of 256 rows
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
