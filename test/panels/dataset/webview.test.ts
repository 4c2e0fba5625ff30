// The real webview bundle (dist/webview/dataset.js) in headless Chromium under the panel's real CSP,
// talking to a real DatasetSession in this process: the same messages VS Code would carry, without
// starting VS Code (the code-server suite in test/e2e does that). Checks what only a browser can:
// the DOM hooks, markup shown as text, chips styled apart, the histogram, the error list.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA, dir, manifestPath, ORIGIN, panel, skip, startBrowser, stopBrowser } from './webviewHarness';

before(startBrowser);
after(stopBrowser);

test('HF cache: grid, token chips styled by mask, jump, search and histogram', { skip, timeout: 60_000 }, async () => {
  const { page, session, violations, dialogs } = await panel(manifestPath('alpaca_tok'));
  await page.locator('#grid .row[data-row="0"] .cell').first().waitFor();
  assert.equal(await page.locator('#row-count').getAttribute('data-rows'), '40');
  assert.equal(await page.locator('#row-count').innerText(), '40 rows');

  await page.locator('#grid .row[data-row="0"] .cell').first().click();
  await page.locator('#tokens .chip.trained').first().waitFor();
  const bg = (sel: string) =>
    page
      .locator(sel)
      .first()
      .evaluate((n) => getComputedStyle(n).backgroundColor);
  assert.notEqual(await bg('#tokens .chip.trained'), await bg('#tokens .chip.masked'));
  assert.ok((await page.locator('#tokens .chip.special').count()) > 0);
  assert.equal(await page.locator('#tokens .chip').first().getAttribute('title'), '1', 'title is the token id');
  // alpaca_tok keeps only the token columns (b_datasets.py removes the source ones): no check, no chat shape.
  await page.locator('#template-compare[data-status="no-source"]').waitFor();
  assert.match(await page.locator('#template-compare').innerText(), /source row is not in this dataset/);
  await page.locator('#preview-template').click();
  await page.locator('#template-note.error', { hasText: 'Row 0 has no chat shape' }).waitFor();

  await page.locator('#grid .row[data-row="8"] .flag').first().waitFor();
  assert.match(await page.locator('#grid .row[data-row="8"] .flags').innerText(), /input_ids 38 ≠ labels 37/);

  await page.locator('#jump-input input').fill('39');
  await page.locator('#jump-button').click();
  await page.locator('#grid .row[data-row="39"].selected').waitFor({ state: 'visible' });
  await page.locator('#detail-title', { hasText: 'Row 39' }).waitFor();

  await page.locator('#search-input input').fill('ids: 40 268 330');
  await page.locator('#search-button').click();
  await page.locator('#search-results .result').first().waitFor();
  await page.locator('#search-status', { hasText: /^\d+ match(es)?$/ }).waitFor();
  // Ground truth: row/column pairs of the builder's expected rows holding the run.
  const rows = readFileSync(join(DATA, 'expected/alpaca_tok.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const has = (a: number[]) => a.some((_, i) => a[i] === 40 && a[i + 1] === 268 && a[i + 2] === 330);
  const want = rows.flatMap((r, i) =>
    (['input_ids', 'labels'] as const).filter((c) => has(r[c])).map((c) => `row ${i}${c}`),
  );
  const got = await page
    .locator('#search-results .result')
    .evaluateAll((items) => items.map((n) => `${n.children[0]!.textContent}${n.children[1]!.textContent}`));
  assert.deepEqual(got, want);
  // Each result has a snippet with the matched run highlighted (a text-only <mark>).
  const marks = await page.locator('#search-results .result .snippet mark').allInnerTexts();
  assert.deepEqual(
    marks,
    want.map(() => '40 268 330'),
  );
  assert.equal(
    await page.locator('#search-status').innerText(),
    `${want.length} match${want.length === 1 ? '' : 'es'}`,
  );
  await page.locator('#search-results .result').first().click();
  await page.locator('#grid .row[data-row="0"].selected').waitFor();

  await page.locator('#stats-open').click();
  await page.locator('#stats-button').click();
  await page.locator('#histogram .bar').first().waitFor();
  assert.equal(await page.locator('#stats-rows').innerText(), '40');
  const counted = await page
    .locator('#histogram .bar')
    .evaluateAll((bars) => bars.reduce((a, b) => a + Number((b as HTMLElement).dataset.count), 0));
  assert.equal(counted, 40, 'the bars hold every row');
  assert.deepEqual(violations, []);
  assert.deepEqual(dialogs, []);
  await session.dispose();
  await page.close();
});

test(
  'markup in cells shows as text in the grid and the detail view; nothing runs',
  { skip, timeout: 60_000 },
  async () => {
    const file = join(dir, 'xss.jsonl');
    const img = '<img src=x onerror=alert(1)>';
    const script = '<script>alert(2)</script>';
    writeFileSync(
      file,
      [JSON.stringify({ text: img }), JSON.stringify({ text: script }), '{"text": broken'].join('\n') + '\n',
    );
    const { page, session, dialogs } = await panel(file);
    const cell = page.locator('#grid .cell', { hasText: img }).first();
    await cell.waitFor();
    await page.locator('#grid .cell', { hasText: script }).first().waitFor();
    await cell.click();
    await page.locator('#cells-full pre', { hasText: img }).waitFor();
    const injected = await page.evaluate(() => ({
      imgs: document.querySelectorAll('img[src="x"]').length,
      scripts: [...document.querySelectorAll('script')].filter((s) => /alert/.test(s.textContent ?? '')).length,
    }));
    assert.deepEqual(injected, { imgs: 0, scripts: 0 });
    assert.match(await page.locator('#errors .error').first().innerText(), /xss\.jsonl:3: /);
    assert.deepEqual(dialogs, []);
    await session.dispose();
    await page.close();
  },
);

test('indices cache shows the note; images show as .thumb from data: URLs', { skip, timeout: 60_000 }, async () => {
  const a = await panel(manifestPath('shuffle_indices'));
  await a.page.locator('#notes .note').first().waitFor();
  assert.match(await a.page.locator('#notes').innerText(), /indices/);
  assert.equal(await a.page.locator('#grid').isVisible(), false, 'no number grid');
  await a.session.dispose();
  await a.page.close();

  const b = await panel(manifestPath('images_parquet'));
  const thumb = b.page.locator('#grid .thumb').first();
  await thumb.waitFor();
  assert.match((await thumb.getAttribute('src')) ?? '', /^data:image\/png;base64,/);
  await b.page.waitForFunction(
    () => ((document.querySelector('#grid .thumb') as HTMLImageElement | null)?.naturalWidth ?? 0) > 0,
  );
  assert.deepEqual(b.violations, [], 'data: images pass the CSP');
  await b.session.dispose();
  await b.page.close();
});

test(
  'tokenized sharegpt row: "matches the template", and #preview-template sends the row to the host',
  { skip, timeout: 30_000 },
  async () => {
    const { page, session, violations, received, previews } = await panel(manifestPath('sharegpt_tok'));
    assert.equal(
      await page.locator('#preview-template').getAttribute('disabled'),
      '',
      'disabled until a row is selected',
    );
    await page.locator('#grid .row[data-row="1"] .cell').first().click();
    await page.locator('#template-compare[data-status="match"]').waitFor();
    assert.match(await page.locator('#template-compare').innerText(), /^Row 1 matches the template: \d+ tokens\.$/);

    await page.locator('#preview-template').click();
    await page.locator('#template-note', { hasText: 'opened in the chat template preview' }).waitFor();
    assert.deepEqual(
      received.filter((m) => m.type === 'dataset/previewTemplate'),
      [{ type: 'dataset/previewTemplate', index: 1 }],
    );
    const truth = JSON.parse(readFileSync(join(DATA, 'expected/sharegpt_tok.jsonl'), 'utf8').split('\n')[1]!);
    assert.equal(previews.length, 1);
    assert.deepEqual(previews[0]!.row, { conversations: truth.conversations });
    assert.equal(previews[0]!.rowIndex, 1);
    assert.deepEqual(violations, []);
    await session.dispose();
    await page.close();
  },
);

test(
  'sharegpt: conversation turns, PageDown/End/Home move the selection, copy row and cell as JSON',
  { skip, timeout: 60_000 },
  async () => {
    const file = manifestPath('sharegpt_jsonl');
    const { page, session, violations } = await panel(file);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ORIGIN });
    const truth = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { conversations: { from: string; value: string }[] });
    await page.locator('#grid .row[data-row="1"] .cell').first().click();
    const turns = page.locator('#cells-full .turn');
    await turns.first().waitFor();
    assert.equal(await turns.count(), truth[1].conversations.length);
    assert.deepEqual(
      await page.locator('#cells-full .turn-content').allInnerTexts(),
      truth[1].conversations.map((t) => t.value),
    );
    assert.deepEqual(await turns.evaluateAll((n) => n.map((x) => (x as HTMLElement).dataset.role)), [
      'user',
      'assistant',
      'user',
      'assistant',
    ]);

    // Keys move the selection, not only the scroll position.
    await page.keyboard.press('End');
    await page.locator(`#grid .row[data-row="${truth.length - 1}"].selected`).waitFor();
    await page.locator('#detail-title', { hasText: `Row ${truth.length - 1}` }).waitFor();
    await page.keyboard.press('Home');
    await page.locator('#grid .row[data-row="0"].selected').waitFor();
    await page.keyboard.press('PageDown');
    const after = Number(await page.locator('#grid .row.selected').getAttribute('data-row'));
    assert.ok(after > 1 && after < truth.length, `PageDown moved the selection to row ${after}`);

    // Copy row as JSON: exactly the row as Python's json reads it.
    await page.locator('#grid .row[data-row="0"] .cell').first().click();
    await page.locator('#detail-title', { hasText: 'Row 0' }).waitFor();
    await page.locator('#detail-title .copy-row').click();
    await page.locator('#detail-title .copy-row', { hasText: 'Copied' }).waitFor();
    assert.deepEqual(JSON.parse(await page.evaluate(() => navigator.clipboard.readText())), truth[0]);
    await page.locator('#cells-full .copy-cell').first().click();
    assert.deepEqual(JSON.parse(await page.evaluate(() => navigator.clipboard.readText())), truth[0].conversations);
    assert.deepEqual(violations, []);
    await session.dispose();
    await page.close();
  },
);
