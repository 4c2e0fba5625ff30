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

// The heavy parts (src/bundles/load.ts) are bundles of their own, required on first use: the
// extension bundle keeps `require('./<name>Bundle')` as is, so activation parses only the glue.
const BUNDLES = ['dataset', 'template', 'debug'];
const lazyBundles = {
  name: 'lazy-bundles',
  setup(build) {
    build.onResolve({ filter: /^\.\/\w+Bundle$/ }, (args) =>
      args.importer.endsWith('src/bundles/load.ts') ? { path: `${args.path}.js`, external: true } : undefined,
    );
  },
};

const targets = [
  {
    ...node,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode'],
    plugins: [lazyBundles],
  },
  // Beside dist/extension.js, so __dirname (parquet worker, runtime folder) is the same for both.
  ...BUNDLES.map((e) => ({
    ...node,
    entryPoints: [`src/bundles/${e}Bundle.ts`],
    outfile: `dist/${e}Bundle.js`,
    external: ['vscode'],
  })),
  { ...node, entryPoints: ['src/dap/adapterEntry.ts'], outfile: 'dist/debugAdapter.js', external: ['vscode'] },
  { ...node, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  // Parquet row-group decoder worker, found beside the extension/CLI bundles (src/core/datasets/parquetWorkerClient.ts).
  { ...node, entryPoints: ['src/core/datasets/parquetWorker.ts'], outfile: 'dist/parquetWorker.js' },
];

// One bundle per panel. Each webview loads only dist/webview/<name>.js (+ .css if it imports CSS).
for (const name of ['dataset', 'template', 'training', 'safetensors', 'templateDiff']) {
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
    // Codicons: the font is copied beside the bundle (font-src allows the webview's own resources).
    loader: { '.css': 'css', '.ttf': 'file' },
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
