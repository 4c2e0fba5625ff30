// `batchscope rows PATH`: print rows of a dataset file or save_to_disk folder, as JSON lines or a readable listing.
import { openDataset } from '../core/datasets/open';
import { formatReadError, errorMessage } from '../core/datasets/errors';
import { stringifyCells, base64 } from '../core/datasets/jsonOut';
import type { CellValue, DatasetSource, Row } from '../core/datasets/types';
import { loadTokenizer, type TokenizerHandle } from '../core/tokens/tokenizer';
import { intFlag, parseArgs, UsageError } from './args';

export const summary = 'print dataset rows (arrow, parquet, jsonl/json, save_to_disk folder) as JSON lines or a table';

const USAGE = `usage: batchscope rows PATH [--offset N] [--limit M] [--tokenizer DIR] [--json]

  PATH           .arrow (HF cache or save_to_disk shard, IPC stream or file), .parquet, .jsonl, .json,
                 or a datasets.save_to_disk() folder
  --offset N     first row (0-based, default 0)
  --limit M      number of rows (default 20)
  --tokenizer D  folder or tokenizer.json: show input_ids as decoded tokens («trained» vs masked)
  --json         one JSON object per row (column → value), in the forms below

JSON forms of each type (equal to what pyarrow / datasets / Python json give):
  integers (int8…uint64)         numbers, exact at any size (digits printed as is, also beyond 2^53)
  float16/32/64                  numbers; NaN and ±Infinity as the strings "NaN", "Infinity", "-Infinity"
  string, large_string           strings; binary, large_binary, fixed_size_binary: base64 strings
  timestamp[unit]                "2023-11-14T22:13:20.123456" (fraction digits of the unit: s 0, ms 3, us 6, ns 9)
  timestamp[unit, tz=ZONE]       local time in ZONE with its offset: "2023-11-14T17:13:20.123456789-05:00"
  date32, date64                 "2023-11-14"
  time32, time64                 "17:13:20.123" (fraction digits of the unit)
  duration[unit]                 integer count of the unit (the unit is in the column type)
  decimal128/256(p, s)           exact decimal text with s fraction digits: "-4445.15", "0.00"
  list, large_list, fixed_size_list   JSON arrays; struct: JSON objects; dictionary: the value; null: null
  JSONL / JSON                   values as Python's json reads them (integers of any size exact)

Rows that cannot be read, and damage found in the file (with the file and byte offset or line), go to
stderr; the rows before a damaged region still print.
Exit status: 0 all rows asked for were printed; 3 some rows or part of the file could not be read;
1 the file cannot be read at all; 2 usage.`;

const CELL_CHARS = 200;

function short(v: CellValue): string {
  let s: string;
  if (v === null) s = 'null';
  else if (typeof v === 'string') s = JSON.stringify(v);
  else if (v instanceof Uint8Array) s = `<${v.length} bytes: ${base64(v.subarray(0, 24))}${v.length > 24 ? '…' : ''}>`;
  else if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number')) {
    const head = v.slice(0, 16).join(', ');
    s = `[${head}${v.length > 16 ? ', …' : ''}] (${v.length})`;
  } else s = stringifyCells({ v }).slice(5, -1);
  return s.length > CELL_CHARS ? `${s.slice(0, CELL_CHARS)}… (${s.length} chars)` : s;
}

export function tokenLine(tok: TokenizerHandle, row: Row, src: DatasetSource, color: boolean): string | undefined {
  const col = (role: string) => src.columns.find((c) => c.role === role)?.name;
  const ids = col('input_ids') && (row.values[col('input_ids')!] as number[] | null);
  if (!Array.isArray(ids)) return undefined;
  const labels = col('labels') ? ((row.values[col('labels')!] as number[] | null) ?? undefined) : undefined;
  const mask = col('attention_mask')
    ? ((row.values[col('attention_mask')!] as number[] | null) ?? undefined)
    : undefined;
  const chips = tok.chips(ids, labels, mask);
  const parts = chips.map((c) => {
    if (!color) return c.padding ? `(${c.text})` : c.trained ? `«${c.text}»` : c.text;
    const style = c.padding ? '2' : c.trained ? '32;4' : c.special ? '35' : '90';
    return `\x1b[${style}m${c.text}\x1b[0m`;
  });
  const trained = chips.filter((c) => c.trained).length;
  const flags: string[] = [];
  if (labels && trained === 0) flags.push('NO TRAINED TOKENS');
  if (labels && labels.length !== ids.length)
    flags.push(`LENGTH MISMATCH: ${ids.length} input_ids vs ${labels.length} labels`);
  const head = `tokens (${ids.length}${labels ? `, ${trained} trained` : ''})${flags.length ? ` [${flags.join('; ')}]` : ''}:`;
  return `${head} ${parts.join(color ? '' : '|')}`;
}

