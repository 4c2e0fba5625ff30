// The `batchscope rows` / `stats` subcommands, run as a user would (through src/cli.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { computeStats } from '../../src/core/datasets/stats';
import { openDataset } from '../../src/core/datasets/open';
import { TOKENIZER, fixturePath, manifest, readJsonl } from './fixtures';

const ROOT = resolve(__dirname, '../..');
const m = manifest();
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('rows --json prints exactly the rows asked for, equal to pyarrow', () => {
  const r = cli('rows', fixturePath(m.saved_alpaca_tok), '--offset', '17', '--limit', '5', '--json');
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split('\n');
  assert.equal(lines.length, 5);
  const expected = readJsonl(m.saved_alpaca_tok.expected!).slice(17, 22);
  assert.deepEqual(
    lines.map((l) => JSON.parse(l)),
    expected,
  );
  // Integers beyond 2^53 are printed exactly; binary is base64; nulls are null.
  const t = cli('rows', fixturePath(m.types_list), '--offset', '1', '--limit', '1', '--json');
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /"huge":1152921504606846977[,}]/);
  const row = JSON.parse(t.out);
  assert.equal(row.blob, Buffer.from([1, 254, 0]).toString('base64'));
  assert.equal(row.nothing, null);
});

test('rows: a malformed line goes to stderr with its line, exit 3; the others print', () => {
  const r = cli('rows', fixturePath(m.malformed_jsonl), '--json');
  assert.equal(r.code, 3);
  assert.equal(r.out.trim().split('\n').length, m.malformed_jsonl.rows - 1);
  assert.match(r.err, /malformed\.jsonl:4: invalid JSON/);
  const ok = cli('rows', fixturePath(m.malformed_jsonl), '--json', '--limit', '2');
  assert.equal(ok.code, 0, 'rows asked for were all readable');
});

test('rows --json on a truncated stream: the rows before the damage print, the damage goes to stderr, exit 3', () => {
  const file = resolve(ROOT, 'test/.fixtures/damage/cases/stream_trunc9904.arrow');
  const r = cli('rows', file, '--json', '--limit', '1000');
  assert.equal(r.code, 3, r.err);
  assert.ok(r.out.trim().split('\n').length >= 10, 'rows before the damaged region print');
  assert.match(r.err, /stream_trunc9904\.arrow \(byte \d+\): truncated/);
  assert.doesNotMatch(r.err, /Cannot read properties/);
});

test('rows: unreadable file exit 1 with a message, usage errors exit 2', () => {
  const r = cli('rows', resolve(ROOT, 'tsconfig.json.parquet'), '--json');
  assert.equal(r.code, 1);
  assert.match(r.err, /tsconfig\.json\.parquet/);
  assert.equal(cli('rows').code, 2);
  assert.equal(cli('rows', 'x.arrow', '--limit', '-3').code, 2);
});

test('rows with --tokenizer shows decoded tokens, trained ones marked', () => {
  const r = cli('rows', fixturePath(m.alpaca_tok), '--limit', '1', '--tokenizer', TOKENIZER);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /tokens \(\d+, \d+ trained\): <\|im_start\|>\|user\|↵/);
  assert.match(r.out, /«<\|im_end\|>»/);
  const flagged = cli('rows', fixturePath(m.alpaca_tok), '--offset', '7', '--limit', '2', '--tokenizer', TOKENIZER);
  assert.match(flagged.out, /NO TRAINED TOKENS/);
  assert.match(flagged.out, /LENGTH MISMATCH/);
});

test('stats --json equals computeStats; the text form lists the checks', async () => {
  const r = cli('stats', fixturePath(m.alpaca_pad), '--cutoff-len', '30', '--tokenizer', TOKENIZER, '--json');
  assert.equal(r.code, 0, r.err);
  const src = await openDataset(fixturePath(m.alpaca_pad));
  const direct = await computeStats(src, { cutoffLen: 30, eosId: 2, padId: 0 });
  await src.close();
  assert.deepEqual(JSON.parse(r.out), JSON.parse(JSON.stringify(direct)));
  const text = cli('stats', fixturePath(m.alpaca_pad), '--cutoff-len', '30', '--tokenizer', TOKENIZER);
  assert.match(text.out, /padding: \d+\.\d\d%/);
  assert.match(text.out, /rows with no trained tokens: 1/);
  assert.equal(cli('stats', fixturePath(m.alpaca_tok), '--tokenizer', '/nonexistent').code, 1);
});
