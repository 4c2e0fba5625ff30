// Scenario 1: an HF `cache-*.arrow` opens in the dataset panel: rows in the grid, the token view with
// trained and masked tokens styled apart, jump to the last row, and the length histogram.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { Session, UI_TIMEOUT, FIXTURES } from './harness';
import { dataFixture, expectedRows } from './fixtures';

let s: Session;
// A tokenized cache file written by datasets' map(): input_ids, attention_mask, labels (-100 = masked).
const fx = dataFixture('alpaca_tok');
const arrow = fx.abs;
const truth = expectedRows<{ input_ids: number[]; labels: number[] }>(fx);

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
  assert.equal(total, fx.rows, 'row count as datasets reports it');
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
  // Ground truth from the builder: one chip per input id, trained exactly where labels ≠ -100.
  assert.equal(await wv.locator('#tokens .chip').count(), truth[0].input_ids.length, 'one chip per token');
  assert.equal(
    await wv.locator('#tokens .chip.trained').count(),
    truth[0].labels.filter((l) => l !== -100).length,
    'trained chips',
  );
  assert.equal(
    await trained.getAttribute('title').then((t) => /\d+/.exec(t ?? '')?.[0]),
    String(truth[0].input_ids[truth[0].labels.findIndex((l) => l !== -100)]),
    'the first trained chip names its token id',
  );
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
