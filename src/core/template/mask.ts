// From rendered text and `{% generation %}` spans to per-token assistant masks, the way transformers'
// apply_chat_template(return_assistant_tokens_mask=True) does it: char_to_token(start) and
// char_to_token(end - 1) on the tokenizer's offsets, in Python characters (code points).

/** What we need from a tokenizer: the bytes each token stands for (see src/core/tokens/tokenizer.ts). */
export interface ByteTokenizer {
  tokenBytes(id: number): Uint8Array;
}

/** Code point index of every UTF-8 byte of `text`. */
function byteToCodePoint(text: string): Int32Array {
  const enc = new TextEncoder();
  const bytes: number[] = [];
  let cp = 0;
  for (const ch of text) {
    const n = enc.encode(ch).length;
    for (let k = 0; k < n; k++) bytes.push(cp);
    cp++;
  }
  return Int32Array.from(bytes);
}

/**
 * Each token's [start, end) in code points, from the bytes the tokens stand for. Returns null when the
 * tokens' bytes do not spell the text (a normalizer changed it): offsets are then unknown.
 */
export function tokenCharOffsets(tok: ByteTokenizer, ids: ArrayLike<number>, text: string): [number, number][] | null {
  const map = byteToCodePoint(text);
  const out: [number, number][] = [];
  let b = 0;
  for (let i = 0; i < ids.length; i++) {
    const n = tok.tokenBytes(ids[i]).length;
    if (n === 0) {
      out.push([map[b] ?? 0, map[b] ?? 0]);
      continue;
    }
    if (b + n > map.length) return null;
    out.push([map[b], map[b + n - 1] + 1]);
    b += n;
  }
  return b === map.length ? out : null;
}

/** transformers' assistant mask: for each span, tokens char_to_token(start) … char_to_token(end − 1). */
export function assistantMask(offsets: [number, number][], spans: { start: number; end: number }[]): number[] {
  const mask = new Array<number>(offsets.length).fill(0);
  const charToToken = (c: number): number | null => {
    for (let t = 0; t < offsets.length; t++) if (offsets[t][0] <= c && c < offsets[t][1]) return t;
    return null;
  };
  for (const s of spans) {
    const startTok = charToToken(s.start);
    const endTok = charToToken(s.end - 1);
    if (startTok === null) break; // as transformers: out of bounds (truncation) ends the loop
    // transformers tests `end_token` for truthiness, so an end in token 0 or nowhere runs to the end.
    const stop = endTok ? endTok + 1 : offsets.length;
    for (let t = startTok; t < stop; t++) mask[t] = 1;
  }
  return mask;
}
