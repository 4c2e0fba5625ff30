// Cell values → what the dataset panel shows: bounded text (a 100k-token list must not be
// stringified in full just to show its first 200 characters), image thumbnails, per-row flags.
// No vscode import: unit-tested with node:test.
import { eosRule, eosRuleFor, type EosRule } from '../../core/datasets/eosCheck';
import { flagTexts, rowTokenFacts, type FlagRules, type RowTokenFacts } from '../../core/datasets/queryFlags';
import type { TokenizerHandle } from '../../core/tokens/tokenizer';
import type { CellValue, ColumnInfo } from '../../core/datasets/types';
import { cellToIntList } from '../../core/datasets/scan';

export interface BoundedText {
  text: string;
  truncated: boolean;
}

/** Writes a cell as text, stopping once `limit` characters are out. */
export function cellText(value: CellValue, limit: number, role?: ColumnInfo['role']): BoundedText {
  const w = new Writer(limit);
  if (role === 'messages' && Array.isArray(value) && value.every(isMessage)) {
    writeMessages(value as { [k: string]: CellValue }[], w);
  } else if (typeof value === 'string') {
    w.put(value); // strings at the top level print raw, without JSON quotes
  } else {
    writeValue(value, w);
  }
  return { text: w.out, truncated: w.full };
}

function isMessage(v: CellValue): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && 'role' in v;
}

/** Chat turns read better as `role: content` blocks than as JSON. */
function writeMessages(msgs: { [k: string]: CellValue }[], w: Writer): void {
  msgs.forEach((m, i) => {
    if (w.full) return;
    if (i > 0) w.put('\n');
    w.put(`${String(m.role)}: `);
    const content = m.content;
    if (typeof content === 'string') w.put(content);
    else writeValue(content ?? null, w);
    const rest = Object.keys(m).filter((k) => k !== 'role' && k !== 'content' && m[k] !== null);
    for (const k of rest) {
      w.put(` [${k}=`);
      writeValue(m[k]!, w);
      w.put(']');
    }
  });
}

class Writer {
  out = '';
  full = false;
  constructor(private readonly limit: number) {}
  put(s: string): void {
    if (this.full) return;
    const room = this.limit - this.out.length;
    if (s.length > room) {
      this.out += s.slice(0, Math.max(0, room));
      this.full = true;
    } else {
      this.out += s;
    }
  }
}

function writeValue(v: CellValue, w: Writer): void {
  if (w.full) return;
  if (v === null) return w.put('null');
  switch (typeof v) {
    case 'string':
      return w.put(JSON.stringify(v));
    case 'number':
    case 'boolean':
    case 'bigint':
      return w.put(String(v));
  }
  if (v instanceof Uint8Array) return w.put(`<${v.length} bytes>`);
  if (Array.isArray(v)) {
    w.put('[');
    for (let i = 0; i < v.length && !w.full; i++) {
      if (i > 0) w.put(', ');
      writeValue(v[i]!, w);
    }
    return w.put(']');
  }
  w.put('{');
  let first = true;
  for (const [k, x] of Object.entries(v)) {
    if (w.full) return;
    if (!first) w.put(', ');
    first = false;
    w.put(`${JSON.stringify(k)}: `);
    writeValue(x, w);
  }
  w.put('}');
}

// ── images ─────────────────────────────────────────────────────────────────────

/** An HF `Image` cell: `{bytes, path}` with at least one set. */
export interface ImageCell {
  bytes?: Uint8Array;
  path?: string;
}

export function imageCell(value: CellValue): ImageCell | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) return null;
  const keys = Object.keys(value);
  if (!keys.includes('bytes') && !keys.includes('path')) return null;
  if (keys.some((k) => k !== 'bytes' && k !== 'path')) return null;
  const bytes = value.bytes instanceof Uint8Array && value.bytes.length > 0 ? value.bytes : undefined;
  const path = typeof value.path === 'string' && value.path ? value.path : undefined;
  return bytes || path ? { bytes, path } : null;
}

