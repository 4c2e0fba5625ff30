// Parquet data pages are decoded in a separate process with a heap bound and a time bound
// (src/core/datasets/parquetWorkerClient.ts). A corrupt run length that makes hyparquet grow an array without
// bound — in the extension host that would abort every extension — must end only the decoder, and
// become a ReadError naming the file, the row group and its byte offset, while other row groups read.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { formatReadError } from '../../src/core/datasets/errors';
import { openDataset } from '../../src/core/datasets/open';
import { ParquetSource } from '../../src/core/datasets/parquetSource';
import { decodeConfig, stopParquetWorker } from '../../src/core/datasets/parquetWorkerClient';
import { computeStats } from '../../src/core/datasets/stats';

const PY = process.env.BATCHSCOPE_TEST_PYTHON ?? resolve(__dirname, '../../.venv/bin/python');
const dir = mkdtempSync(join(tmpdir(), 'bs-pq-iso-'));
after(() => {
  stopParquetWorker();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * 30 rows in 3 row groups of 10, uncompressed, no dictionary, v1 pages: level streams lie in the open.
 * \`ids\` is a list of doubles, so hyparquet decodes it (lists of integers take the bounded typed-array
 * path, parquetFastLists.ts: see the last test); \`int32\` writes them as list<int32>.
 */
function writeParquet(path: string, type = 'float64'): void {
  const code = `
import sys, pyarrow as pa, pyarrow.parquet as pq
t = pa.table({"ids": pa.array([[i, i + 1, i + 2] for i in range(30)], pa.list_(pa.${type}())), "text": [f"row {i}" for i in range(30)]})
pq.write_table(t, sys.argv[1], row_group_size=10, compression="NONE", use_dictionary=False, data_page_version="1.0", write_statistics=False)
`;
  const r = spawnSync(PY, ['-c', code, path], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

/** End of a thrift compact-protocol struct starting at `pos` (enough to step over a PageHeader). */
function thriftStructEnd(b: Uint8Array, pos: number): number {
  let p = pos;
  const varint = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const x = b[p++];
      v += (x & 0x7f) * 2 ** shift;
      if (!(x & 0x80)) return v;
    }
  };
  const elem = (t: number) => (t === 1 || t === 2 ? void p++ : skip(t));
  const skip = (t: number): void => {
    if (t === 3) p++;
    else if (t >= 4 && t <= 6) varint();
    else if (t === 7) p += 8;
    else if (t === 8) p += varint();
    else if (t === 9 || t === 10) {
      const h = b[p++];
      const n = h >> 4 === 15 ? varint() : h >> 4;
      for (let i = 0; i < n; i++) elem(h & 15);
    } else if (t === 11) {
      const n = varint();
      const kv = n ? b[p++] : 0;
      for (let i = 0; i < n; i++) {
        elem(kv >> 4);
        elem(kv & 15);
      }
    } else if (t === 12) {
      for (;;) {
        const h = b[p++];
        if (h === 0) return;
        if (h >> 4 === 0) varint(); // long-form field id
        skip(h & 15);
      }
    }
  };
  skip(12);
  return p;
}

/**
 * Row group 1's `ids` page: its repetition-level stream (4-byte length, then RLE/bit-packed runs) gets a
 * first run header claiming 2^30 repeats. hyparquet writes them into a plain Array sized for the page.
 */
function corruptGroup1(bytes: Uint8Array): { bytes: Uint8Array; groupOffset: number } {
  const meta = parquetMetadata(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
  );
  const chunk = meta.row_groups[1].columns.find((c) => c.meta_data?.path_in_schema[0] === 'ids')!.meta_data!;
  const page = Number(chunk.data_page_offset);
  const levels = thriftStructEnd(bytes, page) + 4;
  const out = bytes.slice();
  out.set([0xfe, 0xff, 0xff, 0xff, 0x07], levels); // varint 0x7ffffffe: RLE run, count 2^30 - 1
  return {
    bytes: out,
    groupOffset: Math.min(...meta.row_groups[1].columns.map((c) => Number(c.meta_data!.data_page_offset))),
  };
}

const good = join(dir, 'good.parquet');
writeParquet(good);
const corrupt = corruptGroup1(new Uint8Array(readFileSync(good)));
const bad = join(dir, 'bad.parquet');
writeFileSync(bad, corrupt.bytes);

function expectGoodRow(r: { index: number; values: Record<string, unknown>; error?: unknown }): void {
  assert.equal(r.error, undefined, `row ${r.index}`);
  assert.deepEqual(r.values, { ids: [r.index, r.index + 1, r.index + 2], text: `row ${r.index}` });
}

test('the untouched file reads through the decoder process, row for row', async () => {
  const src = await openDataset(good);
  const rows = await src.readRows(0, 30);
  assert.equal(rows.length, 30);
  rows.forEach(expectGoodRow);
  await src.close();
});

test('a runaway run length in a data page ends only the decoder: its row group is a ReadError, the others read', async () => {
  const src = await openDataset(bad);
  const t0 = performance.now();
  const rows = await src.readRows(0, 30);
  const firstMs = performance.now() - t0;
  assert.equal(rows.length, 30);
  for (const r of rows) {
    if (r.index >= 10 && r.index < 20) {
      assert.ok(r.error, `row ${r.index} should carry the row group's error`);
      assert.equal(r.error.file, bad);
      assert.equal(r.error.byteOffset, corrupt.groupOffset);
      assert.match(r.error.message, /row group 1/);
      assert.match(r.error.message, /memory bound/);
      assert.deepEqual(r.values, {});
    } else expectGoodRow(r);
  }
  assert.equal(src.errors.length, 1);
  assert.match(
    formatReadError(src.errors[0]),
    new RegExp(`bad\\.parquet \\(byte ${corrupt.groupOffset}\\): corrupt row group 1: `),
  );
  // The failure is remembered: paging back to the group does not run the decoder into its bound again.
  const t1 = performance.now();
  const again = await src.readRows(12, 3);
  assert.ok(again.every((r) => r.error));
  assert.ok(performance.now() - t1 < Math.max(50, firstMs / 4), `re-read took ${performance.now() - t1} ms`);
  // The full scan (stats) skips the group with the same error and counts the rest.
  const stats = await computeStats(src, { cutoffLen: 2 });
  assert.equal(stats.rows, 20);
  assert.ok(stats.errors.some((e) => /row group 1/.test(e.message)));
  await src.close();
  // A fresh decoder serves the next file.
  const ok = await openDataset(good);
  (await ok.readRows(10, 10)).forEach(expectGoodRow);
  await ok.close();
});

