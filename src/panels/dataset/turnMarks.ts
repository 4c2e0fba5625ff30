// Conversation turns of a tokenized row marked trained / masked: each turn's text is found in the decoded
// input_ids (in order), and the labels of the tokens that spell it say whether the loss sees it. A turn
// whose text is not found (a template that rewrites it, a row cut at the cutoff) stays unmarked.
// No vscode import: unit-tested against rows LLaMA-Factory-style tokenization produced.
import { tokenCharOffsets } from '../../core/template/mask';
import type { Turn } from './conversation';

export interface MarkTokenizer {
  decode(ids: ArrayLike<number>): string;
  tokenBytes(id: number): Uint8Array;
}

export interface MarkedTurn extends Turn {
  train?: 'trained' | 'masked' | 'partly';
  tokens?: number;
  trainedTokens?: number;
}

/** UTF-16 index → code point index, for the whole string. */
function codePointIndex(text: string): Int32Array {
  const map = new Int32Array(text.length + 1);
  let cp = 0;
  for (let i = 0; i < text.length; i++) {
    map[i] = cp;
    const c = text.charCodeAt(i);
    if (!(c >= 0xd800 && c <= 0xdbff && i + 1 < text.length)) cp++;
  }
  map[text.length] = cp;
  return map;
}

export function markTurns(
  turns: Turn[],
  ids: ArrayLike<number>,
  labels: ArrayLike<number>,
  tok: MarkTokenizer,
): MarkedTurn[] {
  const text = tok.decode(ids);
  const offsets = tokenCharOffsets(tok, ids, text);
  if (!offsets) return turns;
  const cpAt = codePointIndex(text);
  let cursor = 0;
  return turns.map((turn) => {
    const needle = turn.content.trim();
    if (!needle) return turn;
    const at = text.indexOf(needle, cursor);
    if (at < 0) return turn;
    cursor = at + needle.length;
    const cs = cpAt[at]!;
    const ce = cpAt[at + needle.length]!;
    let n = 0;
    let trained = 0;
    for (let t = 0; t < offsets.length; t++) {
      const [s, e] = offsets[t]!;
      if (s >= ce) break;
      if (e <= cs || e === s) continue;
      n++;
      if (t < labels.length && labels[t] !== -100) trained++;
    }
    if (!n) return turn;
    const train = trained === n ? 'trained' : trained === 0 ? 'masked' : 'partly';
    return { ...turn, train, tokens: n, trainedTokens: trained };
  });
}
