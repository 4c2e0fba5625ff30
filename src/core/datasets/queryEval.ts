// Evaluates filter expressions and sort keys (query.ts) on the rows of one scan chunk (scan.ts),
// reading only the columns the expression names; token facts come from queryFlags.ts.
import type { QueryExpr, QueryKey, QueryValue } from './query';
import {
  flagCount,
  rowTokenFacts,
  FLAG_LENGTH_MISMATCH,
  FLAG_NO_EOS,
  FLAG_TWO_BOS,
  FLAG_ZERO_TRAINED,
} from './queryFlags';
import type { FlagRules, RowTokenFacts } from './queryFlags';
import { codePointLength, textChars, type ScanChunk, type ScanColumn } from './scan';
import type { CellValue, ColumnInfo } from './types';

export interface QueryContext {
  columns: ColumnInfo[];
  inputIds?: string;
  labels?: string;
  attentionMask?: string;
  /** Column `chars` measures: the text column, else the conversation column. */
  textColumn?: string;
  rules: FlagRules;
}

export function queryContext(columns: ColumnInfo[], rules: FlagRules): QueryContext {
  const by = (role: ColumnInfo['role']) => columns.find((c) => c.role === role)?.name;
  return {
    columns,
    inputIds: by('input_ids'),
    labels: by('labels'),
    attentionMask: by('attention_mask'),
    textColumn: by('text') ?? by('messages'),
    rules,
  };
}

/** The columns a scan must decode to evaluate `keys`. */
export function columnsFor(keys: QueryKey[], ctx: QueryContext): string[] {
  const out = new Set<string>();
  for (const k of keys) {
    if (k.kind === 'column' || k.kind === 'len') out.add(k.column);
    else if (k.kind === 'chars') {
      if (ctx.textColumn) out.add(ctx.textColumn);
    } else for (const c of [ctx.inputIds, ctx.labels, ctx.attentionMask]) if (c) out.add(c);
  }
  return [...out];
}

/** Any string leaf of a value containing `needle` (lower-case); numbers and booleans as their text. */
export function cellContains(v: CellValue | undefined, needle: string): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'string') return v.toLowerCase().includes(needle);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean')
    return String(v).toLowerCase().includes(needle);
  if (v instanceof Uint8Array) return false;
  if (Array.isArray(v)) return v.some((x) => cellContains(x, needle));
  return Object.values(v).some((x) => cellContains(x, needle));
}

/** A scalar out of a cell: numbers (bigint as number), strings, booleans; compound cells stay as they are. */
function scalar(v: CellValue): CellValue {
  return typeof v === 'bigint' ? Number(v) : v;
}

/** Reads keys and evaluates expressions on the rows of one chunk. */
export class ChunkReader {
  private factsRow = -1;
  private factsValue: RowTokenFacts | null = null;
  private readonly cols = new Map<string, ScanColumn | undefined>();

  constructor(
    private readonly chunk: ScanChunk,
    private readonly ctx: QueryContext,
  ) {}

  private col(name: string | undefined): ScanColumn | undefined {
    if (!name) return undefined;
    if (!this.cols.has(name)) this.cols.set(name, this.chunk.column(name));
    return this.cols.get(name);
  }

  facts(r: number): RowTokenFacts {
    if (this.factsRow !== r) {
      const ids = this.col(this.ctx.inputIds)?.list(r) ?? null;
      const labels = this.col(this.ctx.labels)?.list(r) ?? null;
      const mask = this.col(this.ctx.attentionMask)?.list(r) ?? null;
      this.factsValue = rowTokenFacts(ids, labels, mask, this.ctx.rules);
      this.factsRow = r;
    }
    return this.factsValue!;
  }

  /** The raw value of a key: a number for computed keys and lengths, the cell for a column. */
  value(k: QueryKey, r: number): CellValue {
    switch (k.kind) {
      case 'column': {
        const c = this.col(k.column);
        return c ? scalar(c.cell(r)) : null;
      }
      case 'len': {
        const c = this.col(k.column);
        if (!c) return null;
        const n = c.length(r);
        if (n !== null) return n;
        const v = c.cell(r);
        if (typeof v === 'string') return codePointLength(v);
        if (v instanceof Uint8Array || Array.isArray(v)) return v.length;
        return null;
      }
      case 'chars':
        return textChars(this.col(this.ctx.textColumn)?.cell(r));
      case 'tokens':
        return this.facts(r).tokens;
      case 'trained':
        return this.facts(r).trained;
      case 'flags':
        return this.ctx.inputIds || this.ctx.labels ? flagCount(this.facts(r).flags) : null;
    }
  }

  /** A sort key: number, string (first 64 characters) or null (sorts last). */
  sortKey(k: QueryKey, r: number): number | string | null {
    const v = this.value(k, r);
    if (typeof v === 'number') return Number.isNaN(v) ? null : v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'string') return v.slice(0, 64);
    return null;
  }

  matches(e: QueryExpr, r: number): boolean {
    switch (e.kind) {
      case 'and':
        return e.items.every((x) => this.matches(x, r));
      case 'or':
        return e.items.some((x) => this.matches(x, r));
      case 'not':
        return !this.matches(e.item, r);
      case 'null': {
        const v = this.value(e.key, r);
        return (v === null || v === undefined) !== e.negate;
      }
      case 'flag': {
        const bits = this.facts(r).flags;
        const mask =
          e.flag === 'any'
            ? FLAG_ZERO_TRAINED | FLAG_LENGTH_MISMATCH | FLAG_NO_EOS | FLAG_TWO_BOS
            : {
                zero_trained: FLAG_ZERO_TRAINED,
                length_mismatch: FLAG_LENGTH_MISMATCH,
                no_eos: FLAG_NO_EOS,
                two_bos: FLAG_TWO_BOS,
              }[e.flag];
        return ((bits & mask) !== 0) !== e.negate;
      }
      case 'cmp':
        return compare(this.value(e.key, r), e.op, e.value);
    }
  }
}

/** SQL-like: a null cell fails every comparison except != and !~. */
export function compare(v: CellValue | undefined, op: string, want: QueryValue): boolean {
  if (op === '~' || op === '!~') {
    const has = want !== null && cellContains(v, String(want).toLowerCase());
    return op === '~' ? has : !has;
  }
  if (v === null || v === undefined) return op === '!=' ? want !== null : op === '=' && want === null;
  if (want === null) return op === '!=';
  let a: number | string | boolean;
  let b: number | string | boolean;
  if (typeof v === 'number' || typeof v === 'bigint') {
    a = Number(v);
    b = typeof want === 'number' ? want : typeof want === 'boolean' ? Number(want) : Number(want);
    if (Number.isNaN(b)) return op === '!=';
  } else if (typeof v === 'boolean') {
    a = v;
    b = typeof want === 'string' ? want.toLowerCase() === 'true' : Boolean(want);
  } else if (typeof v === 'string') {
    a = v;
    b = String(want);
  } else {
    return op === '!='; // lists, structs, bytes: only ~, length (len()) and null tests apply
  }
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
  return false;
}
