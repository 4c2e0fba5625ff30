// The VSIX as shipped: what `vsce` puts in it, its size, the manifest fields the Marketplace and a
// remote window rely on, activation only on our own contributions, a walkthrough whose pictures and
// commands exist, and no listening socket in the extension-host bundle (the UI talks to the runtime
// over pipes/stdio; the only TCP listener is the debug adapter's standalone --server mode).
// Needs the build (`npm run build`), as scripts/test-all.sh does first.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '..');
const PYTHON = process.env.BATCHSCOPE_TEST_PYTHON ?? join(REPO, '.venv/bin/python');
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
const VSCE = join(REPO, 'node_modules/@vscode/vsce/vsce');

/** Runs vsce; resolves with stdout, rejects with its output on a non-zero exit. */
function vsce(args: string[]): Promise<string> {
  return new Promise((ok, fail) => {
    const p = spawn(process.execPath, [VSCE, ...args], { cwd: REPO });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', fail);
    p.on('close', (code) =>
      code === 0 ? ok(out) : fail(new Error(`vsce ${args.join(' ')} exited ${code}:\n${out}\n${err}`)),
    );
  });
}

function requireBuild(): void {
  assert.ok(existsSync(join(REPO, 'dist/extension.js')), 'dist/extension.js missing: run npm run build first');
}

// vsce walks the whole tree (.venv included) before filtering, which takes seconds on 2 cores:
// start `ls` and `package` together, once, and let the tests await them.
const OUT = mkdtempSync(join(tmpdir(), 'batchscope-vsix-'));
const VSIX = join(OUT, 'batchscope.vsix');
const listing = vsce(['ls', '--no-dependencies']);
// The same vsce flags as `npm run package`, with the output redirected to a temp folder.
const packaged = (() => {
  const script: string = pkg.scripts.package;
  const flags = script
    .slice(script.indexOf('vsce package') + 'vsce package'.length)
    .trim()
    .split(/\s+/);
  const outAt = flags.indexOf('--out');
  if (outAt >= 0) flags.splice(outAt, 2);
  return vsce(['package', ...flags, '--out', VSIX]);
})();
// Both are awaited by a test; keep an early failure from surfacing as an unhandled rejection.
listing.catch(() => {});
packaged.catch(() => {});
after(() => rmSync(OUT, { recursive: true, force: true }));

test('vsce ls: only dist/, media/, runtime/batchscope_runtime and top-level docs; no maps, tests, sources, node_modules', async () => {
  requireBuild();
  const files = (await listing)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  assert.ok(files.includes('package.json'));
  assert.ok(files.includes('dist/extension.js'));
  assert.ok(files.includes('dist/debugAdapter.js'));
  assert.ok(
    files.some((f) => f.startsWith('dist/webview/')),
    'webview bundles ship',
  );
  // The lazily loaded bundles (src/bundles/load.ts) ship beside dist/extension.js.
  for (const b of ['datasetBundle', 'templateBundle', 'debugBundle'])
    assert.ok(files.includes(`dist/${b}.js`), `dist/${b}.js ships`);
  assert.ok(files.includes('media/icon.png'));
  assert.ok(
    files.some((f) => f.startsWith('runtime/batchscope_runtime/') && f.endsWith('.py')),
    'the Python runtime ships',
  );
  const bad = files.filter(
    (f) =>
      f.endsWith('.map') ||
      /(^|\/)(test|tests|src|node_modules|__pycache__)\//.test(f) ||
      f.startsWith('webview/') ||
      (f.endsWith('.ts') && !f.endsWith('.d.ts')) ||
      f.endsWith('.pyc'),
  );
  assert.deepEqual(bad, [], 'nothing but runtime files ships');
});

