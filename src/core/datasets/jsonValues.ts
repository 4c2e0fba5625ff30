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

export type ParsedRecord = { ok: true; value: Record<string, CellValue> } | { ok: false; message: string; byteOffset?: number };

export function parseRecord(bytes: Uint8Array, fileOffset: number): ParsedRecord {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const off = fileOffset + Math.max(0, at);
    return { ok: false, message: `not valid UTF-8 (byte 0x${bytes[Math.max(0, at)]?.toString(16).padStart(2, '0')} at byte offset ${off})`, byteOffset: off };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `invalid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    return { ok: false, message: `expected a JSON object (one record), found ${Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v}` };
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
