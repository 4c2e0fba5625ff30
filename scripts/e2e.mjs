// End-to-end suite in a real VS Code: code-server (cached outside the repo) + headless Chromium.
//  1. test/e2e/prepare.mjs installs code-server once (~2 min cold, instant warm), builds the VSIX
//     with `npm run package` and installs THAT file into a fresh extensions dir;
//  2. runs test/e2e/*.test.ts with Node's runner (spec on stdout, JUnit XML in test-output/e2e.junit.xml),
//     one scenario file at a time, each with its own code-server, workspace and Chromium profile;
//  3. ends every process it started (code-server groups, chromium) even on failure or Ctrl+C.
// Args: scenario files to run (default: all). Env: see test/e2e/prepare.mjs.
import { spawn } from 'node:child_process';
import { readdirSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { prepare, repo } from '../test/e2e/prepare.mjs';

process.chdir(repo);
const t0 = Date.now();
const say = (m) => console.log(`[e2e] ${m} (+${((Date.now() - t0) / 1000).toFixed(1)} s)`);

let prepared;
try {
  prepared = prepare({ say });
} catch (err) {
  console.error(`[e2e] ${err.message}`);
  process.exit(1);
}
const { env, cleanup } = prepared;

const only = process.argv.slice(2);
const files = only.length
  ? only
  : readdirSync('test/e2e')
      .filter((f) => f.endsWith('.test.ts'))
      .sort()
      .map((f) => join('test/e2e', f));
rmSync('test-output/e2e', { recursive: true, force: true });
mkdirSync('test-output/e2e', { recursive: true });

const child = spawn(
  process.execPath,
  [
    ...['--import', 'tsx', '--test', '--test-concurrency=1'],
    ...['--test-reporter=spec', '--test-reporter-destination=stdout'],
    ...['--test-reporter=junit', '--test-reporter-destination=test-output/e2e.junit.xml'], // for junit-totals.mjs
    ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, ...env } },
);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    child.kill(sig);
    cleanup();
    process.exit(130);
  });
}
child.on('exit', (code, signal) => {
  cleanup();
  console.error(`[e2e] done in ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in test-output/e2e/`);
  process.exit(code ?? (signal ? 1 : 0));
});
