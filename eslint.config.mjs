// ESLint 9 flat config: typescript-eslint's recommended rules (syntax only, not type-checked, so a
// full run stays fast on a small machine) plus the import boundaries that give each folder its rule
// (docs/architecture.md). test/boundaries.test.ts checks the same boundaries by resolving every
// import to a repo path, so `npm test` catches a crossing even where eslint is not run.
import { defineConfig } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

// Bare Node built-ins ('fs'; the 'node:' forms are a pattern below): browser code (webview/) uses none.
const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('node:'));
const noVscode = { name: 'vscode', message: 'Only src/vscode/** and src/extension.ts import vscode.' };

/** A relative import that climbs out (`../`…) into one of these sibling folders of src/ (e.g.
 *  '../../runtime/process' from src/core/datasets/): the first segment after the climb names it. */
const folderImport = (folders, message) => ({ regex: `^(\\.\\./)+(${folders.join('|')})(/|$)`, message });

export default defineConfig(
  {
    ignores: [
      'dist/**',
      'dist-vsix/**',
      'out/**',
      '.gl/**',
      'node_modules/**',
      '.venv*/**',
      'test/.fixtures*/**',
      'test-output/**',
      'media/**',
      'runtime/**',
      'bench/.data/**',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Pragmatic severities: these flag real smells but the tree predates the linter; warnings keep
      // them visible without blocking. Errors stay errors for everything else in `recommended`.
      '@typescript-eslint/no-explicit-any': 'warn',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // load.ts requires the lazily loaded bundles on purpose (see src/bundles/load.ts).
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Walking a linked chain from `this` (`for (let s = this; s; s = s.parent)`) is the intended use.
      '@typescript-eslint/no-this-alias': 'off',
      'no-control-regex': 'off', // parsers match control characters on purpose
      'no-empty': ['error', { allowEmptyCatch: true }],
      eqeqeq: ['error', 'smart'],
      'prefer-const': ['error', { destructuring: 'all' }],
    },
  },
  {
    // webview/ runs in the browser; bench and e2e scripts pass callbacks to Playwright's page.evaluate.
    files: ['webview/**', 'bench/**/*.mjs', 'test/e2e/**/*.mjs'],
    languageOptions: { globals: { ...globals.browser } },
  },

  // ---- import boundaries (one block per folder; a later block for the same file replaces the rule) ----
  {
    // Everywhere except the glue folder: no `vscode`.
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    ignores: ['src/vscode/**', 'src/extension.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode] }] },
  },
  {
    // Pure cores: no vscode, no child processes, no host folders.
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            noVscode,
            { name: 'child_process', message: 'src/core is pure: spawning processes belongs in src/runtime.' },
            { name: 'node:child_process', message: 'src/core is pure: spawning processes belongs in src/runtime.' },
          ],
          patterns: [
            folderImport(
              ['vscode', 'panels', 'runtime', 'dap', 'bundles', 'cli'],
              'src/core imports only src/core, protocol/ and packages.',
            ),
          ],
        },
      ],
    },
  },
  {
    // The one exception: the Parquet worker client forks a worker process so that a corrupt page
    // (which can hang or blow up the decoder) is isolated from the extension host. It is still pure
    // in the sense that matters (no vscode, no Python), so it stays beside the Parquet reader.
    files: ['src/core/datasets/parquetWorkerClient.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noVscode],
          patterns: [
            folderImport(
              ['vscode', 'panels', 'runtime', 'dap', 'bundles', 'cli'],
              'src/core imports only src/core, protocol/ and packages.',
            ),
          ],
        },
      ],
    },
  },
  {
    // vscode-free host code: may use the runtime and cores, never the glue.
    files: ['src/panels/**', 'src/runtime/**', 'src/dap/**', 'src/cli/**', 'src/cli.ts', 'src/bundles/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [noVscode], patterns: [folderImport(['vscode'], 'Only src/extension.ts imports src/vscode/.')] },
      ],
    },
  },
  {
    // The protocol is shared by host, runtime and webviews: it depends on none of the host folders.
    files: ['protocol/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noVscode],
          patterns: [
            {
              regex: '^\\.\\./src/(vscode|panels|runtime|dap|bundles)(/|$)',
              message: 'protocol/ imports only protocol/ and src/core.',
            },
          ],
        },
      ],
    },
  },
  {
    // Browser code: its own folder, protocol/ and pure src/core only; no vscode, no Node built-ins.
    // Paths here are relative to webview/<panel>/<file>.ts.
    files: ['webview/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noVscode, ...nodeBuiltins.map((name) => ({ name, message: 'Webviews run in a browser.' }))],
          patterns: [
            {
              regex: '^\\.\\./\\.\\./(?!protocol/|src/core/)',
              message: 'A webview imports only its own folder, protocol/ and src/core/.',
            },
            { regex: '^\\.\\./(?!\\.\\./)', message: 'A webview does not import another panel’s folder.' },
            {
              regex: '^\\.\\./\\.\\./\\.\\./',
              message: 'A webview imports only its own folder, protocol/ and src/core/.',
            },
            { regex: '^node:', message: 'Webviews run in a browser.' },
          ],
        },
      ],
    },
  },
);
