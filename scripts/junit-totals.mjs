// Sums the test runners' JUnit XML reports (node --test's junit reporter, pytest --junitxml) into the
// closing line of the test command: "tests: N passed, N failed, N skipped".
// Usage: node scripts/junit-totals.mjs LANE=RC=REPORT.xml ... [--extra-failure=WHAT ...]
//   LANE    the suite's name, for the notes;
//   RC      its exit status: a suite that exits non-zero without a failing test in its report (it
//           crashed after the runner closed, or before the runner started) still counts as one failure;
//   REPORT  its XML; a missing or unreadable report counts as one failure (the suite crashed first).
// --extra-failure=WHAT adds one failure for a check that writes no report (e.g. lint).
// Exits 1 when anything failed, else 0.
import { readFileSync, existsSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Counts of one JUnit document, by <testcase> (node's reporter writes no totals on <testsuites>). */
export function countJunit(xml) {
  const totals = { passed: 0, failed: 0, skipped: 0 };
  const body = xml.replace(/<!--[\s\S]*?-->/g, '');
  // Attributes are read as quoted values: node's reporter leaves `>` unescaped in them (a test named
  // "count >= 5"), and a `[^>]*` scan ended the tag there and swallowed the cases up to the next
  // `</testcase>` into one (a run with failures reported 929 of its 983 tests).
  for (const m of body.matchAll(
    /<testcase(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*(?:\/>|>([\s\S]*?)<\/testcase>)/g,
  )) {
    const inner = m[1] ?? '';
    // One outcome per test case: pytest may attach both a <failure> and a teardown <error> to one case.
    // A node `todo` (a known gap, with its reason) carries <skipped type="todo"> and, while the gap is
    // open, a <failure> too; node does not fail the run for it, so neither do we: it counts as skipped.
    if (/<skipped\b[^>]*\btype="todo"/.test(inner)) totals.skipped++;
    else if (/<(failure|error)\b/.test(inner)) totals.failed++;
    else if (/<skipped\b/.test(inner)) totals.skipped++;
    else totals.passed++;
  }
  return totals;
}

function main(argv) {
  const total = { passed: 0, failed: 0, skipped: 0 };
  const notes = [];
  for (const arg of argv) {
    const extra = /^--extra-failure=(.*)$/.exec(arg);
    if (extra) {
      total.failed++;
      notes.push(`${extra[1]} failed`);
      continue;
    }
    const m = /^([^=]+)=(-?\d+)=(.+)$/.exec(arg);
    if (!m) throw new Error(`junit-totals: expected LANE=RC=REPORT.xml, got '${arg}'`);
    const [, lane, rc, report] = m;
    let counts;
    try {
      counts = existsSync(report) ? countJunit(readFileSync(report, 'utf8')) : undefined;
    } catch {
      counts = undefined;
    }
    if (!counts) {
      total.failed++;
      notes.push(`${lane}: no report at ${report} (the suite crashed before writing it; exit ${rc})`);
      continue;
    }
    if (counts.passed + counts.failed + counts.skipped === 0 && rc === '0') {
      notes.push(`${lane}: its report holds no tests`);
    }
    if (rc !== '0' && counts.failed === 0) {
      counts.failed = 1;
      notes.push(`${lane}: exited ${rc} though its report shows no failing test`);
    }
    notes.push(`${lane}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
    total.passed += counts.passed;
    total.failed += counts.failed;
    total.skipped += counts.skipped;
  }
  for (const n of notes) console.log(`  ${n}`);
  console.log(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  return total.failed ? 1 : 0;
}

// Run as a script (not when a test imports countJunit).
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  process.exit(main(process.argv.slice(2)));
}
