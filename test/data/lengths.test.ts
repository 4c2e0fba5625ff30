// Row lengths from the offsets buffers alone equal the lengths of the lists pyarrow reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArrowSource } from '../../src/core/datasets/arrowSource';
import { openDataset } from '../../src/core/datasets/open';
import { FIXTURES } from './fixtures';

const DIR = join(FIXTURES, 'fidelity');

for (const name of ['types_stream_plain', 'types_file_plain']) {
  test(`${name}: list and large_list lengths from offsets only equal pyarrow's lists`, async () => {
    const src = await openDataset(join(DIR, `${name}.arrow`));
    try {
      assert.ok(src instanceof ArrowSource);
      const expected = JSON.parse(readFileSync(join(DIR, 'expected', `${name}.json`), 'utf8')) as Record<
        string,
        unknown[] | null
      >[];
      for (const col of ['l_i32', 'll_i64', 'l_str', 'msgs']) {
        const got = new Array<number>(src.numRows).fill(-1);
        const ok = await src.lengths(col, (start, lens) => lens.forEach((n, i) => (got[start + i] = n)));
        assert.ok(ok, `${col}: offsets readable alone`);
        assert.deepEqual(
          got,
          expected.map((r) => r[col]?.length ?? 0),
          col,
        );
      }
      // Not a list column, and a compressed file: the caller falls back to a scan.
      assert.equal(await src.lengths('s', () => undefined), false);
    } finally {
      await src.close();
    }
    const lz4 = await openDataset(join(DIR, name.replace('plain', 'lz4') + '.arrow'));
    try {
      assert.equal(
        await (lz4 as ArrowSource).lengths('l_i32', () => assert.fail('no lengths from a compressed body')),
        false,
      );
    } finally {
      await lz4.close();
    }
  });
}
