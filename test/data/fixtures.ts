// Shared access to the dataset fixtures built by test/fixtures/builders/b_datasets.py.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cellToJson } from '../../src/core/datasets/jsonOut';
import type { CellValue } from '../../src/core/datasets/types';

export const FIXTURES = resolve(__dirname, '../.fixtures');
export const DATA = join(FIXTURES, 'data');
export const TOKENIZER = join(FIXTURES, 'tokenizer');

export interface FixtureEntry {
  path: string;
  format: string;
  expected?: string;
  decode?: string;
  rows: number;
  bad_lines?: number[];
  huge_line?: number;
  huge_bytes?: number;
}

export function manifest(): Record<string, FixtureEntry> {
  const p = join(DATA, 'manifest.json');
  if (!existsSync(p)) throw new Error(`${p} missing: run \`bash scripts/fixtures.sh\` first`);
  return JSON.parse(readFileSync(p, 'utf8'));
}

export function fixturePath(e: FixtureEntry): string {
  return join(DATA, e.path);
}

export function readJsonl(rel: string): unknown[] {
  return readFileSync(join(DATA, rel), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

/** Our cells in the builder's JSON conventions (bytes → base64, big ints → decimal string). */
export function normalize(v: CellValue): unknown {
  return cellToJson(v, true);
}
