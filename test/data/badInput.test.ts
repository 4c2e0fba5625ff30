// Damaged inputs: a clear error naming the file and the byte offset or line, whatever can be read still shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, cpSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset, DatasetOpenError } from '../../src/core/datasets/open';
import { fixturePath, manifest } from './fixtures';

const m = manifest();
const dir = mkdtempSync(join(tmpdir(), 'bs-bad-'));
const write = (name: string, bytes: Uint8Array | string) => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

test('truncated arrow stream: the batches before the cut read, the cut is reported with its byte offset', async () => {
  const bytes = readFileSync(fixturePath(m.alpaca_tok));
  const p = write('trunc.arrow', bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  const src = await openDataset(p);
  assert.ok(src.numRows > 0 && src.numRows < m.alpaca_tok.rows, `${src.numRows}`);
  assert.equal(src.errors.length, 1);
  assert.equal(src.errors[0].file, p);
  assert.ok(src.errors[0].byteOffset! > 0);
  assert.match(src.errors[0].message, /truncated Arrow message/);
  assert.match(src.notes.join(' '), /damaged after row/);
  const rows = await src.readRows(0, src.numRows);
  assert.ok(rows.every((r) => !r.error));
  await src.close();
});

test('arrow cut inside the schema, garbage, broken flatbuffers, empty: DatasetOpenError with file and byte', async () => {
  const bytes = readFileSync(fixturePath(m.types_list));
  const cases: [string, Uint8Array, RegExp][] = [
    ['schema-cut.arrow', bytes.subarray(0, 100), /truncated Arrow message/],
    [
      'garbage.arrow',
      new TextEncoder().encode('this is not arrow at all, just text\n'),
      /corrupt Arrow message framing|truncated/,
    ],
    ['empty.arrow', new Uint8Array(0), /empty file/],
  ];
  const broken = bytes.slice();
  broken.fill(0xff, 16, 200); // scribble over the schema flatbuffer
  cases.push(['flatbuf.arrow', broken, /corrupt (flatbuffer|Arrow)|does not start with a schema/]);
  for (const [name, b, re] of cases) {
    const p = write(name, b);
    await assert.rejects(openDataset(p), (e: Error) => {
      assert.ok(e instanceof DatasetOpenError, `${name}: ${e}`);
      assert.ok(e.message.startsWith(p), e.message);
      assert.match(e.message, /\(byte \d+\)/, e.message);
      assert.match(e.message, re, e.message);
      return true;
    });
  }
});

test('a corrupt record batch body: its rows carry the error, the other batches still read', async () => {
  const src0 = await openDataset(fixturePath(m.types_list));
  await src0.close();
  const bytes = readFileSync(fixturePath(m.types_list));
  // Find the second record batch's metadata and scribble over its body lengths via a flipped field-node count.
  const { buildIpcIndex } = await import('../../src/core/datasets/arrowIndex');
  const { memorySource } = await import('../../src/core/datasets/byteSource');
  const idx = await buildIpcIndex(memorySource('x', new Uint8Array(bytes)));
  const b1 = idx.batches[1];
  const broken = new Uint8Array(bytes);
  broken.fill(0xee, b1.bodyOffset, b1.bodyOffset + Math.min(b1.bodyLength, 64)); // first buffers: offsets/validity
  const p = write('body.arrow', broken);
  const src = await openDataset(p);
  const rows = await src.readRows(0, src.numRows);
  assert.equal(rows.length, m.types_list.rows);
  assert.ok(
    rows.slice(0, 3).every((r) => !r.error),
    'batch 0 intact',
  );
  assert.ok(
    rows.slice(6).every((r) => !r.error),
    'batches 2+ intact',
  );
  const hit = rows.slice(3, 6).filter((r) => r.error);
  // Either the damage is caught structurally (rows carry the error) or the values still decode; never a crash.
  for (const r of hit) assert.equal(r.error!.byteOffset, b1.offset);
  await src.close();
});

test('parquet: missing footer and corrupt footer name the file and byte offset', async () => {
  const bytes = readFileSync(fixturePath(m.types_parquet));
  const cut = write('cut.parquet', bytes.subarray(0, bytes.length - 10));
  await assert.rejects(
    openDataset(cut),
    (e: Error) => /Parquet footer missing/.test(e.message) && e.message.startsWith(cut) && /byte \d+/.test(e.message),
  );
  const footer = new Uint8Array(bytes);
  const len = new DataView(footer.buffer).getUint32(footer.length - 8, true);
  footer.fill(0xff, footer.length - 8 - len, footer.length - 8 - len + 40);
  const bad = write('footer.parquet', footer);
  await assert.rejects(
    openDataset(bad),
    (e: Error) => /corrupt Parquet footer/.test(e.message) && e.message.startsWith(bad) && /byte \d+/.test(e.message),
  );
  const notParquet = write('text.parquet', 'hello, this is not parquet');
  await assert.rejects(openDataset(notParquet), /not a Parquet file/);
});

test('JSONL that is not UTF-8 at all, UTF-16, or empty: DatasetOpenError naming the line', async () => {
  const bin = write(
    'bin.jsonl',
    Uint8Array.from({ length: 300 }, (_, i) => (i * 37 + 128) & 0xff),
  );
  await assert.rejects(
    openDataset(bin),
    (e: Error) => e instanceof DatasetOpenError && e.message.startsWith(`${bin}:1:`),
  );
  const u16 = write('u16.jsonl', Buffer.from('\ufeff{"a": 1}\n', 'utf16le'));
  await assert.rejects(openDataset(u16), /UTF-16/);
  await assert.rejects(openDataset(write('empty.jsonl', '')), /empty file/);
  await assert.rejects(openDataset(write('list.json', '[1, 2')), DatasetOpenError);
  const ok = await openDataset(write('crlf.jsonl', '{"a": 1}\r\n\r\n{"a": 2}\r\n'));
  assert.deepEqual(
    (await ok.readRows(0, 5)).map((r) => r.values.a),
    [1, 2],
  );
  await ok.close();
});

test('save_to_disk folder problems, unsupported files and missing paths', async () => {
  const folder = join(dir, 'saved');
  cpSync(fixturePath(m.saved_alpaca_tok), folder, { recursive: true });
  rmSync(join(folder, 'data-00001-of-00002.arrow'));
  // A missing shard is a marked gap: the first shard's rows still read, the error names the missing file.
  const partial = await openDataset(folder);
  try {
    assert.ok(
      partial.errors.some((e) => e.file.endsWith('data-00001-of-00002.arrow') && /state\.json/.test(e.message)),
      JSON.stringify(partial.errors),
    );
    assert.ok((await partial.readRows(0, 3)).every((r) => !r.error));
  } finally {
    await partial.close();
  }
  rmSync(join(folder, 'data-00000-of-00002.arrow'));
  await assert.rejects(
    openDataset(folder),
    (e: Error) => e.message.includes('data-00000-of-00002.arrow') && /state\.json/.test(e.message),
  );
  const noState = join(dir, 'nostate');
  mkdirSync(noState);
  await assert.rejects(openDataset(noState), /no state\.json/);
  copyFileSync(fixturePath(m.alpaca_jsonl), join(dir, 'x.csv'));
  await assert.rejects(openDataset(join(dir, 'x.csv')), /unsupported file type/);
  await assert.rejects(openDataset(join(dir, 'missing.arrow')), /cannot open/);
});
