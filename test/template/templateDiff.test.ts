// Compare Chat Templates: the pure diff (Myers against an LCS reference), and the panel session's
// message flow on real fixtures — the fixture tokenizer's ChatML template against a "fine-tune" copy
// whose template silently moved <|im_end|> out of the trained span. Token ids and trained masks of
// both sides are checked against transformers' apply_chat_template(return_assistant_tokens_mask=True).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  diffLines,
  myersDiff,
  type TemplateDiffState,
  type TemplateDiffToWebview,
} from '../../src/core/template/templateDiff';
import { SAMPLE_CONVERSATION, TemplateDiffSession } from '../../src/panels/templateDiff/session';
import { loadTokenizer } from '../../src/core/tokens/tokenizer';

const REPO = resolve(__dirname, '../..');
const PY = process.env.BATCHSCOPE_TEST_PYTHON ?? join(REPO, '.venv/bin/python');
const FIXTURE = join(REPO, 'test/.fixtures/tokenizer');

function lcs<T>(a: T[], b: T[]): number {
  const dp = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      dp[i][j] = a[i - 1] === b[j - 1] ? dp[i - 1][j - 1] + 1 : Math.max(dp[i - 1][j], dp[i][j - 1]);
  return dp[a.length][b.length];
}

test('myersDiff finds a shortest edit script (checked against LCS) that rebuilds both sides', () => {
  let seed = 3;
  const rnd = (n: number) => ((seed = (seed * 48271) % 2147483647), seed % n);
  for (let round = 0; round < 200; round++) {
    const a = Array.from({ length: rnd(30) }, () => rnd(4));
    const b = Array.from({ length: rnd(30) }, () => rnd(4));
    const steps = myersDiff(a, b, (x, y) => x === y);
    assert.deepEqual(
      steps.filter((s) => s.op !== 'add').map((s) => a[s.i]),
      a,
    );
    assert.deepEqual(
      steps.filter((s) => s.op !== 'del').map((s) => b[s.j]),
      b,
    );
    assert.equal(steps.filter((s) => s.op === 'same').length, lcs(a, b));
  }
  assert.deepEqual(diffLines('a\nb\nc', 'a\nc\nd'), [
    { op: 'same', text: 'a' },
    { op: 'del', text: 'b' },
    { op: 'same', text: 'c' },
    { op: 'add', text: 'd' },
  ]);
});

let dir: string;
let fineTune: string;
let expected: { input_ids: number[]; assistant_masks: number[] }[];
const base = JSON.parse(readFileSync(join(FIXTURE, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
const changed = String(base.chat_template).replace(
  "{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}",
  "{% generation %}{{ message['content'] }}{% endgeneration %}{{ '<|im_end|>' }}",
);

before(() => {
  assert.notEqual(changed, base.chat_template, 'the fixture template has the expected generation block');
  dir = mkdtempSync(join(tmpdir(), 'bs-tdiff-'));
  fineTune = join(dir, 'finetune');
  mkdirSync(fineTune);
  copyFileSync(join(FIXTURE, 'tokenizer.json'), join(fineTune, 'tokenizer.json'));
  writeFileSync(join(fineTune, 'tokenizer_config.json'), JSON.stringify({ ...base, chat_template: changed }, null, 2));
  const input = {
    now: '2024-01-01T00:00:00',
    tokenizers: { fixture: FIXTURE },
    templates: { base: base.chat_template, changed },
    cases: ['base', 'changed'].map((t) => ({
      tokenizer: 'fixture',
      template: t,
      messages: SAMPLE_CONVERSATION,
      mask: true,
    })),
  };
  writeFileSync(join(dir, 'in.json'), JSON.stringify(input));
  const r = spawnSync(PY, [join(__dirname, 'expected.py'), join(dir, 'in.json'), join(dir, 'out.json')], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  expected = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')).results;
});

function session(rightFile: string, posted: TemplateDiffToWebview[]) {
  return new TemplateDiffSession({
    left: { file: join(FIXTURE, 'tokenizer_config.json'), label: 'base' },
    right: { file: rightFile, label: 'fine-tune' },
    messages: SAMPLE_CONVERSATION,
    post: (m) => posted.push(m),
    loadTokenizer: (d) => loadTokenizer(d),
  });
}

test('ready → the diff of a silently changed template: same text, same tokens, the end-of-turn tokens leave the trained mask', async () => {
  const posted: TemplateDiffToWebview[] = [];
  const s = session(join(fineTune, 'tokenizer_config.json'), posted);
  await s.onMessage({ type: 'templateDiff/ready' });
  assert.equal(posted.length, 1);
  assert.equal(posted[0].type, 'templateDiff/state');
  const state = (posted[0] as { state: TemplateDiffState }).state;
  assert.equal(state.summary.identicalText, true);
  assert.equal(state.summary.tokensChanged, 0);
  const ops = state.tokens!;
  // Both sides' ids and masks are transformers' own.
  assert.deepEqual(
    ops.map((o) => ('left' in o ? o.left.id : -1)),
    expected[0].input_ids,
  );
  assert.deepEqual(
    ops.map((o) => ('left' in o && o.left.trained ? 1 : 0)),
    expected[0].assistant_masks,
  );
  assert.deepEqual(
    ops.map((o) => ('right' in o && o.right.trained ? 1 : 0)),
    expected[1].assistant_masks,
  );
  const flips = expected[0].assistant_masks.filter((m, i) => m !== expected[1].assistant_masks[i]).length;
  assert.ok(flips > 0);
  assert.equal(state.summary.maskChanged, flips);
  assert.ok(ops.filter((o) => o.op === 'mask').every((o) => 'left' in o && o.left.text.includes('im_end')));
  s.dispose();
});

test('options → re-rendered with add_generation_prompt; a broken side reports its error; nothing is posted after dispose', async () => {
  const posted: TemplateDiffToWebview[] = [];
  const broken = join(dir, 'broken.jinja');
  writeFileSync(broken, '{% for m in messages %}{{ m.content }}\n{% endfor');
  const s = session(broken, posted);
  await s.onMessage({ type: 'templateDiff/options', addGenerationPrompt: true });
  const state = (posted[0] as { state: TemplateDiffState }).state;
  assert.ok(state.left.text!.endsWith('<|im_start|>assistant\n'));
  assert.equal(
    state.right.error,
    "unexpected end of template, expected 'end of statement block'. (template line 2, column 10)",
  );
  assert.equal(state.lines, undefined);
  s.dispose();
  await s.refresh();
  assert.equal(posted.length, 1);
});

test('the same file on both sides is identical, and a text change shows as changed lines and tokens', async () => {
  const posted: TemplateDiffToWebview[] = [];
  const other = join(dir, 'other.jinja');
  writeFileSync(other, String(base.chat_template).replace('You are a helpful assistant.', 'You are a pirate.'));
  const same = session(join(FIXTURE, 'tokenizer_config.json'), posted);
  await same.onMessage({ type: 'templateDiff/ready' });
  const diff = session(other, posted);
  await diff.onMessage({ type: 'templateDiff/ready' });
  const [a, b] = posted.map((p) => (p as { state: TemplateDiffState }).state);
  assert.equal(a.summary.identicalText, true);
  assert.equal(a.summary.maskChanged + a.summary.tokensChanged, 0);
  // The sample conversation has a system message, so the default system prompt is not rendered:
  // the texts agree; the tokenizer is found beside the left file.
  assert.equal(b.summary.identicalText, true);
  assert.ok(b.tokens && b.tokens.length > 0);
});
