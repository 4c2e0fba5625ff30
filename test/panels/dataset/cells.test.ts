import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cellText,
  imageCell,
  imagePreview,
  intList,
  rowFlags,
  sniffImageMime,
  tokenColumns,
} from '../../../src/panels/dataset/cells';
import type { CellValue, ColumnInfo } from '../../../src/core/datasets/types';

// The first bytes of real files of each format (signatures from the PNG/JPEG/GIF/RIFF specs).
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]);
const WEBP = Uint8Array.from([0x52, 0x49, 0x46, 0x46, 1, 0, 0, 0, 0x57, 0x45, 0x42, 0x50]);

test('strings print raw, everything else as compact JSON', () => {
  assert.deepEqual(cellText('a "quoted"\nline', 100), { text: 'a "quoted"\nline', truncated: false });
  assert.equal(cellText([1, 2, 3], 100).text, '[1, 2, 3]');
  assert.equal(cellText({ a: 'x', b: null, c: true }, 100).text, '{"a": "x", "b": null, "c": true}');
  assert.equal(cellText(2n ** 60n, 100).text, '1152921504606846976');
  assert.equal(cellText(new Uint8Array(7), 100).text, '<7 bytes>');
  assert.equal(cellText(null, 100).text, 'null');
});

test('long values stop at the limit without serialising the rest', () => {
  const ids = Array.from({ length: 200_000 }, (_, i) => i);
  const t0 = performance.now();
  const r = cellText(ids, 50);
  assert.ok(performance.now() - t0 < 50, 'bounded: does not walk 200k ids');
  assert.equal(r.truncated, true);
  assert.equal(r.text.length, 50);
  assert.ok(r.text.startsWith('[0, 1, 2, 3'));
  assert.deepEqual(cellText('x'.repeat(10), 10), { text: 'x'.repeat(10), truncated: false });
  assert.deepEqual(cellText('x'.repeat(11), 10), { text: 'x'.repeat(10), truncated: true });
});

test('chat messages read as role: content', () => {
  const msgs: CellValue = [
    { role: 'user', content: 'hi <b>there</b>' },
    { role: 'assistant', content: 'hello', tool_calls: null },
  ];
  assert.equal(cellText(msgs, 1000, 'messages').text, 'user: hi <b>there</b>\nassistant: hello');
  assert.equal(cellText(msgs, 1000, 'other').text.startsWith('[{"role": "user"'), true);
});

test('HF Image structs are recognised; other structs are not', () => {
  assert.deepEqual(imageCell({ bytes: PNG, path: null }), { bytes: PNG, path: undefined });
  assert.deepEqual(imageCell({ bytes: null, path: 'img/a.png' }), { bytes: undefined, path: 'img/a.png' });
  assert.equal(imageCell({ bytes: null, path: null }), null);
  assert.equal(imageCell({ bytes: PNG, path: null, extra: 1 }), null);
  assert.equal(imageCell({ role: 'user' }), null);
  assert.equal(imageCell('img.png'), null);
});

test('image bytes become data: URLs by their magic bytes, within a size cap', () => {
  assert.equal(sniffImageMime(PNG), 'image/png');
  assert.equal(sniffImageMime(JPEG), 'image/jpeg');
  assert.equal(sniffImageMime(WEBP), 'image/webp');
  assert.equal(sniffImageMime(Uint8Array.from([1, 2, 3])), null);
  const p = imagePreview({ bytes: PNG }, 1024, () => null);
  assert.equal(p.src, `data:image/png;base64,${Buffer.from(PNG).toString('base64')}`);
  // A view into a larger buffer encodes only its own bytes.
  const big = new Uint8Array(64);
  big.set(PNG, 10);
  assert.equal(imagePreview({ bytes: big.subarray(10, 10 + PNG.length) }, 1024, () => null).src, p.src);
  assert.match(imagePreview({ bytes: PNG }, 4, () => null).note ?? '', /select the row/);
  assert.match(imagePreview({ bytes: Uint8Array.from([1, 2, 3]) }, 1024, () => null).note ?? '', /unknown format/);
  assert.equal(imagePreview({ path: 'a.png' }, 1024, (x) => `vscode-resource:/${x}`).src, 'vscode-resource:/a.png');
  assert.match(imagePreview({ path: '../a.png' }, 1024, () => null).note ?? '', /not under the dataset folder/);
});

test('flags: rows with no trained tokens, id/label length mismatch, no EOS', () => {
  const cols: ColumnInfo[] = [
    { name: 'input_ids', type: 'list<int32>', role: 'input_ids' },
    { name: 'labels', type: 'list<int64>', role: 'labels' },
  ];
  const tc = tokenColumns(cols);
  assert.deepEqual(tc, { inputIds: 'input_ids', labels: 'labels', attentionMask: undefined });
  assert.deepEqual(rowFlags({ input_ids: [1, 2, 9], labels: [-100, 2, 9] }, tc, { eosId: 9 }), []);
  assert.deepEqual(rowFlags({ input_ids: [1, 2], labels: [-100, -100] }, tc), ['0 trained tokens']);
  assert.deepEqual(rowFlags({ input_ids: [1, 2, 3], labels: [-100, 2] }, tc), ['input_ids 3 ≠ labels 2']);
  // EOS must end the real span: an EOS in the middle does not count, trailing padding is skipped.
  assert.deepEqual(rowFlags({ input_ids: [1, 9, 2], labels: [1, 9, 2] }, tc, { eosId: 9 }), ['no EOS']);
  assert.deepEqual(rowFlags({ input_ids: [1, 9, 0, 0], labels: [1, 9, -100, -100] }, tc, { eosId: 9, padId: 0 }), []);
  // pad == eos: one trailing EOS is real.
  assert.deepEqual(rowFlags({ input_ids: [1, 9, 9, 9], labels: [1, 9, -100, -100] }, tc, { eosId: 9, padId: 9 }), []);
  assert.deepEqual(rowFlags({ input_ids: [5, 5, 1, 9], labels: [5, 5, 1, 9] }, tc, { bosId: 5, eosId: 9 }), [
    'two BOS',
  ]);
  const withMask = tokenColumns([...cols, { name: 'attention_mask', type: 'list<int8>', role: 'attention_mask' }]);
  assert.deepEqual(
    rowFlags({ input_ids: [1, 2, 7, 7], labels: [1, 2, 7, 7], attention_mask: [1, 1, 0, 0] }, withMask, { eosId: 2 }),
    [],
  );
  assert.deepEqual(rowFlags({ text: 'x' }, tokenColumns([{ name: 'text', type: 'string', role: 'text' }])), []);
});

test('intList accepts number and bigint lists only', () => {
  assert.deepEqual(intList([1, 2n, 3]), [1, 2, 3]);
  assert.equal(intList(['a']), null);
  assert.equal(intList('abc'), null);
  assert.equal(intList(undefined), null);
});
