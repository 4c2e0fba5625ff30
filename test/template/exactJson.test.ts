// The number-preserving JSON parser against Python's json: every document is loaded by Python's
// json.loads and dumped by json.dumps, and by parseExactJson + our json.dumps; the texts must match
// (so 21.0 stays 21.0, big ints stay exact, key order and unicode survive). Invalid documents must be
// refused where Python refuses them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { ExactNumber, JsonSyntaxError, parseExactJson } from '../../src/core/template/exactJson';
import { pyJsonDumps } from '../../src/core/template/jinja/pyformat';
import { toRuntime } from '../../src/core/template/jinja/values';

const PY = process.env.BATCHSCOPE_TEST_PYTHON ?? join(resolve(__dirname, '../..'), '.venv/bin/python');

/** A deterministic generator of JSON texts with the number forms users write. */
function* documents(): Generator<string> {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
  const numbers = [
    '0',
    '-0',
    '21.0',
    '-0.0',
    '1.5',
    '1e5',
    '1E-7',
    '2.50',
    '9007199254740993',
    '-123456789012345678901234567890',
    '0.1',
    '1e400',
    '3.0e2',
    '100',
  ];
  const strings = ['"a"', '"é🙂"', '"\\u00e9\\ud83d\\ude42"', '"tab\\tq\\"\\\\"', '""', '"\\u0000"'];
  const value = (depth: number): string => {
    const r = rnd();
    if (depth > 2 || r < 0.4) return numbers[Math.floor(rnd() * numbers.length)];
    if (r < 0.6) return strings[Math.floor(rnd() * strings.length)];
    if (r < 0.7) return ['true', 'false', 'null'][Math.floor(rnd() * 3)];
    if (r < 0.85) return `[${Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1)).join(', ')}]`;
    const keys = ['b', 'a', '10', '2', 'é', '__proto__', 'b'];
    return `{${Array.from({ length: Math.floor(rnd() * 5) }, () => `"${keys[Math.floor(rnd() * keys.length)]}": ${value(depth + 1)}`).join(',\n ')}}`;
  };
  for (let i = 0; i < 200; i++) yield value(0);
  yield ' {"temp": 21.0, "args": {"x": [1.0, 2, 3.50]}} ';
}

const INVALID = [
  '',
  '{',
  '[1,]',
  '{"a" 1}',
  '01',
  '1.',
  '.5',
  '+1',
  'NaN',
  '"\\x"',
  '"a\nb"',
  '[1] x',
  'tru',
  '{"a":1,}',
  '"\\ud83d"x',
];

function pythonDumps(texts: string[]): (string | null)[] {
  const script =
    'import json,sys\nout=[]\nfor t in json.load(sys.stdin):\n  try: out.append(json.dumps(json.loads(t, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c))), ensure_ascii=False))\n  except ValueError: out.append(None)\nprint(json.dumps(out))';
  return JSON.parse(execFileSync(PY, ['-c', script], { input: JSON.stringify(texts), encoding: 'utf8' })) as (
    string | null
  )[];
}

const ours = (t: string): string | null => {
  try {
    return pyJsonDumps(toRuntime(parseExactJson(t)), {
      ensureAscii: false,
      indent: null,
      separators: null,
      sortKeys: false,
    });
  } catch (e) {
    if (e instanceof JsonSyntaxError) return null;
    throw e;
  }
};

test('parseExactJson + json.dumps reproduce Python json.loads + json.dumps on generated documents', () => {
  const docs = [...documents()];
  const expected = pythonDumps(docs);
  docs.forEach((d, i) => assert.equal(ours(d), expected[i], d));
});

test('invalid JSON is refused where Python refuses it', () => {
  const expected = pythonDumps(INVALID);
  INVALID.forEach((d, i) => assert.equal(ours(d), expected[i], JSON.stringify(d)));
});

test('only lossy numbers become ExactNumber; JSON.stringify still works on them', () => {
  const v = parseExactJson('{"a": 21.0, "b": 1.5, "c": 7, "d": 12345678901234567890, "e": "x"}') as Record<
    string,
    unknown
  >;
  assert.ok(v.a instanceof ExactNumber && v.a.isFloat && v.a.text === '21.0');
  assert.equal(v.b, 1.5);
  assert.equal(v.c, 7);
  assert.ok(v.d instanceof ExactNumber && !v.d.isFloat);
  assert.equal(JSON.stringify(v), '{"a":21,"b":1.5,"c":7,"d":12345678901234567000,"e":"x"}');
  assert.throws(
    () => parseExactJson('{"a": }'),
    (e: unknown) => e instanceof JsonSyntaxError && e.offset === 6,
  );
});
