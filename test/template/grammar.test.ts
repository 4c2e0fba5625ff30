// The jinja language mode: the TextMate grammar and its JSON injection checked with vscode-tmgrammar-test
// (scope assertions in test/template/grammar/*), and the language configuration and snippets that
// package.json contributes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compileTemplate } from '../../src/core/template/jinja/compile';

const REPO = resolve(__dirname, '../..');
const BIN = join(REPO, 'node_modules/vscode-tmgrammar-test/dist/unit.js');

function grammarTest(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [BIN, '-c', ...args], { cwd: REPO, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('the jinja grammar gives the expected scopes (vscode-tmgrammar-test)', () => {
  const r = grammarTest(['test/template/grammar/*.test.jinja']);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /basic\.test\.jinja run successfuly/);
});

test('chat_template strings in JSON are highlighted by the injection grammar', () => {
  const r = grammarTest(['-g', 'test/template/grammar/json.tmLanguage.json', 'test/template/grammar/*.test.json']);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /json\.test\.json run successfuly/);
});

test('package.json contributes the grammar, injection, configuration and snippets, and the files exist', () => {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
  const lang = pkg.contributes.languages.find((l: { id: string }) => l.id === 'jinja');
  const paths = [
    lang.configuration,
    ...pkg.contributes.grammars.map((g: { path: string }) => g.path),
    ...pkg.contributes.snippets.map((s: { path: string }) => s.path),
  ];
  for (const p of paths) assert.ok(existsSync(join(REPO, p)), p);
  const injection = pkg.contributes.grammars.find((g: { injectTo?: string[] }) => g.injectTo);
  assert.deepEqual(injection.injectTo, ['source.json']);
});

test('language configuration: block comments, bracket pairs and folding of block statements', () => {
  const conf = JSON.parse(readFileSync(join(REPO, 'syntaxes/jinja.language-configuration.json'), 'utf8'));
  assert.deepEqual(conf.comments.blockComment, ['{#', '#}']);
  assert.ok(conf.brackets.some(([a, b]: string[]) => a === '{%' && b === '%}'));
  const start = new RegExp(conf.folding.markers.start);
  const end = new RegExp(conf.folding.markers.end);
  for (const line of [
    '{% for m in messages %}',
    '  {%- if x %}',
    '{% macro f() %}',
    '{%- generation %}',
    '{% set body %}',
  ])
    assert.match(line, start);
  for (const line of ['{% set x = 1 %}', '{{ for }}', 'text']) assert.doesNotMatch(line, start);
  for (const line of ['{% endfor %}', '  {%- endif %}', '{% endgeneration %}', '{% endset %}']) assert.match(line, end);
});

test('every snippet body is a template our engine (and so jinja2) parses', () => {
  const snippets = JSON.parse(readFileSync(join(REPO, 'snippets/jinja.json'), 'utf8')) as Record<
    string,
    { prefix: string; body: string[] }
  >;
  assert.ok(Object.keys(snippets).length >= 8);
  for (const [name, s] of Object.entries(snippets)) {
    // Replace tab stops ${1:default} / $0 with their default text.
    const text = s.body
      .join('\n')
      .replace(/\$\{\d+:((?:[^{}]|\{[^{}]*\}|\{\{[^}]*\}\})*)\}/g, '$1')
      .replace(/\$\d/g, '');
    assert.doesNotThrow(() => compileTemplate(text), `${name}: ${text}`);
  }
});
