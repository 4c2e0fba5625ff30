// Scenario 12: a tokenized HF cache file in the dataset panel, in the Light (as the README shows it), Dark
// and High Contrast themes: column headers fill in with their summaries, a filter over computed
// properties gives pyarrow's count, a header click sorts the view by token length, and Ctrl+C on the grid
// copies the selected row as the exact JSON of the file; header figures and cells stay readable.
// Screenshots after each step, per theme.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { Session, UI_TIMEOUT, FIXTURES } from './harness';
import { dataFixture, expectedRows } from './fixtures';

const fx = dataFixture('alpaca_tok');
type Row = { input_ids: number[]; attention_mask: number[]; labels: number[] };
const truth = expectedRows<Row>(fx);
/** What the panel calls tokens (attention_mask span) and trained (labels ≠ −100), from the builder's rows. */
const facts = truth.map((r, i) => {
  const ones = r.attention_mask.flatMap((m, k) => (m ? [k] : []));
  return {
    i,
    tokens: ones.length ? ones[ones.length - 1]! - ones[0]! + 1 : 0,
    trained: r.labels.filter((l) => l !== -100).length,
  };
});

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
  test(`filter, sort by a header click, copy a row as JSON in ${theme}`, { timeout: 300_000 }, async () => {
    const s = await Session.start({
      name: `dataset-sort-filter-${tag}`,
      copy: {
        [`data/${basename(fx.abs)}`]: fx.abs,
        'tokenizer.json': `${FIXTURES}/tokenizer/tokenizer.json`,
        'tokenizer_config.json': `${FIXTURES}/tokenizer/tokenizer_config.json`,
      },
      settings: { 'workbench.colorTheme': theme },
    });
    try {
      await s.page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
      await s.quickOpen(basename(fx.abs));
      const wv = await s.frameWith('#grid .row');
      await wv.locator('#grid .row[data-row="0"] .cell').first().waitFor({ timeout: UI_TIMEOUT });
      // Headers: type, null count, length min / mean / max and a histogram, computed in the background.
      const head = wv.locator('.colhead[data-col="input_ids"]');
      await head.locator('.colhist .hbar').first().waitFor({ timeout: UI_TIMEOUT });
      const lens = truth.map((r) => r.input_ids.length);
      assert.match(await head.locator('.colstats').innerText(), new RegExp(`^0 null · len ${Math.min(...lens)} / `));
      assert.match(await head.locator('.colstats').innerText(), new RegExp(` / ${Math.max(...lens)}$`));
      // Readable header figures: the summary line against the header's background.
      const colour = (sel: string, prop: 'color' | 'backgroundColor') =>
        wv
          .locator(sel)
          .first()
          .evaluate((n, p) => getComputedStyle(n)[p], prop);
      const headBg = await colour('.grid-header', 'backgroundColor');
      const ratio = contrast(await colour('.colhead[data-col="input_ids"] .colstats', 'color'), headBg);
      assert.ok(ratio >= 3, `header figures contrast ${ratio.toFixed(1)} in ${theme}`);
      await s.screenshot('headers');

      // Filter over computed properties: the count is pyarrow's (the builder's rows).
      const want = facts.filter((r) => r.tokens > 30 && r.trained >= 5);
      await wv.locator('#filter-input input').fill('tokens > 30 and trained >= 5');
      await wv.locator('#filter-input input').press('Enter');
      const status = wv.locator('#view-status');
      await wv.locator(`#view-status[data-count="${want.length}"]`).waitFor({ timeout: UI_TIMEOUT });
      assert.equal(await status.innerText(), `${want.length} of ${truth.length} rows match`);
      await s.screenshot('filtered');

      // Sort: tokens header, ascending then descending.
      const tokensHead = wv.locator('.colhead[data-col="tokens"]');
      await tokensHead.locator('.colname').click();
      await wv.locator('.colhead[data-col="tokens"][data-sort="asc"]').waitFor({ timeout: UI_TIMEOUT });
      await tokensHead.locator('.colname').click();
      await wv.locator('.colhead[data-col="tokens"][data-sort="desc"]').waitFor({ timeout: UI_TIMEOUT });
      await wv.locator('#view-status', { hasText: 'sorted by tokens ↓' }).waitFor({ timeout: UI_TIMEOUT });
      const order = [...want].sort((a, b) => b.tokens - a.tokens || a.i - b.i);
      const first = wv.locator('#grid .row[data-pos="0"]');
      await first.locator(`.cell[data-col="tokens"]`).filter({ hasText: /\d/ }).waitFor({ timeout: UI_TIMEOUT });
      const shown = await wv
        .locator('#grid .row[data-row]')
        .evaluateAll((rows) =>
          rows.map((r) => [
            Number((r as HTMLElement).dataset.row),
            Number(r.querySelector('.cell[data-col="tokens"]')!.textContent),
            Number(r.querySelector('.cell[data-col="trained"]')!.textContent),
          ]),
        );
      assert.ok(shown.length >= Math.min(5, order.length), `rows in view: ${shown.length}`);
      assert.deepEqual(
        shown,
        order.slice(0, shown.length).map((r) => [r.i, r.tokens, r.trained]),
      );
      await s.screenshot('sorted');

      // Copy: select the first row of the view, Ctrl+C on the grid → the row's exact JSON.
      await first.locator('.rownum').click();
      await wv.locator('#detail-title', { hasText: `Row ${order[0]!.i}` }).waitFor({ timeout: UI_TIMEOUT });
      await wv.locator('#detail-title .copy-row').waitFor({ timeout: UI_TIMEOUT });
      await wv.locator('#grid').press('Control+c');
      await wv.locator('#copy-status', { hasText: 'Row copied as JSON' }).waitFor({ timeout: UI_TIMEOUT });
      assert.equal(await status.innerText(), `${want.length} of ${truth.length} rows match, sorted by tokens ↓`);
      const copied = await wv.evaluate(() => navigator.clipboard.readText());
      assert.deepEqual(JSON.parse(copied), truth[order[0]!.i]);
      await s.screenshot('copied');
    } finally {
      await s.close();
    }
  });
}
