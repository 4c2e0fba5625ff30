// The batch recorder end to end: a recording made by the real runtime (torch DataLoader, 2 workers)
// opens with our dataset reader, row for row equal to pyarrow's, with token / label / mask roles and
// padding; and the adapter's two ways in: launch.json `record` and the `recordBatches` request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { openDataset } from '../../src/core/datasets/open';
import { computeStats } from '../../src/core/datasets/stats';
import type { Row } from '../../src/core/datasets/types';
import { normalize } from '../data/fixtures';
import { ConfigError, recordOf } from '../../src/dap/launchConfig';
import { close, configure, launchArgs, openSession, PROGRAM, PYTHON, RUNTIME } from './harness';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'batchscope-record-'));

function python(code: string): string {
  const r = spawnSync(PYTHON, ['-c', code], {
    env: { ...process.env, PYTHONPATH: RUNTIME, OMP_NUM_THREADS: '1' },
    encoding: 'utf8',
    timeout: 300_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** The recording as pyarrow reads it: rows as JSON (ints as numbers). */
function pyarrowRows(file: string): Record<string, unknown>[] {
  return JSON.parse(
    python(`import json, pyarrow as pa
t = pa.ipc.open_stream(open(${JSON.stringify(file)}, "rb")).read_all()
print(json.dumps(t.to_pylist()))`),
  ) as Record<string, unknown>[];
}

async function readAll(file: string): Promise<{ rows: Row[]; roles: Record<string, string> }> {
  const src = await openDataset(file);
  try {
    const rows = await src.readRows(0, src.numRows);
    assert.deepEqual(src.errors, []);
    return { rows, roles: Object.fromEntries(src.columns.map((c) => [c.name, c.role])) };
  } finally {
    await src.close();
  }
}

test('a recording (2 workers, padded batches) opens in the viewer: rows equal pyarrow, roles and padding known', async () => {
  const file = path.join(TMP, 'loader.arrow');
  const padding = Number(
    python(`import torch
from torch.utils.data import DataLoader
import batchscope_runtime.record as record

class DS(torch.utils.data.Dataset):
    def __len__(self): return 30
    def __getitem__(self, i):
        n = 2 + i % 6
        return [5 + (i + k) % 50 for k in range(n)], n // 2

def collate(items):
    w = max(len(ids) for ids, _ in items)
    ids = torch.zeros(len(items), w, dtype=torch.long)
    labels = torch.full((len(items), w), -100, dtype=torch.long)
    mask = torch.zeros(len(items), w, dtype=torch.long)
    for r, (x, p) in enumerate(items):
        ids[r, :len(x)] = torch.tensor(x); mask[r, :len(x)] = 1; labels[r, p:len(x)] = torch.tensor(x[p:])
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}

if __name__ == "__main__":
    r = record.start(batches=6, path=${JSON.stringify(file)})
    masks = []
    for b in DataLoader(DS(), batch_size=4, shuffle=True, num_workers=2, collate_fn=collate):
        masks.append(b["attention_mask"])
    r.wait(30)
    m = torch.cat([x.flatten() for x in masks[:6]])
    print(float((m == 0).sum()) / m.numel())
`).trim(),
  );
  const expected = pyarrowRows(file);
  const { rows, roles } = await readAll(file);
  assert.equal(rows.length, 24);
  assert.equal(expected.length, 24);
  rows.forEach((row, i) => {
    assert.deepEqual(Object.keys(row.values), Object.keys(expected[i]), 'columns in schema order');
    for (const k of Object.keys(expected[i]))
      assert.deepEqual(normalize(row.values[k]), expected[i][k], `row ${i} ${k}`);
  });
  assert.equal(roles.input_ids, 'input_ids');
  assert.equal(roles.labels, 'labels');
  assert.equal(roles.attention_mask, 'attention_mask');
  const src = await openDataset(file);
  try {
    const stats = await computeStats(src, { cutoffLen: 64, padId: 0 });
    assert.ok(
      Math.abs((stats.paddingFraction ?? -1) - padding) < 1e-9,
      `padding ${stats.paddingFraction} vs ${padding}`,
    );
    assert.ok(stats.trainedTokenRatio !== null && stats.trainedTokenRatio > 0 && stats.trainedTokenRatio < 1);
  } finally {
    await src.close();
  }
});

/** Collects the adapter's `batchscopeRecording` events; resolves `done` with the final one. */
function recordingEvents(dc: { on(e: string, f: (ev: DebugProtocol.Event) => void): unknown }) {
  const all: Record<string, unknown>[] = [];
  let resolve!: (b: Record<string, unknown>) => void;
  const done = new Promise<Record<string, unknown>>((r) => (resolve = r));
  dc.on('batchscopeRecording', (e) => {
    all.push(e.body);
    if (e.body?.done) resolve(e.body);
  });
  return { all, done };
}

test('launch.json `record`: the first 4 batches of a 2-worker loader, with their sample indices', async () => {
  const file = path.join(TMP, 'launch.arrow');
  const dump = path.join(TMP, 'launch-indices.jsonl');
  const s = await openSession();
  const rec = recordingEvents(s.dc);
  try {
    const args = launchArgs(['--workers', '2', '--n', '24', '--shuffle', '--seed', '3', '--dump-indices', dump], {
      record: { batches: 4, path: file },
    });
    await configure(s, s.dc.launchRequest(args));
    const last = await rec.done;
    assert.equal(last.batches, 4);
    assert.equal(last.reason, 'batches');
    await s.ev.next('terminated', 60_000);
    assert.match(s.ev.output(), /recorded 4 batches \(16 rows/);
  } finally {
    await close(s);
  }
  const truth = fs
    .readFileSync(dump, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { batch: number; indices: number[] });
  const { rows } = await readAll(file);
  assert.equal(rows.length, 16);
  for (let b = 0; b < 4; b++) {
    const these = rows.filter((r) => r.values.batch === b);
    assert.deepEqual(
      these.map((r) => normalize(r.values.sample_index)),
      truth[b].indices,
    );
    assert.deepEqual(
      these.map((r) => normalize(r.values.index)),
      truth[b].indices,
    ); // the batch's own field
    assert.deepEqual([...new Set(these.map((r) => r.values.worker))], [b % 2]);
  }
});

test('recordBatches asked before the main process connects waits for it; then the next 3 batches and a done event', async () => {
  const file = path.join(TMP, 'request.arrow');
  const s = await openSession();
  const rec = recordingEvents(s.dc);
  try {
    await configure(s, s.dc.launchRequest(launchArgs(['--n', '4000', '--step-delay', '0.02'])));
    // Asked at once, while the program's main process is still importing torch: the controller holds
    // the request until that process connects, then the runtime answers it (here: a bad count).
    const bad = await s.dc.customRequest('recordBatches', { batches: 0 }).then(
      () => '',
      (e: Error) => e.message,
    );
    assert.match(String(bad), /'batches' must be a whole number/);
    const started = await s.dc.customRequest('recordBatches', { batches: 3, path: file });
    assert.equal(started.body.path, file);
    assert.equal(started.body.done, false);
    const last = await rec.done;
    assert.equal(last.batches, 3);
  } finally {
    await close(s);
  }
  const { rows } = await readAll(file);
  const batches = [...new Set(rows.map((r) => Number(r.values.batch)))];
  assert.equal(batches.length, 3);
  assert.deepEqual(batches, [batches[0], batches[0] + 1, batches[0] + 2]); // consecutive: nothing skipped
});

test('launch.json `record`: the forms it takes and the errors it gives', () => {
  assert.equal(recordOf({}), undefined);
  assert.equal(recordOf({ record: false }), undefined);
  assert.deepEqual(recordOf({ record: true }), {});
  assert.deepEqual(recordOf({ record: 20 }), { batches: 20 });
  assert.deepEqual(recordOf({ record: { batches: 5, maxMB: 1.5, path: 'out/b.arrow', loader: 'train' } }, '/ws'), {
    batches: 5,
    maxMB: 1.5,
    path: path.resolve('/ws', 'out/b.arrow'),
    loader: 'train',
  });
  assert.throws(() => recordOf({ record: { batchs: 5 } as never }), /unknown setting "record.batchs"/);
  assert.throws(() => recordOf({ record: { batches: 0 } }), ConfigError);
  assert.throws(() => recordOf({ record: { maxMB: -1 } }), /record.maxMB/);
  assert.throws(() => recordOf({ record: 2.5 }), /number of batches >= 1/);
  assert.throws(() => recordOf({ record: 'all' as never }), /must be a number of batches or/);
});

test('a program that ends before the batch count: the recording ends with it and says so', async () => {
  const file = path.join(TMP, 'short.arrow');
  const s = await openSession();
  const rec = recordingEvents(s.dc);
  try {
    await configure(s, s.dc.launchRequest(launchArgs(['--n', '24'], { record: { batches: 100, path: file } })));
    const last = await rec.done;
    assert.equal(last.batches, 6);
    assert.equal(last.reason, 'stopped');
    await s.ev.next('terminated', 60_000);
  } finally {
    await close(s);
  }
  const { rows } = await readAll(file);
  assert.equal(rows.length, 24);
});

test('attach with `record` in the attach config: a running job (2 workers) records its next 5 batches', async () => {
  const file = path.join(TMP, 'attach.arrow');
  const sessionFile = path.join(TMP, 'attach-session.json');
  const job = spawn(PYTHON, [PROGRAM, '--n', '2000', '--workers', '2', '--step-delay', '0.01'], {
    env: {
      ...process.env,
      PYTHONPATH: RUNTIME,
      BATCHSCOPE_LISTEN: '127.0.0.1:0',
      BATCHSCOPE_SESSION_FILE: sessionFile,
      BATCHSCOPE_SECRET: 'record-secret',
    },
    stdio: 'ignore',
  });
  try {
    let sess: { port: number; secret: string } | undefined;
    for (let i = 0; i < 600 && !sess; i++) {
      try {
        sess = JSON.parse(fs.readFileSync(sessionFile, 'utf8'));
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.ok(sess, 'the job wrote its session file');
    const s = await openSession();
    const rec = recordingEvents(s.dc);
    try {
      await configure(
        s,
        s.dc.attachRequest({
          port: sess.port,
          secret: sess.secret,
          record: { batches: 5, path: file },
        } as DebugProtocol.AttachRequestArguments),
      );
      const last = await rec.done;
      assert.equal(last.batches, 5);
      assert.equal(last.reason, 'batches');
      await s.dc.disconnectRequest({ terminateDebuggee: false });
    } finally {
      await s.dc.stop();
    }
  } finally {
    job.kill('SIGKILL');
  }
  const { rows } = await readAll(file);
  assert.equal(rows.length, 20);
  const batches = [...new Set(rows.map((r) => Number(r.values.batch)))];
  assert.deepEqual(
    batches,
    [0, 1, 2, 3, 4].map((k) => batches[0] + k),
  ); // from the next batch on, none skipped
  // Batches already handed to the workers when the recording began (at most prefetch_factor × workers = 4)
  // have no sample indices; from then on every row names its sample.
  for (const r of rows) {
    if (r.values.sample_index === null) assert.ok(Number(r.values.batch) < batches[0] + 4, `batch ${r.values.batch}`);
    else assert.deepEqual(normalize(r.values.sample_index), normalize(r.values.index));
  }
  assert.ok(rows.some((r) => r.values.sample_index !== null)); // the 5th batch was sent after the start;
});