test('a decode over its time bound is stopped and reported; the next decode starts a fresh process', async () => {
  const saved = { ...decodeConfig };
  Object.assign(decodeConfig, { baseTimeoutMs: 1, timeoutPerMbMs: 0 });
  try {
    stopParquetWorker(); // so the decode also has to start the process: certainly over 1 ms
    const src = await openDataset(good);
    assert.ok(src instanceof ParquetSource);
    const rows = await src.readRows(0, 5);
    assert.ok(
      rows.every((r) => r.error && /took over 1 ms/.test(r.error.message) && r.error.byteOffset !== undefined),
      JSON.stringify(rows[0]),
    );
    await src.close();
  } finally {
    Object.assign(decodeConfig, saved);
  }
  const src = await openDataset(good);
  (await src.readRows(0, 30)).forEach(expectGoodRow);
  await src.close();
});

test('paging inside one row group decodes it once (byte-bounded row-group cache)', async () => {
  const src = (await openDataset(good)) as ParquetSource;
  await src.readRows(0, 3);
  // With the decoder stopped and an impossible time bound, only cached groups can still be served.
  const saved = { ...decodeConfig };
  Object.assign(decodeConfig, { baseTimeoutMs: 0, timeoutPerMbMs: 0 });
  try {
    stopParquetWorker();
    (await src.readRows(3, 7)).forEach(expectGoodRow);
    const next = await src.readRows(10, 1);
    assert.ok(next[0].error, 'row group 1 was never decoded, so it needs the decoder');
  } finally {
    Object.assign(decodeConfig, saved);
  }
  await src.close();
});

test('the same runaway run in a list<int32> page (typed-array path) is a ReadError of its row group, not a memory bound', async () => {
  const goodInts = join(dir, 'good-int32.parquet');
  writeParquet(goodInts, 'int32');
  const c = corruptGroup1(new Uint8Array(readFileSync(goodInts)));
  const badInts = join(dir, 'bad-int32.parquet');
  writeFileSync(badInts, c.bytes);
  const src = await openDataset(badInts);
  const rows = await src.readRows(0, 30);
  for (const r of rows) {
    if (r.index >= 10 && r.index < 20) {
      assert.ok(r.error, `row ${r.index} should carry the row group's error`);
      assert.equal(r.error.byteOffset, c.groupOffset);
      assert.match(r.error.message, /corrupt row group 1: .*(ends early|past)/);
    } else expectGoodRow(r);
  }
  await src.close();
  // pyarrow rejects the file too.
  const py = spawnSync(PY, ['-c', 'import sys, pyarrow.parquet as pq; pq.read_table(sys.argv[1])', badInts], {
    encoding: 'utf8',
  });
  assert.notEqual(py.status, 0, 'pyarrow reads the corrupt page');
});
