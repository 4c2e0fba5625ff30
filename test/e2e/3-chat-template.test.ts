// Scenario 3: "Preview Chat Template" on tokenizer_config.json renders exactly what transformers'
// apply_chat_template renders, marks the assistant ({% generation %}) span, follows edits to the
// template, and reports a template syntax error as a diagnostic on the right line.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PYTHON, Session, UI_TIMEOUT } from './harness';

let s: Session;
const CONFIG = 'tokenizer/tokenizer_config.json';

before(async () => {
  s = await Session.start({ name: 'chat-template', copy: { tokenizer: join(FIXTURES, 'tokenizer') } });
});
after(async () => s?.close());

/** transformers' own rendering of `messages` with the workspace's tokenizer folder: the ground truth. */
function transformersRender(messagesJson: string, addGenerationPrompt: boolean): string {
  const code = [
    'import json, sys',
    'from transformers import AutoTokenizer',
    'tok = AutoTokenizer.from_pretrained(sys.argv[1])',
    'msgs = json.loads(sys.stdin.read())',
    'sys.stdout.write(json.dumps(tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=sys.argv[2] == "1")))',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', code, s.ws('tokenizer'), addGenerationPrompt ? '1' : '0'], {
    input: messagesJson,
    encoding: 'utf8',
    env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Find/replace in the active text editor through the editor's own Replace widget, then save. */
async function replaceInEditor(find: string, replace: string): Promise<void> {
  await s.command('Replace');
  const widget = s.page.locator('.editor-widget.find-widget.visible');
  await widget.waitFor({ timeout: UI_TIMEOUT });
  await widget.locator('.find-part textarea').fill(find);
  await widget.locator('.replace-part textarea').fill(replace);
  await widget.locator('.matchesCount', { hasText: /^1 of 1$/ }).waitFor({ timeout: UI_TIMEOUT });
  await widget.locator('.replace-part .codicon-find-replace-all').click();
  await s.page.keyboard.press('Escape');
  await s.command('File: Save');
}

test(
  'the preview matches transformers, marks the assistant span, follows edits and shows syntax errors',
  { timeout: 300_000 },
  async () => {
    await s.quickOpen('tokenizer_config.json');
    await s.page.locator('.monaco-editor .view-lines', { hasText: 'chat_template' }).waitFor({ timeout: UI_TIMEOUT });
    await s.command('Batchscope: Preview Chat Template');

    const wv = await s.frameWith('#rendered');
    await wv.locator('#rendered .assistant').first().waitFor({ timeout: UI_TIMEOUT });
    const messages = await wv.locator('#messages-input').inputValue();
    const agp = await wv
      .locator('#add-generation-prompt')
      .evaluate((n) => Boolean((n as HTMLElement & { checked: boolean }).checked));
    const want = transformersRender(messages, agp);
    const rendered = () => wv.locator('#rendered').evaluate((n) => n.textContent ?? '');
    assert.equal(await rendered(), want, 'the preview is exactly apply_chat_template');
    const assistant = await wv.locator('#rendered .assistant').first().innerText();
    assert.ok(
      assistant.length > 0 && want.includes(assistant.trim()),
      `assistant span is part of the rendered text: ${assistant}`,
    );
    await s.screenshot('preview');

    // Edit the template in tokenizer_config.json: the preview follows.
    await s.page.locator('.monaco-editor .view-lines', { hasText: 'chat_template' }).first().click();
    await replaceInEditor("{% generation %}{{ message['content']", "{% generation %}{{ message['content'] | upper");
    await wv.locator('#rendered .assistant', { hasText: 'HI! HOW CAN I HELP?' }).waitFor({ timeout: UI_TIMEOUT });
    assert.equal(
      await rendered(),
      transformersRender(messages, agp),
      'after the edit, still exactly apply_chat_template (saved file)',
    );

    // A syntax error: an unknown tag. The diagnostic sits on the chat_template line of the JSON file.
    const lines = readFileSync(s.ws(CONFIG), 'utf8').split('\n');
    const line = lines.findIndex((l) => l.includes('"chat_template"')) + 1;
    await s.page.locator('.monaco-editor .view-lines', { hasText: 'chat_template' }).first().click();
    await replaceInEditor('{% else %}', '{% elsee %}');
    await wv.locator('#error').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await s.page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: UI_TIMEOUT });
    await s.command('View: Focus Problems (Errors, Warnings, Infos)');
    const problem = s.page.locator('.markers-panel .monaco-list-row', { hasText: `[Ln ${line},` }).first();
    await problem.waitFor({ timeout: UI_TIMEOUT });
    const text = await problem.innerText();
    assert.match(text, /elsee|unknown|tag|syntax|expected/i, 'the problem explains the error');
    // …and points into the bad tag on that line (the file as saved holds `{% elsee %}`).
    const saved = readFileSync(s.ws(CONFIG), 'utf8').split('\n')[line - 1];
    const tagStart = saved.indexOf('{% elsee %}') + 1;
    const col = Number(/\[Ln \d+, Col (\d+)\]/.exec(text)?.[1]);
    assert.ok(
      col >= tagStart && col < tagStart + '{% elsee %}'.length,
      `column ${col} falls in {% elsee %} at ${tagStart}`,
    );
    await s.screenshot('syntax-error');
  },
);
