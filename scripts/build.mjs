// Builds every bundle with esbuild: the extension host, the standalone debug adapter,
// the CLI, and one browser bundle per webview panel.
// `--production` minifies and drops source maps (the VSIX must not carry them).
import * as esbuild from 'esbuild';
import { existsSync, rmSync, mkdirSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

// The heavy engines (src/engines/load.ts) are bundles of their own, required on first use: the
// extension bundle keeps `require('./<name>Engine')` as is, so activation parses only the glue.
const ENGINES = ['dataset', 'template', 'debug'];
const lazyEngines = {
  name: 'lazy-engines',
  setup(build) {
    build.onResolve({ filter: /^\.\/\w+Engine$/ }, (args) =>
      args.importer.endsWith('src/engines/load.ts') ? { path: `${args.path}.js`, external: true } : undefined,
    );
  },
};

const targets = [
  { ...node, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'], plugins: [lazyEngines] },
  // Beside dist/extension.js, so __dirname (parquet worker, runtime folder) is the same for both.
  ...ENGINES.map((e) => ({ ...node, entryPoints: [`src/engines/${e}Engine.ts`], outfile: `dist/${e}Engine.js`, external: ['vscode'] })),
  { ...node, entryPoints: ['src/debug/debugAdapter.ts'], outfile: 'dist/debugAdapter.js', external: ['vscode'] },
  { ...node, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  // Parquet row-group decoder worker, found beside the extension/CLI bundles (src/data/parquetWorkerClient.ts).
  { ...node, entryPoints: ['src/data/parquetWorker.ts'], outfile: 'dist/parquetWorker.js' },
];

// One bundle per panel. Each webview loads only dist/webview/<name>.js (+ .css if it imports CSS).
for (const name of ['dataset', 'template', 'training', 'safetensors']) {
  const entry = `webview/${name}/main.ts`;
  if (!existsSync(entry)) continue;
  targets.push({
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
    legalComments: 'none',
    entryPoints: [entry],
    outfile: `dist/webview/${name}.js`,
    loader: { '.css': 'css' },
  });
}

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist', { recursive: true });
if (watch) {
  for (const t of targets) (await esbuild.context(t)).watch();
  console.log('watching…');
} else {
  await Promise.all(targets.map((t) => esbuild.build(t)));
  console.log(`built ${targets.length} bundles into dist/${production ? ' (production)' : ''}`);
}
