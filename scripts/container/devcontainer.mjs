// The lane's dev container, brought up from the docs/devcontainer.json users copy. Only what ties
// that file to a CUDA machine is swapped (image, interpreter path, the pip step the local image
// already did); its mounts, runArgs, port attributes and extension list are used as they are.
// Preferred: @devcontainers/cli over podman (`--docker-path podman`). BATCHSCOPE_CONTAINER_NO_CLI=1,
// or a CLI that fails, takes the same steps with podman directly.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';

const require = createRequire(import.meta.url);
const { parse } = require('jsonc-parser');
const repo = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');
const CLI_VERSION = '0.89.0';
/** Container ports the lane publishes on the host's loopback: code-server's UI, and a port where
 *  the security scenario's job listens (to show that a published port cannot reach the controller). */
export const UI_PORT = 8080;
export const CONTROLLER_PORT = 5678;
/** Where the VSIX gets installed inside the container (a code-server extensions dir). */
export const EXT_DIR = '/root/.batchscope-lane/extensions';

function run(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
}
function must(cmd, args, opts = {}) {
  const r = run(cmd, args, opts);
  if (r.status !== 0)
    throw new Error(`failed: ${cmd} ${args.join(' ')}: ${(r.stderr || r.stdout || '').trim().slice(-800)}`);
  return r.stdout;
}

/** docs/devcontainer.json for this machine: the local CPU image instead of the CUDA one. */
export function laneConfig({ image, codeServerCache, label }) {
  const errors = [];
  const cfg = parse(readFileSync(join(repo, 'docs/devcontainer.json'), 'utf8'), errors, { allowTrailingComma: true });
  if (errors.length || !cfg)
    throw new Error(`docs/devcontainer.json does not parse as JSONC (${JSON.stringify(errors)})`);
  cfg.name = `${cfg.name} → batchscope container lane`;
  cfg.image = image;
  // The image's Python (python3-torch 1.13 + the pinned stack in /opt/venv) replaces /opt/conda's.
  cfg.customizations.vscode.settings['batchscope.python'] = '/opt/venv/bin/python';
  // The image already holds the pinned stack; upgrading transformers would break torch 1.13.
  cfg.postCreateCommand = 'python -c "import torch, transformers, datasets"';
  cfg.runArgs = [
    ...(cfg.runArgs ?? []),
    '--label',
    `batchscope.lane=${label}`,
    '-p',
    `127.0.0.1::${UI_PORT}`,
    '-p',
    `127.0.0.1::${CONTROLLER_PORT}`,
  ];
  // code-server (the VS Code server) comes from the host's e2e cache, read-only, at the same path.
  cfg.mounts = [...(cfg.mounts ?? []), `source=${codeServerCache},target=${codeServerCache},type=bind,readonly`];
  return cfg;
}

function cliPath(say) {
  const dir = join(
    process.env.BATCHSCOPE_CONTAINER_CACHE ?? join(process.env.HOME ?? '/tmp', '.cache/batchscope-container'),
    `devcontainers-cli-${CLI_VERSION}`,
  );
  const bin = join(dir, 'node_modules/@devcontainers/cli/devcontainer.js');
  if (!existsSync(bin)) {
    say(`npm i @devcontainers/cli@${CLI_VERSION}`);
    mkdirSync(dir, { recursive: true });
    must('npm', [
      'i',
      '--prefix',
      dir,
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      `@devcontainers/cli@${CLI_VERSION}`,
    ]);
  }
  return bin;
}

