// The "no EOS" check as chat templates write rows: ChatML ends a turn with <|im_end|> and then "\n".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endsWithEos, eosRule, eosRuleFor } from '../../src/core/datasets/eosCheck';
import { loadTokenizer } from '../../src/core/tokens/tokenizer';
import { rowFlags } from '../../src/panels/dataset/cells';
import { TOKENIZER } from './fixtures';

test('a row ending with the end-of-turn token then template newline passes; one cut mid-answer does not', async () => {
  const tok = await loadTokenizer(TOKENIZER);
  const rule = eosRuleFor(tok)!;
  assert.ok(rule, 'the fixture tokenizer has an EOS');
  // Rendered ChatML exactly as the template writes it (the real tokenizer encodes it).
  const full = tok.encode('<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhello<|im_end|>\n');
  assert.ok(endsWithEos(full, 0, full.length - 1, rule), 'ChatML row with trailing "\\n" ends with EOS');
  const cut = tok.encode('<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhel');
  assert.ok(!endsWithEos(cut, 0, cut.length - 1, rule), 'a cut row has no EOS');
  // The grid flag uses the same rule.
  assert.deepEqual(rowFlags({ input_ids: full }, { inputIds: 'input_ids' }, tok), []);
  assert.deepEqual(rowFlags({ input_ids: cut }, { inputIds: 'input_ids' }, tok), ['no EOS']);
});

test('without a tokenizer only the eos id itself counts, and at most a few trailing tokens are skipped', () => {
  const r = eosRule([2], [10]);
  assert.ok(endsWithEos([5, 6, 2], 0, 2, r));
  assert.ok(endsWithEos([5, 2, 10], 0, 2, r));
  assert.ok(!endsWithEos([5, 2, 10, 10, 10, 10], 0, 5, r));
  assert.ok(!endsWithEos([5, 6, 7], 0, 2, r));
  assert.ok(!endsWithEos([], 0, -1, r));
});
