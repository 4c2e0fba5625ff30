// Fuzz over the readers: random truncations and byte flips of real fixtures. A reader must either
// return rows (possibly with per-row errors) or throw an Error naming the file: no hang, no non-Error
// throw, no unhandled rejection. FUZZ_CASES overrides the count (the bench runs more).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { memorySource } from '../../src/core/datasets/byteSource';
import { openByteSource } from '../../src/core/datasets/open';
import { decodeConfig, stopParquetWorker } from '../../src/core/datasets/parquetWorkerClient';
import { computeStats } from '../../src/core/datasets/stats';
import type { DatasetFormat } from '../../src/core/datasets/types';
import { fixturePath, manifest } from './fixtures';

const CASES = Number(process.env.FUZZ_CASES ?? 10_000);
// A case that drives the Parquet decoder into its heap bound takes a second or so (the decoder process
// fills its heap, aborts, and a fresh one starts); the rest take milliseconds.
const PER_CASE_MS = 5_000;
// Smaller bounds than in the editor, so runaway decodes end sooner; still far above what the fixtures need.
Object.assign(decodeConfig, { minHeapMb: 32, baseTimeoutMs: 3_000 });
after(() => stopParquetWorker());

type Fmt = Exclude<DatasetFormat, 'save_to_disk'>;
const m = manifest();
const seeds: { name: string; fmt: Fmt; bytes: Uint8Array }[] = [
  ['alpaca_tok', 'arrow-stream'],
  ['types_list', 'arrow-stream'],
  ['alpaca_tok_file', 'arrow-stream'],
  ['types_parquet', 'parquet'],
  ['alpaca_tok_parquet', 'parquet'],
  ['malformed_jsonl', 'jsonl'],
  ['alpaca_json', 'json'],
].map(([name, fmt]) => ({ name, fmt: fmt as Fmt, bytes: new Uint8Array(readFileSync(fixturePath(m[name]))) }));

/** Deterministic PRNG (mulberry32) so a failing case can be replayed from its number. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Parquet: truncations, flips in the footer (metadata) or the magic, and flips inside the column chunks
 * (page headers, level streams, values). hyparquet trusts run lengths inside data pages: a corrupt run can
 * grow an array without bound, which the decoder process (heap and time bound) turns into a row-group error.
 */
function footerStart(bytes: Uint8Array): number {
  const n = bytes.length;
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(n - 8, true);
  return n - 8 - len;
}

function mutate(bytes: Uint8Array, rand: () => number, parquet: boolean): Uint8Array {
  if (parquet) {
    const out = bytes.slice();
    const kind = rand();
    if (kind < 0.25) return out.subarray(0, Math.floor(rand() * out.length));
    const from = footerStart(bytes);
    const flips = 1 + Math.floor(rand() * (kind < 0.6 ? 4 : 3));
    for (let i = 0; i < flips; i++) {
      let at: number;
      if (kind < 0.6) at = rand() < 0.1 ? Math.floor(rand() * 4) : from + Math.floor(rand() * (out.length - from));
      else at = 4 + Math.floor(rand() * (from - 4)); // inside the data pages
      out[at] = rand() < 0.5 ? out[at] ^ (1 << Math.floor(rand() * 8)) : Math.floor(rand() * 256);
    }
    return out;
  }
  let out = bytes.slice();
  const kind = rand();
  if (kind < 0.4) out = out.subarray(0, Math.floor(rand() * out.length));
  if (kind >= 0.3) {
    const flips = 1 + Math.floor(rand() * 8);
    for (let i = 0; i < flips && out.length; i++) {
      const at = rand() < 0.5 ? Math.floor(rand() * Math.min(out.length, 512)) : Math.floor(rand() * out.length); // headers matter most
      out[at] = rand() < 0.5 ? out[at] ^ (1 << Math.floor(rand() * 8)) : Math.floor(rand() * 256);
    }
  }
  return out;
}

/** Parquet row groups whose decode hit the decoder's heap or time bound (reported as row errors). */
const bounded = { memory: 0, time: 0 };

async function oneCase(i: number): Promise<'rows' | 'error'> {
  const rand = rng(i + 1);
  const seed = seeds[i % seeds.length];
  const bytes = mutate(seed.bytes, rand, seed.fmt === 'parquet');
  const name = `fuzz-${i}-${seed.name}`;
  let src;
  try {
    src = await openByteSource(memorySource(name, bytes), seed.fmt);
  } catch (err) {
    assert.ok(err instanceof Error, `case ${i}: threw a non-Error ${String(err)}`);
    assert.ok(err.message.includes(name), `case ${i}: error does not name the file: ${err.message}`);
    return 'error';
  }
  const rows = await src.readRows(Math.floor(rand() * 4), 40);
  for (const r of rows) {
    if (r.error)
      assert.ok(
        r.error.line !== undefined || r.error.byteOffset !== undefined,
        `case ${i}: row error without a position`,
      );
  }
  for (const e of src.errors) {
    assert.ok(e.file === name, `case ${i}: error names ${e.file}`);
    if (/memory bound/.test(e.message)) bounded.memory++;
    if (/took over/.test(e.message)) bounded.time++;
  }
  if (i % 5 === 0) await computeStats(src, { cutoffLen: 16, eosId: 2 });
  await src.close();
  return 'rows';
}

test(`fuzz: ${CASES} truncated / byte-flipped fixtures never hang or crash a reader`, async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  const tally = { rows: 0, error: 0 };
  let slowest = 0;
  try {
    for (let i = 0; i < CASES; i++) {
      const t0 = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        oneCase(i),
        new Promise<never>((_, rej) => {
          timer = setTimeout(
            () => rej(new Error(`case ${i} (${seeds[i % seeds.length].name}) took over ${PER_CASE_MS} ms`)),
            PER_CASE_MS,
          );
        }),
      ]).finally(() => clearTimeout(timer));
      tally[outcome]++;
      slowest = Math.max(slowest, performance.now() - t0);
    }
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.deepEqual(unhandled, []);
  assert.equal(tally.rows + tally.error, CASES);
  // Both outcomes must occur, or the mutations are not exercising anything.
  assert.ok(tally.rows > CASES / 10 && tally.error > CASES / 10, JSON.stringify(tally));
  console.log(
    `fuzz: ${CASES} cases, ${tally.rows} opened, ${tally.error} rejected with an error, slowest ${slowest.toFixed(0)} ms; ` +
      `parquet decodes stopped at the heap bound: ${bounded.memory}, at the time bound: ${bounded.time}`,
  );
});
