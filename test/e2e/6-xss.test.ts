// Scenario 6: dataset text that is markup (`<img onerror>`, `<script>`, `<svg onload>`) shows as
// literal text; nothing in it runs: no dialog from any frame, no element created from it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Session, UI_TIMEOUT } from './harness';
import { XSS_IMG, XSS_JSONL, XSS_SCRIPT } from './fixtures';

let s: Session;
before(async () => {
  s = await Session.start({ name: 'xss', write: { 'markup.jsonl': XSS_JSONL } });
});
after(async () => s?.close());

test('markup in dataset cells is shown as text and never runs', { timeout: 240_000 }, async () => {
  await s.quickOpen('markup.jsonl');
  await s.page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: UI_TIMEOUT });
  await s.command('View: Reopen Editor With...');
  await s.pick('Batchscope Dataset (JSONL/JSON)');

  const wv = await s.frameWith('#grid .row');
  const imgCell = wv.locator('#grid .cell', { hasText: XSS_IMG }).first();
  const scriptCell = wv.locator('#grid .cell', { hasText: XSS_SCRIPT }).first();
  await imgCell.waitFor({ timeout: UI_TIMEOUT });
  await scriptCell.waitFor({ timeout: UI_TIMEOUT });
  // The detail view renders the full text of the selected row: the second place markup could leak.
  await imgCell.click();
  await wv.locator('#cells-full', { hasText: XSS_IMG }).waitFor({ timeout: UI_TIMEOUT });

  const injected = await wv.locator('body').evaluate(() => ({
    img: document.querySelectorAll('img[src="x"], svg, a[href^="javascript:"]').length,
    scripts: [...document.querySelectorAll('script')].filter((n) => /alert/.test(n.textContent ?? '')).length,
  }));
  assert.deepEqual(injected, { img: 0, scripts: 0 }, 'no element was created from dataset text');
  assert.equal(s.dialogs.length, 0, `dialogs: ${s.dialogs.map((d) => d.message()).join(', ')}`);
  await s.screenshot('markup-as-text');
});
