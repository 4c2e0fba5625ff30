import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveTokenizer } from '../../../src/panels/dataset/tokenizerResolve';

/** A fake file system is the point here: the order of the rules, not the disk, is under test. */
const files = (...paths: string[]) => {
  const set = new Set(paths);
  return (p: string) => set.has(p);
};

const base = { datasetPath: '/w/proj/data/train/cache-1.arrow', datasetIsFolder: false, workspaceRoot: '/w/proj' };

test('the setting wins: a folder or the file itself, relative to the workspace', () => {
  const isFile = files('/models/qwen/tokenizer.json', '/w/proj/tok/tokenizer.json', '/w/proj/data/tokenizer.json');
  assert.deepEqual(resolveTokenizer({ ...base, setting: '/models/qwen', isFile }), {
    path: '/models/qwen/tokenizer.json',
    source: 'setting',
  });
  assert.deepEqual(resolveTokenizer({ ...base, setting: '/models/qwen/tokenizer.json', isFile }), {
    path: '/models/qwen/tokenizer.json',
    source: 'setting',
  });
  assert.deepEqual(resolveTokenizer({ ...base, setting: 'tok', isFile }), {
    path: '/w/proj/tok/tokenizer.json',
    source: 'setting',
  });
});

test('then the nearest tokenizer.json in the dataset folder or a parent', () => {
  const isFile = files('/w/proj/data/tokenizer.json', '/w/tokenizer.json');
  assert.deepEqual(resolveTokenizer({ ...base, setting: '', isFile }), {
    path: '/w/proj/data/tokenizer.json',
    source: 'nearby',
  });
  const folder = { ...base, datasetPath: '/w/proj/data', datasetIsFolder: true };
  assert.deepEqual(resolveTokenizer({ ...folder, setting: undefined, isFile }), {
    path: '/w/proj/data/tokenizer.json',
    source: 'nearby',
  });
});

test('a broken setting is reported and the search goes on', () => {
  const isFile = files('/w/tokenizer.json');
  const r = resolveTokenizer({ ...base, setting: '/gone', isFile });
  assert.equal(r.path, '/w/tokenizer.json');
  assert.equal(r.source, 'nearby');
  assert.match(r.error ?? '', /\/gone\/tokenizer.json does not exist/);
});

test('nothing found: none, so the panel offers the picker; a pick wins over everything', () => {
  assert.deepEqual(resolveTokenizer({ ...base, setting: '', isFile: files() }), { path: null, source: 'none' });
  const isFile = files('/picked/tokenizer.json', '/models/qwen/tokenizer.json');
  assert.deepEqual(resolveTokenizer({ ...base, setting: '/models/qwen', picked: '/picked', isFile }), {
    path: '/picked/tokenizer.json',
    source: 'picked',
  });
});
