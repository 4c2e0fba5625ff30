// Scenario 4: a `batchscope` debug session from launch.json on the fixture DataLoader job with
// num_workers=2 and a function breakpoint `collate`: it stops there (call stack), the Variables view
// shows the collated batch's tensor summary and decoded tokens, and Continue runs to the end.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PYTHON, REPO, Session, UI_TIMEOUT } from './harness';

let s: Session;
const JOB = join(REPO, 'test/fixtures/debug');

const LAUNCH = {
  version: '0.2.0',
  configurations: [
    {
      type: 'batchscope',
      request: 'launch',
      name: 'Debug the DataLoader',
      program: '${workspaceFolder}/loader_job.py',
      args: ['--workers', '2', '--size', '16', '--batch-size', '4'],
      tokenizer: '${workspaceFolder}/tokenizer',
    },
  ],
};

before(async () => {
  if (!existsSync(join(JOB, 'loader_job.py'))) throw new Error(`${JOB}/loader_job.py missing (debug fixtures)`);
  s = await Session.start({
    name: 'debug',
    copy: {
      'loader_job.py': join(JOB, 'loader_job.py'),
      'debug_data.py': join(JOB, 'debug_data.py'),
      tokenizer: join(FIXTURES, 'tokenizer'),
    },
    write: { '.vscode/launch.json': JSON.stringify(LAUNCH, null, 2) },
    viewport: { width: 1280, height: 1000 }, // room for Variables next to Call Stack and Breakpoints
  });
});
after(async () => s?.close());

/**
 * Ground truth for the decoded rows of batch `index`: the fixture's own make_row() (batch size 4, no
 * shuffle) decoded by the `tokenizers` library. Each row as-is and as Python's repr shows it.
 */
function expectedDecoded(index: number): Array<{ text: string; repr: string }> {
  const code = [
    'import json, sys',
    'sys.path.insert(0, sys.argv[1])',
    'from debug_data import make_row',
    'from tokenizers import Tokenizer',
    'tok = Tokenizer.from_file(sys.argv[1] + "/tokenizer/tokenizer.json")',
    'rows = [make_row(i)["input_ids"].tolist() for i in range(int(sys.argv[2]) * 4, int(sys.argv[2]) * 4 + 4)]',
    'out = [tok.decode(r, skip_special_tokens=False) for r in rows]',
    'print(json.dumps([{"text": t, "repr": repr(t)[1:-1]} for t in out]))',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', code, s.workspace, String(index)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** A row of a debug view (Variables, Call Stack) by its text. */
function row(view: string, text: string | RegExp) {
  return s.page.locator(`${view} .monaco-list-row`, { hasText: text }).first();
}

/** The tree renders only the rows in view: scroll it down (mouse wheel) until the row shows. */
async function reveal(view: string, text: string | RegExp) {
  const r = row(view, text);
  const tree = s.page.locator(`${view} .monaco-list`).first();
  for (let i = 0; i < 30 && !(await r.isVisible()); i++) {
    await tree.hover();
    await s.page.mouse.wheel(0, 120);
    await s.page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  }
  await r.waitFor({ timeout: UI_TIMEOUT });
  return r;
}

test(
  'collate breakpoint with num_workers=2: call stack, batch summary, decoded tokens, run to the end',
  { timeout: 300_000 },
  async () => {
    // Function breakpoint "collate", typed into the Breakpoints view as a person would.
    await s.command('View: Show Run and Debug');
    await s.page.locator('.pane-header', { hasText: 'Breakpoints' }).waitFor({ timeout: UI_TIMEOUT });
    // The Breakpoints pane can come up with no room (seen in a CI run: its header at the bottom of
    // the view, its body 0 px high, so the inline input never showed): while typing into it, it is
    // the only unfolded pane.
    for (const title of ['Variables', 'Watch', 'Call Stack']) await s.setPane(title, false);
    await s.setPane('Breakpoints', true);
    await s.command('Add Function Breakpoint'); // listed without the "Debug:" category
    const input = s.page.locator('.debug-breakpoints input, .debug-pane .monaco-inputbox input').first();
    await input.waitFor({ timeout: UI_TIMEOUT });
    await input.fill('collate');
    await input.press('Enter');
    await row('.debug-breakpoints', 'collate').waitFor({ timeout: UI_TIMEOUT });
    for (const title of ['Call Stack', 'Variables']) await s.setPane(title, true);

    await s.command('Debug: Start Debugging');
    // Stopped at collate, in a worker: the debug toolbar offers Continue and the call stack names it.
    const cont = s.page.locator('.debug-toolbar .action-label.codicon-debug-continue');
    await cont.waitFor({ timeout: 180_000 });
    await row('.debug-call-stack', /collate/).waitFor({ timeout: UI_TIMEOUT });
    await s.screenshot('stopped-at-collate');

    // Fold every pane but Variables (Watch is folded already): Variables gets their room.
    await s.setPane('Breakpoints', false);
    await s.setPane('Call Stack', false);
    // Step over collate: the collated batch is in Variables, tensors summarised.
    await s.page.locator('.debug-toolbar .action-label.codicon-debug-step-over').click();
    const batch = row('.debug-variables', /^\s*batch\b/);
    await batch.waitFor({ timeout: UI_TIMEOUT });
    // Which batch stopped first depends on which worker collated first: read it from the Stage scope.
    const indexText = await row('.debug-variables', 'batch_index').innerText();
    const batchIndex = Number(/batch_index\s*=\s*(\d+)/.exec(indexText)?.[1]);
    assert.ok(Number.isInteger(batchIndex), `batch_index in Variables: ${indexText}`);
    await batch.click();
    const inputIds = row('.debug-variables', /input_ids/);
    await inputIds.waitFor({ timeout: UI_TIMEOUT });
    assert.match(await inputIds.innerText(), /\[4, \d+\].*int64/s, 'input_ids summary: shape and dtype');
    await inputIds.click();
    // Open `decoded` as a user does: a lazy entry (decoded when asked) shows an eye button that
    // resolves it (VS Code then expands it); a plain one expands on a click. Then read its row [0].
    const decoded = await reveal('.debug-variables', /decoded/);
    const eye = decoded.locator('.lazy-button');
    if (await eye.isVisible()) await eye.click();
    else await decoded.click();
    const first = await reveal('.debug-variables', /^\s*\[0\]/);
    const shown = await first.innerText();
    const want = expectedDecoded(batchIndex)[0];
    assert.ok(
      [want.text, want.repr, JSON.stringify(want.text)].some((t) => shown.includes(t)),
      `decoded row 0 of batch ${batchIndex} reads ${JSON.stringify(want.text)}: ${shown}`,
    );
    await s.screenshot('variables');

    // Remove the breakpoint and continue: the job runs to its end and the session closes.
    await s.command('Remove All Breakpoints'); // listed without the "Debug:" category
    await cont.click();
    await s.page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 180_000 });
    assert.equal(await s.callStackRows(), 0, 'no session left in the call stack');
  },
);