export async function run(argv: string[]): Promise<number> {
  let path: string;
  let offset: number;
  let limit: number;
  let json: boolean;
  let tokDir: string | undefined;
  try {
    const a = parseArgs(argv, ['offset', 'limit', 'tokenizer'], ['json', 'help']);
    if (a.flags.has('help')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (a.positional.length !== 1) throw new UsageError('expected exactly one PATH');
    path = a.positional[0];
    offset = intFlag(a, 'offset', 0);
    limit = intFlag(a, 'limit', 20);
    json = a.flags.has('json');
    const t = a.flags.get('tokenizer');
    tokDir = typeof t === 'string' ? t : undefined;
  } catch (err) {
    process.stderr.write(`batchscope rows: ${errorMessage(err)}\n${USAGE}\n`);
    return 2;
  }
  let src: DatasetSource;
  try {
    src = await openDataset(path);
  } catch (err) {
    process.stderr.write(`batchscope rows: ${errorMessage(err)}\n`);
    return 1;
  }
  try {
    let tok: TokenizerHandle | undefined;
    if (tokDir && !json) {
      try {
        tok = await loadTokenizer(tokDir);
      } catch (err) {
        process.stderr.write(`batchscope rows: ${errorMessage(err)}\n`);
        return 1;
      }
    }
    if (offset >= src.numRows && limit > 0)
      process.stderr.write(`batchscope rows: ${path} has ${src.numRows} rows; nothing at offset ${offset}\n`);
    const out: string[] = [];
    let bad = 0;
    if (!json) {
      for (const n of src.notes) process.stderr.write(`note: ${n}\n`);
      out.push(
        `${path}: ${src.format}, ${src.numRows} rows; columns: ${src.columns.map((c) => `${c.name} (${c.type}${c.role !== 'other' ? `, ${c.role}` : ''})`).join(', ')}`,
      );
    }
    const color = !json && Boolean(process.stdout.isTTY);
    const width = Math.max(0, ...src.columns.map((c) => c.name.length));
    // Page through so a big --limit never holds more than one page of rows.
    for (let at = offset; at < Math.min(src.numRows, offset + limit); at += 500) {
      const rows = await src.readRows(at, Math.min(500, offset + limit - at));
      for (const row of rows) {
        if (row.error) {
          bad++;
          process.stderr.write(`row ${row.index}: ${formatReadError(row.error)}\n`);
          continue;
        }
        if (json) {
          out.push(stringifyCells(row.values));
          continue;
        }
        out.push(`── row ${row.index} ──`);
        for (const [k, v] of Object.entries(row.values)) out.push(`${k.padEnd(width)}  ${short(v)}`);
        if (tok) {
          const line = tokenLine(tok, row, src, color);
          if (line) out.push(line);
        }
      }
      process.stdout.write(out.length ? `${out.join('\n')}\n` : '');
      out.length = 0;
    }
    process.stdout.write(out.length ? `${out.join('\n')}\n` : '');
    // Damage found outside the rows asked for (a truncated stream, a broken shard, a bad footer) still
    // counts: the dataset is not whole. For text files, bad lines elsewhere are only listed by `stats`.
    const seen = new Set<string>();
    let damaged = false;
    for (const e of src.errors) {
      const text = formatReadError(e);
      if (seen.has(text)) continue;
      seen.add(text);
      if (src.format === 'jsonl' || src.format === 'json') continue;
      damaged = true;
      process.stderr.write(`batchscope rows: ${text}\n`);
    }
    return bad || damaged ? 3 : 0;
  } finally {
    await src.close();
  }
}
