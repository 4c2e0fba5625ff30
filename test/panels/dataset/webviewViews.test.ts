// The dataset panel's views in the real webview bundle (headless Chromium, real CSP, real session):
// header summaries, filter → count, sort by a header click, column resize, Ctrl+C on the grid, search
// snippets with markup shown as text, and "Go to row" inside a view. Ground truth: the builder's rows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA, manifestPath, ORIGIN, panel, skip, startBrowser, stopBrowser } from './webviewHarness';

before(startBrowser);
after(stopBrowser);

type Row = { input_ids: number[]; attention_mask: number[]; labels: number[] };

test('alpaca_tok: headers, filter, sort, resize and copy', { skip, timeout: 90_000 }, async () => {
  const truth = readFileSync(join(DATA, 'expected/alpaca_tok.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);
  const facts = truth.map((r, i) => {
    const ones = r.attention_mask.flatMap((m, k) => (m ? [k] : []));
    return {
      i,
      tokens: ones.length ? ones.at(-1)! - ones[0]! + 1 : 0,
      trained: r.labels.filter((l) => l !== -100).length,
    };
  });
  const { page, session, violations } = await panel(manifestPath('alpaca_tok'));
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ORIGIN });
  await page.locator('#grid .row[data-row="0"] .cell').first().waitFor();

  // Header summaries arrive from the background pass.
  const head = page.locator('.colhead[data-col="labels"]');
  await head.locator('.colhist .hbar').first().waitFor();
  const lens = truth.map((r) => r.labels.length);
  const mean = lens.reduce((a, b) => a + b, 0) / lens.length;
  assert.equal(
    await head.locator('.colstats').innerText(),
    `0 null · len ${Math.min(...lens)} / ${mean.toFixed(2)} / ${Math.max(...lens)}`,
  );
  assert.equal(await head.locator('.coltype').innerText(), 'list<int64>');

  // Filter with a count.
  const want = facts.filter((r) => r.trained < 10 || r.tokens >= 40);
  await page.locator('#filter-input input').fill('trained < 10 or tokens >= 40');
  await page.locator('#filter-input input').press('Enter');
  await page.locator(`#view-status[data-count="${want.length}"]`).waitFor();
  assert.equal(await page.locator('#view-status').innerText(), `${want.length} of ${truth.length} rows match`);

  // Sort by trained (ascending) from the header; rows keep their own numbers.
  await page.locator('.colhead[data-col="trained"] .colname').click();
  await page.locator('.colhead[data-col="trained"][data-sort="asc"]').waitFor();
  await page.locator('#grid .row[data-pos="0"][data-row]').waitFor();
  const order = [...want].sort((a, b) => a.trained - b.trained || a.i - b.i);
  const shown = await page
    .locator('#grid .row[data-row]')
    .evaluateAll((rows) =>
      rows.map((r) => [Number((r as HTMLElement).dataset.row), Number(r.querySelector('.rownum')!.textContent)]),
    );
  assert.ok(shown.length >= 5);
  assert.deepEqual(
    shown,
    order.slice(0, shown.length).map((r) => [r.i, r.i]),
  );

  // Resize: dragging the right edge widens the column by as much.
  const box = (await head.boundingBox())!;
  const handle = (await head.locator('.resize').boundingBox())!;
  await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
  await page.mouse.down();
  await page.mouse.move(handle.x + handle.width / 2 + 120, handle.y + handle.height / 2, { steps: 4 });
  await page.mouse.up();
  const after = (await head.boundingBox())!;
  assert.ok(Math.abs(after.width - box.width - 120) <= 2, `width ${box.width} → ${after.width}`);
  const cellW = await page
    .locator('#grid .row[data-pos="0"] .cell[data-col="labels"]')
    .evaluate((n) => n.getBoundingClientRect().width);
  assert.ok(Math.abs(cellW - after.width) <= 2, 'the cells follow the header');
  // The sort stays (a resize is not a click on the header).
  assert.equal(await head.getAttribute('data-sort'), null);
  assert.equal(await page.locator('.colhead[data-col="trained"]').getAttribute('data-sort'), 'asc');

  // Ctrl+C on the grid: the selected row, exact.
  const firstRow = order[0]!.i;
  await page.locator('#grid .row[data-pos="0"] .rownum').click();
  await page.locator('#detail-title', { hasText: `Row ${firstRow}` }).waitFor();
  await page.locator('#detail-title .copy-row').waitFor();
  await page.keyboard.press('Control+c');
  await page.locator('#copy-status', { hasText: 'Row copied as JSON' }).waitFor();
  assert.deepEqual(JSON.parse(await page.evaluate(() => navigator.clipboard.readText())), truth[firstRow]);

  // Go to a row outside the view: the filter is cleared and the row selected.
  const outside = facts.find((r) => !want.includes(r))!.i;
  await page.locator('#jump-input input').fill(String(outside));
  await page.locator('#jump-input input').press('Enter');
  await page.locator(`#grid .row[data-row="${outside}"].selected`).waitFor();
  assert.match(
    await page.locator('#view-status').innerText(),
    new RegExp(`Row ${outside} is not in the filtered view`),
  );
  assert.deepEqual(violations, []);
  await session.dispose();
  await page.close();
});

test('search snippets highlight the match and show markup as text', { skip, timeout: 60_000 }, async () => {
  const { page, session, violations, dialogs } = await panel(manifestPath('xss_jsonl'));
  await page.locator('#grid .row[data-row="0"] .cell').first().waitFor();
  await page.locator('#search-input input').fill('ONERROR');
  await page.locator('#search-input input').press('Enter');
  const snippet = page.locator('#search-results .result[data-row="0"] .snippet');
  await snippet.waitFor();
  assert.equal(await snippet.innerText(), '<img src=x onerror=alert(1)>');
  assert.equal(await snippet.locator('mark').innerText(), 'onerror');
  assert.equal(await page.locator('#search-results img, #search-results script').count(), 0);
  assert.deepEqual(dialogs, []);
  assert.deepEqual(violations, []);
  await session.dispose();
  await page.close();
});
