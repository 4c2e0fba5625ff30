// Parsing one JSONL/JSON record and inferring pyarrow-like column types from a sample of records.
import type { CellValue } from './types';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Offset of the first byte that breaks UTF-8 (for the error message), or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let need = 0;
    let min = 0;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    if (i + need >= b.length) return i; // sequence cut off by the end of the record
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

const BIG_MARK = '\u0000bigint:';

/**
 * JSON.parse, except that integers beyond ±2^53 come out as exact bigints (Python's json keeps every
 * digit; a double would round them). Texts without a 16-digit run take the plain path.
 */
export function parseJsonExact(text: string): unknown {
  if (!/\d{16}/.test(text)) return JSON.parse(text);
  const marked = markBigInts(text);
  if (marked === text) return JSON.parse(text);
  return JSON.parse(marked, (_k, v: unknown) =>
    typeof v === 'string' && v.startsWith(BIG_MARK) ? BigInt(v.slice(BIG_MARK.length)) : v,
  );
}

/** Wraps each unsafe integer literal outside strings in a marker string the reviver turns into a bigint. */
function markBigInts(text: string): string {
  let out = '';
  let last = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // skip a string, honouring escapes
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i += 2;
        else if (d === 0x22) break;
        else i++;
      }
      i++;
      continue;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      i++;
      let integer = true;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d >= 0x30 && d <= 0x39) i++;
        else if (d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d) {
          integer = false;
          i++;
        } else break;
      }
      const tok = text.slice(start, i);
      if (integer && tok.length >= 16 && /^-?(0|[1-9]\d*)$/.test(tok) && !Number.isSafeInteger(Number(tok))) {
        out += text.slice(last, start) + JSON.stringify(BIG_MARK + tok);
        last = i;
      }
      continue;
    }
    i++;
  }
  return last === 0 ? text : out + text.slice(last);
}

export type ParsedRecord =
  { ok: true; value: Record<string, CellValue> } | { ok: false; message: string; byteOffset?: number };

export function parseRecord(bytes: Uint8Array, fileOffset: number): ParsedRecord {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const off = fileOffset + Math.max(0, at);
    return {
      ok: false,
      message: `not valid UTF-8 (byte 0x${bytes[Math.max(0, at)]?.toString(16).padStart(2, '0')} at byte offset ${off})`,
      byteOffset: off,
    };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let v: unknown;
  try {
    v = parseJsonExact(text);
  } catch (err) {
    return { ok: false, message: `invalid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    return {
      ok: false,
      message: `expected a JSON object (one record), found ${Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v}`,
    };
  }
  return { ok: true, value: v as Record<string, CellValue> };
}

/** pyarrow-like type of a JSON value; 'null' for null. */
export function jsonType(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'double';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) {
    let t = 'null';
    for (const e of v) t = mergeTypes(t, jsonType(e));
    return `list<${t}>`;
  }
  const fields = Object.entries(v as object).map(([k, x]) => `${k}: ${jsonType(x)}`);
  return `struct<${fields.join(', ')}>`;
}

export function mergeTypes(a: string, b: string): string {
  if (a === b || b === 'null') return a;
  if (a === 'null') return b;
  if ((a === 'int64' && b === 'double') || (a === 'double' && b === 'int64')) return 'double';
  const la = /^list<(.*)>$/.exec(a);
  const lb = /^list<(.*)>$/.exec(b);
  if (la && lb) return `list<${mergeTypes(la[1], lb[1])}>`;
  if (a.startsWith('struct<') && b.startsWith('struct<')) return a.length >= b.length ? a : b;
  return 'json';
}
