// Whole-dataset statistics against the numbers the builder computed in plain Python.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../src/core/datasets/open';
import { computeStats } from '../../src/core/datasets/stats';
import { searchWithSnippets } from '../../src/core/datasets/querySearch';
import { loadTokenizer } from '../../src/core/tokens/tokenizer';
import type { DatasetStats } from '../../src/core/datasets/types';
import { DATA, TOKENIZER, fixturePath, manifest } from './fixtures';

const m = manifest();
const truth = JSON.parse(readFileSync(join(DATA, 'expected/stats.json'), 'utf8')) as Record<
  string,
  Record<string, number | number[] | string>
>;

function histogramMatches(s: DatasetStats, lengths: number[]) {
  assert.equal(
    s.histogram.reduce((n, b) => n + b.count, 0),
    lengths.length,
    'histogram covers every row',
  );
  for (const b of s.histogram) {
    assert.equal(
      b.count,
      lengths.filter((l) => l >= b.binStart && l < b.binEnd).length,
      `bin ${b.binStart}–${b.binEnd}`,
    );
  }
}

for (const name of ['alpaca_tok', 'alpaca_pad', 'saved_alpaca_tok', 'alpaca_tok_parquet', 'alpaca_tok_file']) {
  test(`stats of ${name} equal the Python computation`, async () => {
    const t = truth[name === 'alpaca_pad' ? 'alpaca_pad' : 'alpaca_tok'];
    const tok = await loadTokenizer(TOKENIZER);
    const src = await openDataset(fixturePath(m[name]));
    const progress: number[] = [];
    const s = await computeStats(src, {
      cutoffLen: t.cutoffLen as number,
      bosId: tok.bosId,
      eosId: tok.eosId,
      padId: tok.padId,
      onProgress: (p) => progress.push(p.done),
    });
    for (const k of [
      'rows',
      'minLength',
      'maxLength',
      'atOrOverCutoff',
      'rowsWithNoTrainedTokens',
      'rowsWithLengthMismatch',
      'rowsWithoutEos',
    ] as const) {
      assert.equal(s[k], t[k], k);
    }
    for (const k of ['meanLength', 'trainedTokenRatio', 'paddingFraction'] as const)
      assert.ok(Math.abs((s[k] as number) - (t[k] as number)) < 1e-12, k);
    assert.equal(s.rowsWithDoubleBos, null, 'the fixture tokenizer has no BOS');
    assert.equal(s.lengthColumn, 'input_ids');
    histogramMatches(s, t.lengths as number[]);
    assert.equal(progress[progress.length - 1], s.rows);
    await src.close();
  });
}

test('stats of a text-only JSONL measure the first text column in characters', async () => {
  const t = truth.alpaca_jsonl;
  const src = await openDataset(fixturePath(m.alpaca_jsonl));
  const s = await computeStats(src, { cutoffLen: 30 });
  assert.equal(s.lengthColumn, 'instruction');
  assert.equal(s.lengthUnit, 'characters');
  assert.equal(s.rows, t.rows);
  histogramMatches(s, t.lengths as number[]);
  assert.equal(s.atOrOverCutoff, (t.lengths as number[]).filter((l) => l >= 30).length);
  assert.equal(s.trainedTokenRatio, null);
  assert.equal(s.rowsWithoutEos, null);
  await src.close();
});

test('double BOS and missing EOS are counted when the tokenizer defines them', async () => {
  const src = await openDataset(fixturePath(m.alpaca_tok));
  const s = await computeStats(src, { cutoffLen: 10, bosId: 1, eosId: 2 });
  // Every fixture row starts with <|im_start|> (id 1) once, and ends with <|im_end|> (id 2).
  assert.equal(s.rowsWithDoubleBos, 0);
  assert.equal(s.rowsWithoutEos, 0);
  const s2 = await computeStats(src, { cutoffLen: 10, eosId: 1 });
  assert.equal(s2.rowsWithoutEos, s2.rows);
  await src.close();
});

test('stats can be cancelled', async () => {
  const src = await openDataset(fixturePath(m.alpaca_tok));
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(computeStats(src, { cutoffLen: 10, signal: ac.signal }), { name: 'AbortError' });
  await src.close();
});

test('search: text substring over text and nested message columns, token-id subsequence', async () => {
  const hits = async (name: string, q: Parameters<typeof searchWithSnippets>[1]) => {
    const src = await openDataset(fixturePath(m[name]));
    const out: string[] = [];
    await searchWithSnippets(src, q, { onMatch: (r, c) => out.push(`${r}:${c}`) });
    await src.close();
    return out;
  };
  assert.deepEqual(await hits('alpaca_jsonl', { text: 'PARIS' }), ['1:output']);
  assert.deepEqual(await hits('alpaca_json_arrow', { text: 'paris' }), ['1:output']);
  assert.deepEqual(await hits('sharegpt_tok', { text: 'capital of france' }), ['2:conversations']);
  const tok = await loadTokenizer(TOKENIZER);
  const src = await openDataset(fixturePath(m.alpaca_tok));
  const [row5] = await src.readRows(5, 1);
  const seq = (row5.values.input_ids as number[]).slice(-6, -2);
  await src.close();
  const found = await hits('alpaca_tok', { tokenIds: seq, column: 'input_ids' });
  assert.ok(found.includes('5:input_ids'), `${found}`);
  assert.ok(tok.decode(seq).length > 0);
});
