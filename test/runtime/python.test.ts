// Finding Python (setting → Python extension → PATH) and the doctor, against real interpreters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findPython, pythonCandidates, PythonNotFoundError } from '../../src/runtime/python';
import { runDoctor } from '../../src/runtime/doctor';

const PY = process.env.BATCHSCOPE_TEST_PYTHON ?? resolve(__dirname, '..', '..', '.venv', 'bin', 'python');

test('candidates come in the documented order: setting, Python extension, PATH', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-path-'));
  const fake = join(dir, 'python3');
  writeFileSync(fake, '#!/bin/sh\n');
  chmodSync(fake, 0o755);
  const c = pythonCandidates('/opt/py/bin/python', '/env/bin/python', `/nonexistent:${dir}`, 'linux');
  assert.deepEqual(c, [
    { path: '/opt/py/bin/python', source: 'setting' },
    { path: '/env/bin/python', source: 'python-extension' },
    { path: fake, source: 'path' },
  ]);
  assert.deepEqual(pythonCandidates('  ', undefined, '', 'linux'), []);
});

test('the setting wins and its version is read by running it', async () => {
  const found = await findPython(PY, '/does/not/exist');
  assert.equal(found.source, 'setting');
  assert.equal(found.path, PY);
  assert.match(found.version, /^3\.\d+\.\d+$/);
});

test('a broken Python extension path falls through to the next candidate', async () => {
  const found = await findPython('', '/does/not/exist/python');
  assert.notEqual(found.path, '/does/not/exist/python');
  assert.equal(found.source, 'path');
});

test('a setting that does not run is an error naming the setting', async () => {
  await assert.rejects(findPython('/does/not/exist/python'), (e: unknown) => {
    assert.ok(e instanceof PythonNotFoundError);
    assert.match((e as Error).message, /batchscope\.python is set to "\/does\/not\/exist\/python"/);
    return true;
  });
});

test('runDoctor returns the report of the real interpreter', async () => {
  const report = await runDoctor(PY);
  assert.equal(report.ok, true);
  assert.match(report.python.version, /^3\./);
  assert.ok(report.packages.torch.version, 'torch version');
  assert.ok(report.packages.transformers.version, 'transformers version');
  assert.equal(typeof report.cuda.available, 'boolean');
  assert.deepEqual(report.missing, []);
});
