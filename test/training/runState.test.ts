// Event history → chart series, status/ETA text, resume handling, trainer_log.jsonl restore.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CheckpointEvent, LaunchEvent, StartedEvent, StepEvent, TrainEvent } from '../../protocol/trainEvents';
import { validateEvent } from '../../protocol/trainEvents';
import {
  dataWaitShare,
  engineSummary,
  foldEvents,
  formatEta,
  formatLoss,
  latestCheckpoint,
  lossPointCount,
  newRunState,
  percentDone,
  statusText,
} from '../../src/core/training/runState';
import { checkpointEvents, parseClock, parseTrainerLog, parseTrainerState } from '../../src/core/training/trainerLog';
import { isResume } from '../../src/runtime/runManager';

function started(over: Partial<StartedEvent> = {}): StartedEvent {
  return {
    type: 'started',
    v: 1,
    time: 1,
    pid: 1,
    config: '/ws/train.yaml',
    output_dir: '/ws/out',
    model: '/ws/model',
    device: 'cpu',
    device_name: null,
    precision: 'fp32',
    world_size: 1,
    total_steps: 30,
    start_step: 0,
    steps_per_epoch: 15,
    num_epochs: 2,
    num_train_samples: 60,
    num_eval_samples: 0,
    resumed_from: null,
    versions: { python: '3.11', torch: '2.15', transformers: '5.23', runtime: '0.1.0' },
    ...over,
  };
}
function step(n: number, over: Partial<StepEvent> = {}): StepEvent {
  return {
    type: 'step',
    time: 1 + n,
    step: n,
    total_steps: 30,
    epoch: n / 15,
    loss: 4 - n * 0.05,
    lr: 1e-4 * (1 - n / 30),
    grad_norm: 1.5,
    tokens_per_s: 5000,
    samples_per_s: 40,
    data_wait_ms: 2,
    step_ms: 100,
    elapsed_s: n,
    eta_s: 30 - n,
    gpu_mem_allocated: null,
    gpu_mem_reserved: null,
    ...over,
  };
}
function ckpt(n: number): CheckpointEvent {
  return { type: 'checkpoint', time: 1, step: n, path: `/ws/out/checkpoint-${n}`, reason: 'save_steps' };
}

test('test events are valid protocol events (the helpers build what the runtime sends)', () => {
  for (const ev of [started(), step(3), ckpt(10)]) assert.equal(validateEvent(ev), null);
});

test('ETA and loss formatting', () => {
  assert.equal(formatEta(5), '5s');
  assert.equal(formatEta(4.6), '5s');
  assert.equal(formatEta(65), '1m 05s');
  assert.equal(formatEta(3600 + 180), '1h 03m');
  assert.equal(formatEta(3 * 86400 + 7200), '3d 2h');
  assert.equal(formatEta(null), '—');
  assert.equal(formatEta(Number.NaN), '—');
  assert.equal(formatLoss(3.2149), '3.21');
  assert.equal(formatLoss(0.012345), '0.0123');
  assert.equal(formatLoss(null), 'nan');
  assert.equal(formatLoss(123.45), '123.5');
});

test('history folds into uPlot-shaped series and the status line of the issue', () => {
  const s = foldEvents([started(), step(1), step(2, { loss: null }), step(12, { loss: 3.21, eta_s: 5 })]);
  assert.deepEqual(s.series.step, [1, 2, 12]);
  assert.deepEqual(s.series.loss, [3.95, null, 3.21]);
  assert.equal(s.series.lr.length, 3);
  assert.equal(lossPointCount(s), 2);
  assert.equal(statusText(s), 'step 12 / 30 · loss 3.21 · ETA 5s');
  assert.equal(percentDone(s), 40);
  assert.equal(dataWaitShare(s), 0.02);
});

test('end states: finished, stopped, error; idle and starting', () => {
  assert.equal(statusText(newRunState()), 'no run');
  const starting = newRunState();
  starting.phase = 'starting';
  assert.equal(statusText(starting), 'starting…');
  const done = foldEvents([
    started(),
    step(30, { loss: 1.5 }),
    { type: 'finished', time: 9, step: 30, total_steps: 30, reason: 'completed', elapsed_s: 30, output_dir: '/ws/out' },
  ]);
  assert.equal(statusText(done), 'step 30 / 30 · loss 1.50 · done');
  const stopped = foldEvents([
    started(),
    step(12, { loss: 3.21 }),
    { type: 'finished', time: 9, step: 12, total_steps: 30, reason: 'stopped', elapsed_s: 12, output_dir: '/ws/out' },
  ]);
  assert.equal(stopped.phase, 'stopped');
  const failed = foldEvents([
    started(),
    {
      type: 'error',
      time: 2,
      error_type: 'OutOfMemoryError',
      message: 'CUDA out of memory',
      hint: 'lower per_device_train_batch_size',
    },
  ]);
  assert.equal(statusText(failed), 'step 0 / 30 · error: OutOfMemoryError');
});

