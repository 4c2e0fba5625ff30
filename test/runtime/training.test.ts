// The client spawns the real runtime on the fixture config and receives the protocol events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { resumeTraining, startTraining } from '../../src/runtime/training';
import type { TrainEvent } from '../../protocol/trainEvents';

const REPO = resolve(__dirname, '..', '..');
const PY = process.env.BATCHSCOPE_TEST_PYTHON ?? join(REPO, '.venv', 'bin', 'python');
const CONFIG = join(REPO, 'test', '.fixtures', 'train', 'train.yaml');
// Relative paths in a config resolve against the working directory (as in LLaMA-Factory): run beside it.
const CWD = dirname(CONFIG);
const ENV = { OMP_NUM_THREADS: '1' };

test('a run streams started and step events; stop() asks first (checkpoint, clean exit); resume() finishes it', async () => {
  const out = mkdtempSync(join(tmpdir(), 'bs-stop-'));
  const run = startTraining({ python: PY, config: CONFIG, overrides: [`output_dir=${out}`, 'max_steps=100000', 'num_train_epochs=1000', 'save_steps=1000000'], env: ENV, cwd: CWD });
  const events: TrainEvent[] = [];
  const bad: string[] = [];
  run.on('protocolError', (p) => bad.push(p.line));
  run.on('event', (e) => {
    events.push(e);
    if (e.type === 'step' && e.step === 2) assert.equal(run.stop(), 'requested');
  });
  const exit = await run.done;
  assert.deepEqual(bad, []);
  assert.equal(exit.code, 0);
  // A `launch` line (engine choice) may come before `started`.
  assert.equal(events.find((e) => e.type !== 'launch')?.type, 'started');
  assert.deepEqual(events.filter((e) => e.type === 'step').slice(0, 2).map((e) => e.type === 'step' && e.step), [1, 2]);
  assert.equal(exit.stopRequested, true);
  assert.equal(exit.killed, false);
  assert.equal(exit.finished?.reason, 'stopped');
  const stoppedAt = exit.finished!.step;
  assert.equal(run.checkpoint, join(out, `checkpoint-${stoppedAt}`));
  // Full fine-tuning saves model.safetensors, LoRA (finetuning_type: lora) adapter_model.safetensors.
  assert.ok(['model.safetensors', 'adapter_model.safetensors'].some((f) => existsSync(join(out, `checkpoint-${stoppedAt}`, f))));

  // resume() = the same options + resume_from_checkpoint=true; run two more steps to the end
  const resumed = resumeTraining({ ...run.options, overrides: [...run.options.overrides!, `max_steps=${stoppedAt + 2}`] });
  const later: TrainEvent[] = [];
  resumed.on('event', (e) => later.push(e));
  const again = await resumed.done;
  assert.equal(again.code, 0);
  const first = later.find((e) => e.type !== 'launch')!;
  assert.ok(first.type === 'started' && first.start_step === stoppedAt && first.resumed_from === run.checkpoint, JSON.stringify(first));
  assert.deepEqual(later.filter((e) => e.type === 'step').map((e) => e.type === 'step' && e.step), [stoppedAt + 1, stoppedAt + 2]);
  assert.equal(again.finished?.reason, 'completed');
});

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); // a zombie is dead
  } catch {
    return false;
  }
}

test('a second stop() kills the whole tree, torchrun workers included', async () => {
  const out = mkdtempSync(join(tmpdir(), 'bs-kill-'));
  // 2 processes through torchrun (its workers run in their own sessions). Each save sleeps, so the
  // graceful stop is still saving when the second stop() arrives.
  const run = startTraining({
    python: PY, config: CONFIG, nproc: 2, cwd: CWD,
    overrides: [`output_dir=${out}`, 'max_steps=100000', 'num_train_epochs=1000', 'save_steps=1000000'],
    env: { ...ENV, BATCHSCOPE_TEST_SAVE_DELAY: '5' },
  });
  let worker = 0;
  run.on('event', (e) => {
    if (e.type === 'started') worker = e.pid;
    if (e.type === 'step' && e.step === 1) {
      run.stop();
      setTimeout(() => assert.equal(run.stop(), 'killed'), 300);
    }
  });
  const exit = await run.done;
  assert.equal(exit.killed, true);
  assert.equal(exit.signal, 'SIGKILL');
  assert.equal(exit.finished, undefined);
  assert.equal(run.stop(), 'not-running');
  assert.ok(worker > 0 && worker !== run.pid, 'rank 0 runs in a torchrun worker');
  for (let i = 0; i < 600 && alive(worker); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(alive(worker), false, `worker ${worker} survived`);
});

test('a bad config ends with an error event pointing at the key', async () => {
  const run = startTraining({ python: PY, config: CONFIG, overrides: ['learning_rate=fast'], env: ENV });
  const stderr: string[] = [];
  run.on('stderr', (l) => stderr.push(l));
  const exit = await run.done;
  assert.equal(exit.code, 2);
  assert.equal(exit.error?.error_type, 'ConfigError');
  assert.equal(exit.error?.location?.key, 'learning_rate');
  assert.ok(stderr.some((l) => /^batchscope: error: .+train\.yaml:\d+:\d+: learning_rate: expected a number/.test(l)), stderr.join('\n'));
});
