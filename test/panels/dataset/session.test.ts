// The dataset panel's host side end to end, without VS Code: real files through the real readers,
// the real tokenizer fixture, token ids and masks made by the Python `tokenizers` library.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DatasetSession, PAGE_SIZE, PREVIEW_CHARS } from '../../../src/panels/dataset/session';
import { resolveTokenizer } from '../../../src/panels/dataset/tokenizerResolve';
import type { DatasetFromWebview, DatasetToWebview } from '../../../protocol/webview';

const REPO = resolve(__dirname, '../../..');
const PY = process.env.BATCHSCOPE_TEST_PYTHON ?? join(REPO, '.venv/bin/python');
const TOKENIZER = join(REPO, 'test/.fixtures/tokenizer');
const XSS = '<img src=x onerror=alert(1)>';

let dir: string;
/** Ground truth from Python: a ChatML prompt (masked) + answer (trained), and its decode. */
let truth: { ids: number[]; labels: number[]; decoded: string; imEnd: number };

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

before(() => {
  assert.ok(existsSync(join(TOKENIZER, 'tokenizer.json')), 'build fixtures first: bash scripts/fixtures.sh');
  dir = mkdtempSync(join(tmpdir(), 'bs-session-'));
  const py = `
import json, sys
from tokenizers import Tokenizer
t = Tokenizer.from_file(sys.argv[1] + "/tokenizer.json")
prompt = t.encode("<|im_start|>user\\nWhat is the capital of France?<|im_end|>\\n<|im_start|>assistant\\n", add_special_tokens=False).ids
answer = t.encode("The capital of France is Paris.<|im_end|>", add_special_tokens=False).ids
ids = prompt + answer
print(json.dumps({"ids": ids, "labels": [-100] * len(prompt) + answer,
                  "decoded": t.decode(ids, skip_special_tokens=False), "imEnd": t.token_to_id("<|im_end|>")}))
`;
  const r = spawnSync(PY, ['-c', py, TOKENIZER], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  truth = JSON.parse(r.stdout);

  const rows: string[] = [];
  rows.push(JSON.stringify({ text: 'first row', input_ids: truth.ids, labels: truth.labels }));
  rows.push(JSON.stringify({ text: XSS, input_ids: [1, 2, 3], labels: [-100, -100, -100] }));
  rows.push('{"text": "cut off here", "input_ids": [1, 2');
  rows.push(JSON.stringify({ text: 'x'.repeat(5000), input_ids: [4, 5, 6], labels: [-100, 5] }));
  for (let i = 4; i < 120; i++)
    rows.push(JSON.stringify({ text: `row ${i} Paris`, input_ids: [7, 8, i], labels: [7, 8, i] }));
  writeFileSync(join(dir, 'train.jsonl'), rows.join('\n') + '\n');

  // Big enough that a search is still running when it is cancelled.
  const big: string[] = [];
  for (let i = 0; i < 150_000; i++) big.push(`{"text": "line ${i} lorem ipsum dolor sit amet"}`);
  writeFileSync(join(dir, 'big.jsonl'), big.join('\n') + '\n');
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** A session plus every message it posted; `next(type)` waits for the next message of a type. */
function open(file: string, tokenizerSetting = TOKENIZER) {
  const posted: DatasetToWebview[] = [];
  const waiters: { type: string; resolve: (m: DatasetToWebview) => void }[] = [];
  const session = new DatasetSession({
    path: file,
    title: 'test',
    cutoffLen: 10,
    post: (m) => {
      posted.push(m);
      const i = waiters.findIndex((w) => w.type === m.type);
      if (i >= 0) waiters.splice(i, 1)[0]!.resolve(m);
    },
    resolveTokenizer: (picked) =>
      resolveTokenizer({ datasetPath: file, datasetIsFolder: false, setting: tokenizerSetting, picked, isFile }),
    resolveImagePath: () => null,
  });
  const send = (m: DatasetFromWebview) => session.handle(m);
  const last = <T extends DatasetToWebview['type']>(type: T) =>
    [...posted].reverse().find((m) => m.type === type) as Extract<DatasetToWebview, { type: T }> | undefined;
  const next = <T extends DatasetToWebview['type']>(type: T) =>
    new Promise<Extract<DatasetToWebview, { type: T }>>((res) =>
      waiters.push({ type, resolve: res as (m: DatasetToWebview) => void }),
    );
  return { session, posted, send, last, next };
}

test('init names the columns, their roles and the bad line; pages hold previews and flags', async () => {
  const s = open(join(dir, 'train.jsonl'));
  await s.send({ type: 'dataset/ready' });
  const init = s.last('dataset/init')!;
  assert.equal(init.numRows, 120);
  assert.deepEqual(
    init.columns.map((c) => [c.name, c.role]),
    [
      ['text', 'text'],
      ['input_ids', 'input_ids'],
      ['labels', 'labels'],
    ],
  );
  assert.equal(init.pageSize, PAGE_SIZE);
  assert.equal(init.indicesOnly, false);
  assert.deepEqual(init.tokenizer, { path: join(TOKENIZER, 'tokenizer.json'), source: 'setting' });

  await s.send({ type: 'dataset/requestPage', offset: 0, limit: 1000 });
  const page = s.last('dataset/page')!;
  assert.equal(page.rows.length, PAGE_SIZE, 'never more than a page per message');
  assert.equal(page.rows[1]!.cells.text!.text, XSS, 'markup is passed on as text, for textContent');
  const bad = page.rows[2]!;
  assert.equal(bad.error?.line, 3);
  assert.match(bad.error!.file, /train\.jsonl$/);
  const errs = [...s.posted].flatMap((m) => ('errors' in m ? m.errors : []));
  assert.ok(
    errs.some((e) => e.line === 3 && /train\.jsonl$/.test(e.file)),
    'the error list names file and line',
  );
  assert.ok(page.rows[1]!.flags.includes('0 trained tokens'));
  assert.deepEqual(page.rows[0]!.flags, [], 'row 0 trains on its answer and ends with <|im_end|>');
  const long = page.rows[3]!;
  assert.equal(long.cells.text!.truncated, true);
  assert.equal(long.cells.text!.text.length, PREVIEW_CHARS);
  assert.ok(long.flags.includes('input_ids 3 ≠ labels 2'));
  assert.equal(page.rows[0]!.cells.input_ids!.text.startsWith(`[${truth.ids[0]}, ${truth.ids[1]}`), true);

  await s.send({ type: 'dataset/requestPage', offset: 100, limit: PAGE_SIZE });
  assert.deepEqual(
    s.last('dataset/page')!.rows.map((r) => r.index),
    Array.from({ length: 20 }, (_, i) => 100 + i),
  );
  await s.session.dispose();
});

test('the selected row comes in full with token chips that match the Python tokenizer', async () => {
  const s = open(join(dir, 'train.jsonl'));
  await s.send({ type: 'dataset/ready' });
  await s.send({ type: 'dataset/selectRow', index: 0 });
  const d = s.last('dataset/row')!.detail;
  assert.equal(d.index, 0);
  const t = d.tokens!;
  assert.equal(t.column, 'input_ids');
  assert.equal(t.decoded, true);
  assert.deepEqual(
    t.chips.map((c) => c.id),
    truth.ids,
  );
  assert.deepEqual(
    t.chips.map((c) => c.trained),
    truth.labels.map((l) => l !== -100),
    'trained exactly where labels ≠ −100',
  );
  const text = t.chips
    .map((c) => c.text)
    .join('')
    .replace(/·/g, ' ')
    .replace(/↵/g, '\n');
  assert.equal(text, truth.decoded);
  assert.ok(
    t.chips.filter((c) => c.id === truth.imEnd).every((c) => c.special),
    '<|im_end|> is marked special',
  );
  assert.ok(t.chips.some((c) => !c.special));

  await s.send({ type: 'dataset/selectRow', index: 3 });
  const full = s.last('dataset/row')!.detail.cells.find((c) => c.column === 'text')!;
  assert.equal(full.text, 'x'.repeat(5000), 'the selected row carries the full cell text');
  await s.send({ type: 'dataset/selectRow', index: 2 });
  assert.equal(s.last('dataset/row')!.detail.error?.line, 3);
  await s.session.dispose();
});

test('without a tokenizer the token view shows ids, still shaded by labels', async () => {
  const s = open(join(dir, 'train.jsonl'), '');
  await s.send({ type: 'dataset/ready' });
  // A tokenizer.json in a parent of the temp folder would be found instead; none is expected there.
  if (s.last('dataset/init')!.tokenizer.path !== null) return;
  await s.send({ type: 'dataset/selectRow', index: 5 });
  const t = s.last('dataset/row')!.detail.tokens!;
  assert.equal(t.decoded, false);
  assert.deepEqual(
    t.chips.map((c) => [c.text, c.trained]),
    [
      ['7', true],
      ['8', true],
      ['5', true],
    ],
  );
  // Picking a tokenizer switches the panel to decoded chips.
  s.session.useTokenizer(TOKENIZER);
  assert.equal(s.last('dataset/tokenizer')!.tokenizer.source, 'picked');
  await s.send({ type: 'dataset/selectRow', index: 5 });
  assert.equal(s.last('dataset/row')!.detail.tokens!.decoded, true);
  await s.session.dispose();
});

test('search finds text and token-id runs, reports progress, and rejects a bad query', async () => {
  const s = open(join(dir, 'train.jsonl'));
  await s.send({ type: 'dataset/ready' });
  await s.send({ type: 'dataset/search', query: 'paris' });
  let done = s.last('dataset/searchDone')!;
  assert.equal(done.cancelled, false);
  assert.equal(done.error, undefined);
  const hits = s.posted.flatMap((m) => (m.type === 'dataset/searchHits' && m.searchId === done.searchId ? m.hits : []));
  assert.equal(done.count, 116);
  assert.deepEqual(
    hits.map((h) => h.row),
    Array.from({ length: 116 }, (_, i) => 4 + i),
  );
  assert.ok(s.posted.some((m) => m.type === 'dataset/searchProgress'));

  const run = truth.ids.slice(3, 6).join(' ');
  await s.send({ type: 'dataset/search', query: `ids: ${run}` });
  done = s.last('dataset/searchDone')!;
  const idHits = s.posted.flatMap((m) =>
    m.type === 'dataset/searchHits' && m.searchId === done.searchId ? m.hits : [],
  );
  // The snippet shows the ids around the run, the run itself at start..start+length.
  const head = truth.ids.slice(0, 3).join(' ');
  const tail = truth.ids.slice(6, 12).join(' ');
  assert.deepEqual(idHits, [
    {
      row: 0,
      column: 'input_ids',
      snippet: {
        text: `${head} ${run} ${tail}`,
        start: head.length + 1,
        length: run.length,
        before: false,
        after: truth.ids.length > 12,
      },
    },
  ]);
  const textHit = hits.find((h) => h.row === 4)!;
  assert.equal(
    textHit.snippet!.text.slice(textHit.snippet!.start, textHit.snippet!.start + textHit.snippet!.length),
    'Paris',
  );

  await s.send({ type: 'dataset/search', query: 'ids: 1 two' });
  assert.match(s.last('dataset/searchDone')!.error ?? '', /"two" is not a token id/);
  await s.session.dispose();
});

test('a running search stops on Cancel and when the panel closes', async () => {
  const s = open(join(dir, 'big.jsonl'));
  await s.send({ type: 'dataset/ready' });
  const doneP = s.next('dataset/searchDone');
  const running = s.send({ type: 'dataset/search', query: 'no such text anywhere' });
  await s.next('dataset/searchProgress');
  await s.send({ type: 'dataset/cancelSearch' });
  await running;
  const done = await doneP;
  assert.equal(done.cancelled, true);
  assert.equal(done.count, 0);

  const stats = s.send({ type: 'dataset/computeStats', cutoffLen: 5 });
  await s.next('dataset/statsProgress');
  const before = s.posted.length;
  await s.session.dispose();
  await stats;
  assert.equal(s.posted.length, before, 'nothing is posted after the panel closed');
  await s.send({ type: 'dataset/requestPage', offset: 0, limit: 10 }); // must not throw
});

test('stats run in the background with progress and honour the cutoff from the panel', async () => {
  const s = open(join(dir, 'train.jsonl'));
  await s.send({ type: 'dataset/ready' });
  await s.send({ type: 'dataset/computeStats', cutoffLen: 3 });
  assert.deepEqual(s.last('dataset/statsDone'), { type: 'dataset/statsDone', cancelled: false });
  const st = s.last('dataset/stats')!.stats;
  assert.equal(st.rows, 120);
  assert.equal(st.cutoffLen, 3);
  assert.equal(st.lengthColumn, 'input_ids');
  assert.equal(st.atOrOverCutoff, 119, 'the malformed line has no length');
  assert.equal(st.rowsWithNoTrainedTokens, 1);
  assert.equal(st.rowsWithLengthMismatch, 1);
  assert.notEqual(st.rowsWithoutEos, null, 'the tokenizer defines EOS, so the count is known');
  assert.ok(st.histogram.reduce((a, b) => a + b.count, 0) === 119);
  await s.session.dispose();
});

test('a file that cannot be opened gives one message naming it, and no crash', async () => {
  const s = open(join(dir, 'missing.parquet'));
  await s.send({ type: 'dataset/ready' });
  const fatal = s.last('dataset/fatal')!;
  assert.match(fatal.message, /missing\.parquet/);
  await s.send({ type: 'dataset/requestPage', offset: 0, limit: 10 });
  await s.send({ type: 'dataset/selectRow', index: 0 });
  assert.ok(s.posted.every((m) => m.type === 'dataset/fatal' || m.type === 'dataset/tokenizer'));
  await s.session.dispose();

  writeFileSync(join(dir, 'garbage.arrow'), 'this is not arrow at all');
  const g = open(join(dir, 'garbage.arrow'));
  await g.send({ type: 'dataset/ready' });
  assert.match(g.last('dataset/fatal')!.message, /garbage\.arrow/);
  await g.session.dispose();
});
