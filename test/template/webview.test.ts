// The preview page in headless Chromium (no VS Code): a real state from computePreview is posted to the
// bundled webview script; the DOM must show it exactly (textContent only), and edits must post inputs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { computePreview, DEFAULT_INPUTS } from '../../src/panels/template/previewModel';
import { REPO, TOKENIZER } from './fixtures';

const CHROMIUM = process.env.BATCHSCOPE_E2E_CHROMIUM ?? '/usr/bin/chromium';
let browser: Browser;
let page: Page;
const dir = mkdtempSync(join(tmpdir(), 'bs-tpl-webview-'));

before(async () => {
  if (!existsSync(CHROMIUM)) return; // the tests below are skipped, saying so: nothing to build or launch
  buildSync({
    entryPoints: [join(REPO, 'webview/template/main.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    outfile: join(dir, 'template.js'),
    loader: { '.css': 'css' },
    logLevel: 'warning',
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  page = await browser.newPage();
  // Stands in for VS Code's webview API: records what the page posts.
  const stub =
    'window.posted = []; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.posted.push(m), setState() {}, getState() {} });';
  await page.setContent(
    `<!DOCTYPE html><html><head><style>${readFileSync(join(dir, 'template.css'), 'utf8')}</style><script>${stub}</script></head><body><div id="app"></div></body></html>`,
  );
  await page.addScriptTag({ content: readFileSync(join(dir, 'template.js'), 'utf8') });
});
after(async () => {
  await browser?.close();
});

test(
  'renders text exactly, special tokens, trained spans, chips, counts and lints; hostile text stays text',
  { skip: !existsSync(CHROMIUM) && 'no chromium' },
  async () => {
    const config = join(TOKENIZER, 'tokenizer_config.json');
    const hostile = '<img src=x onerror="document.title=\'pwned\'"> & <b>bold</b>';
    const messages = [
      { role: 'user', content: hostile },
      { role: 'assistant', content: 'Fine.\tTabbed  spaces' },
    ];
    const { state } = await computePreview({
      file: config,
      text: readFileSync(config, 'utf8'),
      inputs: { ...DEFAULT_INPUTS, messagesJson: JSON.stringify(messages) },
    });
    assert.equal(state.error, undefined);
    await page.evaluate((s) => window.postMessage({ type: 'template/state', state: s }, '*'), state);
    await page.waitForFunction(() => document.querySelector('#token-count')?.textContent !== '0');
    assert.equal(await page.locator('#rendered').textContent(), state.text);
    assert.deepEqual(
      await page.locator('#rendered .special').allTextContents(),
      state.text!.match(/<\|im_start\|>|<\|im_end\|>/g),
    );
    assert.deepEqual(
      await page
        .locator('#rendered .assistant')
        .allTextContents()
        .then((t) => t.join('')),
      state.text!.slice(state.spans[0].start, state.spans[0].end),
    );
    assert.equal(await page.locator('#token-view .chip').count(), state.tokens!.count);
    assert.equal(await page.locator('#token-view .chip.trained').count(), state.tokens!.trained);
    assert.equal(await page.locator('#token-count').textContent(), String(state.tokens!.count));
    assert.equal(await page.locator('#trained-count').textContent(), String(state.tokens!.trained));
    assert.equal(await page.locator('#lint .finding').count(), state.lint.length);
    assert.equal(await page.locator('#rendered img, #rendered b').count(), 0);
    assert.notEqual(await page.title(), 'pwned');
    assert.equal(await page.locator('#error').isHidden(), true);
    assert.equal(await page.inputValue('#messages-input'), state.inputs.messagesJson);

    // Editing the messages posts the new inputs (debounced).
    await page.fill('#messages-input', '[{"role": "user", "content": "changed"}]');
    await page.waitForFunction(() =>
      (window as unknown as { posted: { type: string }[] }).posted.some((m) => m.type === 'template/inputs'),
    );
    const posted = await page.evaluate(
      () => (window as unknown as { posted: { type: string; inputs?: { messagesJson: string } }[] }).posted,
    );
    assert.deepEqual(posted[0], { type: 'template/ready' });
    assert.equal(
      posted.find((m) => m.type === 'template/inputs')!.inputs!.messagesJson,
      '[{"role": "user", "content": "changed"}]',
    );
  },
);

test(
  'an error state shows the message with the template line and a working reveal button',
  { skip: !existsSync(CHROMIUM) && 'no chromium' },
  async () => {
    const config = join(TOKENIZER, 'tokenizer_config.json');
    const { state } = await computePreview({
      file: config,
      text: JSON.stringify({ chat_template: 'a\n{{ raise_exception("Roles must alternate") }}' }),
      inputs: DEFAULT_INPUTS,
    });
    await page.evaluate((s) => window.postMessage({ type: 'template/state', state: s }, '*'), state);
    await page.waitForSelector('#error:not(.hidden)');
    assert.equal(
      await page.locator('#error-text').textContent(),
      'TemplateError: Roles must alternate (template line 2, column 1)',
    );
    await page.locator('#error-reveal').click();
    await page.waitForFunction(() =>
      (window as unknown as { posted: { type: string }[] }).posted.some((m) => m.type === 'template/reveal'),
    );
    const reveal = await page.evaluate(() =>
      (window as unknown as { posted: { type: string }[] }).posted.find((m) => m.type === 'template/reveal'),
    );
    assert.deepEqual(reveal, { type: 'template/reveal', line: 2, column: 1 });
  },
);
