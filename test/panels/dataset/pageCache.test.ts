import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PageCache } from '../../../src/panels/dataset/pageCache';

/** A loader over the numbers 0..n-1 that records which pages it was asked for. */
function numbers(n: number) {
  const calls: number[] = [];
  const load = async (offset: number, limit: number) => {
    calls.push(offset);
    return Array.from({ length: Math.max(0, Math.min(limit, n - offset)) }, (_, i) => offset + i);
  };
  return { calls, load };
}

test('rows spanning pages come back in order, each page decoded once', async () => {
  const src = numbers(1000);
  const cache = new PageCache(50, 10, src.load);
  assert.deepEqual(await cache.rows(45, 10), [45, 46, 47, 48, 49, 50, 51, 52, 53, 54]);
  assert.deepEqual(src.calls, [0, 50]);
  assert.equal(await cache.row(49), 49);
  assert.deepEqual(await cache.rows(998, 2), [998, 999]);
  assert.deepEqual(await cache.rows(10, 0), []);
  assert.deepEqual(src.calls, [0, 50, 950], 'cached pages are not read again');
});

test('concurrent requests for one page share a single read', async () => {
  const src = numbers(100);
  const cache = new PageCache(10, 4, src.load);
  const [a, b] = await Promise.all([cache.rows(0, 5), cache.rows(3, 5)]);
  assert.deepEqual(a, [0, 1, 2, 3, 4]);
  assert.deepEqual(b, [3, 4, 5, 6, 7]);
  assert.deepEqual(src.calls, [0]);
});

test('least recently used pages are evicted beyond the cap', async () => {
  const src = numbers(1000);
  const cache = new PageCache(10, 2, src.load);
  await cache.page(0);
  await cache.page(1);
  await cache.page(0); // touch 0: page 1 is now the oldest
  await cache.page(2);
  assert.equal(cache.size, 2);
  assert.ok(cache.has(0) && cache.has(2) && !cache.has(1));
});

test('a failed read is not cached', async () => {
  let fail = true;
  const cache = new PageCache<number>(10, 4, async (offset) => {
    if (fail) throw new Error(`disk error at ${offset}`);
    return [offset];
  });
  await assert.rejects(cache.page(3), /disk error at 30/);
  fail = false;
  assert.deepEqual(await cache.page(3), [30]);
  assert.throws(() => new PageCache(0, 1, async () => []), RangeError);
});
