// The TypeScript side of the debug wire's vectors: protocol/debug.schema.json, read by the same
// validator as the training events, accepts every line of protocol/vectors/debug-messages.json and
// refuses every line of debug-invalid.json (runtime/tests/test_debug_units.py checks the same files
// with the jsonschema package).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SchemaValidator, type JsonSchema } from '../../protocol/schema';

const read = (p: string) => JSON.parse(readFileSync(resolve(p), 'utf8'));
const validator = new SchemaValidator(read('protocol/debug.schema.json') as JsonSchema);

test('every debug vector line is accepted', () => {
  const good = read('protocol/vectors/debug-messages.json').messages as unknown[];
  assert.ok(good.length > 30);
  for (const m of good) assert.equal(validator.validate(m), null, JSON.stringify(m));
});

test('every invalid debug vector line is refused, with the path of what is wrong', () => {
  const bad = read('protocol/vectors/debug-invalid.json').messages as Array<{ line: unknown; why: string }>;
  assert.ok(bad.length > 5);
  for (const { line, why } of bad) {
    const err = validator.validate(line);
    assert.ok(err, `accepted: ${why}`);
    assert.match(err, /^\$/);
  }
});

test('a stopped body is checked by its event (if/then), and a hint other than true is refused', () => {
  const stopped = {
    type: 'event',
    event: 'stopped',
    body: { reason: 'function breakpoint', threadId: 100, description: 'x', allThreadsStopped: false },
  };
  assert.equal(validator.validate(stopped), null);
  assert.equal(
    validator.validate({ ...stopped, body: { ...stopped.body, preserveFocusHint: false } }),
    '$.body.preserveFocusHint: expected true',
  );
  assert.equal(
    validator.validate({ ...stopped, body: { ...stopped.body, threadId: '1' } }),
    '$.body.threadId: expected integer, got string',
  );
  // The same body under another event is not a stopped body.
  assert.equal(validator.validate({ ...stopped, event: 'continued', body: { threadId: 1 } }), null);
});
