// Byte-for-byte conformance of the jinja engine with Python transformers' environment, on two suites:
// micro-templates for every jinja2 filter/test/statement, number form and error (microCases.ts), and the
// template strings + contexts of huggingface.js's jinja test suite (peer/hfjs-templates.json), judged by
// Python, not by that suite's own expectations. Errors compare by class and message (and line).
// Known differences are `todo` with the reason: they run and report, and the summary counts them.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compileTemplate, renderCompiled } from '../../src/core/template/jinja/compile';
import { TemplateError } from '../../src/core/template/jinja/errors';
import { parseNow } from '../../src/core/template/jinja/strftime';
import { parseExactJson } from '../../src/core/template/exactJson';
import { MICRO_CASES, type MicroCase } from './microCases';

const REPO = resolve(__dirname, '../..');
const PY = process.env.BATCHSCOPE_TEST_PYTHON ?? join(REPO, '.venv/bin/python');
const NOW = '2024-07-26T14:05:09';
const PEER = JSON.parse(readFileSync(join(__dirname, 'peer/hfjs-templates.json'), 'utf8')) as { cases: MicroCase[] };

/** Cases where we knowingly differ from Python, and why (Python prints object addresses, etc.). */
const KNOWN: Record<string, string> = {};

interface PyResult {
  text?: string;
  error?: { cls: string; message: string; lineno: number | null };
}
type Outcome = { text: string } | { error: { cls: string; message: string; line?: number } };

function runPython(cases: MicroCase[]): Promise<PyResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bs-jinja-'));
  writeFileSync(join(dir, 'in.json'), JSON.stringify({ now: NOW, cases }));
  return new Promise((ok, fail) => {
    const p = spawn(PY, [join(__dirname, 'expected_jinja.py'), join(dir, 'in.json'), join(dir, 'out.json')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('error', fail);
    p.on('close', (code) =>
      code === 0
        ? ok(JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')).results)
        : fail(new Error(`expected_jinja.py exited ${code}: ${err}`)),
    );
  });
}

function ours(c: MicroCase): Outcome {
  try {
    const vars = parseExactJson(c.context ?? '{}') as Record<string, unknown>;
    return { text: renderCompiled(compileTemplate(c.template), { vars, now: parseNow(NOW) }).text };
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    return { error: { cls: e.info.pyClass ?? '?', message: e.info.message, line: e.info.line } };
  }
}

/** Python prints generators/iterators with their memory address: compare up to the address. */
const noAddress = (s: string) => s.replace(/ at 0x[0-9a-f]+>/g, ' at 0x0>');

function agree(py: PyResult, us: Outcome): string | null {
  if (py.error) {
    if (!('error' in us))
      return `Python raised ${py.error.cls}: ${py.error.message}; we rendered ${JSON.stringify((us as { text: string }).text)}`;
    if (us.error.cls !== py.error.cls || us.error.message !== py.error.message)
      return `Python: ${py.error.cls}: ${py.error.message}\nours:   ${us.error.cls}: ${us.error.message}`;
    if (py.error.lineno !== null && us.error.line !== py.error.lineno)
      return `line: Python ${py.error.lineno}, ours ${us.error.line}`;
    return null;
  }
  if ('error' in us)
    return `Python rendered ${JSON.stringify(py.text)}; we raised ${us.error.cls}: ${us.error.message}`;
  return noAddress(us.text) === noAddress(py.text!)
    ? null
    : `Python: ${JSON.stringify(py.text)}\nours:   ${JSON.stringify(us.text)}`;
}

const suites: [string, MicroCase[]][] = [
  ['micro-templates', MICRO_CASES],
  ['huggingface.js template suite (judged by Python)', PEER.cases],
];
const all = suites.flatMap(([, cases]) => cases);
let results: PyResult[];
before(async () => {
  results = await runPython(all);
});

let offset = 0;
for (const [suite, cases] of suites) {
  const base = offset;
  offset += cases.length;
  describe(suite, () => {
    const failures: string[] = [];
    cases.forEach((c, i) => {
      test(c.name, { todo: KNOWN[c.name] }, () => {
        const diff = agree(results[base + i], ours(c));
        if (diff) failures.push(c.name);
        assert.equal(diff, null, `${c.template}\n${diff}`);
      });
    });
    test(`summary: ${suite}`, () => {
      console.log(
        `# ${suite}: ${cases.length - failures.length} of ${cases.length} agree with Python${failures.length ? ` (differ: ${failures.join('; ')})` : ''}`,
      );
      assert.ok(
        failures.every((f) => KNOWN[f]),
        `unexpected differences: ${failures.filter((f) => !KNOWN[f]).join('; ')}`,
      );
    });
  });
}
