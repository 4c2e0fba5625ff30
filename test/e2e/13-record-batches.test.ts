// Scenario 13: the batch recorder in a real VS Code. A `batchscope` debug session from launch.json with
// `"record": {"batches": 4}` runs the fixture DataLoader job (2 workers, 6 padded batches of 4) to its
// end; the "Recorded 4 batches" notification's "Open in Dataset Viewer" opens the .arrow recording in
// the dataset panel, whose grid shows one row per sample: batch, sample index, and input_ids as decoded
// token chips with label masks (−100 = masked) and padding (attention_mask = 0) — all equal to what
// pyarrow and the tokenizers library read from the same file. Then the other way in: the command
// Batchscope: Record Batches during a second run, its status bar count, and the file it names.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PYTHON, REPO, Session, UI_TIMEOUT } from './harness';

let s: Session;
const JOB = join(REPO, 'test/fixtures/debug');
const BATCHES = 4; // of the 6 the job yields: the batch bound ends the recording, not the job's end
const BATCH_SIZE = 4;

const LAUNCH = {
  version: '0.2.0',
  configurations: [
    {
      type: 'batchscope',
      request: 'launch',
      name: 'Record the DataLoader',
      program: '${workspaceFolder}/loader_job.py',
      args: ['--workers', '2', '--size', '24', '--batch-size', String(BATCH_SIZE)],
      record: { batches: BATCHES, path: '${workspaceFolder}/batches.arrow' },
    },
    {
      // No `record`: the command starts one mid-run. Slow steps (0 workers, 16 batches × 1.5 s) keep the
      // job running while the palette and the input box are worked.
      type: 'batchscope',
      request: 'launch',
      name: 'Record by command',
      program: '${workspaceFolder}/loader_job.py',
      args: ['--workers', '0', '--size', '64', '--batch-size', String(BATCH_SIZE), '--step-sleep', '1.5'],
    },
  ],
};

before(async () => {
  if (!existsSync(join(JOB, 'loader_job.py'))) throw new Error(`${JOB}/loader_job.py missing (debug fixtures)`);
  s = await Session.start({
    name: 'record-batches',
    copy: {
      'loader_job.py': join(JOB, 'loader_job.py'),
      'debug_data.py': join(JOB, 'debug_data.py'),
      // Next to the recording: the dataset panel finds the tokenizer in the file's folder without asking.
      'tokenizer.json': join(FIXTURES, 'tokenizer/tokenizer.json'),
      'tokenizer_config.json': join(FIXTURES, 'tokenizer/tokenizer_config.json'),
    },
    write: { '.vscode/launch.json': JSON.stringify(LAUNCH, null, 2) },
    viewport: { width: 1400, height: 900 },
  });
});
after(async () => s?.close());

interface TruthRow {
  batch: number;
  row: number;
  loader: string;
  sample_index: number | null;
  idx: number;
  input_ids: number[];
  labels: number[];
  attention_mask: number[];
  /** Each token as the chips show it (tokenizers' vocabulary → bytes → text, whitespace made visible). */
  chips: string[];
}

/**
 * Ground truth: the recording as pyarrow reads it, and each token id's text from the tokenizers
 * library's byte-level vocabulary (a lone byte of a multi-byte character reads <0xNN>, as the chips show it).
 */
