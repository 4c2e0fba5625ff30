// Per-row token facts of a tokenized row: real length, trained tokens and the warning flags. One
// implementation for the grid's flags (src/panels/dataset/cells.ts), the filter / sort (queryRun.ts)
// and the length / trained columns, so a filter on "no EOS" finds exactly the rows the grid flags.
// The rules match the statistics (stats.ts): the real span leaves out padding (attention_mask 0,
// else the pad id), EOS may be followed by template text (eosCheck.ts).
import { endsWithEos, type EosRule } from './eosCheck';

export const IGNORE_INDEX = -100;

export const FLAG_ZERO_TRAINED = 1;
export const FLAG_LENGTH_MISMATCH = 2;
export const FLAG_NO_EOS = 4;
export const FLAG_TWO_BOS = 8;

export interface FlagRules {
  /** End-of-turn rule of the tokenizer (eosCheck.ts); no "no EOS" flag without one. */
  rule?: EosRule;
  bosId?: number;
  eosId?: number;
  padId?: number;
}

export interface RowTokenFacts {
  /** input_ids positions without padding; null without an id list. */
  tokens: number | null;
  /** labels ≠ −100; null without a labels list. */
  trained: number | null;
  /** FLAG_* bits. */
  flags: number;
  /** Lengths, for the mismatch flag's text. */
  idsLength: number | null;
  labelsLength: number | null;
}

export function rowTokenFacts(
  ids: ArrayLike<number> | null,
  labels: ArrayLike<number> | null,
  mask: ArrayLike<number> | null,
  r: FlagRules,
): RowTokenFacts {
  let flags = 0;
  let trained: number | null = null;
  if (labels) {
    trained = 0;
    for (let i = 0; i < labels.length; i++) if (labels[i] !== IGNORE_INDEX) trained++;
    if (trained === 0) flags |= FLAG_ZERO_TRAINED;
  }
  if (ids && labels && ids.length !== labels.length) flags |= FLAG_LENGTH_MISMATCH;
  let tokens: number | null = null;
  if (ids) {
    const { eosId, bosId, padId } = r;
    let first = 0;
    let last = ids.length - 1;
    let trimmed = false;
    if (mask && mask.length === ids.length) {
      while (first <= last && mask[first] === 0) first++;
      while (last >= first && mask[last] === 0) last--;
      trimmed = true;
    } else if (padId !== undefined && padId !== eosId) {
      while (first <= last && ids[first] === padId) first++;
      while (last >= first && ids[last] === padId) last--;
      trimmed = true;
    } else if (padId !== undefined) {
      // pad == eos: one trailing EOS is real, the rest of the run is padding.
      while (last > first && ids[last] === padId && ids[last - 1] === padId) last--;
      trimmed = true;
    }
    tokens = trimmed ? Math.max(0, last - first + 1) : ids.length;
    if (r.rule && !endsWithEos(ids, first, last, r.rule)) flags |= FLAG_NO_EOS;
    if (bosId !== undefined && last - first >= 1 && ids[first] === bosId && ids[first + 1] === bosId)
      flags |= FLAG_TWO_BOS;
  }
  return { tokens, trained, flags, idsLength: ids?.length ?? null, labelsLength: labels?.length ?? null };
}

/** The flags as the grid shows them. */
export function flagTexts(f: RowTokenFacts): string[] {
  const out: string[] = [];
  if (f.flags & FLAG_ZERO_TRAINED) out.push('0 trained tokens');
  if (f.flags & FLAG_LENGTH_MISMATCH) out.push(`input_ids ${f.idsLength} ≠ labels ${f.labelsLength}`);
  if (f.flags & FLAG_NO_EOS) out.push('no EOS');
  if (f.flags & FLAG_TWO_BOS) out.push('two BOS');
  return out;
}

export function flagCount(bits: number): number {
  let n = 0;
  for (let b = bits; b; b &= b - 1) n++;
  return n;
}
