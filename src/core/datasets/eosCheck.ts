// "Does this row end with EOS?" as a chat template writes rows: the end-of-turn token is often followed
// by template text (ChatML: `<|im_end|>` then "\n"), and the end-of-turn token is not always the
// tokenizer's eos_token (Qwen base models: eos `<|endoftext|>`, turns end with `<|im_end|>`). So a row
// passes when, after skipping a few trailing template-text tokens, it ends with any end-of-turn token.
import type { TokenizerHandle } from '../tokens/tokenizer';

/** End-of-turn tokens of the common chat templates (those the tokenizer has are used). */
const END_OF_TURN = [
  '<|im_end|>',
  '<|eot_id|>',
  '<|end|>',
  '<end_of_turn>',
  '<|endoftext|>',
  '</s>',
  '<|end_of_text|>',
  '<eos>',
];
/** Template text that may follow the end-of-turn token. */
const AFTER_EOS_TEXT = ['\n', '\n\n', ' ', '\r\n'];
/** At most this many such tokens are skipped. */
const MAX_TRAILING = 3;

export interface EosRule {
  eos: Set<number>;
  trailing: Set<number>;
}

export function eosRule(eosIds: number[], trailingIds: number[] = []): EosRule {
  return { eos: new Set(eosIds), trailing: new Set(trailingIds.filter((t) => !eosIds.includes(t))) };
}

/** The rule for a tokenizer: its eos_token, the end-of-turn tokens it knows, and its whitespace tokens. */
export function eosRuleFor(tok: Pick<TokenizerHandle, 'eosId' | 'encode'>): EosRule | undefined {
  const eos: number[] = tok.eosId !== undefined ? [tok.eosId] : [];
  for (const t of END_OF_TURN) {
    try {
      const ids = tok.encode(t);
      if (ids.length === 1 && !eos.includes(ids[0])) eos.push(ids[0]);
    } catch {
      // not in this vocabulary
    }
  }
  if (!eos.length) return undefined;
  const trailing: number[] = [];
  for (const t of AFTER_EOS_TEXT) {
    try {
      const ids = tok.encode(t);
      if (ids.length === 1) trailing.push(ids[0]);
    } catch {
      // skip
    }
  }
  return eosRule(eos, trailing);
}

/** Whether ids[first..last] ends with an end-of-turn token, allowing a little template text after it. */
export function endsWithEos(ids: ArrayLike<number>, first: number, last: number, rule: EosRule): boolean {
  let k = last;
  let skipped = 0;
  while (k >= first && skipped < MAX_TRAILING && rule.trailing.has(ids[k])) {
    k--;
    skipped++;
  }
  return k >= first && rule.eos.has(ids[k]);
}
