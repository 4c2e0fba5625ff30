// Scenario 1: an HF `cache-*.arrow` opens in the dataset panel: rows in the grid, the token view with
// trained and masked tokens styled apart, jump to the last row, and the length histogram.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { Session, UI_TIMEOUT, FIXTURES } from './harness';
import { fixtureFile } from './fixtures';

let s: Session;
const arrow = fixtureFile('data', /^cache-.*\.arrow$/, 'b_datasets.py');

before(async () => {
  s = await Session.start({
    name: 'dataset-arrow',
    // tokenizer.json in a parent of the dataset: the panel finds it without asking.
    copy: {
      [`data/${basename(arrow)}`]: arrow,
      'tokenizer.json': `${FIXTURES}/tokenizer/tokenizer.json`,
      'tokenizer_config.json': `${FIXTURES}/tokenizer/tokenizer_config.json`,
    },
  });
});
after(async () => s?.close());

test('an HF cache-*.arrow shows rows, tokens, the last row and the histogram', { timeout: 240_000 }, async () => {
  await s.quickOpen(basename(arrow));
  const wv = await s.frameWith('#grid .row');
  const rows = wv.locator('#grid .row');
  await rows.first().waitFor({ timeout: UI_TIMEOUT });
  assert.ok((await rows.count()) > 0, 'the grid shows rows');
  const total = Number(await wv.locator('#row-count').getAttribute('data-rows'));
  assert.ok(total > 1, `row count known (${total})`);
  assert.match(await wv.locator('#row-count').innerText(), new RegExp(`^${total} rows`));

  // Token view of the first row: trained tokens (labels ≠ -100) look different from masked ones.
  await rows.first().locator('.cell').first().click();
  const trained = wv.locator('#tokens .chip.trained').first();
  const masked = wv.locator('#tokens .chip.masked').first();
  await trained.waitFor({ timeout: UI_TIMEOUT });
  await masked.waitFor({ timeout: UI_TIMEOUT });
  assert.ok((await trained.innerText()).length > 0, 'a trained chip shows decoded text');
  const bg = (l: typeof trained) => l.evaluate((n) => getComputedStyle(n).backgroundColor);
  assert.notEqual(await bg(trained), await bg(masked), 'trained and masked chips have different backgrounds');
  assert.match((await trained.getAttribute('title')) ?? '', /\d/, 'a chip names its token id');
  await s.screenshot('tokens');

  // Jump to the last row (0-based) through the jump box.
  await wv.locator('#jump-input input').fill(String(total - 1));
  await wv.locator('#jump-button').click();
  await wv.locator(`#grid .row[data-row="${total - 1}"]`).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
  await s.screenshot('last-row');

  // Statistics: the length histogram has bars.
  await wv.locator('#stats-open').click();
  await wv.locator('#stats-button').click();
  await wv.locator('#stats #histogram .bar').first().waitFor({ timeout: UI_TIMEOUT });
  assert.ok((await wv.locator('#stats #histogram .bar').count()) > 0);
  assert.match(await wv.locator('#stats-rows').innerText(), new RegExp(String(total)));
  await s.screenshot('stats');
  assert.equal(s.dialogs.length, 0);
});
