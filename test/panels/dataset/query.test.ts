// The filter language and the view sort, on their own: what parses to what, what is refused with a
// reason, and that the sort orders like Python's sorted() (nulls last, ties in row order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseFilter, parseSortKey } from '../../../src/core/datasets/query';
import { compare } from '../../../src/core/datasets/queryEval';
import { sortRows } from '../../../src/core/datasets/queryRun';

const PY = process.env.BATCHSCOPE_TEST_PYTHON ?? join(resolve(__dirname, '../../..'), '.venv/bin/python');
const COLS = ['text', 'score', 'len', 'flag_col'];

test('filters parse to the expected tree; and binds tighter than or', () => {
  assert.deepEqual(parseFilter('tokens > 512 and trained = 0 or flag = "no EOS"', COLS), {
    kind: 'or',
    items: [
      {
        kind: 'and',
        items: [
          { kind: 'cmp', key: { kind: 'tokens' }, op: '>', value: 512 },
          { kind: 'cmp', key: { kind: 'trained' }, op: '=', value: 0 },
        ],
      },
      { kind: 'flag', flag: 'no_eos', negate: false },
    ],
  });
  assert.deepEqual(parseFilter('not (len(text) >= 10) && score is not null', COLS), {
    kind: 'and',
    items: [
      { kind: 'not', item: { kind: 'cmp', key: { kind: 'len', column: 'text' }, op: '>=', value: 10 } },
      { kind: 'null', key: { kind: 'column', column: 'score' }, negate: true },
    ],
  });
  // A column named like a computed key is the column.
  assert.deepEqual(parseFilter('len = 3', COLS), {
    kind: 'cmp',
    key: { kind: 'column', column: 'len' },
    op: '=',
    value: 3,
  });
  assert.deepEqual(parseSortKey('len(text)', COLS), { kind: 'len', column: 'text' });
});

test('bad filters are refused with the reason and the names that exist', () => {
  assert.throws(
    () => parseFilter('nope > 1', COLS),
    /no column named "nope" \(columns: text, score, len, flag_col; computed/,
  );
  assert.throws(() => parseFilter('score >', COLS), /expected a value/);
  assert.throws(() => parseFilter('flag = sleepy', COLS), /unknown flag "sleepy"/);
  assert.throws(() => parseFilter('text ~ "open', COLS), /unclosed "/);
  assert.throws(() => parseFilter('(score > 1', COLS), /expected \)/);
  assert.throws(() => parseSortKey('len(nope)', COLS), /cannot sort by "len\(nope\)"/);
});

test('comparisons: nulls fail all but != ; ~ looks into nested cells, case-insensitively', () => {
  assert.equal(compare(null, '>', 1), false);
  assert.equal(compare(null, '!=', 1), true);
  assert.equal(compare(5n, '>=', 5), true);
  assert.equal(compare('b', '>', 'a'), true);
  assert.equal(compare(true, '=', 'true'), true);
  assert.equal(compare([{ role: 'user', content: 'Capital of FRANCE?' }], '~', 'france'), true);
  assert.equal(compare([1, 2], '=', 1), false);
});

test('sortRows orders as Python sorted() does, integers (fast path) and mixed keys alike', () => {
  const rng = (seed: number) => () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const r = rng(7);
  const n = 2000;
  const rows = Uint32Array.from({ length: n }, (_, i) => i * 3);
  const ints = Array.from({ length: n }, () => (r() < 0.1 ? null : Math.floor(r() * 50)));
  const floats = Array.from({ length: n }, () => (r() < 0.1 ? null : r() * 100 - 50));
  const strs = Array.from({ length: n }, () =>
    r() < 0.1 ? null : String.fromCharCode(97 + Math.floor(r() * 5)).repeat(1 + Math.floor(r() * 3)),
  );
  const py = spawnSync(
    PY,
    [
      '-c',
      `
import json, sys
d = json.load(sys.stdin)
out = {}
for name in ("ints", "floats", "strs"):
    keys = d[name]
    for desc in (False, True):
        real = [i for i, k in enumerate(keys) if k is not None]
        # stable, also with reverse=True: ties keep row order
        real = sorted(real, key=lambda i: keys[i], reverse=desc)
        nulls = [i for i, k in enumerate(keys) if k is None]
        out[f"{name}-{desc}"] = [d["rows"][i] for i in real + nulls]
print(json.dumps(out))
`,
    ],
    { input: JSON.stringify({ rows: Array.from(rows), ints, floats, strs }), encoding: 'utf8' },
  );
  assert.equal(py.status, 0, py.stderr);
  const want = JSON.parse(py.stdout) as Record<string, number[]>;
  for (const [name, keys] of [
    ['ints', ints],
    ['floats', floats],
    ['strs', strs],
  ] as const) {
    for (const desc of [false, true]) {
      assert.deepEqual(
        Array.from(sortRows(rows, keys, desc)),
        want[`${name}-${desc ? 'True' : 'False'}`],
        `${name} desc=${desc}`,
      );
    }
  }
});
