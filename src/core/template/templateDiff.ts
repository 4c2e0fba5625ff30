// Template diff: one conversation rendered through two chat templates (two files, a template and its
// saved version, a base model's and a fine-tune's), compared as text (line diff) and as tokens with the
// trained (assistant) mask, so a checkpoint that silently changed its template shows where and how.
// Pure: the caller hands in the rendered results and the tokenizer. Also the panel's message types
// (the webview imports only pure core modules).
import type { RenderResult } from './types';
import { assistantMask, tokenCharOffsets } from './mask';
import { toCodePointSpans } from './render';

export interface DiffSideInput {
  label: string;
  /** The render, or the error it raised (message with template line). */
  result: RenderResult | { error: string };
}

export type LineOp = { op: 'same' | 'del' | 'add'; text: string };

export interface DiffToken {
  id: number;
  /** The token's text (special tokens by name). */
  text: string;
  trained: boolean;
}
export type TokenOp =
  | { op: 'same'; left: DiffToken; right: DiffToken }
  | { op: 'mask'; left: DiffToken; right: DiffToken }
  | { op: 'del'; left: DiffToken }
  | { op: 'add'; right: DiffToken };

export interface DiffSide {
  label: string;
  text?: string;
  error?: string;
  tokenCount?: number;
  trainedCount?: number;
}

export interface TemplateDiffState {
  left: DiffSide;
  right: DiffSide;
  /** Line diff of the rendered texts (absent when a side failed). */
  lines?: LineOp[];
  /** Token diff with trained masks (absent without a tokenizer or when a side failed). */
  tokens?: TokenOp[];
  /** Why the token diff is missing, when it is. */
  tokensNote?: string;
  summary: { identicalText: boolean; linesChanged: number; tokensChanged: number; maskChanged: number };
}

export type TemplateDiffToWebview =
  { type: 'templateDiff/state'; state: TemplateDiffState } | { type: 'templateDiff/error'; message: string };
export type TemplateDiffFromWebview =
  { type: 'templateDiff/ready' } | { type: 'templateDiff/options'; addGenerationPrompt: boolean };

/** The tokenizer the diff needs (src/core/tokens/tokenizer.ts's handle satisfies it). */
export interface DiffTokenizer {
  encode(text: string): number[];
  tokenBytes(id: number): Uint8Array;
  idToToken(id: number): string | undefined;
}

/** Diffs beyond this many edits are shown as a full replacement (Myers' cost grows with the edit count). */
const MAX_EDITS = 4000;

/**
 * Myers' O(ND) shortest edit script between `a` and `b`, as a list of same/del/add steps (indices).
 * Falls back to "delete all, add all" beyond MAX_EDITS.
 */
export function myersDiff<T>(
  a: T[],
  b: T[],
  eq: (x: T, y: T) => boolean,
): { op: 'same' | 'del' | 'add'; i: number; j: number }[] {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, MAX_EDITS);
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]) ? v[off + k + 1] : v[off + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && eq(a[x], b[y])) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0)
    return [
      ...a.map((_, i) => ({ op: 'del' as const, i, j: -1 })),
      ...b.map((_, j) => ({ op: 'add' as const, i: -1, j })),
    ];
  const steps: { op: 'same' | 'del' | 'add'; i: number; j: number }[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const vd = trace[d];
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[off + k - 1] < vd[off + k + 1]) ? k + 1 : k - 1;
    const prevX = vd[off + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) steps.push({ op: 'same', i: --x, j: --y });
    if (x === prevX) steps.push({ op: 'add', i: -1, j: --y });
    else steps.push({ op: 'del', i: --x, j: -1 });
  }
  while (x > 0 && y > 0) steps.push({ op: 'same', i: --x, j: --y });
  return steps.reverse();
}

export function diffLines(left: string, right: string): LineOp[] {
  const a = left.split('\n');
  const b = right.split('\n');
  return myersDiff(a, b, (x, y) => x === y).map((s) =>
    s.op === 'add' ? { op: 'add', text: b[s.j] } : { op: s.op, text: a[s.i] },
  );
}

function tokensOf(tok: DiffTokenizer, r: RenderResult): DiffToken[] | null {
  const ids = tok.encode(r.text);
  const offsets = tokenCharOffsets(tok, ids, r.text);
  if (!offsets) return null;
  const mask = assistantMask(offsets, toCodePointSpans(r.text, r.spans));
  const dec = new TextDecoder();
  return ids.map((id, i) => ({
    id,
    text: dec.decode(tok.tokenBytes(id)) || (tok.idToToken(id) ?? String(id)),
    trained: mask[i] === 1,
  }));
}

export function diffTokens(left: DiffToken[], right: DiffToken[]): TokenOp[] {
  return myersDiff(left, right, (x, y) => x.id === y.id).map((s): TokenOp => {
    if (s.op === 'del') return { op: 'del', left: left[s.i] };
    if (s.op === 'add') return { op: 'add', right: right[s.j] };
    const l = left[s.i];
    const r = right[s.j];
    return l.trained === r.trained ? { op: 'same', left: l, right: r } : { op: 'mask', left: l, right: r };
  });
}

/** Compares two renders of one conversation; `tok` (one tokenizer for both sides) adds the token/mask diff. */
export function compareRenders(left: DiffSideInput, right: DiffSideInput, tok?: DiffTokenizer): TemplateDiffState {
  const side = (s: DiffSideInput): DiffSide =>
    'error' in s.result ? { label: s.label, error: s.result.error } : { label: s.label, text: s.result.text };
  const state: TemplateDiffState = {
    left: side(left),
    right: side(right),
    summary: { identicalText: false, linesChanged: 0, tokensChanged: 0, maskChanged: 0 },
  };
  if ('error' in left.result || 'error' in right.result) return state;
  const l = left.result;
  const r = right.result;
  state.lines = diffLines(l.text, r.text);
  state.summary.identicalText = l.text === r.text;
  state.summary.linesChanged = state.lines.filter((x) => x.op !== 'same').length;
  if (!tok) {
    state.tokensNote = 'No tokenizer.json next to the templates: token and mask diff unavailable.';
    return state;
  }
  const lt = tokensOf(tok, l);
  const rt = tokensOf(tok, r);
  if (!lt || !rt) {
    state.tokensNote = "The tokenizer's normalizer changes the text: token offsets (and masks) are unknown.";
    return state;
  }
  state.left.tokenCount = lt.length;
  state.right.tokenCount = rt.length;
  state.left.trainedCount = lt.filter((t) => t.trained).length;
  state.right.trainedCount = rt.filter((t) => t.trained).length;
  state.tokens = diffTokens(lt, rt);
  state.summary.tokensChanged = state.tokens.filter((x) => x.op === 'add' || x.op === 'del').length;
  state.summary.maskChanged = state.tokens.filter((x) => x.op === 'mask').length;
  return state;
}