test('the packaged VSIX is small, has the manifest, the bundles and the runtime', async () => {
  requireBuild();
  await packaged;
  const size = statSync(VSIX).size;
  assert.ok(size <= 5 * 1024 * 1024, `VSIX is ${(size / 1048576).toFixed(2)} MB (limit 5 MB)`);
  // A VSIX is a zip: list it with Python's zipfile (no unzip binary needed).
  const r = spawnSync(
    PYTHON,
    ['-c', 'import json,sys,zipfile; print(json.dumps(zipfile.ZipFile(sys.argv[1]).namelist()))', VSIX],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const names: string[] = JSON.parse(r.stdout);
  for (const want of [
    'extension.vsixmanifest',
    'extension/package.json',
    'extension/dist/extension.js',
    'extension/dist/debugAdapter.js',
    'extension/media/icon.png',
  ]) {
    assert.ok(names.includes(want), `${want} in the VSIX`);
  }
  assert.ok(
    names.some((n) => n.startsWith('extension/runtime/batchscope_runtime/')),
    'runtime in the VSIX',
  );
  assert.deepEqual(
    names.filter((n) => /\.map$|node_modules\/|\/screenshots\/|\.pyc$/.test(n)),
    [],
  );
});

test('manifest: workspace extension kind, icon, banner, categories, keywords', () => {
  assert.deepEqual(
    pkg.extensionKind,
    ['workspace'],
    'runs where the files and the GPU are (remote/container), never in the UI',
  );
  assert.ok(existsSync(join(REPO, pkg.icon)), `icon ${pkg.icon} exists`);
  const png = readFileSync(join(REPO, pkg.icon));
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  assert.ok(png.readUInt32BE(16) >= 128 && png.readUInt32BE(20) >= 128, 'icon is at least 128×128');
  assert.match(pkg.galleryBanner?.color ?? '', /^#[0-9a-fA-F]{6}$/);
  assert.ok(['dark', 'light'].includes(pkg.galleryBanner?.theme));
  for (const c of ['Debuggers', 'Data Science', 'Machine Learning'])
    assert.ok(pkg.categories.includes(c), `category ${c}`);
  assert.ok(pkg.keywords.length >= 3 && pkg.keywords.length <= 30, 'keywords (the Marketplace allows 30)');
});

test('activation only on our own commands, editors, debug type and webview panels', () => {
  const ours = new Set<string>([
    ...pkg.contributes.commands.map((c: { command: string }) => `onCommand:${c.command}`),
    ...pkg.contributes.customEditors.map((e: { viewType: string }) => `onCustomEditor:${e.viewType}`),
  ]);
  const debugTypes = pkg.contributes.debuggers.map((d: { type: string }) => d.type);
  const allowed = (ev: string): boolean => {
    if (ours.has(ev)) return true;
    if (ev === 'onDebugInitialConfigurations') return true; // asks every debugger for launch.json templates
    const [kind, arg] = ev.split(':');
    if (['onDebugResolve', 'onDebugDynamicConfigurations', 'onDebugAdapterProtocolTracker'].includes(kind))
      return debugTypes.includes(arg);
    if (['onWebviewPanel', 'onCommand', 'onCustomEditor', 'onView'].includes(kind))
      return arg?.startsWith('batchscope.') ?? false;
    return false;
  };
  const events: string[] = pkg.activationEvents ?? [];
  assert.ok(!events.includes('*'), 'never activate on startup');
  assert.deepEqual(
    events.filter((e) => !allowed(e)),
    [],
    'every activation event is one of ours',
  );
});

test('the extension-host bundle opens no listening port', async () => {
  // The extension host's own bundle, built here the way scripts/build.mjs builds dist/extension.js
  // but unminified, so esbuild's `// path` comments name the module of every hit (dist/ may hold a
  // minified production build at this point).
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [join(REPO, 'src/extension.ts')],
    absWorkingDir: REPO,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    external: ['vscode'],
    write: false,
    logLevel: 'silent',
  });
  const js = out.outputFiles[0].text;
  const hits: string[] = [];
  for (const re of [/\bcreateServer\s*\(/g, /\.listen\s*\(/g]) {
    for (const m of js.matchAll(re)) {
      const mod =
        [...js.slice(0, m.index).matchAll(/^\/\/ ((?:src|node_modules)\/\S+)$/gm)].pop()?.[1] ?? 'unknown module';
      hits.push(`${m[0]} in ${mod}`);
    }
  }
  // The one allowed exception is the debug adapter's standalone `--server=PORT` mode. The
  // @vscode/debugadapter library keeps it in runDebugAdapter.js, which lib/debugSession.js requires
  // for `DebugSession.run()`. The extension runs its session inline and never calls run(), so the
  // code is in the bundle but cannot be reached from it.
  const SERVER_MODE = 'node_modules/@vscode/debugadapter/lib/runDebugAdapter.js';
  assert.deepEqual(
    hits.filter((h) => !h.endsWith(` in ${SERVER_MODE}`)),
    [],
    'the UI must not listen on a port',
  );
});

test('the panel sessions and engines load lazily: the extension-host bundle holds only the glue', async () => {
  // Built like dist/extension.js (the lazy-bundle requires kept external), unminified so esbuild's
  // `// path` comments name every module in it.
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [join(REPO, 'src/extension.ts')],
    absWorkingDir: REPO,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    external: ['vscode'],
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'lazy',
        setup: (b) =>
          b.onResolve({ filter: /^\.\/\w+Bundle$/ }, (a) =>
            a.importer.endsWith('load.ts') ? { path: a.path, external: true } : undefined,
          ),
      },
    ],
  });
  const modules = [...out.outputFiles[0].text.matchAll(/^\/\/ ((?:src|protocol|node_modules)\/\S+)$/gm)].map(
    (m) => m[1],
  );
  assert.ok(modules.includes('src/vscode/panelHost.ts'), 'the comments name the modules');
  const heavy = modules.filter((m) =>
    /^src\/panels\/(dataset|template)\/(session|previewModel)\.ts$|^src\/dap\/session\.ts$|^node_modules\/(apache-arrow|hyparquet|@huggingface)\//.test(
      m,
    ),
  );
  assert.deepEqual(heavy, [], 'loaded from dist/<name>Bundle.js on first use instead');
});