function truth(file: string): TruthRow[] {
  const code = String.raw`
import json, sys, pyarrow as pa
from tokenizers import Tokenizer
t = pa.ipc.open_stream(open(sys.argv[1], "rb")).read_all()
tok = Tokenizer.from_file(sys.argv[2])
special = {a.content for a in tok.get_added_tokens_decoder().values() if a.special}
bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
cs = bs[:]
n = 0
for b in range(256):
    if b not in bs:
        bs.append(b); cs.append(256 + n); n += 1
byte_of = {chr(c): b for b, c in zip(bs, cs)}
VISIBLE = {" ": "\u00b7", "\n": "\u21b5", "\t": "\u2192", "\r": "\u240d"}
def visible(s):
    return "".join(VISIBLE.get(ch, "<0x%02X>" % ord(ch) if ord(ch) < 0x20 or ord(ch) == 0x7F else ch) for ch in s)
def chip(i):
    piece = tok.id_to_token(i)
    if piece in special:
        return piece
    raw = bytes(byte_of[ch] for ch in piece)
    out, k = "", 0
    while k < len(raw):
        b = raw[k]
        n = 1 if b < 0x80 else 2 if b >> 5 == 6 else 3 if b >> 4 == 14 else 4 if b >> 3 == 30 else 0
        try:
            if n == 0 or k + n > len(raw):
                raise ValueError
            out += visible(raw[k:k + n].decode("utf-8"))
            k += n
        except ValueError:
            out += "<0x%02X>" % b
            k += 1
    return out
rows = t.to_pylist()
for r in rows:
    r["chips"] = [chip(i) for i in r["input_ids"]]
print(json.dumps(rows))
`;
  const r = spawnSync(PYTHON, ['-c', code, file, s.ws('tokenizer.json')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as TruthRow[];
}

test(
  'launch.json "record": the run records 4 batches, the notification opens them in the dataset viewer',
  { timeout: 420_000 },
  async () => {
    await s.command('View: Show Run and Debug');
    await s.command('Debug: Start Debugging');

    // The recording ends at its batch bound while the job runs on; the notification offers the file.
    const toast = s.page
      .locator('.notifications-toasts .notification-toast', { hasText: `Recorded ${BATCHES} batches` })
      .first();
    await toast.waitFor({ timeout: 240_000 });
    assert.match(await toast.innerText(), /batches\.arrow \(batch limit reached\)/, 'the file and why it ended');
    await s.screenshot('notification');
    // The job runs to its end and the session closes.
    await s.page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 180_000 });
    const file = s.ws('batches.arrow');
    assert.ok(existsSync(file), `${file} written`);
    const rows = truth(file);
    assert.equal(rows.length, BATCHES * BATCH_SIZE, 'pyarrow reads one row per sample of the recorded batches');
    // The recorder's sample_index is the index the sampler gave the dataset: the fixture returns it as `idx`.
    assert.deepEqual(
      rows.map((r) => r.sample_index),
      rows.map((r) => r.idx),
      'sample_index names the sample',
    );

    // An info toast may hide itself after a while; then its button is in the notification center.
    const openButton = (where: string) =>
      s.page.locator(`${where} .monaco-button`, { hasText: 'Open in Dataset Viewer' }).first();
    if (await toast.isVisible()) await openButton('.notifications-toasts').click();
    else {
      await s.command('Notifications: Show Notifications');
      await openButton('.notifications-center').click();
    }

    const wv = await s.frameWith('#grid .row');
    // Room for the token chips next to the row facts: no side bar, and the scalar columns dragged
    // narrow by their header's right edge, as a person would.
    await s.command('View: Close Primary Side Bar');
    for (const col of ['batch', 'epoch', 'row', 'worker', 'loader', 'sample_index']) {
      const box = await wv.locator(`#grid .colhead[data-col="${col}"] .resize`).boundingBox();
      assert.ok(box, `the ${col} header has a resize handle`);
      const x = box.x + box.width / 2;
      const y = box.y + box.height / 2;
      await s.page.mouse.move(x, y);
      await s.page.mouse.down();
      await s.page.mouse.move(x - (col === 'loader' ? 80 : 100), y, { steps: 4 });
      await s.page.mouse.up();
    }
    const count = wv.locator('#row-count');
    await count.waitFor({ timeout: UI_TIMEOUT });
    assert.equal(Number(await count.getAttribute('data-rows')), rows.length, 'the viewer counts the recorded rows');
    // Chips come once the tokenizer next to the file has loaded: wait for the first row's.
    await wv.locator('#grid .row[data-row="0"] .cell[data-col="input_ids"] .gchip').first().waitFor({
      timeout: UI_TIMEOUT,
    });

    // The rows in view, cell by cell against pyarrow: batch, loader, sample index, and input_ids as
    // decoded token chips, trained where labels ≠ −100, padding where attention_mask = 0.
    const inView = Math.min(rows.length, 8);
    for (let i = 0; i < inView; i++) {
      const want = rows[i];
      const row = wv.locator(`#grid .row[data-row="${i}"]`);
      const cell = (col: string) => row.locator(`.cell[data-col="${col}"]`);
      assert.equal((await cell('batch').innerText()).trim(), String(want.batch), `row ${i}: batch`);
      assert.equal((await cell('row').innerText()).trim(), String(want.row), `row ${i}: row in its batch`);
      assert.equal(
        (await cell('sample_index').innerText()).trim(),
        String(want.sample_index),
        `row ${i}: sample_index`,
      );
      assert.equal((await cell('loader').innerText()).trim(), want.loader, `row ${i}: loader`);
      const chips = cell('input_ids').locator('.gchip');
      const shown = await chips.evaluateAll((els) =>
        els.map((e) => ({
          text: e.textContent ?? '',
          trained: e.classList.contains('trained'),
          masked: e.classList.contains('masked'),
          padding: e.classList.contains('padding'),
        })),
      );
      assert.deepEqual(
        shown.map((c) => c.text),
        want.chips,
        `row ${i}: decoded tokens of input_ids ${JSON.stringify(want.input_ids)}`,
      );
      assert.deepEqual(
        shown.map((c) => c.trained),
        want.labels.map((l) => l !== -100),
        `row ${i}: trained tokens (labels ≠ −100)`,
      );
      assert.deepEqual(
        shown.map((c) => c.masked),
        want.labels.map((l) => l === -100),
        `row ${i}: masked tokens (labels = −100)`,
      );
      assert.deepEqual(
        shown.map((c) => c.padding),
        want.attention_mask.map((m) => m === 0),
        `row ${i}: padding (attention_mask = 0)`,
      );
    }
    assert.ok(
      rows.slice(0, inView).some((r) => r.attention_mask.includes(0)),
      'the rows checked include collator padding',
    );
    await s.screenshot('grid');

    // A row of the second batch in the token view: one chip per id (title = the id), padding marked.
    const pick = rows.findIndex((r) => r.batch === 1 && r.attention_mask.includes(0));
    assert.ok(pick >= 0, 'batch 1 has a padded row');
    await wv.locator(`#grid .row[data-row="${pick}"] .cell[data-col="batch"]`).click();
    const chip = wv.locator('#tokens .chip');
    await chip.first().waitFor({ timeout: UI_TIMEOUT });
    assert.deepEqual(
      await chip.evaluateAll((els) => els.map((e) => Number(e.getAttribute('title')))),
      rows[pick].input_ids,
      'token view: the ids of the recorded row, padding included',
    );
    assert.equal(
      await wv.locator('#tokens .chip.padding').count(),
      rows[pick].attention_mask.filter((m) => m === 0).length,
      'token view: padding chips',
    );
    await s.screenshot('tokens');
    assert.equal(s.dialogs.length, 0);
  },
);

