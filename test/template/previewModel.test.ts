// The preview's model (no VS Code): text, spans, specials, token view and counts vs transformers,
// errors located in the document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { computePreview, DEFAULT_INPUTS, findSpecials } from '../../src/panels/template/previewModel';
import { TEMPLATES, TOKENIZER } from './fixtures';

const rows = JSON.parse(readFileSync(join(TEMPLATES, 'rows.json'), 'utf8'));
const cli = JSON.parse(readFileSync(join(TEMPLATES, 'cli.json'), 'utf8'));
const CONFIG = join(TOKENIZER, 'tokenizer_config.json');

test('preview of the fixture tokenizer_config.json: text, spans, specials, tokens and trained count', async () => {
  const text = readFileSync(CONFIG, 'utf8');
  const { state, problems } = await computePreview({
    file: CONFIG,
    text,
    inputs: { ...DEFAULT_INPUTS, messagesJson: JSON.stringify(rows.messages) },
  });
  assert.equal(state.error, undefined);
  assert.equal(state.text, cli.plain);
  assert.equal(state.spans.length, 2);
  assert.deepEqual(
    state.specials.map((s) => state.text!.slice(s.start, s.end)),
    state.text!.match(/<\|im_start\|>|<\|im_end\|>/g) ?? [],
  );
  assert.deepEqual(
    state.tokens!.chips.map((c) => c.id),
    rows.good.input_ids,
  );
  assert.equal(state.tokens!.count, rows.good.input_ids.length);
  assert.equal(state.tokens!.trained, rows.trained);
  assert.deepEqual(
    state.tokens!.chips.map((c) => (c.trained ? 1 : 0)),
    rows.good.labels.map((l: number) => (l === -100 ? 0 : 1)),
  );
  assert.ok(state.tokens!.chips.some((c) => c.special && c.text === '<|im_end|>'));
  assert.deepEqual(
    state.lint.map((f) => f.code),
    ['eos-in-effect'],
  );
  assert.deepEqual(problems, []);
});

test('a syntax error in the JSON string becomes a problem at its document offset; bad inputs name the field', async () => {
  const template = 'ok\n{% for m in messages %}{{ m.content }';
  const text = JSON.stringify({ chat_template: template, eos_token: '</s>' }, null, 2);
  const { state, problems } = await computePreview({
    file: '/virtual/tokenizer_config.json',
    text,
    inputs: DEFAULT_INPUTS,
  });
  assert.equal(state.error?.kind, 'syntax');
  assert.equal(state.error?.line, 2);
  assert.equal(problems.length, 1);
  assert.equal(problems[0].severity, 'error');
  // The problem sits inside the JSON literal, on the template's second line.
  const before = text.slice(0, problems[0].start);
  assert.ok(before.includes('ok\\n{% for'), before);
  const bad = await computePreview({
    file: CONFIG,
    text: readFileSync(CONFIG, 'utf8'),
    inputs: { ...DEFAULT_INPUTS, messagesJson: '[{"role": ' },
  });
  assert.match(bad.state.error!.message, /^messages: not valid JSON/);
});

test('special-token highlighting: leftmost-longest, no overlaps', () => {
  assert.deepEqual(findSpecials('<s><|im_end|><s>', ['<|im_end|>', '<s>']), [
    { start: 0, end: 3 },
    { start: 3, end: 13 },
    { start: 13, end: 16 },
  ]);
});
