// The folder rules of docs/architecture.md, checked without eslint: every import/require specifier in
// src/, protocol/ and webview/ is resolved to a repo path and tested against the rule of the importing
// file's folder. eslint.config.mjs states the same rules as `no-restricted-imports`; this test keeps
// `npm test` honest where eslint is not run, and also sees require() and dynamic import().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, resolve } from 'node:path';

const REPO = resolve(__dirname, '..');
const ROOTS = ['src', 'protocol', 'webview'];
const BUILTINS = new Set(builtinModules);
const HOST = ['src/vscode', 'src/panels', 'src/runtime', 'src/dap', 'src/bundles'];
// Forks the Parquet worker so that a corrupt page cannot take down the extension host (see eslint.config.mjs).
const CHILD_PROCESS_OK = new Set(['src/core/datasets/parquetWorkerClient.ts']);

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|mts|cts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Module specifiers of import/export-from, side-effect imports, import() and require(), comments removed. */
function specifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const re = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(['"])([^'"\n]+)\1/g;
  return [...code.matchAll(re)].map((m) => m[2]);
}

const within = (path: string, folder: string) => path === folder || path.startsWith(folder + '/');

/** What is wrong with `file` (repo-relative, posix) importing `spec`; empty when allowed. */
function check(file: string, spec: string): string[] {
  const problems: string[] = [];
  const bare = spec.replace(/^node:/, '');
  const isBuiltin = spec.startsWith('node:') || BUILTINS.has(bare.split('/')[0]);
  const target = spec.startsWith('.') ? posix.normalize(posix.join(posix.dirname(file), spec)) : undefined;
  const glue = within(file, 'src/vscode') || file === 'src/extension.ts';

  if (spec === 'vscode' && !glue) problems.push('only src/vscode/** and src/extension.ts import vscode');

  if (within(file, 'src/core')) {
    if (bare === 'child_process' && !CHILD_PROCESS_OK.has(file)) problems.push('src/core spawns no processes');
    if (target && ([...HOST, 'src/cli'].some((f) => within(target, f)) || /^src\/(extension|cli)(\.ts)?$/.test(target)))
      problems.push('src/core imports only src/core, protocol/ and packages');
  }
  if (['src/panels', 'src/runtime', 'src/dap', 'src/cli', 'src/bundles', 'src/cli.ts'].some((f) => within(file, f))) {
    if (target && within(target, 'src/vscode')) problems.push('only src/extension.ts imports src/vscode/');
  }
  if (within(file, 'protocol')) {
    if (target && HOST.some((f) => within(target, f))) problems.push('protocol/ imports no host folder');
  }
  if (within(file, 'webview')) {
    const own = file.split('/').slice(0, 2).join('/'); // webview/<panel>
    if (isBuiltin) problems.push('webviews run in a browser: no Node built-ins');
    if (target && ![own, 'protocol', 'src/core'].some((f) => within(target, f)))
      problems.push(`a webview imports only ${own}/, protocol/ and src/core/`);
  }
  return problems;
}

test('every import in src/, protocol/ and webview/ keeps to its folder’s rule', () => {
  const files = ROOTS.flatMap((r) => walk(join(REPO, r), []));
  let seen = 0;
  const found: string[] = [];
  for (const abs of files) {
    const file = relative(REPO, abs).split('\\').join('/');
    for (const spec of specifiers(readFileSync(abs, 'utf8'))) {
      seen++;
      for (const p of check(file, spec)) found.push(`${file}: '${spec}': ${p}`);
    }
  }
  assert.ok(
    files.length > 50 && seen > 200,
    `scanned ${files.length} files, ${seen} imports: the scan found too little`,
  );
  assert.deepEqual(found, [], `import boundary violations:\n${found.join('\n')}`);
});

test('the checker flags each kind of crossing and passes the allowed ones', () => {
  const bad: [string, string][] = [
    ['src/core/datasets/open.ts', 'vscode'],
    ['src/core/datasets/open.ts', 'node:child_process'],
    ['src/core/tokens/tokenizer.ts', 'child_process'],
    ['src/core/template/jinja/lexer.ts', '../../../runtime/process'],
    ['src/core/weights/stats.ts', '../../panels/shell'],
    ['src/core/weights/stats.ts', '../../bundles/load'],
    ['src/panels/dataset/session.ts', 'vscode'],
    ['src/runtime/process.ts', '../vscode/pythonEnv'],
    ['src/dap/session.ts', 'vscode'],
    ['src/cli/render.ts', 'vscode'],
    ['protocol/webview.ts', 'vscode'],
    ['protocol/webview.ts', '../src/dap/session'],
    ['webview/dataset/main.ts', '../../src/panels/shell'],
    ['webview/dataset/main.ts', '../template/main'],
    ['webview/dataset/main.ts', 'node:fs'],
    ['webview/dataset/main.ts', 'path'],
    ['webview/dataset/main.ts', 'vscode'],
  ];
  for (const [file, spec] of bad)
    assert.notDeepEqual(check(file, spec), [], `${file} importing '${spec}' should be flagged`);

  const good: [string, string][] = [
    ['src/vscode/dataset.ts', 'vscode'],
    ['src/extension.ts', 'vscode'],
    ['src/core/datasets/parquetWorkerClient.ts', 'node:child_process'],
    ['src/core/training/runState.ts', '../../../protocol/trainEvents'],
    ['src/core/datasets/open.ts', '@vscode/debugadapter'],
    ['src/runtime/process.ts', 'node:child_process'],
    ['src/panels/dataset/session.ts', '../../core/datasets/open'],
    ['protocol/webview.ts', '../src/core/datasets/types'],
    ['webview/dataset/main.ts', './dom'],
    ['webview/dataset/main.ts', '../../protocol/webview'],
    ['webview/training/main.ts', '../../src/core/training/runState'],
    ['webview/training/main.ts', 'uplot'],
  ];
  for (const [file, spec] of good) assert.deepEqual(check(file, spec), [], `${file} importing '${spec}'`);
});

test('the scanner sees every import form and skips comments', () => {
  const src = [
    "import a from './a';",
    "import type { B } from '../b';",
    "export { c } from './c';",
    "import './side';",
    "const d = require('./d');",
    "const e = await import('./e');",
    "// import x from 'commented'",
    "/* require('alsoCommented') */",
  ].join('\n');
  assert.deepEqual(specifiers(src), ['./a', '../b', './c', './side', './d', './e']);
});
