import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSearchQuery } from '../../../src/panels/dataset/searchQuery';

const cols = ['text', 'input_ids', 'labels'];

test('plain text is a substring query', () => {
  assert.deepEqual(parseSearchQuery('  capital of France ', cols), { query: { text: 'capital of France' } });
});

test('ids: gives a token-id subsequence, spaces or commas', () => {
  assert.deepEqual(parseSearchQuery('ids: 151644 872', cols), { query: { tokenIds: [151644, 872] } });
  assert.deepEqual(parseSearchQuery('IDS:1,2, 3', cols), { query: { tokenIds: [1, 2, 3] } });
  assert.deepEqual(parseSearchQuery('ids: -100', cols), { query: { tokenIds: [-100] } });
  assert.match((parseSearchQuery('ids: 1 x', cols) as { error: string }).error, /"x" is not a token id/);
  assert.match((parseSearchQuery('ids:', cols) as { error: string }).error, /at least one/);
});

test('@column restricts either form to one column', () => {
  assert.deepEqual(parseSearchQuery('@labels ids: 5 6', cols), { query: { tokenIds: [5, 6], column: 'labels' } });
  assert.deepEqual(parseSearchQuery('@text Paris', cols), { query: { text: 'Paris', column: 'text' } });
  assert.match((parseSearchQuery('@nope x', cols) as { error: string }).error, /no column named "nope"/);
  assert.ok('error' in parseSearchQuery('   ', cols));
});
