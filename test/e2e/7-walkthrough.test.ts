// Scenario 7 (first run): the Getting Started walkthrough lists its steps with their pictures, and its
// first step's button runs the doctor, which reports the configured Python and its torch.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PYTHON, REPO, Session, UI_TIMEOUT } from './harness';

let s: Session;
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
const walk = pkg.contributes.walkthroughs[0] as { title: string; steps: Array<{ title: string }> };

before(async () => {
  // Wide: below ~1400 px the Welcome page hides the step pictures.
  s = await Session.start({
    name: 'walkthrough',
    write: { 'README.txt': 'first run' },
    viewport: { width: 1600, height: 900 },
  });
});
after(async () => s?.close());

test(
  'the walkthrough shows every step with a picture; its doctor button reports Python and torch',
  { timeout: 240_000 },
  async () => {
    await s.command('Welcome: Open Walkthrough...');
    await s.pick(walk.title);
    const page = s.page.locator('.gettingStartedContainer');
    for (const step of walk.steps) {
      await page.locator('.getting-started-step', { hasText: step.title }).first().waitFor({ timeout: UI_TIMEOUT });
    }
    // The selected step's picture is loaded from the installed extension (naturalWidth > 0).
    const img = page.locator('.getting-started-media img').first();
    await img.waitFor({ timeout: UI_TIMEOUT });
    await s.page.waitForFunction(
      (el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0,
      await img.elementHandle(),
      { timeout: UI_TIMEOUT },
    );
    await s.screenshot('steps');

    // The public version (no local "+cu…" suffix), as the doctor reports it.
    const torch = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__.split("+")[0])'], {
      encoding: 'utf8',
    }).stdout.trim();
    assert.ok(torch, 'torch version from the configured Python');
    await page.getByRole('button', { name: 'Run the doctor' }).first().click();
    const report = s.page
      .locator('.notifications-toasts .notification-list-item-message', { hasText: 'Batchscope doctor' })
      .first();
    await report.waitFor({ timeout: 120_000 });
    const text = await report.innerText();
    assert.ok(text.includes(`torch ${torch}`), `the doctor names torch ${torch}: ${text}`);
    assert.ok(text.includes(PYTHON), `the doctor names the configured interpreter: ${text}`);
    await s.screenshot('doctor', s.page.locator('.notifications-toasts .notification-toast').first());
  },
);