/** MIME type from the magic bytes; only formats every Chromium webview decodes. */
export function sniffImageMime(b: Uint8Array): string | null {
  const at = (i: number, ...xs: number[]): boolean => xs.every((x, k) => b[i + k] === x);
  if (at(0, 0x89, 0x50, 0x4e, 0x47)) return 'image/png';
  if (at(0, 0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return 'image/gif';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'image/webp';
  if (at(0, 0x42, 0x4d)) return 'image/bmp';
  return null;
}

export interface ImagePreview {
  src?: string;
  note?: string;
}

/**
 * Bytes become a `data:` URL (not remote content, allowed by `img-src data:`), up to `maxBytes`
 * so a page of large photos does not turn into a 50 MB message; a path goes through `resolvePath`
 * (the glue maps it to a webview URI under the dataset folder, or null when it is outside).
 */
export function imagePreview(
  img: ImageCell,
  maxBytes: number,
  resolvePath: (p: string) => string | null,
): ImagePreview {
  if (img.bytes) {
    const mime = sniffImageMime(img.bytes);
    if (!mime) return { note: `image bytes in an unknown format (${img.bytes.length} bytes)` };
    if (img.bytes.length > maxBytes)
      return { note: `image of ${formatBytes(img.bytes.length)}: select the row to see it` };
    return {
      src: `data:${mime};base64,${Buffer.from(img.bytes.buffer, img.bytes.byteOffset, img.bytes.length).toString('base64')}`,
    };
  }
  if (img.path) {
    const src = resolvePath(img.path);
    return src ? { src } : { note: `image path ${img.path} is not under the dataset folder or does not exist` };
  }
  return { note: 'empty image' };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

// ── token columns and flags ────────────────────────────────────────────────────

export interface TokenColumns {
  inputIds?: string;
  labels?: string;
  attentionMask?: string;
}

export function tokenColumns(columns: ColumnInfo[]): TokenColumns {
  const find = (role: ColumnInfo['role']): string | undefined => columns.find((c) => c.role === role)?.name;
  return { inputIds: find('input_ids'), labels: find('labels'), attentionMask: find('attention_mask') };
}

/** A list of integers out of a cell, or null when the cell is not one (one reader: core/datasets/scan.ts). */
export const intList = (v: CellValue | undefined): number[] | null => cellToIntList(v);

export const IGNORE_INDEX = -100;

export interface SpecialIds {
  bosId?: number;
  eosId?: number;
  padId?: number;
}

/** The EOS rule of a tokenizer, worked out once (a few encode calls) and kept with it. */
const rules = new WeakMap<object, EosRule | undefined>();
function ruleOf(special: SpecialIds): EosRule | undefined {
  const tok = special as Partial<Pick<TokenizerHandle, 'encode'>> & SpecialIds;
  if (typeof tok.encode !== 'function') return special.eosId !== undefined ? eosRule([special.eosId]) : undefined;
  if (!rules.has(special)) rules.set(special, eosRuleFor(tok as Pick<TokenizerHandle, 'encode' | 'eosId'>));
  return rules.get(special);
}

/** The EOS rule and special ids of a tokenizer (or the bare ids), for rowTokenFacts. */
export function flagRules(special: SpecialIds = {}): FlagRules {
  return { rule: ruleOf(special), bosId: special.bosId, eosId: special.eosId, padId: special.padId };
}

/** Length, trained tokens and flags of one row (src/core/datasets/queryFlags.ts: the same rule as filters and stats). */
export function rowFacts(
  values: Record<string, CellValue>,
  cols: TokenColumns,
  special: SpecialIds = {},
): RowTokenFacts {
  const ids = cols.inputIds ? intList(values[cols.inputIds]) : null;
  const labels = cols.labels ? intList(values[cols.labels]) : null;
  const mask = cols.attentionMask ? intList(values[cols.attentionMask]) : null;
  return rowTokenFacts(ids, labels, mask, flagRules(special));
}

/**
 * The per-row warnings the grid shows on every row (cheap: one pass over the row's lists).
 * EOS / BOS use the same rule as the statistics (src/core/datasets/stats.ts): look at the real span,
 * without padding (from attention_mask, else the pad id), so the flags and the counts agree.
 */
export function rowFlags(values: Record<string, CellValue>, cols: TokenColumns, special: SpecialIds = {}): string[] {
  return flagTexts(rowFacts(values, cols, special));
}
