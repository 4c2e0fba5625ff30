// Scenario 9: "Compare Chat Templates" from the palette, as a person would: the base checkpoint's
// tokenizer_config.json is the active editor, the command asks for the second template in VS Code's
// own file dialog (code-server's simple file dialog: a quick input with a path box), and the panel
// shows the two renders of one conversation. The "fine-tune" template silently moved <|im_end|> out of
// the {% generation %} block: the texts and tokens are the same, only the trained mask differs — on
// exactly the tokens where transformers' return_assistant_tokens_mask differs (the ground truth).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAMPLE_CONVERSATION as MESSAGES } from '../../src/panels/templateDiff/session';
import { FIXTURES, PYTHON, REPO, Session, UI_TIMEOUT } from './harness';

const FIXTURE = join(FIXTURES, 'tokenizer');
const base = JSON.parse(readFileSync(join(FIXTURE, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
const changed = String(base.chat_template).replace(
  "{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}",
  "{% generation %}{{ message['content'] }}{% endgeneration %}{{ '<|im_end|>' }}",
);

let s: Session;

before(async () => {
  s = await Session.start({
    name: 'template-diff',
    copy: { base: FIXTURE, 'finetune/tokenizer.json': join(FIXTURE, 'tokenizer.json') },
    write: { 'finetune/tokenizer_config.json': JSON.stringify({ ...base, chat_template: changed }, null, 2) },
  });
});
after(async () => s?.close());

interface Expected {
  text: string;
  input_ids: number[];
  assistant_masks: number[];
}

/** transformers renders and masks the conversation with both templates: the ground truth. */
function transformersMasks(): Expected[] {
  const dir = mkdtempSync(join(tmpdir(), 'bs-e2e-tdiff-'));
  const input = {
    now: '2024-01-01T00:00:00',
    tokenizers: { fixture: s.ws('base') },
    templates: { base: base.chat_template, changed },
    cases: ['base', 'changed'].map((template) => ({ tokenizer: 'fixture', template, messages: MESSAGES, mask: true })),
  };
  writeFileSync(join(dir, 'in.json'), JSON.stringify(input));
  const r = spawnSync(PYTHON, [join(REPO, 'test/template/expected.py'), join(dir, 'in.json'), join(dir, 'out.json')], {
    encoding: 'utf8',
    env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')).results as Expected[];
}

test(
  'palette + file dialog: same text and tokens, the end-of-turn tokens leave the trained mask',
  { timeout: 300_000 },
  async () => {
    assert.notEqual(changed, base.chat_template, 'the fixture template has the expected generation block');
    const [want, wantFineTune] = transformersMasks();
    const flips = want.assistant_masks.filter((m, i) => m !== wantFineTune.assistant_masks[i]).length;
    assert.ok(flips > 0, 'transformers sees a mask difference');

    // The base template is the active editor: the command takes it as the first side.
    await s.quickOpen('tokenizer_config.json', 'base');
    await s.page.locator('.monaco-editor .view-lines', { hasText: 'chat_template' }).waitFor({ timeout: UI_TIMEOUT });
    await s.command('Batchscope: Compare Chat Templates');

    // The second side comes from VS Code's open dialog; in code-server that is the simple file dialog,
    // a quick input whose box holds a path: type the fine-tune's file and accept it.
    const input = s.page.locator('.quick-input-widget input');
    await s.page
      .locator('.quick-input-widget .quick-input-title', { hasText: 'Compare base/tokenizer_config.json with' })
      .waitFor({ timeout: UI_TIMEOUT });
    const target = s.ws('finetune/tokenizer_config.json');
    // The dialog fills its box with the current folder once it has listed it, and that can land after
    // our text (it did in CI: Enter then accepted base/). Wait for that listing, then type until the
    // box keeps our path.
    await s.page
      .locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'special_tokens_map.json' })
      .first()
      .waitFor({ timeout: UI_TIMEOUT });
    for (const end = Date.now() + UI_TIMEOUT; ;) {
      if ((await input.inputValue()) !== target) await input.fill(target);
      await s.page.waitForTimeout(500);
      if ((await input.inputValue()) === target) break;
      assert.ok(Date.now() < end, `the file dialog kept replacing ${target}`);
    }
    await s.page
      .locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'tokenizer_config.json' })
      .first()
      .waitFor({ timeout: UI_TIMEOUT });
    await s.screenshot('file-dialog');
    await input.press('Enter');

    const wv = await s.frameWith('#token-diff .tok');
    await wv.locator('#summary.differs').waitFor({ timeout: UI_TIMEOUT });
    assert.equal(await wv.locator('#left-label').innerText(), 'base/tokenizer_config.json');
    assert.equal(await wv.locator('#right-label').innerText(), 'finetune/tokenizer_config.json');
    assert.ok(await wv.locator('#error').evaluate((n) => n.classList.contains('hidden')), 'no error shown');

    // Text diff: every line is the same on both sides, and together they are transformers' rendering.
    const lines = wv.locator('#text-diff .line');
    assert.equal(await wv.locator('#text-diff .line.del, #text-diff .line.add').count(), 0, 'no changed lines');
    assert.equal(await lines.count(), want.text.split('\n').length);
    const shown = await wv
      .locator('#text-diff .line .content')
      .evaluateAll((ns) => ns.map((n) => (n.textContent === ' ' ? '' : (n.textContent ?? ''))));
    assert.equal(shown.join('\n'), want.text, 'the text diff shows exactly apply_chat_template');
    assert.equal(want.text, wantFineTune.text, 'transformers agrees: the texts are the same');

    // Token view: one chip per token (a mask pair holds both sides' chip), the mask changes as pairs.
    const pairs = wv.locator('#token-diff .pair');
    assert.equal(await pairs.count(), flips, 'one pair per token whose trained mask changed');
    assert.equal(await wv.locator('#token-diff .tok.del, #token-diff .tok.add').count(), 0, 'no token changed');
    const chips = await wv.locator('#token-diff > .tok').count();
    assert.equal(chips + flips, want.input_ids.length, 'every token is shown once');
    for (let i = 0; i < flips; i++) {
      const [l, r] = await pairs.nth(i).locator('.tok').all();
      assert.match(await l.innerText(), /im_end/, 'the end-of-turn token is what moved');
      assert.ok((await l.getAttribute('class'))!.includes('trained'), 'trained in the base');
      assert.ok(!(await r.getAttribute('class'))!.includes('trained'), 'not trained in the fine-tune');
    }
    const trainedBase = want.assistant_masks.filter(Boolean).length;
    const trainedFineTune = wantFineTune.assistant_masks.filter(Boolean).length;
    const summary = await wv.locator('#summary').innerText();
    assert.match(
      summary,
      new RegExp(`^Same text; 0 token\\(s\\) differ; ${flips} token\\(s\\) change trained mask\\.`),
    );
    assert.ok(summary.includes(`Left (${want.input_ids.length} tokens, ${trainedBase} trained)`), summary);
    assert.ok(summary.includes(`right (${wantFineTune.input_ids.length} tokens, ${trainedFineTune} trained)`), summary);
    await s.screenshot('diff');
    await s.screenshot('token-view', wv.locator('#token-diff'));
  },
);
