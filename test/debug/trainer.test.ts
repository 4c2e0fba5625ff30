// Issue 11, stepping through a real Hugging Face Trainer run (tiny local Llama, no hub): with no
// stage hooks in the user's code, Step Over walks one batch sampler → fetch → collate →
// batch_ready → to_device (accelerate's send_to_device) → train_step (Trainer.training_step) and
// then on to the next batch, and train_step sees the very batch the sampler chose although
// accelerate iterates one batch ahead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { REPO, close, evaluate, findVar, launch, topScopes, type Session } from './harness';

const TRAINER = path.join(REPO, 'test', 'debug', 'programs', 'trainer.py');

type Stopped = DebugProtocol.StoppedEvent['body'] & {
  stage?: string;
  batch?: { loader: string; epoch: number; index: number };
};

async function stopped(s: Session, ms = 60_000): Promise<Stopped> {
  return (await s.ev.next('stopped', ms)).body as Stopped;
}

async function walkOneBatch(workers: number): Promise<void> {
  const s = await launch(
    ['--n', '32', '--batch-size', '4', '--steps', '6', '--workers', String(workers)],
    { functionBreakpoints: [{ name: 'sampler', condition: 'batch_index == 2' }] },
    { program: TRAINER, tokenizer: undefined },
  );
  try {
    let stop = await stopped(s, 120_000);
    assert.equal(stop.stage, 'sampler');
    assert.equal(stop.batch?.index, 2);
    const { scopes } = await topScopes(s.dc, stop.threadId!);
    const indices = JSON.parse(findVar(scopes, 'indices')!.value) as number[];
    assert.equal(indices.length, 4);

    const walked: Array<[string, number, number]> = [];
    for (const expected of ['fetch', 'collate', 'batch_ready', 'to_device', 'train_step']) {
      await s.dc.nextRequest({ threadId: stop.threadId! });
      stop = await stopped(s);
      walked.push([stop.stage!, stop.batch!.index, stop.threadId!]);
      assert.equal(stop.reason, 'step');
      assert.equal(stop.stage, expected, JSON.stringify(walked));
      assert.equal(stop.batch?.index, 2, JSON.stringify(walked));
    }
    assert.equal(stop.threadId, 1, 'train_step runs in the main thread');
    if (workers) assert.ok(walked[0][2] >= 100, 'fetch ran in a worker');

    // train_step holds the batch the sampler chose for batch 2 (sample i starts with id (7i) % 60 + 4).
    const st = await s.dc.stackTraceRequest({ threadId: 1 });
    const top = st.body.stackFrames[0];
    assert.match(top.name, /^train_step · batch 2/);
    assert.ok(top.source?.path?.endsWith('trainer.py'), 'points at the Trainer subclass');
    const firstIds = JSON.parse(await evaluate(s.dc, top.id, "batch['input_ids'][:, 0].tolist()")) as number[];
    assert.deepEqual(
      firstIds,
      indices.map((i) => ((7 * i) % 60) + 4),
    );

    // Step Over from the last stage goes on to the next batch.
    await s.dc.nextRequest({ threadId: 1 });
    stop = await stopped(s);
    assert.equal(stop.reason, 'step');
    assert.equal(stop.batch?.index, 3, `${stop.stage} of batch ${stop.batch?.index}`);

    await s.dc.continueRequest({ threadId: stop.threadId! });
    await s.ev.next('terminated', 120_000);
    assert.match(s.ev.output(), /done steps=6\b/);
    assert.equal(s.ev.pending('stopped').length, 0);
  } finally {
    await close(s);
  }
}

test('HF Trainer, 0 workers: Step Over walks batch 2 from sampler to train_step, then batch 3', async () => {
  await walkOneBatch(0);
});

test('HF Trainer, 2 workers: the same walk, fetch and collate in a worker', async () => {
  await walkOneBatch(2);
});
