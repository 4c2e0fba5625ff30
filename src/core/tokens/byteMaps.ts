// Token string → raw bytes, the way each tokenizer family stores them, so chips are byte-correct
// (decoding one id at a time through the library gives U+FFFD for a split UTF-8 character).

/** GPT-2 byte-level map: every byte has a printable stand-in character (Ġ for space, Ċ for newline …). */
function buildByteDecoder(): Map<string, number> {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const m = new Map<string, number>();
  bs.forEach((b, i) => m.set(String.fromCharCode(cs[i]), b));
  return m;
}

export const BYTE_DECODER = buildByteDecoder();
const utf8 = new TextEncoder();

/** Byte-level BPE (GPT-2, Llama 3, Qwen): map each stand-in character back to its byte. */
export function byteLevelBytes(token: string): Uint8Array {
  const out: number[] = [];
  for (const ch of token) {
    const b = BYTE_DECODER.get(ch);
    if (b !== undefined) out.push(b);
    else for (const x of utf8.encode(ch)) out.push(x); // not a stand-in: a literal character
  }
  return Uint8Array.from(out);
}

const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;

/** SentencePiece / metaspace (Llama 2, Mistral, Gemma): ▁ is a space, <0xNN> is byte fallback. */
export function metaspaceBytes(token: string, replacement = '\u2581'): Uint8Array {
  const m = BYTE_TOKEN.exec(token);
  if (m) return Uint8Array.of(parseInt(m[1], 16));
  return utf8.encode(token.split(replacement).join(' '));
}

/** WordPiece: ## marks a continuation; other pieces start a new word. */
export function wordPieceBytes(token: string, prefix = '##'): Uint8Array {
  return utf8.encode(token.startsWith(prefix) ? token.slice(prefix.length) : ` ${token}`);
}

/** Length of the UTF-8 sequence a lead byte starts (0 for a continuation or invalid byte). */
function seqLen(b: number): number {
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

const strict = new TextDecoder('utf-8', { fatal: true });

/**
 * Visible text for one token's bytes: complete UTF-8 characters decoded, any byte that is part of a
 * character split across tokens shown as <0xNN>; whitespace made visible.
 */
export function visibleText(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const n = seqLen(bytes[i]);
    if (n > 0 && i + n <= bytes.length) {
      let ok = true;
      for (let k = 1; k < n; k++) if ((bytes[i + k] & 0xc0) !== 0x80) ok = false;
      if (ok) {
        try {
          out += visibleChars(strict.decode(bytes.subarray(i, i + n)));
          i += n;
          continue;
        } catch {
          // overlong / surrogate: fall through to the byte form
        }
      }
    }
    out += `<0x${bytes[i].toString(16).toUpperCase().padStart(2, '0')}>`;
    i++;
  }
  return out;
}

export function visibleChars(s: string): string {
  let out = '';
  for (const ch of s) {
    if (ch === ' ') out += '·';
    else if (ch === '\n') out += '↵';
    else if (ch === '\t') out += '→';
    else if (ch === '\r') out += '␍';
    else if (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)
      out += `<0x${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}>`;
    else out += ch;
  }
  return out;
}
