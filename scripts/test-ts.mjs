// Runs every TypeScript test under test/ (not test/e2e or test/container: their own lanes) with Node's own runner through tsx.
// Node 20 has no glob support in `node --test`, so we list the files ourselves.
// Reports twice: the spec reporter on stdout for people, and JUnit XML for scripts/junit-totals.mjs
// (test-output/ts.junit.xml, or the path in BATCHSCOPE_TS_JUNIT).
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'e2e' || name === 'container' || name === 'fixtures' || name.startsWith('.')) continue;
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}
const only = process.argv.slice(2);
const files = only.length ? only : walk('test', []).sort();
const junit = process.env.BATCHSCOPE_TS_JUNIT || 'test-output/ts.junit.xml';
mkdirSync(dirname(junit), { recursive: true });
const reporters = ['--test-reporter=spec', '--test-reporter-destination=stdout'];
reporters.push('--test-reporter=junit', `--test-reporter-destination=${junit}`);
const args = ['--import', 'tsx', '--test', '--test-concurrency=2', ...reporters, ...files];
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(r.status ?? 1);
