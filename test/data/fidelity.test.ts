// Fidelity: every value of every type, in every IPC compression and every Parquet codec × page version,
// equals what pyarrow (or Python json / `datasets`) gives. Ground truth: test/fixtures/builders/f_fidelity.py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../src/core/datasets/open';
import type { Row } from '../../src/core/datasets/types';
import { FIXTURES, normalize } from './fixtures';

const DIR = join(FIXTURES, 'fidelity');
const MANIFEST = join(DIR, 'manifest.json');
if (!existsSync(MANIFEST)) throw new Error(`${MANIFEST} missing: run \`bash scripts/fixtures.sh\` first`);
const m = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<
  string,
  { path: string; format: string; expected: string; rows: number }
>;

for (const [name, e] of Object.entries(m)) {
  test(`${name}: every row and every column equals pyarrow's`, async () => {
    const src = await openDataset(join(DIR, e.path));
    try {
      const expected = JSON.parse(readFileSync(join(DIR, e.expected), 'utf8')) as Record<string, unknown>[];
      assert.equal(src.numRows, expected.length, 'row count');
      // Odd-sized pages: boundaries fall inside record batches, row groups and pages. Big files are read
      // from the back in pages of 97 rows, so windows are decoded out of order.
      const rows: Row[] = [];
      const step = src.numRows > 500 ? 97 : 5;
      const starts = [];
      for (let off = 0; off < src.numRows; off += step) starts.push(off);
      if (src.numRows > 500) starts.reverse();
      const got = new Map<number, Row[]>();
      for (const off of starts) got.set(off, await src.readRows(off, step));
      for (const off of [...starts].sort((a, b) => a - b)) rows.push(...got.get(off)!);
      assert.equal(rows.length, expected.length);
      rows.forEach((row, i) => {
        assert.equal(row.index, i);
        assert.equal(row.error, undefined, `${name} row ${i}: ${row.error?.message}`);
        assert.deepEqual(
          Object.keys(row.values),
          Object.keys(expected[i]),
          `${name} row ${i}: columns in schema order`,
        );
        for (const k of Object.keys(expected[i])) {
          assert.deepEqual(normalize(row.values[k]), expected[i][k], `${name} row ${i} column ${k}`);
        }
      });
      assert.deepEqual(src.errors, [], 'no read errors');
    } finally {
      await src.close();
    }
  });
}

test('paged_noindex read with chunks cut after the rows asked for: the same rows as pyarrow', async () => {
  const { parquetReadConfig } = await import('../../src/core/datasets/parquetSource');
  const saved = { ...parquetReadConfig };
  parquetReadConfig.prefixMinBytes = 0;
  parquetReadConfig.windowBytes = 1024; // windows of 256 rows in the 3,000-row group
  const src = await openDataset(join(DIR, 'paged_noindex.parquet'));
  try {
    const expected = JSON.parse(readFileSync(join(DIR, 'expected', 'paged_noindex.json'), 'utf8')) as Record<
      string,
      unknown
    >[];
    for (const at of [0, 40, 1203, 2950]) {
      const rows = await src.readRows(at, 50);
      rows.forEach((r, i) => {
        assert.equal(r.error, undefined, r.error?.message);
        for (const k of Object.keys(expected[at + i]))
          assert.deepEqual(normalize(r.values[k]), expected[at + i][k], `row ${at + i} ${k}`);
      });
    }
  } finally {
    Object.assign(parquetReadConfig, saved);
    await src.close();
  }
});

test('column types name the unit, time zone and decimal precision', async () => {
  const src = await openDataset(join(DIR, 'types_stream_plain.arrow'));
  try {
    const t = Object.fromEntries(src.columns.map((c) => [c.name, c.type]));
    assert.equal(t.ts_ns_ny, 'timestamp[ns, tz=America/New_York]');
    assert.equal(t.ts_us, 'timestamp[us]');
    assert.equal(t.d32, 'date32[day]');
    assert.equal(t.t64ns, 'time64[ns]');
    assert.equal(t.dur_ms, 'duration[ms]');
    assert.equal(t.dec_10_2, 'decimal128(10, 2)');
    assert.equal(t.dec256, 'decimal256(60, 20)');
  } finally {
    await src.close();
  }
});
