// scripts/junit-totals.mjs on reports the real runners write: node --test's junit reporter and
// pytest --junitxml, each over a small suite with a known mix of passes, failures and skips, plus a
// lane that crashed without a report and one that exited non-zero with a clean report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '../..');
const PYTHON = process.env.BATCHSCOPE_TEST_PYTHON ?? join(REPO, '.venv/bin/python');
const TOTALS = join(REPO, 'scripts/junit-totals.mjs');
const dir = mkdtempSync(join(tmpdir(), 'batchscope-junit-'));

function totals(...args: string[]): { out: string; status: number | null } {
  const r = spawnSync(process.execPath, [TOTALS, ...args], { encoding: 'utf8' });
  return { out: r.stdout + r.stderr, status: r.status };
}
const closing = (out: string) => out.trim().split('\n').pop();

// node: 4 passed (one inside a describe, one named with the `>` node leaves unescaped in the XML),
// 1 failed, a skip and two todos, one failing (all "skipped"), a file that fails to load.
writeFileSync(
  join(dir, 'a.test.mjs'),
  `import { test, describe } from 'node:test';
test('hit count >= 5 <b> "quoted"', () => {});
test('ok', () => {});
test('bad', () => { throw new Error('x'); });
test('skip', { skip: true }, () => {});
test('todo', { todo: true }, () => {});
test('known gap', { todo: 'a failing todo does not fail the run' }, () => { throw new Error('y'); });
describe('group', () => { test('inner', () => {}); test('inner2', () => {}); });
`,
);
writeFileSync(join(dir, 'b.test.mjs'), `import './missing.mjs';\n`);
// pytest: 1 passed, 1 failed, 1 skipped, 1 xfailed (skipped), 1 failing test whose teardown also errors (2 cases).
writeFileSync(
  join(dir, 'test_x.py'),
  `import pytest
def test_ok(): pass
def test_bad(): assert 0
@pytest.mark.skip(reason="fixture: the junit report must count a skipped case")
def test_skip(): pass
@pytest.mark.xfail
def test_xfail(): assert 0
@pytest.fixture
def boom():
    yield
    raise RuntimeError("teardown")
def test_teardown(boom): assert 0
`,
);

const nodeXml = join(dir, 'node.xml');
// Without NODE_TEST_CONTEXT the inner runner uses its own reporters instead of streaming to ours.
const { NODE_TEST_CONTEXT: _ctx, ...cleanEnv } = process.env;
const nodeRun = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=junit', `--test-reporter-destination=${nodeXml}`, 'a.test.mjs', 'b.test.mjs'],
  { cwd: dir, encoding: 'utf8', env: cleanEnv },
);
const pyXml = join(dir, 'py.xml');
const pyRun = spawnSync(PYTHON, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', `--junitxml=${pyXml}`, 'test_x.py'], {
  cwd: dir,
  encoding: 'utf8',
});

test("node's junit report: passes, failures (a file that fails to load included), skips and todos", () => {
  assert.equal(nodeRun.status, 1);
  const r = totals(`ts=${nodeRun.status}=${nodeXml}`);
  assert.equal(closing(r.out), 'tests: 4 passed, 2 failed, 3 skipped');
  assert.equal(r.status, 1);
});

test("pytest's junit report: failures, teardown errors, skips and xfails", () => {
  assert.equal(pyRun.status, 1, pyRun.stdout + pyRun.stderr);
  const r = totals(`py=${pyRun.status}=${pyXml}`);
  assert.equal(closing(r.out), 'tests: 1 passed, 3 failed, 2 skipped'); // pytest: "2 failed, 1 error"
});

test('lanes add up; a missing report, a non-zero exit with a clean report and a failed lint each count as a failure', () => {
  const clean = join(dir, 'clean.xml');
  writeFileSync(clean, '<testsuites><testcase name="a"/><testcase name="b"><skipped/></testcase></testsuites>');
  assert.deepEqual(totals(`ok=0=${clean}`), {
    out: '  ok: 1 passed, 0 failed, 1 skipped\ntests: 1 passed, 0 failed, 1 skipped\n',
    status: 0,
  });

  const r = totals(
    `ts=1=${nodeXml}`,
    `py=1=${pyXml}`,
    `e2e=1=${join(dir, 'never-written.xml')}`,
    `late=3=${clean}`,
    '--extra-failure=lint',
  );
  assert.equal(closing(r.out), 'tests: 6 passed, 8 failed, 6 skipped');
  assert.match(r.out, /e2e: no report at .*never-written\.xml/);
  assert.match(r.out, /late: exited 3 though its report shows no failing test/);
  assert.match(r.out, /lint failed/);
  assert.equal(r.status, 1);
});
