// The dataset panel's host side over the shared fixtures (test/.fixtures/data, built by
// scripts/fixtures.sh with `datasets`, pyarrow and tokenizers): HF caches, save_to_disk folders,
// the shuffle-indices cache, images, a malformed JSONL. Ground truth: the builder's expected/*.jsonl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatasetSession } from '../../../src/panels/dataset/session';
import type { DatasetFromWebview, DatasetToWebview } from '../../../protocol/webview';

const FIXTURES = resolve(__dirname, '../../.fixtures');
const DATA = join(FIXTURES, 'data');
const TOKENIZER_JSON = join(FIXTURES, 'tokenizer/tokenizer.json');

interface Entry {
  path: string;
  rows: number;
  decode?: string;
}
function manifest(): Record<string, Entry> {
  const p = join(DATA, 'manifest.json');
  assert.ok(existsSync(p), `missing ${p}: build fixtures first with bash scripts/fixtures.sh`);
  return JSON.parse(readFileSync(p, 'utf8'));
}
function expected(name: string): Record<string, unknown>[] {
  return readFileSync(join(DATA, 'expected', `${name}.jsonl`), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

function open(name: string, withTokenizer = true) {
  const entry = manifest()[name]!;
  const posted: DatasetToWebview[] = [];
  const session = new DatasetSession({
    path: join(DATA, entry.path),
    title: name,
    cutoffLen: 20,
    post: (m) => posted.push(m),
    resolveTokenizer: () =>
      withTokenizer ? { path: TOKENIZER_JSON, source: 'setting' } : { path: null, source: 'none' },
    resolveImagePath: () => null,
  });
  const send = (m: DatasetFromWebview) => session.handle(m);
  const last = <T extends DatasetToWebview['type']>(type: T) =>
    [...posted].reverse().find((m) => m.type === type) as Extract<DatasetToWebview, { type: T }> | undefined;
  return { entry, session, posted, send, last };
}

/** Chip text back to the string it shows (the chips make whitespace visible). */
function unvisible(s: string): string {
  return s.replace(/·/g, ' ').replace(/↵/g, '\n').replace(/→/g, '\t').replace(/␍/g, '\r');
}

test('an HF map() cache: token chips of every row decode like tokenizers, masks and flags match the labels', async () => {
  const s = open('alpaca_tok');
  await s.send({ type: 'dataset/ready' });
  const init = s.last('dataset/init')!;
  assert.equal(init.numRows, 40);
  const roles = Object.fromEntries(init.columns.map((c) => [c.name, c.role]));
  assert.equal(roles.input_ids, 'input_ids');
  assert.equal(roles.labels, 'labels');
  assert.equal(roles.attention_mask, 'attention_mask');

  const rows = expected('alpaca_tok');
  const decoded = expected('alpaca_tok.decode');
  let compared = 0;
  for (let i = 0; i < rows.length; i++) {
    await s.send({ type: 'dataset/selectRow', index: i });
    const d = s.last('dataset/row')!.detail;
    assert.equal(d.index, i);
    const chips = d.tokens!.chips;
    assert.deepEqual(
      chips.map((c) => c.id),
      rows[i]!.input_ids,
      `row ${i} ids`,
    );
    const labels = rows[i]!.labels as number[];
    assert.deepEqual(
      chips.slice(0, labels.length).map((c) => c.trained),
      labels.map((l) => l !== -100),
      `row ${i}: trained exactly where labels ≠ −100`,
    );
    // Split multi-byte characters show as <0xNN> by design; compare the rows without them.
    if (!chips.some((c) => c.text.includes('<0x'))) {
      assert.equal(unvisible(chips.map((c) => c.text).join('')), decoded[i]!.decode, `row ${i} text`);
      compared++;
    }
  }
  assert.ok(compared >= 30, `compared ${compared} rows`);

  await s.send({ type: 'dataset/requestPage', offset: 0, limit: 50 });
  const page = s.last('dataset/page')!;
  assert.equal(page.rows.length, 40);
  assert.ok(page.rows[7]!.flags.includes('0 trained tokens'), 'the MASKALL row is flagged');
  assert.ok(page.rows[8]!.flags.includes('input_ids 38 ≠ labels 37'), 'the MISMATCH row is flagged');
  assert.equal(
    page.rows.filter((r) => r.flags.some((f) => f.startsWith('0 trained') || f.startsWith('input_ids'))).length,
    2,
  );
  await s.session.dispose();
});

test('a shuffle()/select() indices cache shows the explanation, not a grid of numbers', async () => {
  const s = open('shuffle_indices');
  await s.send({ type: 'dataset/ready' });
  const init = s.last('dataset/init')!;
  assert.equal(init.indicesOnly, true);
  assert.ok(
    init.notes.some((n) => /indices/.test(n)),
    init.notes.join(' | '),
  );
  await s.session.dispose();
});

test('a save_to_disk folder with two shards reads as one dataset', async () => {
  const s = open('saved_alpaca_tok');
  await s.send({ type: 'dataset/ready' });
  assert.equal(s.last('dataset/init')!.format, 'save_to_disk');
  await s.send({ type: 'dataset/requestPage', offset: 0, limit: 50 });
  const page = s.last('dataset/page')!;
  const want = expected('saved_alpaca_tok');
  assert.equal(page.rows.length, want.length);
  assert.deepEqual(
    page.rows.map((r) => r.index),
    want.map((_, i) => i),
  );
  await s.session.dispose();
});

for (const name of ['saved_images', 'images_parquet']) {
  test(`HF Image cells (${name}) become thumbnails: data: URLs of the stored bytes`, async () => {
    const s = open(name, false);
    await s.send({ type: 'dataset/ready' });
    await s.send({ type: 'dataset/requestPage', offset: 0, limit: 50 });
    const page = s.last('dataset/page')!;
    const want = expected(name);
    assert.equal(page.rows.length, want.length);
    page.rows.forEach((r, i) => {
      const img = (want[i]!.image as { bytes: string }).bytes;
      assert.equal(r.cells.image!.image, `data:image/png;base64,${img}`);
      assert.equal(r.cells.caption!.text, want[i]!.caption);
    });
    await s.send({ type: 'dataset/selectRow', index: 1 });
    const cell = s.last('dataset/row')!.detail.cells.find((c) => c.column === 'image')!;
    assert.match(cell.image ?? '', /^data:image\/png;base64,/);
    await s.session.dispose();
  });
}

test('a malformed JSONL line is named by file and line; the other rows still show', async () => {
  const s = open('malformed_jsonl');
  await s.send({ type: 'dataset/ready' });
  await s.send({ type: 'dataset/requestPage', offset: 0, limit: 50 });
  const want = expected('malformed_jsonl');
  const page = s.last('dataset/page')!;
  const errors = [...s.last('dataset/init')!.errors, ...page.errors];
  want.forEach((w, i) => {
    const row = page.rows[i]!;
    if ('$error' in w) {
      const line = (w.$error as { line: number }).line;
      assert.equal(row.error?.line, line);
      assert.ok(errors.some((e) => e.line === line && e.file.endsWith('malformed.jsonl')));
    } else {
      assert.equal(row.error, undefined);
      assert.equal(row.cells.instruction!.text, w.instruction);
    }
  });
  await s.session.dispose();
});

test('stats over an HF cache count the flagged rows and use the tokenizer EOS', async () => {
  const s = open('alpaca_tok');
  await s.send({ type: 'dataset/ready' });
  await s.send({ type: 'dataset/computeStats', cutoffLen: 20 });
  const st = s.last('dataset/stats')!.stats;
  const rows = expected('alpaca_tok');
  const lengths = rows.map((r) => (r.input_ids as number[]).length);
  assert.equal(st.rows, 40);
  assert.equal(st.atOrOverCutoff, lengths.filter((n) => n >= 20).length);
  assert.equal(st.maxLength, Math.max(...lengths));
  assert.equal(st.rowsWithNoTrainedTokens, 1);
  assert.equal(st.rowsWithLengthMismatch, 1);
  assert.notEqual(st.rowsWithoutEos, null);
  await s.session.dispose();
});