test(
  'the Record Batches command during a run: status bar count, then the recording of the next 3 batches',
  { timeout: 300_000 },
  async () => {
    // The first test left the dataset viewer in front with the focus in its webview. After a quick
    // input closes, VS Code hands the focus back to a webview editor asynchronously, and that late
    // focus closes the next quick input a command opens (microsoft/vscode#93950): VS Code's own launch
    // configuration pick below has no way to opt out (Batchscope's own prompts set ignoreFocusOut).
    // This test starts from an empty editor area, as a user who closed the recording would.
    await s.command('View: Close All Editors');
    await s.page.locator('.editor-group-container.empty').first().waitFor({ timeout: UI_TIMEOUT });
    await s.command('Debug: Select and Start Debugging');
    await s.pick('Record by command');
    await s.page.locator('.debug-toolbar').waitFor({ timeout: UI_TIMEOUT });
    // The session shows before Python has imported torch; the recorder lives in the program's main
    // process, so wait until its loader runs (the loader's progress notification counts the batches).
    await s.page
      .locator('.notifications-toasts .notification-toast', { hasText: /train_loader.*batch \d+\/16/ })
      .first()
      .waitFor({ timeout: 180_000 });
    await s.command('Batchscope: Record Batches');
    // The input box, not the palette that is still closing: wait for its prompt.
    await s.page
      .locator('.quick-input-widget .quick-input-message', { hasText: 'How many of the next batches' })
      .waitFor({ timeout: UI_TIMEOUT });
    const input = s.page.locator('.quick-input-widget input');
    await input.fill('3');
    await input.press('Enter');
    // The status bar counts the recording while it runs (its start is shown at once, from the reply).
    const status = s.page.locator('.statusbar-item', { hasText: 'Recording batches' }).first();
    await status.waitFor({ timeout: UI_TIMEOUT }).catch(async (err: Error) => {
      const toasts = await s.page
        .locator('.notifications-toasts')
        .innerText()
        .catch(() => '');
      throw new Error(`${err.message}\nnotifications: ${toasts}`);
    });
    assert.match(await status.innerText(), /Recording batches \d+\/3 · \d+\.\d MB/);
    await s.screenshot('status-bar', s.page.locator('.statusbar'));
    const toast = s.page
      .locator('.notifications-toasts .notification-toast', { hasText: 'Recorded 3 batches' })
      .first();
    await toast.waitFor({ timeout: 180_000 });
    const told = await toast.innerText();
    await s.command('Debug: Stop');
    await s.page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: UI_TIMEOUT });

    // The file the command named, next to the program: 3 whole consecutive batches, every sample named.
    const files = readdirSync(s.workspace).filter((f) => /^batchscope-batches-.*\.arrow$/.test(f));
    assert.equal(files.length, 1, `one recording from the command: ${files.join(', ')}`);
    assert.ok(told.includes(files[0]), `the notification names ${files[0]}: ${told}`);
    const rows = truth(s.ws(files[0]));
    assert.equal(rows.length, 3 * BATCH_SIZE, 'pyarrow reads 3 batches of 4 samples');
    const batches = [...new Set(rows.map((r) => r.batch))];
    assert.equal(batches.length, 3);
    assert.deepEqual(batches, [batches[0], batches[0] + 1, batches[0] + 2], 'consecutive batches');
    assert.deepEqual(
      rows.map((r) => r.sample_index),
      rows.map((r) => r.idx),
      'num_workers=0: every row names its sample',
    );
  },
);
