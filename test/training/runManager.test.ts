// RunManager with the real runtime on the tiny fixture model (CPU): live history, a graceful stop
// that checkpoints, and the history rebuilt from output_dir/trainer_log.jsonl (what a restored
// dashboard shows after a window reload) matching the live one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RunManager } from '../../src/runtime/runManager';
import { statusText } from '../../src/core/training/runState';

const FIX = resolve(process.env.BATCHSCOPE_FIXTURES ?? 'test/.fixtures');
const PYTHON = process.env.BATCHSCOPE_TEST_PYTHON ?? resolve('.venv/bin/python');

test(
  'start → stop after two steps → checkpoint; trainer_log.jsonl restores the same curves',
  { timeout: 120_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'bs-run-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    cpSync(join(FIX, 'train'), join(dir, 'train'), { recursive: true });
    cpSync(join(FIX, 'model'), join(dir, 'model'), { recursive: true });
    const config = join(dir, 'train', 'train.yaml');

    const m = new RunManager();
    const runs: boolean[] = [];
    m.on('run', (info) => runs.push(info.active));
    const run = m.start({
      python: PYTHON,
      config,
      overrides: ['max_steps=200', 'save_steps=1000', 'logging_steps=1'],
      cwd: join(dir, 'train'),
      runtimeDir: resolve('runtime'),
    });
    assert.equal(m.active, true);
    assert.throws(() => m.start({ python: PYTHON, config }), /already active/);
    let stopped = false;
    run.on('event', (ev) => {
      if (ev.type === 'step' && ev.step >= 2 && !stopped) {
        stopped = true;
        assert.equal(m.stop(), 'requested');
      }
    });
    const exit = await run.done;
    assert.equal(exit.code, 0, m.log().join('\n'));
    assert.equal(m.active, false);
    assert.deepEqual([runs[0], runs[runs.length - 1]], [true, false]);

    const s = m.state;
    assert.equal(s.phase, 'stopped', statusText(s));
    assert.equal(s.finished?.reason, 'stopped');
    assert.ok(s.series.step.length >= 2);
    assert.ok(s.series.step.length < 200, 'the stop request ended the run early');
    assert.equal(s.series.step[0], 1);
    const ckpt = s.checkpoints.at(-1)!;
    assert.equal(ckpt.reason, 'stop');
    assert.ok(existsSync(ckpt.path), ckpt.path);
    assert.match(statusText(s), new RegExp(`^step ${s.step} / 200 · loss \\d+\\.\\d+ · stopped$`));
    assert.equal(m.info().canResume, true);
    assert.deepEqual(m.resumeOverrides(), [
      'max_steps=200',
      'save_steps=1000',
      'logging_steps=1',
      `resume_from_checkpoint=${ckpt.path}`,
    ]);

    // A fresh manager (the extension host after a reload) rebuilds the curves from the log.
    const restored = new RunManager();
    const n = await restored.restoreFromLog(config, s.started!.output_dir);
    assert.ok(n >= s.series.step.length);
    assert.deepEqual(restored.state.series.step, s.series.step);
    for (let i = 0; i < s.series.loss.length; i++)
      assert.ok(Math.abs((restored.state.series.loss[i] ?? NaN) - (s.series.loss[i] ?? NaN)) < 1e-9);
    assert.deepEqual(restored.state.series.dataWaitMs.length, s.series.step.length);
    assert.equal(restored.state.checkpoints.at(-1)?.step, ckpt.step);
    // The log has no end line: the restored history ends with a finished event the webview replays too.
    assert.equal(restored.state.phase, 'stopped');
    assert.deepEqual(restored.events().at(-1), {
      type: 'finished',
      time: restored.state.last!.time,
      step: s.step,
      total_steps: 200,
      reason: 'stopped',
      elapsed_s: restored.state.last!.elapsed_s,
      output_dir: s.started!.output_dir,
    });
    assert.equal(restored.info().config, config);
  },
);
