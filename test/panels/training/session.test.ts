// The training dashboard's message flow, host side: the real TrainingDashboardSession on a real
// RunManager running the real runtime on the tiny fixture model (CPU). The panel's ready gets the
// history, live events arrive in batches, the Stop button stops the run (gracefully: a checkpoint),
// a reload replays the same history, and a panel restored after a window reload (a fresh manager
// reading trainer_log.jsonl) shows the same curve.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TrainingToWebview } from '../../../protocol/webview';
import type { TrainEvent } from '../../../protocol/trainEvents';
import { RunManager } from '../../../src/runtime/runManager';
import { TrainingDashboardSession } from '../../../src/panels/training/session';

const FIX = resolve(process.env.BATCHSCOPE_FIXTURES ?? 'test/.fixtures');
const PYTHON = process.env.BATCHSCOPE_TEST_PYTHON ?? resolve('.venv/bin/python');

function panel(manager: RunManager) {
  const posted: TrainingToWebview[] = [];
  const asked: string[] = [];
  const session = new TrainingDashboardSession({
    manager,
    post: (m) => posted.push(JSON.parse(JSON.stringify(m))),
    stop: () => {
      asked.push('stop');
      return manager.stop();
    },
    resume: () => asked.push('resume'),
    openCheckpoint: (p) => asked.push(`open ${p}`),
  });
  return { session, posted, asked };
}

const steps = (events: readonly TrainEvent[]) =>
  events.filter((e) => e.type === 'step').map((e) => (e as { step: number }).step);

test(
  'ready → reset; live events in batches; Stop stops the run; a reload replays it; a restored panel shows the same curve',
  { timeout: 180_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'bs-dash-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    cpSync(join(FIX, 'train'), join(dir, 'train'), { recursive: true });
    cpSync(join(FIX, 'model'), join(dir, 'model'), { recursive: true });
    const config = join(dir, 'train', 'train.yaml');

    const manager = new RunManager();
    const { session, posted, asked } = panel(manager);
    // Nothing is posted before the webview says it is ready.
    manager.emit('log', 'before ready');
    assert.equal(posted.length, 0);
    session.onMessage({ type: 'training/ready' });
    assert.deepEqual(posted.slice(), [
      { type: 'training/reset', run: { config: null, active: false, canResume: false }, events: [] },
    ]);

    const run = manager.start({
      python: PYTHON,
      config,
      overrides: ['max_steps=200', 'save_steps=1000', 'logging_steps=1'],
      cwd: join(dir, 'train'),
      runtimeDir: resolve('runtime'),
    });
    let clicked = false;
    run.on('event', (ev) => {
      // The user presses Stop once the curve has two points.
      if (ev.type === 'step' && ev.step >= 2 && !clicked) {
        clicked = true;
        session.onMessage({ type: 'training/stop' });
      }
    });
    const exit = await run.done;
    assert.equal(exit.code, 0, manager.log().join('\n'));
    session.flush();
    assert.deepEqual(asked, ['stop']);

    const runs = posted
      .filter((m) => m.type === 'training/run')
      .map((m) => (m as { run: { active: boolean; canResume: boolean } }).run);
    assert.equal(runs[0].active, true);
    assert.equal(runs.at(-1)!.active, false);
    assert.equal(runs.at(-1)!.canResume, true);
    const live = posted.flatMap((m) => (m.type === 'training/events' ? m.events : []));
    assert.deepEqual(live, [...manager.events()], 'every event reached the panel once, in order');
    assert.ok(
      posted.every((m) => m.type !== 'training/events' || m.events.length > 0),
      'no empty batches',
    );
    assert.ok(
      live.some((e) => e.type === 'checkpoint'),
      'the stop left a checkpoint',
    );
    assert.equal(live.at(-1)!.type, 'finished');

    // The webview reloads (hidden, then shown): the whole history again, and the runtime's output.
    posted.length = 0;
    session.onMessage({ type: 'training/ready' });
    assert.equal(posted[0].type, 'training/reset');
    assert.deepEqual((posted[0] as { events: TrainEvent[] }).events, [...manager.events()]);
    if (manager.log().length) assert.deepEqual(posted[1], { type: 'training/log', lines: [...manager.log()] });

    const ckpt = manager.state.checkpoints.at(-1)!.path;
    session.onMessage({ type: 'training/openCheckpoint', path: ckpt });
    session.onMessage({ type: 'training/resume' });
    assert.deepEqual(asked, ['stop', `open ${ckpt}`, 'resume']);

    // After dispose the panel gets nothing more.
    session.dispose();
    posted.length = 0;
    manager.emit('log', 'after dispose');
    assert.equal(posted.length, 0);

    // A window reload: a fresh manager rebuilds the history from trainer_log.jsonl for the restored panel.
    const restored = new RunManager();
    await restored.restoreFromLog(config, manager.state.started!.output_dir);
    const again = panel(restored);
    again.session.onMessage({ type: 'training/ready' });
    const reset = again.posted[0] as Extract<TrainingToWebview, { type: 'training/reset' }>;
    assert.equal(reset.type, 'training/reset');
    assert.equal(reset.run.config, config);
    assert.deepEqual(steps(reset.events), steps(manager.events()));
    again.session.dispose();
  },
);
