// `batchscope stats PATH`: whole-dataset statistics (length histogram, cutoff, trained ratio, padding, EOS/BOS checks).
import { openDataset } from '../core/datasets/open';
import { computeStats } from '../core/datasets/stats';
import { eosRuleFor } from '../core/datasets/eosCheck';
import { errorMessage, formatReadError } from '../core/datasets/errors';
import type { DatasetSource, DatasetStats } from '../core/datasets/types';
import { loadTokenizer } from '../core/tokens/tokenizer';
import { intFlag, parseArgs, UsageError } from './args';

export const summary = 'whole-dataset statistics: lengths, % over cutoff, trained-token ratio, padding, EOS/BOS checks';

const USAGE = `usage: batchscope stats PATH [--cutoff-len N] [--tokenizer DIR] [--json]

  --cutoff-len N  count rows at or over N tokens (default 2048)
  --tokenizer D   folder or tokenizer.json: enables the no-EOS / double-BOS counts and pad-id padding
  --json          print the statistics as one JSON object
Exit status: 0 done (problems found inside the file are listed, not fatal); 1 the file cannot be read; 2 usage.`;

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

export function formatStats(path: string, s: DatasetStats): string {
  const lines = [`${path}: ${s.rows} rows`];
  if (s.lengthColumn) {
    lines.push(
      `length (${s.lengthColumn}, ${s.lengthUnit}): min ${s.minLength}, mean ${s.meanLength.toFixed(1)}, max ${s.maxLength}`,
    );
    lines.push(
      `at or over cutoff ${s.cutoffLen}: ${s.atOrOverCutoff} (${pct(s.rows ? s.atOrOverCutoff / s.rows : 0)})`,
    );
    const peak = Math.max(1, ...s.histogram.map((b) => b.count));
    for (const b of s.histogram) {
      lines.push(
        `  ${String(b.binStart).padStart(8)}–${String(b.binEnd).padEnd(8)} ${'█'.repeat(Math.round((40 * b.count) / peak)).padEnd(40)} ${b.count}`,
      );
    }
  } else lines.push('no input_ids or text column to measure');
  if (s.trainedTokenRatio !== null) lines.push(`trained tokens (labels ≠ −100): ${pct(s.trainedTokenRatio)}`);
  if (s.paddingFraction !== null) lines.push(`padding: ${pct(s.paddingFraction)}`);
  if (s.rowsWithNoTrainedTokens !== null) lines.push(`rows with no trained tokens: ${s.rowsWithNoTrainedTokens}`);
  if (s.rowsWithLengthMismatch !== null)
    lines.push(`rows where input_ids and labels differ in length: ${s.rowsWithLengthMismatch}`);
  if (s.rowsWithoutEos !== null) lines.push(`rows not ending with EOS: ${s.rowsWithoutEos}`);
  if (s.rowsWithDoubleBos !== null) lines.push(`rows starting with two BOS: ${s.rowsWithDoubleBos}`);
  if (s.errors.length)
    lines.push(`problems (${s.errors.length}):`, ...s.errors.slice(0, 20).map((e) => `  ${formatReadError(e)}`));
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  let path: string;
  let cutoffLen: number;
  let json: boolean;
  let tokDir: string | undefined;
  try {
    const a = parseArgs(argv, ['cutoff-len', 'tokenizer'], ['json', 'help']);
    if (a.flags.has('help')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (a.positional.length !== 1) throw new UsageError('expected exactly one PATH');
    path = a.positional[0];
    cutoffLen = intFlag(a, 'cutoff-len', 2048, 1);
    json = a.flags.has('json');
    const t = a.flags.get('tokenizer');
    tokDir = typeof t === 'string' ? t : undefined;
  } catch (err) {
    process.stderr.write(`batchscope stats: ${errorMessage(err)}\n${USAGE}\n`);
    return 2;
  }
  let src: DatasetSource;
  try {
    src = await openDataset(path);
  } catch (err) {
    process.stderr.write(`batchscope stats: ${errorMessage(err)}\n`);
    return 1;
  }
  try {
    let ids: { bosId?: number; eosId?: number; padId?: number; endOfTurnIds?: number[]; afterEosIds?: number[] } = {};
    if (tokDir) {
      try {
        const tok = await loadTokenizer(tokDir);
        const rule = eosRuleFor(tok);
        ids = {
          bosId: tok.bosId,
          eosId: tok.eosId,
          padId: tok.padId,
          ...(rule ? { endOfTurnIds: [...rule.eos], afterEosIds: [...rule.trailing] } : {}),
        };
      } catch (err) {
        process.stderr.write(`batchscope stats: ${errorMessage(err)}\n`);
        return 1;
      }
    }
    const stats = await computeStats(src, { cutoffLen, ...ids });
    process.stdout.write(`${json ? JSON.stringify(stats) : formatStats(path, stats)}\n`);
    return 0;
  } finally {
    await src.close();
  }
}
