// Every fixture row read through our readers equals what pyarrow / json.loads read, field by field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDataset } from '../../src/core/datasets/open';
import { fixturePath, manifest, normalize, readJsonl } from './fixtures';

const m = manifest();

for (const [name, e] of Object.entries(m)) {
  if (!e.expected) continue;
  test(`${name}: every row matches the Python reader`, async () => {
    const src = await openDataset(fixturePath(e));
    try {
      const expected = readJsonl(e.expected!) as Record<string, unknown>[];
      assert.equal(src.numRows, expected.length, 'row count');
      assert.equal(src.format, e.format);
      // Read in odd-sized pages so page boundaries fall inside record batches / row groups.
      const rows = [];
      for (let off = 0; off < src.numRows; off += 7) rows.push(...(await src.readRows(off, 7)));
      assert.equal(rows.length, expected.length);
      rows.forEach((row, i) => {
        assert.equal(row.index, i);
        const exp = expected[i];
        if ('$error' in exp) {
          assert.ok(row.error, `${name} row ${i}: expected a read error`);
          assert.equal(row.error!.line, (exp.$error as { line: number }).line, `${name} row ${i}: error line`);
          assert.match(row.error!.message, /\S/);
          return;
        }
        assert.equal(row.error, undefined, `${name} row ${i}: ${row.error?.message}`);
        assert.deepEqual(Object.keys(row.values).sort(), Object.keys(exp).sort(), `${name} row ${i}: columns`);
        for (const k of Object.keys(exp)) {
          assert.deepEqual(normalize(row.values[k]), exp[k], `${name} row ${i} column ${k}`);
        }
      });
      // Random access: a row read alone equals the same row read in sequence.
      const mid = Math.floor(src.numRows / 2);
      const [alone] = await src.readRows(mid, 1);
      assert.deepEqual(alone, rows[mid]);
    } finally {
      await src.close();
    }
  });
}

test('column types, roles and notes', async () => {
  const expectCols = async (name: string, want: Record<string, [string, string]>) => {
    const src = await openDataset(fixturePath(m[name]));
    const got = Object.fromEntries(src.columns.map((c) => [c.name, [c.type, c.role]]));
    for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k], v, `${name}.${k}`);
    await src.close();
    return src;
  };
  await expectCols('alpaca_tok', {
    input_ids: ['list<int32>', 'input_ids'],
    attention_mask: ['list<int8>', 'attention_mask'],
    labels: ['list<int64>', 'labels'],
  });
  await expectCols('sharegpt_tok', { conversations: ['list<struct<from: string, value: string>>', 'messages'] });
  await expectCols('sharegpt_jsonl', { conversations: ['list<struct<from: string, value: string>>', 'messages'] });
  await expectCols('saved_images', {
    image: ['struct<bytes: binary, path: string>', 'image'],
    caption: ['string', 'text'],
  });
  await expectCols('images_parquet', { image: ['struct<bytes: binary, path: string>', 'image'] });
  const types = await expectCols('types_list', {
    ints: ['list<int32>', 'other'],
    big: ['large_list<int64>', 'other'],
    huge: ['uint64', 'other'],
    nested: ['list<list<int16>>', 'other'],
    st: ['struct<a: int64, b: string, c: list<double>>', 'other'],
    nothing: ['null', 'other'],
    large_text: ['large_string', 'text'],
  });
  // HF features from the schema metadata: the datasets ≥ 4 `List` form and the older `Sequence` form.
  assert.equal((types.features as Record<string, { _type: string }>).ints._type, 'List');
  assert.equal((types.features as Record<string, { _type: string }>).big._type, 'LargeList');
  const seq = await expectCols('types_sequence', { ints: ['list<int32>', 'other'] });
  assert.equal((seq.features as Record<string, { _type: string }>).ints._type, 'Sequence');
  assert.equal(seq.columns.find((c) => c.name === 'ints')!.feature !== undefined, true);
  const idx = await expectCols('shuffle_indices', { indices: ['uint64', 'indices'] });
  assert.match(idx.notes.join(' '), /indices.*shuffle\(\)/);
  const saved = await expectCols('saved_alpaca_tok', { input_ids: ['list<int32>', 'input_ids'] });
  assert.equal(saved.format, 'save_to_disk');
  assert.match(saved.notes.join(' '), /2 shards/);
  assert.equal((saved.features as Record<string, { _type: string }>).input_ids._type, 'List');
});

test('bad JSONL lines are reported with their line, the other rows still read', async () => {
  for (const name of ['malformed_jsonl', 'latin1_jsonl']) {
    const e = m[name];
    const src = await openDataset(fixturePath(e));
    await src.readRows(0, src.numRows);
    assert.deepEqual(
      src.errors.map((x) => x.line),
      e.bad_lines,
    );
    assert.ok(src.errors.every((x) => x.file === fixturePath(e)));
    if (name === 'latin1_jsonl') assert.match(src.errors[0].message, /not valid UTF-8 \(byte 0xe9 at byte offset 30\)/);
    await src.close();
  }
});

test('a huge single line is capped and reported, not parsed', async () => {
  const e = m.huge_line_jsonl;
  const src = await openDataset(fixturePath(e), { maxLineBytes: 1 << 20 });
  const rows = await src.readRows(0, 3);
  assert.deepEqual(rows[0].values, { text: 'small' });
  assert.deepEqual(rows[2].values, { text: 'after' });
  assert.equal(rows[1].error?.line, 2);
  assert.match(rows[1].error!.message, /MiB, over the 1 MiB limit/);
  await src.close();
  // Under the default limit the same line reads in full.
  const full = await openDataset(fixturePath(e));
  const [r] = await full.readRows(1, 1);
  assert.equal((r.values.text as string).length, 3 * 1024 * 1024);
  await full.close();
});

test('indexes are cached only under indexCacheDir, and a cached open reads the same rows', async () => {
  const { mkdtempSync, readdirSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join, dirname } = await import('node:path');
  const cacheDir = join(mkdtempSync(join(tmpdir(), 'bs-idx-')), 'storage');
  for (const name of ['alpaca_tok', 'malformed_jsonl', 'saved_alpaca_tok', 'alpaca_json']) {
    const p = fixturePath(m[name]);
    const besideBefore = readdirSync(dirname(p)).sort();
    const first = await openDataset(p, { indexCacheDir: cacheDir });
    const rows1 = await first.readRows(0, first.numRows);
    await first.close();
    const second = await openDataset(p, { indexCacheDir: cacheDir });
    const rows2 = await second.readRows(0, second.numRows);
    await second.close();
    assert.deepEqual(rows2, rows1, name);
    assert.deepEqual(readdirSync(dirname(p)).sort(), besideBefore, `${name}: nothing written beside the data`);
  }
  // one index per file (the save_to_disk folder has two shards)
  assert.equal(readdirSync(cacheDir).filter((f) => f.endsWith('.json')).length, 5);
});
