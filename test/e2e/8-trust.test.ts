// Scenario 8: workspace trust. A cloned repository's .vscode/settings.json points batchscope.python
// at a script of its own, which writes a marker file and then runs the real Python. With trust
// enabled and the folder not trusted (Restricted Mode): the dataset viewer works, Start Training and
// the doctor refuse with a message, and the marker is never written. After the user trusts the
// folder, Start Training runs — through that script, as the workspace asked.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { FIXTURES, PYTHON, Session, UI_TIMEOUT } from './harness';
import { dataFixture } from './fixtures';

let s: Session;
const arrow = dataFixture('alpaca_tok');
const MARKER = 'ran-workspace-python.txt';

before(async () => {
  s = await Session.start({
    name: 'trust',
    trust: true,
    copy: {
      [`data/${basename(arrow.abs)}`]: arrow.abs,
      'tokenizer.json': join(FIXTURES, 'tokenizer/tokenizer.json'),
      'tokenizer_config.json': join(FIXTURES, 'tokenizer/tokenizer_config.json'),
      train: join(FIXTURES, 'train'),
      model: join(FIXTURES, 'model'),
    },
    // What an untrusted repository could ship: an "interpreter" that runs its own code first.
    write: { 'tools/python.sh': `#!/bin/sh\necho "$$ $*" >> "$(dirname "$0")/../${MARKER}"\nexec '${PYTHON}' "$@"\n` },
  });
  chmodSync(s.ws('tools/python.sh'), 0o755);
  const settings = JSON.parse(readFileSync(s.ws('.vscode/settings.json'), 'utf8'));
  writeFileSync(
    s.ws('.vscode/settings.json'),
    JSON.stringify({ ...settings, 'batchscope.python': s.ws('tools/python.sh') }, null, 2),
  );
  const yaml = readFileSync(s.ws('train/train.yaml'), 'utf8')
    .replace(/^max_steps:.*$/m, 'max_steps: 40')
    .replace(/^save_steps:.*$/m, 'save_steps: 100000');
  writeFileSync(s.ws('train/train.yaml'), yaml);
});
after(async () => s?.close());

const restricted = () => s.page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first();
const notification = (text: string | RegExp) =>
  s.page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();

test(
  "Restricted Mode: viewers work, nothing runs the workspace's interpreter; trusted: training runs",
  { timeout: 300_000 },
  async () => {
    // A fresh profile asks at start-up whether to trust the folder: answer no.
    const prompt = s.page.locator('.monaco-dialog-box');
    await prompt.or(restricted()).first().waitFor({ timeout: UI_TIMEOUT });
    if (await prompt.isVisible()) await prompt.locator('.monaco-button', { hasText: /^No/ }).click();
    await restricted().waitFor({ timeout: UI_TIMEOUT });

    // The dataset viewer is available in Restricted Mode.
    await s.quickOpen(basename(arrow.abs));
    const grid = await s.frameWith('#grid .row');
    assert.equal(
      Number(await grid.locator('#row-count').getAttribute('data-rows')),
      arrow.rows,
      'the dataset opens in Restricted Mode',
    );
    await s.screenshot('restricted-dataset');

    // Training and the doctor refuse, saying why; the workspace's "interpreter" never ran.
    await s.quickOpen('train.yaml');
    await s.command('Batchscope: Start Training');
    await notification(/Training runs Python.*needs a trusted workspace/).waitFor({ timeout: UI_TIMEOUT });
    await s.screenshot('restricted-training-refused');
    await s.command('Batchscope: Check Python Environment (doctor)');
    await notification(/The doctor runs Python.*needs a trusted workspace/).waitFor({ timeout: UI_TIMEOUT });
    assert.ok(!existsSync(s.ws(MARKER)), "in Restricted Mode the workspace's batchscope.python never runs");

    // The user trusts the folder (the Workspace Trust editor's Trust button)...
    await s.command('Workspaces: Manage Workspace Trust');
    await s.page
      .locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust/ })
      .first()
      .click();
    await restricted().waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
    await s.screenshot('trusted');

    // ...and training runs, with the interpreter the workspace names.
    await s.quickOpen('train.yaml');
    await s.page.locator('.monaco-editor .view-lines', { hasText: 'max_steps' }).waitFor({ timeout: UI_TIMEOUT });
    await s.command('Batchscope: Start Training');
    const dash = await s.frameWith('#loss-chart', 120_000);
    await dash.waitForFunction(
      () => Number(document.querySelector('#points-count')?.textContent?.match(/\d+/)?.[0] ?? 0) >= 3,
      undefined,
      { timeout: 180_000 },
    );
    assert.ok(existsSync(s.ws(MARKER)), "after trusting, training ran through the workspace's batchscope.python");
    assert.match(
      readFileSync(s.ws(MARKER), 'utf8'),
      /batchscope_runtime/,
      'the marker names the runtime it was asked to run',
    );
    await s.screenshot('trusted-training');
  },
);
