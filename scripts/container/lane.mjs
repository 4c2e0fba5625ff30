// The container lane: the packaged extension inside a podman container, the UI in Chromium outside.
//  1. skips (exit 0, a skipped test in the junit XML) where podman cannot run a container here;
//  2. builds or loads the lane's image (build-image.sh: Debian 12 + python3-torch + pinned stack);
//  3. test/e2e/prepare.mjs: code-server cached on the host, fixtures, `npm run package` → the VSIX;
//  4. brings the dev container up from docs/devcontainer.json (devcontainer-config.mjs swaps in the
//     local CPU image) with @devcontainers/cli over podman, or with the same steps scripted directly
//     (BATCHSCOPE_CONTAINER_NO_CLI=1, or when the CLI fails); installs the VSIX the config names;
//  5. runs test/container/*.test.ts (spec on stdout, junit into test-output/container.junit.xml);
//  6. removes every container it made, pass or fail.
// Args: scenario files (default: all). Env: BATCHSCOPE_CONTAINER_CACHE, BATCHSCOPE_E2E_* (prepare.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { prepare, repo } from '../../test/e2e/prepare.mjs';
import { bringUp, installVsix } from './devcontainer.mjs';

process.chdir(repo);
process.env.CONTAINERS_CONF ??= join(repo, 'scripts/container/containers.conf');
const JUNIT = join(repo, 'test-output/container.junit.xml');
const t0 = Date.now();
const say = (m) => console.log(`[container] ${m} (+${((Date.now() - t0) / 1000).toFixed(1)} s)`);

function skip(reason) {
  console.log(`[container] SKIPPED: ${reason}`);
  console.log('ℹ tests 1\nℹ skipped 1\nℹ pass 0\nℹ fail 0');
  const esc = reason.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  mkdirSync(join(repo, 'test-output'), { recursive: true });
  writeFileSync(
    JUNIT,
    `<?xml version="1.0" encoding="utf-8"?>\n<testsuites><testsuite name="container lane" tests="1" skipped="1" failures="0">\n` +
      `<testcase name="container lane" classname="container"><skipped message="${esc}"/></testcase>\n</testsuite></testsuites>\n`,
  );
  process.exit(0);
}

/** Can podman start a container on this machine? (No podman, no root, no user namespaces → skip.) */
function podmanProblem() {
  const v = spawnSync('podman', ['--version'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) return 'podman is not installed (apt-get install podman runc)';
  const info = spawnSync('podman', ['info', '--format', '{{.Host.OCIRuntime.Name}}'], { encoding: 'utf8' });
  if (info.status !== 0) return `podman cannot run here: ${(info.stderr || '').trim().split('\n').pop()}`;
  return null;
}

const problem = process.env.BATCHSCOPE_SKIP_CONTAINER === '1' ? 'BATCHSCOPE_SKIP_CONTAINER=1' : podmanProblem();
if (problem) skip(problem);

const made = []; // container ids to remove at the end
let prepared;
let label = '';
let code = 1;
try {
  say('image');
  const img = spawnSync('bash', ['scripts/container/build-image.sh'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (img.status !== 0) throw new Error('the lane image did not build (see above)');
  const image = img.stdout.trim().split('\n').pop();
  // A container that cannot start at all is an environment limit (nested sandbox), not a failure.
  const probe = spawnSync('podman', ['run', '--rm', image, 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) skip(`podman cannot start a container here: ${probe.stderr.trim().split('\n').pop()}`);
  say(`image ${image}`);

  prepared = prepare({ say });
  const { run, env } = prepared;
  label = basename(run); // every container of this run carries batchscope.lane=<label>
  // The dev workspace as docs/remote.md tells users to lay it out: .devcontainer/ with the config and the VSIX.
  const devws = join(run, 'devws');
  mkdirSync(join(devws, '.devcontainer'), { recursive: true });
  copyFileSync(
    process.env.BATCHSCOPE_E2E_VSIX || join(repo, 'dist-vsix/batchscope.vsix'),
    join(devws, '.devcontainer/batchscope.vsix'),
  );
  const dev = bringUp({
    image,
    devws,
    codeServerCache: env.BATCHSCOPE_E2E_ENTRY.split('/code-server-')[0],
    label,
    say,
  });
  made.push(dev.id);
  const ext = installVsix(dev, env, say);
  say(`dev container ${dev.id.slice(0, 12)} up (${dev.via}); UI on 127.0.0.1:${dev.uiPort}`);

  const only = process.argv.slice(2);
  const files = only.length
    ? only
    : readdirSync('test/container')
        .filter((f) => f.endsWith('.test.ts'))
        .sort()
        .map((f) => join('test/container', f));
  rmSync('test-output/container', { recursive: true, force: true });
  mkdirSync('test-output/container', { recursive: true });
  const laneEnv = {
    ...env,
    BATCHSCOPE_LANE_CONTAINER: dev.id,
    BATCHSCOPE_LANE_IMAGE: image,
    BATCHSCOPE_LANE_UI_PORT: String(dev.uiPort),
    BATCHSCOPE_LANE_PUBLISHED_PORT: String(dev.publishedPort),
    BATCHSCOPE_LANE_EXT: ext,
    BATCHSCOPE_LANE_SETTINGS: JSON.stringify(dev.settings),
    BATCHSCOPE_LANE_VIA: dev.via,
    BATCHSCOPE_LANE_LABEL: label,
  };
  code = await new Promise((ok) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        '--test-concurrency=1',
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        '--test-reporter=junit',
        `--test-reporter-destination=${JUNIT}`,
        ...files,
      ],
      { stdio: 'inherit', env: { ...process.env, ...laneEnv } },
    );
    for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
    child.on('exit', (c, s) => ok(c ?? (s ? 1 : 0)));
  });
} catch (err) {
  console.error(`[container] ${err.message}`);
  code = 1;
} finally {
  // Containers the scenarios started themselves carry the run's label; ours are in `made`.
  const labelled = label
    ? (spawnSync('podman', ['ps', '-aq', '--filter', `label=batchscope.lane=${label}`], { encoding: 'utf8' })
        .stdout?.split('\n')
        .filter(Boolean) ?? [])
    : [];
  for (const id of new Set([...made, ...labelled]))
    spawnSync('podman', ['rm', '-f', '-t', '2', id], { stdio: 'ignore' });
  prepared?.cleanup();
  console.error(
    `[container] done in ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in test-output/container/`,
  );
}
process.exit(code);
