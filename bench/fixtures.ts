// The test fixtures a benchmark reads (e.g. the ChatML tokenizer of bench/template.ts), built on first
// use so that every `npm run bench:*` works on a fresh clone after `bash scripts/main.sh` alone.
// They are the same files the tests use (test/.fixtures, built by scripts/fixtures.sh with the real
// Python libraries); an existing set is used as it is.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '..');
export const FIXTURES = join(REPO, 'test/.fixtures');

/** test/.fixtures/<rel> for each rel, building the fixtures first when any is missing. */
export function ensureFixtures(...rel: string[]): string[] {
  const paths = rel.map((r) => join(FIXTURES, r));
  if (paths.some((p) => !existsSync(p))) {
    console.error(`building the test fixtures into ${FIXTURES} (bash scripts/fixtures.sh; once, about a minute) …`);
    const r = spawnSync('bash', ['scripts/fixtures.sh', FIXTURES], {
      cwd: REPO,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (r.status !== 0)
      throw new Error(`scripts/fixtures.sh failed (exit ${r.status}); run bash scripts/setup.sh first`);
    const missing = paths.filter((p) => !existsSync(p));
    if (missing.length) throw new Error(`scripts/fixtures.sh did not build ${missing.join(', ')}`);
  }
  return paths;
}