test('walkthrough: open a dataset, preview a template, start training, debug the DataLoader', () => {
  const walks = pkg.contributes.walkthroughs;
  assert.equal(walks.length, 1);
  const steps: Array<{
    id: string;
    title: string;
    description: string;
    media: { image?: string; markdown?: string; altText?: string };
    completionEvents?: string[];
  }> = walks[0].steps;
  const commands = new Set<string>(pkg.contributes.commands.map((c: { command: string }) => c.command));
  const want = [/dataset/i, /template/i, /train/i, /debug/i];
  for (const re of want)
    assert.ok(
      steps.some((s) => re.test(s.title)),
      `a step about ${re}`,
    );
  for (const s of steps) {
    const linked = [...s.description.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]);
    const completed = (s.completionEvents ?? [])
      .filter((e) => e.startsWith('onCommand:'))
      .map((e) => e.slice('onCommand:'.length));
    const used = [...linked, ...completed];
    assert.ok(used.length > 0, `step ${s.id} has a command`);
    for (const c of used) assert.ok(commands.has(c), `step ${s.id}: command ${c} is contributed`);
    assert.ok(s.media.image, `step ${s.id} has a picture`);
    const img = join(REPO, s.media.image!);
    assert.ok(existsSync(img), `${s.media.image} exists`);
    assert.ok(statSync(img).size < 150 * 1024, `${s.media.image} < 150 KB`);
    assert.ok(s.media.altText, `step ${s.id} picture has alt text`);
  }
});

test('the README settings reference lists every contributed setting with its default', () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = /\n## Settings\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
  assert.ok(section, 'README has a "## Settings" section');
  const props: Record<string, { default?: unknown }> = pkg.contributes.configuration.properties;
  for (const [key, p] of Object.entries(props)) {
    const row = section.split('\n').find((l) => l.startsWith(`| \`${key}\` |`));
    assert.ok(row, `README settings table has a row for ${key}`);
    assert.ok(
      row.includes(`\`${JSON.stringify(p.default ?? null)}\``),
      `${key}: README shows its default ${JSON.stringify(p.default)}`,
    );
  }
});
