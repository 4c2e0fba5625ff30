// Container scenario 4: attach. A job started inside the container by hand (not by VS Code) with
// BATCHSCOPE_LISTEN; its secret read from the session file it wrote (mode 0600); an `attach` config
// in the VS Code server of the same container stops it at collate in a worker; Disconnect detaches;
// the job runs on to its end, and its session file is gone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FIXTURES, REPO, UI_TIMEOUT, type Session } from '../e2e/harness';
import { attachConfig, checkCollatedBatch, functionBreakpoint } from './debug-views';
import { CPY, CTRL_PORT, ROOT, background, bgLog, existsIn, sh, startRemote, until, type Background } from './lane';

let s: Session;
let job: Background | undefined;
const JOB = join(REPO, 'test/fixtures/debug');
const WS = `${ROOT}/attach/workspace`;
const SESSION_FILE = `${ROOT}/attach/session.json`;

before(async () => {
  s = await startRemote({
    name: 'attach',
    copy: {
      'loader_job.py': join(JOB, 'loader_job.py'),
      'debug_data.py': join(JOB, 'debug_data.py'),
      tokenizer: join(FIXTURES, 'tokenizer'),
    },
    // Port and secret are filled in once the job listens.
    write: { '.vscode/launch.json': attachConfig(0, '') },
    viewport: { width: 1280, height: 1000 },
  });
});
after(async () => {
  job?.stop();
  await s?.close();
});

/** The runtime as the VSIX installed it in the container: what a user's job would import. */
const runtimeDir = () => sh(`ls -d ${process.env.BATCHSCOPE_LANE_EXT}/batchscope.batchscope-*/runtime`).stdout.trim();

test(
  'attach to a job started in the container with BATCHSCOPE_LISTEN; detach; the job finishes',
  { timeout: 360_000 },
  async () => {
    await functionBreakpoint(s, 'collate');
    // 200 batches at 0.25 s: long enough to attach; the job never waits for a debugger.
    job = background(
      'attach-job',
      `cd ${WS} && BATCHSCOPE_LISTEN=${CTRL_PORT} BATCHSCOPE_SESSION_FILE=${SESSION_FILE} PYTHONPATH=${runtimeDir()} ` +
        `${CPY} loader_job.py --listen --workers 2 --size 800 --batch-size 4 --step-sleep 0.25`,
    );
    await until('the job to listen', 120_000, () =>
      bgLog('attach-job').includes('batchscope: listening on 127.0.0.1:'),
    );
    assert.doesNotMatch(
      bgLog('attach-job'),
      new RegExp(JSON.parse(sh(`cat ${SESSION_FILE}`).stdout).secret),
      'the secret is never printed',
    );
    assert.equal(sh(`stat -c %a ${SESSION_FILE}`).stdout.trim(), '600', 'the session file is mode 0600');
    const session = JSON.parse(sh(`cat ${SESSION_FILE}`).stdout) as { port: number; secret: string };
    assert.equal(session.port, CTRL_PORT);

    sh(`cat > ${WS}/.vscode/launch.json`, { input: attachConfig(session.port, session.secret) });
    await s.command('Debug: Start Debugging');
    await s.page.locator('.debug-toolbar .action-label.codicon-debug-continue').waitFor({ timeout: 180_000 });
    await s.screenshot('attached-stopped-at-collate');
    await checkCollatedBatch(s, WS);
    await s.screenshot('attached-variables');

    // Detach: the job goes on with every breakpoint cleared and ends by itself.
    await s.page.locator('.debug-toolbar .action-label.codicon-debug-disconnect').click();
    await s.page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
    assert.equal(job.exitCode(), null, 'the job still runs after Disconnect');
    const code = await until('the detached job to finish', 240_000, () => job!.exitCode() ?? false);
    assert.equal(code, 0, `the job finished cleanly: ${bgLog('attach-job').slice(-800)}`);
    assert.match(bgLog('attach-job'), /"batch": 199\b/, 'the job ran through its last batch');
    await s.screenshot('detached');
    assert.ok(!existsIn(SESSION_FILE), 'the session file (with the secret) is removed when the job exits');
  },
);
