// Scenario 5: Start Training from the fixture YAML: the dashboard draws a loss curve with points, the
// status bar shows progress, and Stop leaves a checkpoint-* folder in output_dir.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, Session, UI_TIMEOUT } from './harness';

let s: Session;
const TRAIN = join(FIXTURES, 'train');
const OUTPUT = 'out/train'; // train.yaml says output_dir: ../out/train (relative to the YAML)

before(async () => {
  if (!existsSync(join(TRAIN, 'train.yaml')))
    throw new Error(`${TRAIN}/train.yaml missing: bash scripts/fixtures.sh (builder d_model.py)`);
  s = await Session.start({ name: 'training', copy: { train: TRAIN, model: join(FIXTURES, 'model') } });
  // Long enough that Stop, not the end of the run, writes the checkpoint; no periodic saves.
  const yaml = readFileSync(s.ws('train/train.yaml'), 'utf8')
    .replace(/^max_steps:.*$/m, 'max_steps: 5000')
    .replace(/^save_steps:.*$/m, 'save_steps: 100000');
  writeFileSync(s.ws('train/train.yaml'), yaml);
});
after(async () => s?.close());

test('training shows a live loss curve and progress; Stop leaves a checkpoint', { timeout: 300_000 }, async () => {
  await s.quickOpen('train.yaml');
  await s.page.locator('.monaco-editor .view-lines', { hasText: 'max_steps' }).waitFor({ timeout: UI_TIMEOUT });
  await s.command('Batchscope: Start Training');

  const dash = await s.frameWith('#loss-chart', 120_000);
  // Points arrive once Python has imported torch and run a few steps: wait on what the user sees.
  await dash.waitForFunction(
    () => Number(document.querySelector('#points-count')?.textContent?.match(/\d+/)?.[0] ?? 0) >= 8,
    undefined,
    {
      timeout: 180_000,
    },
  );
  assert.ok(await dash.locator('#loss-chart canvas').count(), 'the loss chart draws on a canvas');
  const progress = s.page.locator('.statusbar-item', { hasText: /step \d+ \/ 5000/ }).first();
  await progress.waitFor({ timeout: UI_TIMEOUT });
  assert.match(await progress.innerText(), /loss \d/);
  await s.screenshot('dashboard');

  await dash.locator('#stop-button').click();
  const out = s.ws(OUTPUT);
  const until = Date.now() + 120_000;
  let checkpoints: string[] = [];
  while (Date.now() < until) {
    checkpoints = existsSync(out) ? readdirSync(out).filter((d) => /^checkpoint-\d+$/.test(d)) : [];
    if (checkpoints.length && (await s.page.locator('.statusbar-item', { hasText: 'stopped' }).count())) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.ok(checkpoints.length > 0, `a checkpoint-* folder in ${out} after Stop`);
  const ck = join(out, checkpoints[0]);
  assert.ok(
    readdirSync(ck).some((f) => f.endsWith('.safetensors') || f.endsWith('.bin')),
    `${ck} holds model weights`,
  );
  await s.page.locator('.statusbar-item', { hasText: 'stopped' }).first().waitFor({ timeout: UI_TIMEOUT });
  await s.screenshot('stopped');
});
