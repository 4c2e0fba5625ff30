// `batchscope render` / `lint-template` as a process: stdout byte-exact vs transformers (c_templates.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildSync } from 'esbuild';
import { REPO, TEMPLATES, TOKENIZER } from './fixtures';

const expected = JSON.parse(readFileSync(join(TEMPLATES, 'cli.json'), 'utf8'));
const MSGS = join(TEMPLATES, 'messages.json');
const CONFIG = join(TOKENIZER, 'tokenizer_config.json');

// The CLI as it ships: one esbuild bundle (also much faster to start than tsx per call).
const BUNDLE = join(mkdtempSync(join(tmpdir(), 'bs-cli-bundle-')), 'cli.js');
buildSync({
  entryPoints: [join(REPO, 'src/cli.ts')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  outfile: BUNDLE,
  logLevel: 'warning',
});

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BUNDLE, ...args], { encoding: 'utf8', cwd: REPO });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('render prints exactly what transformers renders, and --mask its AssistantTracker spans', () => {
  const r = cli('render', CONFIG, '--messages', MSGS);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, expected.plain);
  const m = cli('render', CONFIG, '--messages', MSGS, '--mask');
  assert.deepEqual(JSON.parse(m.out), expected.mask);
});

test('render with a .jinja file, --kwargs (over the special tokens) and --now pinning strftime_now', () => {
  const two = join(mkdtempSync(join(tmpdir(), 'bs-cli-')), 'two.json');
  writeFileSync(two, JSON.stringify(JSON.parse(readFileSync(MSGS, 'utf8')).slice(0, 2)));
  // dated.jinja has no tokenizer_config.json beside it: eos_token comes in through --kwargs.
  const r = cli(
    'render',
    join(TEMPLATES, 'dated.jinja'),
    '--messages',
    two,
    '--kwargs',
    '{"enable_thinking": false, "eos_token": "<|im_end|>"}',
    '--now',
    '2024-07-26T14:05:09',
  );
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, expected.dated);
  const g = cli('render', CONFIG, '--messages', two, '--add-generation-prompt');
  assert.equal(g.out, expected.gen);
  const three = join(dirname(two), 'three.json');
  writeFileSync(three, JSON.stringify(JSON.parse(readFileSync(MSGS, 'utf8')).slice(0, 3)));
  const c = cli('render', CONFIG, '--messages', three, '--continue-final-message');
  assert.equal(c.code, 0, c.err);
  assert.equal(c.out, expected.continue);
});

test('render errors exit 1 with the class, message, template line and column on stderr', () => {
  const r = cli(
    'render',
    join(TEMPLATES, 'bos', 'tokenizer_config.json'),
    '--messages',
    MSGS,
    '--add-generation-prompt',
    '--continue-final-message',
  );
  assert.equal(r.code, 1);
  assert.equal(r.out, '');
  assert.match(r.err, /ValueError: continue_final_message and add_generation_prompt are not compatible/);
  const bad = cli('render', join(REPO, 'test/template/fixtures.ts'), '--messages', MSGS);
  assert.equal(bad.code, 2);
  const usage = cli('render', CONFIG);
  assert.equal(usage.code, 2);
  assert.match(usage.err, /--messages FILE is required/);
});

test('lint-template: exit 0 with info for the fixture, JSON output parses', () => {
  const r = cli('lint-template', CONFIG, '--json');
  assert.equal(r.code, 0, r.err);
  const findings = JSON.parse(r.out) as { code: string }[];
  assert.deepEqual(
    findings.map((f) => f.code),
    ['eos-in-effect'],
  );
  const b = cli('lint-template', join(TEMPLATES, 'bos', 'tokenizer_config.json'));
  assert.equal(b.code, 0);
  assert.match(
    b.out,
    /warning: the template renders <s> and the tokenizer's post-processor adds it again.*\[double-bos\]/,
  );
});
