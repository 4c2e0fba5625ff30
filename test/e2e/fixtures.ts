// Where the scenarios find their inputs: fixtures built by scripts/fixtures.sh (test/.fixtures/)
// and small JSONL files written here, whose exact content the assertions refer to.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from './harness';

/** An entry of the data builder's manifest (test/fixtures/builders/b_datasets.py → data/manifest.json). */
export interface DataFixture {
  path: string;
  format: string;
  rows: number;
  expected?: string;
  bad_lines?: number[];
}
export function dataFixture(name: string): DataFixture & { abs: string } {
  const file = join(FIXTURES, 'data/manifest.json');
  if (!existsSync(file))
    throw new Error(`${file} missing: build it with bash scripts/fixtures.sh (builder b_datasets.py)`);
  const entry = JSON.parse(readFileSync(file, 'utf8'))[name] as DataFixture | undefined;
  if (!entry) throw new Error(`no "${name}" in ${file}`);
  return { ...entry, abs: join(FIXTURES, 'data', entry.path) };
}

/** Rows of a JSONL ground-truth file written by the builder with the real `datasets` library. */
export function expectedRows<T>(fixture: DataFixture): T[] {
  if (!fixture.expected) throw new Error(`fixture ${fixture.path} has no expected rows`);
  return readFileSync(join(FIXTURES, 'data', fixture.expected), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

/** Five chat rows; line 3 is cut off mid-object, so the file has 4 good rows and one bad line. */
export const MALFORMED_JSONL =
  [
    JSON.stringify({
      id: 'row-alpha',
      messages: [
        { role: 'user', content: 'alpha question' },
        { role: 'assistant', content: 'alpha answer' },
      ],
    }),
    JSON.stringify({
      id: 'row-bravo',
      messages: [
        { role: 'user', content: 'bravo question' },
        { role: 'assistant', content: 'bravo answer' },
      ],
    }),
    '{"id": "row-broken", "messages": [{"role": "user", "content": "never closed"',
    JSON.stringify({
      id: 'row-delta',
      messages: [
        { role: 'user', content: 'delta question' },
        { role: 'assistant', content: 'delta answer' },
      ],
    }),
    JSON.stringify({
      id: 'row-echo',
      messages: [
        { role: 'user', content: 'echo question' },
        { role: 'assistant', content: 'echo answer' },
      ],
    }),
  ].join('\n') + '\n';
export const MALFORMED_LINE = 3;
export const GOOD_IDS = ['row-alpha', 'row-bravo', 'row-delta', 'row-echo'];

/** Markup that would run if any cell were written with innerHTML. */
export const XSS_IMG = '<img src=x onerror=alert(1)>';
export const XSS_SCRIPT = '<script>alert(2)</script>';
export const XSS_JSONL =
  [
    JSON.stringify({ text: XSS_IMG, note: 'image with an onerror handler' }),
    JSON.stringify({ text: XSS_SCRIPT, note: 'script element' }),
    JSON.stringify({ text: `<svg onload=alert(3)><a href="javascript:alert(4)">link</a>`, note: 'svg onload' }),
  ].join('\n') + '\n';
