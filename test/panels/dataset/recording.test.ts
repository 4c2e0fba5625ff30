// A Batchscope batch recording (runtime/batchscope_runtime/record, written here by the real recorder
// around a real torch DataLoader) opened in the dataset panel: its rows are what the model received,
// already templated and tokenized, so the template check says so instead of asking for a chat format,
// mentions a tokenizer only when none is there to decode the ids, and the statistics equal Python's.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DatasetSession } from '../../../src/panels/dataset/session';
import { resolveTokenizer } from '../../../src/panels/dataset/tokenizerResolve';
import type { DatasetToWebview } from '../../../protocol/webview';

const REPO = resolve(__dirname, '../../..');
const PY = process.env.BATCHSCOPE_TEST_PYTHON ?? join(REPO, '.venv/bin/python');
const TOKENIZER = join(REPO, 'test/.fixtures/tokenizer');

let dir: string;
let file: string;
let truth: { rows: number; padding: number; positions: number; trained: number; labelPositions: number };

before(() => {
  assert.ok(existsSync(join(TOKENIZER, 'tokenizer.json')), 'build fixtures first: bash scripts/fixtures.sh');
  dir = mkdtempSync(join(tmpdir(), 'bs-recording-'));
  file = join(dir, 'batches.arrow');
  const py = `
import json, sys, torch
from torch.utils.data import DataLoader
from tokenizers import Tokenizer
import batchscope_runtime.record as record
out, tokdir = sys.argv[1], sys.argv[2]
t = Tokenizer.from_file(tokdir + "/tokenizer.json")
rows = []
for q, a in [("What is the capital of France?", "Paris."), ("Name a colour.", "Blue."), ("2+2?", "4"), ("Hi", "Hello there!"), ("Why?", "Because.")]:
    p = t.encode("<|im_start|>user\\n%s<|im_end|>\\n<|im_start|>assistant\\n" % q, add_special_tokens=False).ids
    r = t.encode("%s<|im_end|>" % a, add_special_tokens=False).ids
    rows.append({"input_ids": p + r, "labels": [-100] * len(p) + r})
def collate(b):
    n = max(len(x["input_ids"]) for x in b)
    return {
        "input_ids": torch.tensor([x["input_ids"] + [0] * (n - len(x["input_ids"])) for x in b]),
        "attention_mask": torch.tensor([[1] * len(x["input_ids"]) + [0] * (n - len(x["input_ids"])) for x in b]),
        "labels": torch.tensor([x["labels"] + [-100] * (n - len(x["labels"])) for x in b]),
    }
seen = []
record.start(batches=3, path=out)
for b in DataLoader(rows, batch_size=2, collate_fn=collate):
    seen.append(b)
record.stop()
m = torch.cat([b["attention_mask"].flatten() for b in seen])
lab = torch.cat([b["labels"].flatten() for b in seen])
print(json.dumps({"rows": sum(len(b["input_ids"]) for b in seen), "padding": int((m == 0).sum()), "positions": len(m),
                  "trained": int((lab != -100).sum()), "labelPositions": len(lab)}))
`;
  const r = spawnSync(PY, ['-c', py, file, TOKENIZER], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: join(REPO, 'runtime'), OMP_NUM_THREADS: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  truth = JSON.parse(r.stdout.trim().split('\n').pop()!);
});

after(() => rmSync(dir, { recursive: true, force: true }));

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

async function session(tokenizerSetting: string) {
  const posted: DatasetToWebview[] = [];
  const s = new DatasetSession({
    path: file,
    title: 'recording',
    cutoffLen: 10,
    post: (m) => posted.push(m),
    resolveTokenizer: (picked) =>
      resolveTokenizer({ datasetPath: file, datasetIsFolder: false, setting: tokenizerSetting, picked, isFile }),
    resolveImagePath: () => null,
  });
  await s.handle({ type: 'dataset/ready' });
  await s.handle({ type: 'dataset/selectRow', index: 3 });
  const last = <T extends DatasetToWebview['type']>(type: T) =>
    [...posted].reverse().find((m) => m.type === type) as Extract<DatasetToWebview, { type: T }> | undefined;
  return { s, posted, last };
}

test('a batch recording is tokenized data: the template check says what the row is, no chat-format note', async () => {
  const { s, last } = await session(TOKENIZER);
  try {
    const c = last('dataset/templateCompare')!.compare;
    assert.equal(c.index, 3);
    assert.equal(c.status, 'no-source');
    // Row 3 is the second sample of the second batch (batch_size 2, no shuffling).
    assert.equal(
      c.message,
      'Batch recording: sample 3 of batch 1 (epoch 0, row 1), as the model received it (already templated, tokenized and collated), so there is no chat template to check it against.',
    );
    assert.doesNotMatch(c.message, /chat format|source row|select one/i);

    await s.handle({ type: 'dataset/computeStats', cutoffLen: 10 });
    const st = last('dataset/stats')!.stats;
    assert.equal(st.rows, truth.rows);
    assert.equal(st.lengthColumn, 'input_ids');
    assert.equal(st.paddingFraction, truth.padding / truth.positions);
    assert.equal(st.trainedTokenRatio, truth.trained / truth.labelPositions);
    assert.equal(st.rowsWithoutEos, 0, 'every recorded row ends with <|im_end|> before its padding');
  } finally {
    await s.dispose();
  }
});

test('without a tokenizer the recording note asks for one only to decode the ids', async () => {
  const { s, last } = await session(join(dir, 'no-such-tokenizer'));
  try {
    const c = last('dataset/templateCompare')!.compare;
    assert.equal(c.status, 'no-template');
    assert.match(c.message, /^Batch recording: sample 3 of batch 1 /);
    assert.match(c.message, /Select a tokenizer to decode its token ids\.$/);
    assert.doesNotMatch(c.message, /chat template is used|check this row against the template/);
  } finally {
    await s.dispose();
  }
});
