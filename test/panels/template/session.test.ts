// The chat template preview's message flow, host side: the real TemplatePreviewSession rendering
// the fixture templates (test/.fixtures, expected text from transformers' apply_chat_template in
// cli.json), driven through onMessage as the webview drives it; `post`, the problems and the
// reveal offsets are collected as the glue would receive them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TemplateInputs, TemplatePreviewState, TemplateToWebview } from '../../../protocol/webview';
import type { DocumentProblem } from '../../../src/panels/template/previewModel';
import { DEFAULT_INPUTS } from '../../../src/panels/template/previewModel';
import { TemplatePreviewSession, templateDocumentOffset } from '../../../src/panels/template/session';
import { parseNow } from '../../../src/core/template/jinja/strftime';
import { TEMPLATES, TOKENIZER } from '../../template/fixtures';

const rows = JSON.parse(readFileSync(join(TEMPLATES, 'rows.json'), 'utf8'));
const cli = JSON.parse(readFileSync(join(TEMPLATES, 'cli.json'), 'utf8'));
const CONFIG = join(TOKENIZER, 'tokenizer_config.json');

function open(
  file: string,
  inputs: Partial<TemplateInputs>,
  extra: { now?: Date; readText?: (f: string) => Promise<string>; source?: string } = {},
) {
  const states: TemplatePreviewState[] = [];
  const problems: DocumentProblem[][] = [];
  const reveals: { file: string; offset: number }[] = [];
  const session = new TemplatePreviewSession({
    file,
    inputs: { ...DEFAULT_INPUTS, ...inputs },
    source: extra.source,
    post: (m: TemplateToWebview) => states.push(JSON.parse(JSON.stringify(m.state))),
    readText: extra.readText ?? ((f) => readFile(f, 'utf8')),
    now: () => extra.now,
    onProblems: (_f, _text, p) => problems.push(p),
    reveal: (f, offset) => reveals.push({ file: f, offset }),
  });
  return { session, states, problems, reveals };
}

test('ready renders the tokenizer_config.json template as transformers does; new inputs re-render it', async () => {
  const { session, states, problems } = open(
    CONFIG,
    { messagesJson: JSON.stringify(rows.messages) },
    { source: 'row 0 of train.jsonl' },
  );
  await session.onMessage({ type: 'template/ready' });
  assert.equal(states.length, 1);
  assert.equal(states[0].error, undefined);
  assert.equal(states[0].text, cli.plain);
  assert.equal(states[0].file, CONFIG);
  assert.deepEqual(
    states[0].tokens!.chips.map((c) => c.id),
    rows.good.input_ids,
  );
  assert.deepEqual(problems, [[]]);

  // The webview's inputs form: two messages and the generation prompt. The row source no longer applies.
  const inputs: TemplateInputs = {
    ...DEFAULT_INPUTS,
    messagesJson: JSON.stringify(rows.messages.slice(0, 2)),
    addGenerationPrompt: true,
  };
  await session.onMessage({ type: 'template/inputs', inputs });
  assert.equal(states.length, 2);
  assert.equal(states[1].text, cli.gen);
  assert.equal(session.source, undefined);
  assert.deepEqual(states[1].inputs, inputs);
  session.dispose();
});

test('strftime_now follows the injected now (batchscope.template.now) in a .jinja template', async () => {
  const { session, states } = open(
    join(TEMPLATES, 'dated.jinja'),
    {
      messagesJson: JSON.stringify(rows.messages.slice(0, 2)),
      kwargsJson: '{"enable_thinking": false, "eos_token": "<|im_end|>"}',
    },
    { now: parseNow('2024-07-26T14:05:09') },
  );
  await session.onMessage({ type: 'template/ready' });
  assert.equal(states.at(-1)!.text, cli.dated);
  session.dispose();
});

test('a syntax error: the state carries it, the glue gets one problem, and reveal maps line:column into the JSON string', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-tpl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'tokenizer_config.json');
  const text = JSON.stringify(
    { chat_template: 'ok\n{% for m in messages %}{{ m.content }', eos_token: '</s>' },
    null,
    2,
  );
  writeFileSync(file, text);
  const { session, states, problems, reveals } = open(file, {});
  await session.onMessage({ type: 'template/ready' });
  const err = states.at(-1)!.error!;
  assert.equal(err.kind, 'syntax');
  assert.equal(err.line, 2);
  assert.equal(problems.at(-1)!.length, 1);

  await session.onMessage({ type: 'template/reveal', line: 2, column: 1 });
  assert.equal(reveals.length, 1);
  assert.equal(reveals[0].file, file);
  // Line 2, column 1 of the template is the `{% for` just after the escaped newline in the literal.
  assert.ok(text.slice(0, reveals[0].offset).endsWith('"ok\\n'), text.slice(0, reveals[0].offset));
  assert.equal(reveals[0].offset, templateDocumentOffset(file, text, '', 2, 1));
  session.dispose();
});

test('an unreadable document is an error state, not a crash; after dispose nothing is posted', async () => {
  const gone = open('/no/such/dir/tokenizer_config.json', {}, { readText: (f) => readFile(f, 'utf8') });
  await gone.session.onMessage({ type: 'template/ready' });
  assert.equal(gone.states.length, 1);
  assert.match(gone.states[0].error!.message, /ENOENT/);
  assert.deepEqual(gone.problems, []);

  const { session, states } = open(CONFIG, { messagesJson: JSON.stringify(rows.messages) });
  const pending = session.documentChanged();
  session.dispose();
  await pending;
  await session.onMessage({ type: 'template/ready' });
  assert.deepEqual(states, []);
});
