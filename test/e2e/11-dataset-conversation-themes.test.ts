// Scenario 11: a sharegpt JSONL in the dataset panel, in the Light, Dark and High Contrast themes: the
// selected row shows as conversation turns (role + text, in order, as the file has them), and the
// row flags and turn text are readable (text and background colours differ). Screenshots per theme.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { Session, UI_TIMEOUT } from './harness';
import { dataFixture, expectedRows } from './fixtures';

const fx = dataFixture('sharegpt_jsonl');
const truth = expectedRows<{ conversations: { from: string; value: string }[] }>(fx);
const ROLE: Record<string, string> = { human: 'user', gpt: 'assistant', system: 'system' };

/** Relative luminance contrast of two CSS rgb() colours (WCAG). */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/[\d.]+/g) ?? ['0', '0', '0']).slice(0, 3).map((x) => {
      const v = Number(x) / 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

for (const [tag, theme] of [
  ['light', 'Default Light Modern'],
  ['dark', 'Default Dark Modern'],
  ['hc', 'Default High Contrast'],
] as const) {
  test(`conversation view in ${theme}`, { timeout: 300_000 }, async () => {
    const s = await Session.start({
      name: `dataset-conversation-${tag}`,
      copy: { [`data/${basename(fx.abs)}`]: fx.abs },
      settings: { 'workbench.colorTheme': theme },
    });
    try {
      // JSONL opens as text by default (the dataset editor is an option there): reopen it as a dataset.
      await s.quickOpen(basename(fx.abs));
      await s.page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: UI_TIMEOUT });
      await s.command('View: Reopen Editor With...');
      await s.pick('Batchscope Dataset (JSONL/JSON)');
      const wv = await s.frameWith('#grid .row');
      // Row 1 has four turns (two questions, two answers).
      await wv.locator('#grid .row[data-row="1"] .cell').first().click();
      const turns = wv.locator('.turn');
      await turns.first().waitFor({ timeout: UI_TIMEOUT });
      const want = truth[1].conversations;
      assert.equal(await turns.count(), want.length, 'one block per turn');
      for (let i = 0; i < want.length; i++) {
        assert.equal(await turns.nth(i).getAttribute('data-role'), ROLE[want[i].from]);
        assert.equal(await turns.nth(i).locator('.turn-content').innerText(), want[i].value);
      }
      // Readable: the turn text stands out from the panel background.
      const fg = await turns
        .first()
        .locator('.turn-content')
        .evaluate((n) => getComputedStyle(n).color);
      const bg = await wv.locator('body').evaluate((n) => getComputedStyle(n).backgroundColor);
      assert.ok(contrast(fg, bg) >= 4.5, `turn text contrast ${contrast(fg, bg).toFixed(1)} in ${theme}`);
      await s.screenshot('conversation');
    } finally {
      await s.close();
    }
  });
}
