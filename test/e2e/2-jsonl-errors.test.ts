// Scenario 2: a .jsonl with one malformed line, opened through "Reopen Editor With…" (the JSONL
// editor is an option, not the default): the error names the line, the other rows show.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Session, UI_TIMEOUT } from './harness';
import { GOOD_IDS, MALFORMED_JSONL, MALFORMED_LINE } from './fixtures';

let s: Session;
before(async () => {
  s = await Session.start({ name: 'jsonl-errors', write: { 'chats.jsonl': MALFORMED_JSONL } });
});
after(async () => s?.close());

test('a malformed JSONL line is reported by line number and the other rows show', { timeout: 240_000 }, async () => {
  await s.quickOpen('chats.jsonl');
  await s.page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: UI_TIMEOUT });
  await s.command('View: Reopen Editor With...');
  await s.pick('Batchscope Dataset (JSONL/JSON)');

  const wv = await s.frameWith('#grid .row');
  const error = wv.locator('#errors .error').first();
  await error.waitFor({ timeout: UI_TIMEOUT });
  const text = await error.innerText();
  assert.match(text, /chats\.jsonl/, `the error names the file: ${text}`);
  assert.match(
    text,
    new RegExp(`:${MALFORMED_LINE}\\b|line ${MALFORMED_LINE}\\b`),
    `the error names line ${MALFORMED_LINE}: ${text}`,
  );
  for (const id of GOOD_IDS) {
    await wv.locator('#grid .row .cell', { hasText: id }).first().waitFor({ timeout: UI_TIMEOUT });
  }
  await s.screenshot('errors');
});
