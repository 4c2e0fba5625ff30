// Template vs tokenized dataset, against rows tokenized by transformers (c_templates.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareTokenizedRow } from '../../src/core/template/compareRow';
import { renderChat, toCodePointSpans } from '../../src/core/template/render';
import { assistantMask, tokenCharOffsets } from '../../src/core/template/mask';
import { loadTokenizer } from '../../src/core/tokens/tokenizer';
import { TEMPLATES, TOKENIZER } from './fixtures';

const rows = JSON.parse(readFileSync(join(TEMPLATES, 'rows.json'), 'utf8'));
const cfg = JSON.parse(readFileSync(join(TOKENIZER, 'tokenizer_config.json'), 'utf8'));

async function renderedTokens() {
  const tok = await loadTokenizer(TOKENIZER);
  const r = renderChat(cfg.chat_template, {
    messages: rows.messages,
    variables: { eos_token: '<|im_end|>', pad_token: '<|endoftext|>' },
  });
  const ids = tok.encode(r.text);
  const offsets = tokenCharOffsets(tok, ids, r.text)!;
  return { tok, ids, assistantMask: assistantMask(offsets, toCodePointSpans(r.text, r.spans)) };
}

test('a row tokenized by transformers with the same template matches, labels included', async () => {
  const { ids, assistantMask: mask } = await renderedTokens();
  const d = compareTokenizedRow(
    { inputIds: rows.good.input_ids, labels: rows.good.labels },
    { ids, assistantMask: mask },
  );
  assert.deepEqual(d, { match: true, compared: rows.good.input_ids.length, note: undefined });
  assert.equal(mask.filter((m) => m === 1).length, rows.trained);
});

test('a row tokenized with a template missing a newline: first differing token as transformers finds it', async () => {
  const { tok, ids, assistantMask: mask } = await renderedTokens();
  const d = compareTokenizedRow(
    { inputIds: rows.bad_template.input_ids, labels: rows.bad_template.labels },
    { ids, assistantMask: mask },
    (id) => JSON.stringify(tok.idToToken(id)),
  );
  assert.equal(d.match, false);
  if (d.match) return;
  assert.equal(d.field, 'input_ids');
  assert.equal(d.index, rows.bad_template.first_diff);
  assert.equal(d.expected, ids[d.index]);
  assert.equal(d.actual, rows.bad_template.input_ids[d.index]);
  assert.match(d.message, new RegExp(`token ${d.index}`));
});

test('labels that train the prompt: first differing label position', async () => {
  const { ids, assistantMask: mask } = await renderedTokens();
  const d = compareTokenizedRow(
    { inputIds: rows.bad_labels.input_ids, labels: rows.bad_labels.labels },
    { ids, assistantMask: mask },
  );
  assert.equal(d.match, false);
  if (d.match) return;
  assert.equal(d.field, 'labels');
  assert.equal(d.index, rows.bad_labels.first_diff);
  assert.equal(d.expected, 'masked');
  assert.equal(d.actual, 'trained');
});

test('truncated rows match their prefix with a note; longer rows report the extra tokens', () => {
  const t = compareTokenizedRow({ inputIds: [1, 2] }, { ids: [1, 2, 3] });
  assert.deepEqual(t, { match: true, compared: 2, note: 'the dataset row is truncated at 2 of 3 tokens' });
  const l = compareTokenizedRow({ inputIds: [1, 2, 3, 4] }, { ids: [1, 2, 3] });
  assert.equal(l.match, false);
  if (!l.match) assert.equal(l.index, 3);
});
