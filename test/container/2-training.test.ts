// Container scenario 2: Start Training on a YAML inside the container (the container's Python, torch
// 1.13 CPU): the dashboard draws the loss curve in Chromium outside; Stop leaves checkpoint-K in the
// container; Resume continues from it (trainer_log.jsonl keeps steps 1..K as they were and goes on).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FIXTURES, UI_TIMEOUT, type Session } from '../e2e/harness';
import { ROOT, sh, startRemote, until } from './lane';

let s: Session;
const WS = `${ROOT}/training/workspace`;
const OUT = `${WS}/out/train`; // train.yaml: output_dir ../out/train (relative to the YAML)

before(async () => {
  s = await startRemote({ name: 'training', copy: { train: join(FIXTURES, 'train'), model: join(FIXTURES, 'model') } });
  // Long enough that Stop, not the end of the run, writes the checkpoint; no periodic saves.
  sh(`sed -i -e 's/^max_steps:.*/max_steps: 5000/' -e 's/^save_steps:.*/save_steps: 100000/' ${WS}/train/train.yaml`);
});
after(async () => s?.close());

const checkpoints = () =>
  sh(`ls ${OUT} 2>/dev/null || true`)
    .stdout.split('\n')
    .filter((d) => /^checkpoint-\d+$/.test(d))
    .map((d) => Number(d.split('-')[1]))
    .sort((a, b) => a - b);
const logLines = () =>
  sh(`cat ${OUT}/trainer_log.jsonl 2>/dev/null || true`)
    .stdout.split('\n')
    .filter(Boolean)
    .map((l) => ({ text: l, step: Number(JSON.parse(l).current_steps) }));
const stopped = () => s.page.locator('.statusbar-item', { hasText: 'stopped' }).first();

test(
  'training in the container: live curve, Stop leaves a checkpoint, Resume continues from it',
  { timeout: 420_000 },
  async () => {
    await s.quickOpen('train.yaml');
    await s.page.locator('.monaco-editor .view-lines', { hasText: 'max_steps' }).waitFor({ timeout: UI_TIMEOUT });
    await s.command('Batchscope: Start Training');
    const dash = await s.frameWith('#loss-chart', 120_000);
    await dash.waitForFunction(
      () => Number(document.querySelector('#points-count')?.textContent?.match(/\d+/)?.[0] ?? 0) >= 8,
      undefined,
      { timeout: 240_000 },
    );
    assert.ok(await dash.locator('#loss-chart canvas').count(), 'the loss chart draws on a canvas');
    await s.page
      .locator('.statusbar-item', { hasText: /step \d+ \/ 5000/ })
      .first()
      .waitFor({ timeout: UI_TIMEOUT });
    await s.screenshot('dashboard');

    await dash.locator('#stop-button').click();
    const k = await until(
      'a checkpoint after Stop',
      120_000,
      async () => checkpoints().length > 0 && (await stopped().count()) > 0 && checkpoints()[0],
    );
    assert.ok(
      sh(`ls ${OUT}/checkpoint-${k}`).stdout.match(/\.(safetensors|bin)\b/),
      `checkpoint-${k} holds model weights`,
    );
    await s.screenshot('stopped');
    const before = logLines();
    const atK = before.find((l) => l.step === k);
    assert.ok(atK, `trainer_log.jsonl has step ${k} before resuming`);

    const resume = dash.locator('#resume-button');
    await until('Resume to be enabled', UI_TIMEOUT, () => resume.isEnabled());
    await resume.click();
    // Resumed, not restarted: steps past K arrive while the lines up to K stay exactly as they were
    // (a fresh run truncates the log and rewrites step K with new timings).
    const after = await until(`steps past ${k} after Resume`, 240_000, () => {
      const l = logLines();
      return l.some((x) => x.step > k + 2) && l;
    });
    assert.equal(after.find((l) => l.step === k)?.text, atK.text, `step ${k}'s log line is kept, not rewritten`);
    const steps = after.map((l) => l.step);
    assert.deepEqual(
      steps,
      [...steps].sort((a, b) => a - b),
      'steps only go forward',
    );
    await s.page
      .locator('.statusbar-item', { hasText: /step \d+ \/ 5000/ })
      .first()
      .waitFor({ timeout: UI_TIMEOUT });
    await s.screenshot('resumed');
    await dash.locator('#stop-button').click();
    await until('the resumed run to stop with a later checkpoint', 120_000, () => checkpoints().some((c) => c > k));
  },
);