test('a resume from checkpoint-10 continues the curves and drops the steps after 10', () => {
  const events: TrainEvent[] = [
    started(),
    step(5),
    step(10),
    ckpt(10),
    step(15),
    step(20),
    { type: 'eval', time: 1, step: 15, epoch: 1, eval_loss: 3, eval_samples: 4 },
  ];
  const s = foldEvents(events);
  foldEvents([started({ start_step: 10, resumed_from: '/ws/out/checkpoint-10' }), step(15, { loss: 2 })], s);
  assert.deepEqual(s.series.step, [5, 10, 15]);
  assert.equal(s.series.loss[2], 2);
  assert.deepEqual(s.evals, []);
  assert.equal(latestCheckpoint(s)?.path, '/ws/out/checkpoint-10');
  // A repeated checkpoint event (same path) is listed once.
  foldEvents([ckpt(10), ckpt(20)], s);
  assert.deepEqual(
    s.checkpoints.map((c) => c.step),
    [10, 20],
  );
});

test('resume overrides: only a real value resumes', () => {
  assert.equal(isResume(['resume_from_checkpoint=true']), true);
  assert.equal(isResume(['lr=1', 'resume_from_checkpoint=/x/checkpoint-5']), true);
  assert.equal(isResume(['resume_from_checkpoint=false']), false);
  assert.equal(isResume(['resume_from_checkpoint=true', 'resume_from_checkpoint=null']), false);
  assert.equal(isResume(undefined), false);
});

test('trainer_log.jsonl: protocol lines and LLaMA-Factory lines both restore; bad lines are counted', () => {
  const text = [
    JSON.stringify(started()),
    JSON.stringify(step(1)),
    '{"current_steps": 2, "total_steps": 30, "loss": 3.5, "lr": 9e-05, "epoch": 0.13, "percentage": 6.67, "elapsed_time": "0:00:02", "remaining_time": "0:00:28", "throughput": 812.5}',
    '{"current_steps": 2, "total_steps": 30, "eval_loss": 3.9, "epoch": 0.13}',
    'not json',
    JSON.stringify(ckpt(2)),
    '',
  ].join('\n');
  const { events, skipped } = parseTrainerLog(text);
  assert.deepEqual(
    events.map((e) => e.type),
    ['started', 'step', 'step', 'eval', 'checkpoint'],
  );
  const s = foldEvents(events);
  assert.deepEqual(s.series.step, [1, 2]);
  assert.equal(s.last?.eta_s, 28);
  assert.equal(s.last?.tokens_per_s, 812.5);
  assert.deepEqual(s.evals, [{ step: 2, loss: 3.9 }]);
  assert.deepEqual(
    skipped.map((x) => x.line),
    [5],
  );
  assert.equal(parseClock('1 day, 2:03:04'), 86400 + 7384);
  assert.equal(parseClock('x'), null);
});

test('checkpoint-N folders become checkpoint events in step order (restore after reload)', () => {
  const evs = checkpointEvents('/ws/out/', ['checkpoint-20', 'trainer_log.jsonl', 'checkpoint-5', 'checkpoint-x']);
  assert.deepEqual(
    evs.map((e) => (e.type === 'checkpoint' ? [e.step, e.path] : null)),
    [
      [5, '/ws/out/checkpoint-5'],
      [20, '/ws/out/checkpoint-20'],
    ],
  );
  for (const e of evs) assert.equal(validateEvent(e), null);
});

test('the launch event names the engine, why, and the world size; started adds the tuning', () => {
  const launch: LaunchEvent = {
    type: 'launch',
    time: 0,
    engine: 'transformers',
    reason: 'the default',
    config: '/ws/train.yaml',
    world_size: 4,
    nnodes: 2,
    node_rank: 0,
  };
  assert.equal(validateEvent(launch), null);
  const s = foldEvents([launch]);
  assert.equal(s.phase, 'starting');
  assert.equal(engineSummary(s), 'transformers engine (the default) · world size 4 on 2 nodes');
  foldEvents(
    [
      started({
        engine: 'transformers',
        engine_reason: 'the default',
        finetuning_type: 'lora',
        trainable_params: 50,
        total_params: 10000,
        world_size: 4,
        nnodes: 2,
      }),
    ],
    s,
  );
  assert.equal(
    engineSummary(s),
    'transformers engine (the default) · LoRA, 0.50% of weights trained · world size 4 on 2 nodes',
  );
  assert.equal(engineSummary(newRunState()), '');
});

test("a Trainer's trainer_state.json (a run started outside the editor) becomes step and eval events", () => {
  const state = JSON.stringify({
    global_step: 4,
    max_steps: 4,
    log_history: [
      { epoch: 0.5, grad_norm: 2.5, learning_rate: 0.0, loss: 6.25, step: 1 },
      { epoch: 1, grad_norm: 2.1, learning_rate: 0.005, loss: 5.5, step: 2 },
      { epoch: 1, eval_loss: 5.4, eval_runtime: 0.1, step: 2 },
      { epoch: 2, step: 4, train_runtime: 5.2, train_loss: 5.4 },
    ],
  });
  const parsed = parseTrainerState(state);
  assert.ok(parsed);
  assert.deepEqual(
    parsed.events.map((e) => e.type),
    ['step', 'step', 'eval'],
  );
  for (const e of parsed.events) assert.equal(validateEvent(e), null);
  const s = foldEvents(parseTrainerLog(state).events);
  assert.deepEqual(s.series.loss, [6.25, 5.5]);
  assert.deepEqual(s.series.lr, [0, 0.005]);
  assert.deepEqual(s.evals, [{ step: 2, loss: 5.4 }]);
  assert.equal(s.totalSteps, 4);
  assert.equal(parseTrainerState('{"current_steps": 1}'), null);
});
