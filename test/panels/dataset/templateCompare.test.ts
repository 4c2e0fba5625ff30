// Template vs tokenized dataset in the panel: the fixture rows that transformers tokenized with
// apply_chat_template(return_assistant_tokens_mask=True) (b_datasets.py keeps `conversations` beside
// input_ids/labels) must match; rows spliced from two of those rows must differ exactly where the
// transformers-made ids differ; a dataset that dropped its source columns says so.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openDataset } from '../../../src/core/datasets/open';
import { tokenColumns } from '../../../src/panels/dataset/cells';
import { compareRowWithTemplate } from '../../../src/panels/dataset/templateCompare';
import { DatasetSession } from '../../../src/panels/dataset/session';
import type { DatasetTemplateCompare, DatasetToWebview } from '../../../protocol/webview';

const REPO = resolve(__dirname, '../../..');
const DATA = join(REPO, 'test/.fixtures/data');
const TOKENIZER_JSON = join(REPO, 'test/.fixtures/tokenizer/tokenizer.json');
const TEMPLATE = join(REPO, 'test/.fixtures/tokenizer/tokenizer_config.json');
const manifest = JSON.parse(readFileSync(join(DATA, 'manifest.json'), 'utf8')) as Record<string, { path: string }>;
const fixture = (name: string) => join(DATA, manifest[name]!.path);
type TokRow = { conversations: unknown[]; input_ids: number[]; labels: number[] };
const TRUTH = readFileSync(join(DATA, 'expected/sharegpt_tok.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as TokRow);

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'bs-tplcmp-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Compares every row of a dataset file with the fixture template. */
async function compareAll(
  file: string,
  tokenizerPath: string | null = TOKENIZER_JSON,
): Promise<DatasetTemplateCompare[]> {
  const src = await openDataset(file, {});
  try {
    const rows = await src.readRows(0, src.numRows);
    const out: DatasetTemplateCompare[] = [];
    for (const r of rows)
      out.push(
        await compareRowWithTemplate({
          index: r.index,
          values: r.values,
          columns: src.columns,
          tokCols: tokenColumns(src.columns),
          tokenizerPath,
        }),
      );
    return out;
  } finally {
    await src.close();
  }
}

test('every row transformers tokenized with this template matches, labels included (HF cache and parquet)', async () => {
  for (const name of ['sharegpt_tok', 'sharegpt_tok_parquet']) {
    const got = await compareAll(fixture(name));
    assert.equal(got.length, TRUTH.length);
    got.forEach((c, i) => {
      assert.equal(c.status, 'match', `${name} row ${i}: ${c.message}`);
      assert.equal(c.compared, TRUTH[i]!.input_ids.length);
      assert.equal(c.template, TEMPLATE);
      assert.equal(c.message, `Row ${i} matches the template: ${TRUTH[i]!.input_ids.length} tokens.`);
    });
  }
});

test('spliced rows: the first differing token and label where the transformers-made rows differ', async () => {
  const [a, b] = [TRUTH[0]!, TRUTH[1]!];
  const rows = [
    { conversations: a.conversations, input_ids: b.input_ids, labels: b.labels }, // another row's tokens
    { conversations: a.conversations, input_ids: a.input_ids, labels: a.input_ids }, // the prompt trained too
    { conversations: a.conversations, input_ids: a.input_ids.slice(0, 30), labels: a.labels.slice(0, 30) }, // cut at cutoff_len
    { conversations: a.conversations, input_ids: [...a.input_ids, 2], labels: [...a.labels, -100] }, // one token too many
  ];
  const file = join(dir, 'spliced.jsonl');
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const [other, trained, cut, longer] = await compareAll(file);

  const n = a.input_ids.findIndex((id, i) => id !== b.input_ids[i]);
  assert.ok(n > 0);
  assert.equal(other!.status, 'differs');
  assert.equal(other!.field, 'input_ids');
  assert.equal(other!.position, n);
  assert.match(other!.expected!, new RegExp(`\\(id ${a.input_ids[n]}\\)$`));
  assert.match(other!.found!, new RegExp(`\\(id ${b.input_ids[n]}\\)$`));
  assert.equal(
    other!.message,
    `First differing token at position ${n}: expected ${other!.expected}, found ${other!.found}.`,
  );

  const m = a.labels.findIndex((l) => l === -100); // the first position the template masks
  assert.equal(trained!.status, 'differs');
  assert.equal(trained!.field, 'labels');
  assert.equal(trained!.position, m);
  assert.equal(trained!.expected, 'masked');
  assert.equal(trained!.found, 'trained');
  assert.match(trained!.message, new RegExp(`^First differing label at position ${m} `));

  assert.equal(cut!.status, 'match');
  assert.match(cut!.message, new RegExp(`truncated at 30 of ${a.input_ids.length} tokens`));

  assert.equal(longer!.status, 'differs');
  assert.equal(longer!.position, a.input_ids.length);
  assert.match(longer!.message, /expected the end of the row/);
});

test('a tokenized dataset without its source columns, and a panel without a tokenizer, say why there is no check', async () => {
  const [noSource] = await compareAll(fixture('alpaca_tok'));
  assert.equal(noSource!.status, 'no-source');
  assert.equal(
    noSource!.message,
    'The source row is not in this dataset, so it cannot be checked against the template: it holds only token columns (input_ids, attention_mask, labels), not the source conversation.',
  );
  const [noTok] = await compareAll(fixture('sharegpt_tok'), null);
  assert.equal(noTok!.status, 'no-template');
  assert.match(noTok!.message, /No tokenizer known/);
});

test('the session posts the comparison after the selected row', async () => {
  const posted: DatasetToWebview[] = [];
  const session = new DatasetSession({
    path: fixture('sharegpt_tok'),
    title: 't',
    cutoffLen: 10,
    post: (m) => posted.push(m),
    resolveTokenizer: () => ({ path: TOKENIZER_JSON, source: 'setting' }),
    resolveImagePath: () => null,
  });
  await session.handle({ type: 'dataset/ready' });
  await session.handle({ type: 'dataset/selectRow', index: 2 });
  const types = posted.map((m) => m.type);
  assert.ok(types.indexOf('dataset/row') < types.indexOf('dataset/templateCompare'));
  const c = posted.find((m) => m.type === 'dataset/templateCompare') as Extract<
    DatasetToWebview,
    { type: 'dataset/templateCompare' }
  >;
  assert.equal(c.compare.index, 2);
  assert.equal(c.compare.status, 'match');
  await session.dispose();

  // Untokenized datasets get no comparison at all.
  const plain: DatasetToWebview[] = [];
  const s2 = new DatasetSession({
    path: fixture('sharegpt_jsonl'),
    title: 't',
    cutoffLen: 10,
    post: (m) => plain.push(m),
    resolveTokenizer: () => ({ path: TOKENIZER_JSON, source: 'setting' }),
    resolveImagePath: () => null,
  });
  await s2.handle({ type: 'dataset/ready' });
  await s2.handle({ type: 'dataset/selectRow', index: 0 });
  assert.ok(plain.some((m) => m.type === 'dataset/row'));
  assert.ok(!plain.some((m) => m.type === 'dataset/templateCompare'));
  await s2.dispose();
});
