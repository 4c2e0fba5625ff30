// The dataset panel's views, host side, message by message, against the fixture files and ground truth
// from Python: column header summaries (pyarrow.compute), filter + sort views (pyarrow rows), search
// snippets, conversation turns marked trained / masked (labels transformers made), and statistics of
// untokenized conversations in tokens (transformers' apply_chat_template).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DatasetSession } from '../../../src/panels/dataset/session';
import type { DatasetFromWebview, DatasetToWebview } from '../../../protocol/webview';
import { fixturePath, manifest, TOKENIZER } from '../../data/fixtures';

const REPO = resolve(__dirname, '../../..');
const PY = process.env.BATCHSCOPE_TEST_PYTHON ?? join(REPO, '.venv/bin/python');
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'bs-views-'));
  const big: string[] = [];
  for (let i = 0; i < 40_000; i++) big.push(`{"text": "line ${i} lorem ipsum", "n": ${i % 97}}`);
  writeFileSync(join(dir, 'big.jsonl'), big.join('\n') + '\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function python(code: string, ...args: string[]): unknown {
  const r = spawnSync(PY, ['-c', code, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function open(file: string, tokenizer: string | null = null) {
  const posted: DatasetToWebview[] = [];
  const waiters: {
    type: string;
    pred: (m: DatasetToWebview) => boolean;
    resolve: (m: DatasetToWebview) => void;
    reject: (e: Error) => void;
  }[] = [];
  let fatal: Error | undefined;
  const session = new DatasetSession({
    path: file,
    title: 'test',
    cutoffLen: 10,
    post: (m) => {
      posted.push(m);
      // A file that cannot be opened fails the waiting test at once (not a hang).
      if (m.type === 'dataset/fatal') {
        fatal = new Error(`dataset/fatal: ${m.message}`);
        for (const w of waiters.splice(0)) w.reject(fatal);
      }
      const i = waiters.findIndex((w) => w.type === m.type && w.pred(m));
      if (i >= 0) waiters.splice(i, 1)[0]!.resolve(m);
    },
    resolveTokenizer: () => (tokenizer ? { path: tokenizer, source: 'setting' } : { path: null, source: 'none' }),
    resolveImagePath: () => null,
  });
  const wait = <T extends DatasetToWebview['type']>(
    type: T,
    pred: (m: Extract<DatasetToWebview, { type: T }>) => boolean = () => true,
  ): Promise<Extract<DatasetToWebview, { type: T }>> => {
    const seen = posted.find((m) => m.type === type && pred(m as Extract<DatasetToWebview, { type: T }>));
    if (seen) return Promise.resolve(seen as Extract<DatasetToWebview, { type: T }>);
    if (fatal) return Promise.reject(fatal);
    return new Promise((res, rej) =>
      waiters.push({
        type,
        pred: pred as (m: DatasetToWebview) => boolean,
        resolve: res as (m: DatasetToWebview) => void,
        reject: rej,
      }),
    );
  };
  const send = (m: DatasetFromWebview) => session.handle(m);
  /** Every row of a view, paged as the grid pages it. */
  const viewRows = async (view: number, count: number) => {
    const out: { index: number; tokens?: number; trained?: number; flags: string[] }[] = [];
    for (let off = 0; off < count; off += 50) {
      await send({ type: 'dataset/requestPage', offset: off, limit: 50, view });
      const page = [...posted].reverse().find((m) => m.type === 'dataset/page' && m.view === view && m.offset === off);
      assert.ok(page && page.type === 'dataset/page');
      out.push(...page.rows);
    }
    return out;
  };
  return { session, posted, wait, send, viewRows };
}

for (const name of ['types_list', 'types_parquet'])
  test(`column headers of ${name}: null counts and length / value min, mean, max equal pyarrow.compute`, async () => {
    const file = fixturePath(manifest()[name]!);
    const s = open(file);
    await s.send({ type: 'dataset/ready' });
    const msg = await s.wait('dataset/columnStats');
    assert.ok((await s.wait('dataset/columnStatsDone')).cancelled === false);
    const truth = python(
      `
import json, sys, pyarrow as pa, pyarrow.compute as pc, pyarrow.parquet as pq
if sys.argv[1].endswith(".parquet"): t = pq.read_table(sys.argv[1])
else:
    with pa.memory_map(sys.argv[1]) as f: t = pa.ipc.open_stream(f).read_all()
out = {}
for name in t.column_names:
    col = t[name].combine_chunks()
    if pa.types.is_dictionary(col.type): col = col.dictionary_decode()
    ty = col.type
    e = {"nulls": col.null_count}
    if pa.types.is_string(ty) or pa.types.is_large_string(ty): m = pc.utf8_length(col)
    elif pa.types.is_binary(ty) or pa.types.is_large_binary(ty): m = pc.binary_length(col)
    elif pa.types.is_list(ty) or pa.types.is_large_list(ty): m = pc.list_value_length(col)
    elif pa.types.is_integer(ty) or pa.types.is_floating(ty): m = col
    else: m = None
    if pa.types.is_boolean(ty): e["trues"] = pc.sum(col).as_py()
    if m is not None and m.null_count < len(m):
        e.update(min=float(pc.min(m).as_py()), max=float(pc.max(m).as_py()), mean=pc.mean(m).as_py())
    out[name] = e
print(json.dumps(out))
`,
      file,
    ) as Record<string, { nulls: number; min?: number; max?: number; mean?: number; trues?: number }>;
    assert.deepEqual(
      msg.columns.map((c) => c.name),
      Object.keys(truth),
    );
    for (const c of msg.columns) {
      const t = truth[c.name]!;
      assert.equal(c.nulls, t.nulls, `${c.name} nulls`);
      assert.equal(c.rows, 11);
      if (t.trues !== undefined) assert.equal(c.trues, t.trues, `${c.name} trues`);
      if (t.min === undefined) continue;
      assert.ok(Math.abs(c.min! - t.min) < 1e-6 * Math.max(1, Math.abs(t.min)), `${c.name} min ${c.min} vs ${t.min}`);
      assert.ok(Math.abs(c.max! - t.max!) < 1e-6 * Math.max(1, Math.abs(t.max!)), `${c.name} max ${c.max} vs ${t.max}`);
      assert.ok(Math.abs(c.mean! - t.mean!) < 1e-6 * Math.max(1, Math.abs(t.mean!)), `${c.name} mean`);
      // The histogram counts every measured cell once.
      assert.equal(
        c.histogram.reduce((n, b) => n + b.count, 0),
        11 - c.nulls,
        `${c.name} histogram total`,
      );
    }
    await s.session.dispose();
  });

test('filter + sort by computed tokens / trained: the view holds pyarrow’s rows in order, paged', async () => {
  const file = fixturePath(manifest().alpaca_tok);
  const truth = python(
    `
import json, sys, pyarrow as pa
with pa.memory_map(sys.argv[1]) as f: t = pa.ipc.open_stream(f).read_all()
out = []
for i, r in enumerate(t.to_pylist()):
    m = r["attention_mask"]; ones = [k for k, x in enumerate(m) if x]
    tokens = ones[-1] - ones[0] + 1 if ones else 0
    out.append({"i": i, "tokens": tokens, "trained": sum(1 for x in r["labels"] if x != -100),
                "mismatch": len(r["labels"]) != len(r["input_ids"])})
print(json.dumps(out))
`,
    file,
  ) as { i: number; tokens: number; trained: number; mismatch: boolean }[];
  const s = open(file);
  await s.send({ type: 'dataset/ready' });

  await s.send({ type: 'dataset/query', filter: 'tokens > 30 and trained >= 5', sort: { key: 'tokens', desc: true } });
  const done = await s.wait('dataset/queryDone');
  assert.equal(done.error, undefined);
  const want = truth.filter((r) => r.tokens > 30 && r.trained >= 5).sort((a, b) => b.tokens - a.tokens || a.i - b.i);
  assert.ok(want.length > 0 && want.length < truth.length, 'the filter keeps some rows, not all');
  assert.equal(done.count, want.length);
  assert.ok(s.posted.some((m) => m.type === 'dataset/queryProgress' && m.queryId === done.queryId));
  const rows = await s.viewRows(done.queryId, done.count);
  assert.deepEqual(
    rows.map((r) => [r.index, r.tokens, r.trained]),
    want.map((r) => [r.i, r.tokens, r.trained]),
  );

  // Flags: the rows whose labels and ids differ in length, and the grid flags them the same way.
  await s.send({ type: 'dataset/query', filter: 'flag = length_mismatch' });
  const f = await s.wait('dataset/queryDone', (m) => m.queryId > done.queryId);
  const mism = truth.filter((r) => r.mismatch).map((r) => r.i);
  assert.ok(mism.length > 0);
  const flagged = await s.viewRows(f.queryId, f.count);
  assert.deepEqual(
    flagged.map((r) => r.index),
    mism,
  );
  assert.ok(flagged.every((r) => r.flags.some((x) => /input_ids \d+ ≠ labels \d+/.test(x))));

  // Locate: a row of the view gives its position; one outside gives null.
  await s.send({ type: 'dataset/locate', view: f.queryId, row: mism[0]! });
  assert.deepEqual(s.posted.at(-1), { type: 'dataset/located', view: f.queryId, row: mism[0], position: 0 });
  const outside = truth.find((r) => !r.mismatch)!.i;
  await s.send({ type: 'dataset/locate', view: f.queryId, row: outside });
  assert.deepEqual(s.posted.at(-1), { type: 'dataset/located', view: f.queryId, row: outside, position: null });

  // A page of an older view is not answered (the webview has moved on).
  const before = s.posted.length;
  await s.send({ type: 'dataset/requestPage', offset: 0, limit: 50, view: done.queryId });
  assert.equal(s.posted.length, before);

  // A bad filter says why, naming the columns; an empty filter without sort is every row again.
  await s.send({ type: 'dataset/query', filter: 'tokenz > 3' });
  const bad = await s.wait('dataset/queryDone', (m) => m.queryId > f.queryId);
  assert.match(bad.error ?? '', /no column named "tokenz".*input_ids/);
  await s.send({ type: 'dataset/query', filter: '' });
  const all = await s.wait('dataset/queryDone', (m) => m.queryId > bad.queryId);
  assert.equal(all.count, truth.length);
  await s.session.dispose();
});

test('column filters and sorts on a JSONL text column; a new query cancels the running one', async () => {
  const s = open(join(dir, 'big.jsonl'));
  await s.send({ type: 'dataset/ready' });
  const first = s.send({ type: 'dataset/query', filter: 'text ~ "lorem"', sort: { key: 'n', desc: false } });
  await s.wait('dataset/queryProgress');
  const second = s.send({ type: 'dataset/query', filter: 'n = 5 and text ~ "line 10"' });
  await Promise.all([first, second]);
  const dones = s.posted.filter((m) => m.type === 'dataset/queryDone');
  assert.equal(dones.length, 2);
  assert.equal(dones[0]!.type === 'dataset/queryDone' && dones[0]!.cancelled, true, 'the first run was cancelled');
  const d = dones[1]!;
  assert.ok(d.type === 'dataset/queryDone' && !d.cancelled && !d.error);
  const want: number[] = [];
  for (let i = 0; i < 40_000; i++) if (i % 97 === 5 && `line ${i}`.includes('line 10')) want.push(i);
  assert.equal(d.count, want.length);
  const rows = await s.viewRows(d.queryId, d.count);
  assert.deepEqual(
    rows.map((r) => r.index),
    want,
  );
  await s.session.dispose();
});

test('tokenized sharegpt: turns marked as transformers’ assistant mask trained them', async () => {
  const m = manifest().sharegpt_tok;
  const s = open(fixturePath(m), join(TOKENIZER, 'tokenizer.json'));
  await s.send({ type: 'dataset/ready' });
  const rows = python(
    `
import json, sys, pyarrow as pa
with pa.memory_map(sys.argv[1]) as f: t = pa.ipc.open_stream(f).read_all()
print(json.dumps([[x["from"] for x in r["conversations"]] for r in t.to_pylist()]))
`,
    fixturePath(m),
  ) as string[][];
  for (let i = 0; i < rows.length; i++) {
    await s.send({ type: 'dataset/selectRow', index: i });
    const detail = (await s.wait('dataset/row', (x) => x.detail.index === i)).detail;
    const turns = detail.cells.find((c) => c.turns)!.turns!;
    // The fixture's labels come from apply_chat_template(return_assistant_tokens_mask=True): gpt turns only.
    assert.deepEqual(
      turns.map((t) => t.train),
      rows[i]!.map((from) => (from === 'gpt' ? 'trained' : 'masked')),
      `row ${i}`,
    );
    for (const t of turns) assert.ok(t.tokens! > 0 && t.trainedTokens! === (t.train === 'trained' ? t.tokens : 0));
  }
  await s.session.dispose();
});

test('untokenized sharegpt statistics are in tokens through the chat template, as transformers counts', async () => {
  const m = manifest().sharegpt_jsonl;
  const s = open(fixturePath(m), join(TOKENIZER, 'tokenizer.json'));
  await s.send({ type: 'dataset/ready' });
  await s.send({ type: 'dataset/computeStats', cutoffLen: 30 });
  const stats = (await s.wait('dataset/stats')).stats;
  const lengths = python(
    `
import json, sys
from transformers import AutoTokenizer
tok = AutoTokenizer.from_pretrained(sys.argv[2])
role = {"human": "user", "gpt": "assistant", "system": "system"}
out = []
for line in open(sys.argv[1]):
    if not line.strip(): continue
    msgs = [{"role": role[t["from"]], "content": t["value"]} for t in json.loads(line)["conversations"]]
    ids = tok.apply_chat_template(msgs, tokenize=True)
    out.append(len(ids["input_ids"] if hasattr(ids, "keys") else ids))
print(json.dumps(out))
`,
    fixturePath(m),
    TOKENIZER,
  ) as number[];
  assert.equal(stats.lengthUnit, 'tokens');
  assert.match(stats.lengthColumn ?? '', /chat template tokenizer_config\.json \+ tokenizer/);
  assert.equal(stats.minLength, Math.min(...lengths));
  assert.equal(stats.maxLength, Math.max(...lengths));
  assert.ok(Math.abs(stats.meanLength - lengths.reduce((a, b) => a + b, 0) / lengths.length) < 1e-9);
  assert.equal(stats.atOrOverCutoff, lengths.filter((n) => n >= 30).length);
  assert.equal(
    stats.histogram.reduce((n, b) => n + b.count, 0),
    lengths.length,
  );
  await s.session.dispose();
});

test('plain text statistics are in tokens as tokenizer(text) counts them', async () => {
  const texts = ['Hello world.', 'A longer line of pretraining text, with punctuation!', 'ünïcödé 🙂 text', 'x'];
  const file = join(dir, 'pretrain.jsonl');
  writeFileSync(file, texts.map((text) => JSON.stringify({ text })).join('\n') + '\n');
  const s = open(file, join(TOKENIZER, 'tokenizer.json'));
  await s.send({ type: 'dataset/ready' });
  await s.send({ type: 'dataset/computeStats', cutoffLen: 5 });
  const stats = (await s.wait('dataset/stats')).stats;
  const lengths = python(
    `
import json, sys
from transformers import AutoTokenizer
tok = AutoTokenizer.from_pretrained(sys.argv[2])
print(json.dumps([len(tok(json.loads(l)["text"])["input_ids"]) for l in open(sys.argv[1]) if l.strip()]))
`,
    file,
    TOKENIZER,
  ) as number[];
  assert.equal(stats.lengthUnit, 'tokens');
  assert.equal(stats.lengthColumn, 'text (tokenizer)');
  assert.deepEqual(
    [stats.minLength, stats.maxLength, stats.atOrOverCutoff],
    [Math.min(...lengths), Math.max(...lengths), lengths.filter((n) => n >= 5).length],
  );
  assert.ok(Math.abs(stats.meanLength - lengths.reduce((a, b) => a + b, 0) / lengths.length) < 1e-9);
  await s.session.dispose();
});