// --gpu-availability none: the CLI's GPU probe reads `docker info`'s Runtimes, which `podman info`
// does not have (the probe fails the whole `up`). podman users give GPUs through CDI in runArgs.
function upWithCli(devws, label, say) {
  const cli = cliPath(say);
  const r = run(
    process.execPath,
    [
      cli,
      'up',
      '--docker-path',
      'podman',
      '--workspace-folder',
      devws,
      '--id-label',
      `batchscope.lane=${label}`,
      '--log-format',
      'json',
      '--skip-non-blocking-commands',
      '--gpu-availability',
      'none',
    ],
    { env: process.env },
  );
  const last = (r.stdout || '').trim().split('\n').pop() ?? '';
  let out = {};
  try {
    out = JSON.parse(last);
  } catch {
    /* not JSON: the CLI failed before its result line */
  }
  if (r.status !== 0 || out.outcome !== 'success') {
    throw new Error(
      `devcontainer up failed: ${out.message ?? ''} ${out.description ?? ''} ${(r.stderr || '').trim().slice(-600)}`,
    );
  }
  return out.containerId;
}

/** The same container with podman alone: what `devcontainer up` does for an image-based config. */
function upWithPodman(cfg, devws, say) {
  const target = `/workspaces/${basename(devws)}`;
  const args = [
    'run',
    '-d',
    '--security-opt',
    'label=disable',
    '--mount',
    `type=bind,source=${devws},target=${target}`,
    '-w',
    target,
  ];
  for (const m of cfg.mounts ?? []) {
    const spec = m.replace('${localWorkspaceFolder}', devws);
    args.push('--mount', spec);
  }
  args.push(...cfg.runArgs, cfg.image, '/bin/sh', '-c', 'trap "exit 0" TERM; while sleep 1 & wait $!; do :; done');
  const id = must('podman', args).trim();
  say('postCreateCommand');
  must('podman', ['exec', '-w', target, id, '/bin/sh', '-c', cfg.postCreateCommand]);
  return id;
}

function hostPort(id, port) {
  const out = must('podman', ['port', id, `${port}/tcp`])
    .trim()
    .split('\n')[0];
  const p = Number(/:(\d+)$/.exec(out)?.[1]);
  if (!p) throw new Error(`podman port ${id} ${port}: ${out}`);
  return p;
}

/** Brings the dev container up; returns its id, how, the published host ports and the config's settings. */
export function bringUp({ image, devws, codeServerCache, label, say }) {
  const cfg = laneConfig({ image, codeServerCache, label });
  writeFileSync(join(devws, '.devcontainer/devcontainer.json'), JSON.stringify(cfg, null, 2));
  let id;
  let via = 'devcontainers-cli';
  if (process.env.BATCHSCOPE_CONTAINER_NO_CLI === '1') via = 'podman';
  else {
    try {
      id = upWithCli(devws, label, say);
    } catch (err) {
      say(`${err.message.slice(0, 400)}\n  → taking the same steps with podman directly`);
      via = 'podman (CLI failed)';
    }
  }
  id ??= upWithPodman(cfg, devws, say);
  return {
    id,
    via,
    cfg,
    uiPort: hostPort(id, UI_PORT),
    publishedPort: hostPort(id, CONTROLLER_PORT),
    settings: cfg.customizations.vscode.settings,
  };
}

/** Installs what customizations.vscode.extensions names as a .vsix path, inside the container. */
export function installVsix(dev, env, say) {
  const vsixes = dev.cfg.customizations.vscode.extensions.filter((e) => e.endsWith('.vsix'));
  if (!vsixes.length) throw new Error('docs/devcontainer.json names no .vsix in customizations.vscode.extensions');
  for (const e of dev.cfg.customizations.vscode.extensions.filter((x) => !x.endsWith('.vsix'))) {
    say(`extension ${e}: not installed (no extension gallery offline; Batchscope does not depend on it)`);
  }
  for (const vsix of vsixes) {
    must('podman', [
      'exec',
      dev.id,
      env.BATCHSCOPE_E2E_NODE,
      env.BATCHSCOPE_E2E_ENTRY,
      '--user-data-dir',
      '/root/.batchscope-lane/install-ud',
      '--extensions-dir',
      EXT_DIR,
      '--install-extension',
      vsix,
    ]);
  }
  const ls = must('podman', ['exec', dev.id, 'ls', EXT_DIR]);
  if (!/^batchscope\.batchscope-/m.test(ls))
    throw new Error(`the VSIX did not install into ${EXT_DIR} in the container: ${ls}`);
  return EXT_DIR;
}
