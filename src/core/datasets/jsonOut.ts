// Cells → JSON text for `batchscope rows --json` and the tests: binary as a base64 string, integers as
// numbers (also beyond 2^53: printed exactly, digits only), nested lists/structs as JSON, null as null.
import type { CellValue } from './types';

export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

const BIG = '\u0000bigint:';

/** JSON-able form; bigints become a marker string that `stringifyCells` turns into bare digits. */
export function cellToJson(v: CellValue, bigAsString = false): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return bigAsString ? v.toString() : BIG + v.toString();
  if (v instanceof Uint8Array) return base64(v);
  if (Array.isArray(v)) return v.map((x) => cellToJson(x, bigAsString));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = cellToJson(x, bigAsString);
  return out;
}

export function stringifyCells(values: Record<string, CellValue>): string {
  const s = JSON.stringify(cellToJson(values));
  return s.includes('\\u0000bigint:') ? s.replace(/"\\u0000bigint:(-?\d+)"/g, '$1') : s;
}
