// Dataset row → chat template preview: the LLaMA-Factory dataset_info.json lookup, the chat-shape check,
// and what the session hands to `batchscope.previewChatTemplate`, against the fixture datasets.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DatasetSession } from '../../../src/panels/dataset/session';
import {
  findDatasetInfoEntry,
  plainValue,
  templateBesideTokenizer,
  type TemplatePreviewRequest,
} from '../../../src/panels/dataset/templateRow';
import { rowToMessages } from '../../../src/core/template/rowToMessages';
import type { DatasetToWebview } from '../../../protocol/webview';

const REPO = resolve(__dirname, '../../..');
const DATA = join(REPO, 'test/.fixtures/data');
const TOKENIZER = join(REPO, 'test/.fixtures/tokenizer');
const manifest = JSON.parse(readFileSync(join(DATA, 'manifest.json'), 'utf8')) as Record<string, { path: string }>;
const fixture = (name: string) => join(DATA, manifest[name]!.path);
const jsonl = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const ALPACA = jsonl(join(DATA, 'raw/alpaca.jsonl')) as { instruction: string; input: string; output: string }[];

let dir: string;

before(() => {
  statSync(join(DATA, 'manifest.json')); // build fixtures first: bash scripts/fixtures.sh
  dir = mkdtempSync(join(tmpdir(), 'bs-tplrow-'));
  // A LLaMA-Factory data folder: the alpaca fixture with renamed columns, mapped by dataset_info.json `columns`.
  mkdirSync(join(dir, 'data/sub'), { recursive: true });
  const renamed = ALPACA.map((r) => JSON.stringify({ q: r.instruction, ctx: r.input, a: r.output, sys: 'Be terse.' }));
  writeFileSync(join(dir, 'data/sub/renamed.jsonl'), renamed.join('\n') + '\n');
  mkdirSync(join(dir, 'data/shards'));
  writeFileSync(join(dir, 'data/shards/part-0.jsonl'), readFileSync(join(DATA, 'raw/sharegpt.jsonl')));
  writeFileSync(
    join(dir, 'data/dataset_info.json'),
    JSON.stringify({
      other: { file_name: 'elsewhere.json' },
      renamed: { file_name: 'sub/renamed.jsonl', columns: { prompt: 'q', query: 'ctx', response: 'a', system: 'sys' } },
      shards: {
        file_name: 'shards',
        formatting: 'sharegpt',
        columns: { messages: 'conversations' },
        tags: { role_tag: 'from', content_tag: 'value' },
      },
    }),
  );
  mkdirSync(join(dir, 'broken'));
  writeFileSync(join(dir, 'broken/dataset_info.json'), '{"x": ');
  writeFileSync(join(dir, 'broken/rows.jsonl'), JSON.stringify({ instruction: 'hi', output: 'hello' }) + '\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('dataset_info.json: the entry naming the file one folder up, a folder entry, and the HF cache file passed over', () => {
  const r = findDatasetInfoEntry(join(dir, 'data/sub/renamed.jsonl'));
  assert.equal(r.found?.name, 'renamed');
  assert.equal(r.found?.file, join(dir, 'data/dataset_info.json'));
  assert.deepEqual(r.found?.entry, { columns: { prompt: 'q', query: 'ctx', response: 'a', system: 'sys' } });

  const s = findDatasetInfoEntry(join(dir, 'data/shards/part-0.jsonl'));
  assert.equal(s.found?.name, 'shards', 'file_name may name the folder holding the file');
  assert.equal(s.found?.entry.formatting, 'sharegpt');

  // `datasets` writes its own dataset_info.json (DatasetInfo, no file_name) beside cache files.
  statSync(join(dirname(fixture('alpaca_tok')), 'dataset_info.json'));
  assert.deepEqual(findDatasetInfoEntry(fixture('alpaca_tok')), {});

  const b = findDatasetInfoEntry(join(dir, 'broken/rows.jsonl'));
  assert.equal(b.found, undefined);
  assert.match(b.problem!, /broken\/dataset_info\.json: not valid JSON/);
});

test('plain values: bigint and bytes become JSON-safe', () => {
  assert.deepEqual(plainValue({ a: [1n, 2n ** 60n], b: new Uint8Array(3), c: 'x', d: null }), {
    a: [1, '1152921504606846976'],
    b: '<3 bytes>',
    c: 'x',
    d: null,
  });
  assert.equal(templateBesideTokenizer(join(TOKENIZER, 'tokenizer.json')), join(TOKENIZER, 'tokenizer_config.json'));
  assert.equal(templateBesideTokenizer(null), null);
});

/** A session whose "preview" callback records the command argument, as the glue would pass it on. */
function open(file: string, tokenizer: string | null = join(TOKENIZER, 'tokenizer.json')) {
  const posted: DatasetToWebview[] = [];
  const requests: TemplatePreviewRequest[] = [];
  const session = new DatasetSession({
    path: file,
    title: 't',
    cutoffLen: 10,
    post: (m) => posted.push(m),
    resolveTokenizer: () => ({ path: tokenizer, source: tokenizer ? 'setting' : 'none' }),
    resolveImagePath: () => null,
    previewTemplate: (req) => requests.push(req),
  });
  const result = () =>
    [...posted].reverse().find((m) => m.type === 'dataset/previewTemplateResult') as Extract<
      DatasetToWebview,
      { type: 'dataset/previewTemplateResult' }
    >;
  return { session, posted, requests, result };
}

test('preview: an alpaca row with renamed columns goes out with its dataset_info entry and maps as LLaMA-Factory does', async () => {
  const s = open(join(dir, 'data/sub/renamed.jsonl'));
  await s.session.handle({ type: 'dataset/ready' });
  await s.session.handle({ type: 'dataset/previewTemplate', index: 2 });
  assert.equal(s.requests.length, 1);
  const req = s.requests[0]!;
  assert.deepEqual(req.row, {
    q: ALPACA[2]!.instruction,
    ctx: ALPACA[2]!.input,
    a: ALPACA[2]!.output,
    sys: 'Be terse.',
  });
  assert.equal(req.rowIndex, 2);
  assert.equal(req.datasetPath, join(dir, 'data/sub/renamed.jsonl'));
  assert.equal(req.templatePath, join(TOKENIZER, 'tokenizer_config.json'), 'the template beside the panel tokenizer');
  // What the template command does with it: prompt + "\n" + query, then the response (LLaMA-Factory's alpaca).
  assert.deepEqual(rowToMessages(req.row, req.datasetInfoEntry).messages, [
    { role: 'system', content: 'Be terse.' },
    { role: 'user', content: `${ALPACA[2]!.instruction}\n${ALPACA[2]!.input}` },
    { role: 'assistant', content: ALPACA[2]!.output },
  ]);
  assert.equal(s.result().ok, true);
  assert.match(s.result().message, /Row 2 \(3 messages, mapped by "renamed"/);
  await s.session.dispose();
});

test('preview: a tokenized sharegpt row sends its conversation only, without the token columns', async () => {
  const s = open(fixture('sharegpt_tok'), null);
  await s.session.handle({ type: 'dataset/ready' });
  await s.session.handle({ type: 'dataset/previewTemplate', index: 1 });
  const truth = jsonl(join(DATA, 'expected/sharegpt_tok.jsonl'))[1]!;
  assert.deepEqual(s.requests[0]!.row, { conversations: truth.conversations });
  assert.equal(s.requests[0]!.templatePath, undefined, 'no tokenizer: the template command picks the template');
  assert.equal(s.requests[0]!.datasetInfoEntry, undefined);
  await s.session.dispose();
});

test('preview: a row with no chat shape says so and opens nothing', async () => {
  const s = open(fixture('alpaca_tok'));
  await s.session.handle({ type: 'dataset/ready' });
  await s.session.handle({ type: 'dataset/previewTemplate', index: 0 });
  assert.equal(s.requests.length, 0);
  assert.equal(s.result().ok, false);
  assert.match(
    s.result().message,
    /^Row 0 has no chat shape.*only token columns \(input_ids, attention_mask, labels\)/,
  );

  const t = open(fixture('types_parquet'));
  await t.session.handle({ type: 'dataset/ready' });
  await t.session.handle({ type: 'dataset/previewTemplate', index: 0 });
  // types_parquet has a `msgs` column of role/content structs, but not under a name the detection knows.
  assert.match(t.result().message, /cannot tell the chat format of this row \(fields: ints, big, huge/);
  await s.session.dispose();
  await t.session.dispose();
});
