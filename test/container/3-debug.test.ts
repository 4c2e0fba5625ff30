// Container scenario 3: a `batchscope` launch from launch.json inside the container, on the fixture
// DataLoader job with num_workers=2 and a function breakpoint `collate`: it stops in a worker, the
// Variables view shows the collated batch with decoded tokens, and Continue runs to the end.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FIXTURES, REPO, type Session } from '../e2e/harness';
import { checkCollatedBatch, functionBreakpoint } from './debug-views';
import { ROOT, startRemote } from './lane';

let s: Session;
const JOB = join(REPO, 'test/fixtures/debug');
const WS = `${ROOT}/debug/workspace`;
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
  s = await startRemote({
    name: 'debug',
    copy: {
      'loader_job.py': join(JOB, 'loader_job.py'),
      'debug_data.py': join(JOB, 'debug_data.py'),
      tokenizer: join(FIXTURES, 'tokenizer'),
    },
    write: { '.vscode/launch.json': JSON.stringify(LAUNCH, null, 2) },
    viewport: { width: 1280, height: 1000 },
  });
});
after(async () => s?.close());

test(
  'in the container: collate breakpoint with num_workers=2, decoded tokens, run to the end',
  { timeout: 300_000 },
  async () => {
    await functionBreakpoint(s, 'collate');
    await s.command('Debug: Start Debugging');
    const cont = s.page.locator('.debug-toolbar .action-label.codicon-debug-continue');
    await cont.waitFor({ timeout: 180_000 });
    await s.screenshot('stopped-at-collate');
    await checkCollatedBatch(s, WS);
    await s.screenshot('variables');
    await s.command('Remove All Breakpoints');
    await cont.click();
    await s.page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 180_000 });
    assert.equal(
      await s.callStackRows(), // unfolds the pane checkCollatedBatch folded
      0,
      'no session left in the call stack',
    );
  },
);
