// The TypeScript side of the shared protocol: the types' validator accepts every valid vector and
// rejects every bad one in protocol/vectors (runtime/tests/test_protocol.py checks the same vectors
// with the jsonschema package).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LineSplitter, parseEventLine, validateEvent, validateRequest } from '../../protocol/trainEvents';
import { SchemaValidator } from '../../protocol/schema';

const VECTORS = join(__dirname, '..', '..', 'protocol', 'vectors');
const lines = (name: string) => readFileSync(join(VECTORS, name), 'utf8').split('\n').filter((l) => l.trim());

test('every valid vector is accepted', () => {
  const valid = lines('valid.jsonl');
  assert.ok(valid.length >= 7);
  for (const line of valid) {
    const parsed = parseEventLine(line);
    assert.ok(parsed.ok, `${line}\n${parsed.ok ? '' : parsed.error}`);
  }
});

test('every invalid vector is rejected, with a reason', () => {
  for (const line of lines('invalid.jsonl')) {
    const { why, event } = JSON.parse(line) as { why: string; event: unknown };
    const err = validateEvent(event);
    assert.ok(err, `accepted: ${why}`);
    assert.match(err, /^\$/);
  }
});

test('errors name the field that is wrong', () => {
  assert.equal(validateEvent({ type: 'eval', time: 1, step: 1, epoch: 1, eval_loss: '1.0', eval_samples: 1 }), '$.eval_loss: expected number or null, got string');
  assert.equal(validateEvent({ type: 'checkpoint', time: 1, step: 1, reason: 'final' }), '$: missing required "path"');
});

test('requests', () => {
  for (const line of lines('requests.jsonl')) {
    const { valid, request } = JSON.parse(line) as { valid: boolean; request: unknown };
    assert.equal(validateRequest(request) === null, valid, JSON.stringify(request));
  }
});

test('lines that are not JSON are reported, not thrown', () => {
  const r = parseEventLine('Some library printed this');
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.error, /^not JSON/);
});

test('the line splitter joins chunks cut mid-line and drops CR', () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push('{"a":1}\r\n{"b"'), ['{"a":1}']);
  assert.deepEqual(s.push(':2}\n\n'), ['{"b":2}']);
  assert.deepEqual(s.push('{"c":3}'), []);
  assert.deepEqual(s.flush(), ['{"c":3}']);
});

test('the validator refuses schema keywords it does not implement', () => {
  assert.throws(() => new SchemaValidator({ type: 'object', patternProperties: {} }), /unsupported keyword "patternProperties"/);
  assert.throws(() => new SchemaValidator({ type: 'object', additionalProperties: true }), /additionalProperties:false/);
});
