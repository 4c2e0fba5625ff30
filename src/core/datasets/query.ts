// The dataset panel's filter / sort language → a small expression tree (queryEval.ts evaluates it).
//   tokens > 512 and trained = 0          computed properties: tokens, trained, chars, flags
//   flag = "no EOS" or flag = two_bos      a row flag (same names the grid shows)
//   len(text) >= 100                        length of a text / list column (code points / items)
//   score < 0.5, cat = "b", flag_col = true a scalar column's value
//   text ~ "paris"   text !~ "paris"        case-insensitive substring of any text in the cell
//   maybe_text is null / is not null        nulls;  not (…), and, or, parentheses; && || ! also work
// Pure: no Node or vscode API, so the webview may import the types (and tests call it directly).

/** What a comparison or a sort reads from a row. */
export type QueryKey =
  | { kind: 'column'; column: string }
  | { kind: 'len'; column: string }
  /** input_ids positions that are not padding (attention_mask 0); the list length without a mask. */
  | { kind: 'tokens' }
  /** labels ≠ −100. */
  | { kind: 'trained' }
  /** Code points of the text / conversation column (untokenized data). */
  | { kind: 'chars' }
  /** Number of row flags. */
  | { kind: 'flags' };

export type QueryOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | '~' | '!~';
export type QueryValue = number | string | boolean | null;

export type QueryExpr =
  | { kind: 'cmp'; key: QueryKey; op: QueryOp; value: QueryValue }
  | { kind: 'null'; key: QueryKey; negate: boolean }
  | { kind: 'flag'; flag: FlagCode; negate: boolean }
  | { kind: 'and' | 'or'; items: QueryExpr[] }
  | { kind: 'not'; item: QueryExpr };

/** The row flags (src/core/datasets/queryFlags.ts), by the names a filter may use. */
export type FlagCode = 'zero_trained' | 'length_mismatch' | 'no_eos' | 'two_bos' | 'any';
const FLAG_NAMES: Record<string, FlagCode> = {
  zero_trained: 'zero_trained',
  '0 trained tokens': 'zero_trained',
  length_mismatch: 'length_mismatch',
  mismatch: 'length_mismatch',
  no_eos: 'no_eos',
  'no eos': 'no_eos',
  two_bos: 'two_bos',
  'two bos': 'two_bos',
  any: 'any',
};

export interface QuerySort {
  key: QueryKey;
  desc: boolean;
}

export class QuerySyntaxError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
    this.name = 'QuerySyntaxError';
  }
}

type Tok = { t: 'word' | 'str' | 'num' | 'op' | 'punct'; v: string; at: number };

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i;
    if (c === '"' || c === "'" || c === '`') {
      let s = '';
      i++;
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\' && i + 1 < src.length) i++;
        s += src[i++];
      }
      if (i >= src.length) throw new QuerySyntaxError(`unclosed ${c} at ${at}`, at);
      i++;
      out.push({ t: c === '`' ? 'word' : 'str', v: s, at });
      continue;
    }
    const two = src.slice(i, i + 2);
    if (['<=', '>=', '!=', '==', '!~', '&&', '||'].includes(two)) {
      out.push({ t: 'op', v: two, at });
      i += 2;
      continue;
    }
    if ('<>=~!'.includes(c)) {
      out.push({ t: 'op', v: c, at });
      i++;
      continue;
    }
    if ('(),'.includes(c)) {
      out.push({ t: 'punct', v: c, at });
      i++;
      continue;
    }
    const num = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i.exec(src.slice(i));
    if (num && (c === '-' || /\d|\./.test(c))) {
      out.push({ t: 'num', v: num[0], at });
      i += num[0].length;
      continue;
    }
    const word = /^[^\s()<>=~!,"'`&|]+/.exec(src.slice(i));
    if (!word) throw new QuerySyntaxError(`unexpected "${c}" at ${at}`, at);
    out.push({ t: 'word', v: word[0], at });
    i += word[0].length;
  }
  return out;
}

const COMPUTED: Record<string, QueryKey> = {
  tokens: { kind: 'tokens' },
  trained: { kind: 'trained' },
  chars: { kind: 'chars' },
  flags: { kind: 'flags' },
};

/** Parses a filter. `columns` are the dataset's column names (a column shadows a computed name). */
export function parseFilter(input: string, columns: string[]): QueryExpr {
  const toks = lex(input);
  let p = 0;
  const peek = (): Tok | undefined => toks[p];
  const isWord = (w: string): boolean => peek()?.t === 'word' && peek()!.v.toLowerCase() === w;
  const fail = (msg: string): never => {
    throw new QuerySyntaxError(msg, peek()?.at ?? input.length);
  };

  const key = (): QueryKey => {
    const k = peek();
    if (!k || k.t !== 'word')
      return fail(`expected a column or tokens / trained / chars / flag at ${k?.at ?? input.length}`);
    p++;
    if (k.v.toLowerCase() === 'len' && peek()?.v === '(') {
      p++;
      const c = peek();
      if (!c || (c.t !== 'word' && c.t !== 'str')) return fail('expected a column name inside len( )');
      p++;
      if (peek()?.v !== ')') return fail('expected ) after len(column');
      p++;
      if (!columns.includes(c.v)) return fail(`no column named "${c.v}" (columns: ${columns.join(', ')})`);
      return { kind: 'len', column: c.v };
    }
    if (columns.includes(k.v)) return { kind: 'column', column: k.v };
    const computed = COMPUTED[k.v.toLowerCase()];
    if (computed) return computed;
    return fail(
      `no column named "${k.v}" (columns: ${columns.join(', ')}; computed: tokens, trained, chars, flags, flag)`,
    );
  };

  const value = (): QueryValue => {
    const v = peek();
    if (!v) return fail('expected a value at the end');
    p++;
    if (v.t === 'num') return Number(v.v);
    if (v.t === 'str') return v.v;
    if (v.t === 'word') {
      const w = v.v.toLowerCase();
      if (w === 'true') return true;
      if (w === 'false') return false;
      if (w === 'null') return null;
      return v.v;
    }
    return fail(`expected a value at ${v.at}`);
  };

  const flag = (): QueryExpr => {
    p++; // `flag`
    const op = peek();
    if (!op || op.t !== 'op' || !['=', '==', '!='].includes(op.v)) return fail('expected = or != after flag');
    p++;
    const v = value();
    const code = FLAG_NAMES[String(v).toLowerCase()];
    if (!code) return fail(`unknown flag "${String(v)}" (flags: no_eos, zero_trained, length_mismatch, two_bos, any)`);
    return { kind: 'flag', flag: code, negate: op.v === '!=' };
  };

  const cmp = (): QueryExpr => {
    if (isWord('flag') && !columns.includes('flag')) return flag();
    const k = key();
    if (isWord('is')) {
      p++;
      const negate = isWord('not');
      if (negate) p++;
      if (!isWord('null')) return fail('expected null after is');
      p++;
      return { kind: 'null', key: k, negate };
    }
    const op = peek();
    if (!op || op.t !== 'op' || op.v === '&&' || op.v === '||' || op.v === '!')
      return fail(`expected = != < <= > >= ~ or "is null" after the key`);
    p++;
    const v = value();
    return { kind: 'cmp', key: k, op: (op.v === '==' ? '=' : op.v) as QueryOp, value: v };
  };

  const unary = (): QueryExpr => {
    if (isWord('not') || (peek()?.t === 'op' && peek()!.v === '!')) {
      p++;
      return { kind: 'not', item: unary() };
    }
    if (peek()?.v === '(') {
      p++;
      const e = or();
      if (peek()?.v !== ')') return fail('expected )');
      p++;
      return e;
    }
    return cmp();
  };
  const and = (): QueryExpr => {
    const items = [unary()];
    while (isWord('and') || peek()?.v === '&&' || peek()?.v === ',') {
      p++;
      items.push(unary());
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  };
  function or(): QueryExpr {
    const items = [and()];
    while (isWord('or') || peek()?.v === '||') {
      p++;
      items.push(and());
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }

  if (!toks.length) throw new QuerySyntaxError('empty filter', 0);
  const e = or();
  if (p < toks.length) fail(`unexpected "${toks[p]!.v}" at ${toks[p]!.at}`);
  return e;
}

/** Keys an expression reads (to pick the columns a scan decodes). */
export function keysOf(e: QueryExpr | undefined, out: QueryKey[] = []): QueryKey[] {
  if (!e) return out;
  switch (e.kind) {
    case 'cmp':
    case 'null':
      out.push(e.key);
      break;
    case 'flag':
      out.push({ kind: 'flags' });
      break;
    case 'not':
      keysOf(e.item, out);
      break;
    default:
      for (const i of e.items) keysOf(i, out);
  }
  return out;
}

export function describeKey(k: QueryKey): string {
  if (k.kind === 'column') return k.column;
  if (k.kind === 'len') return `len(${k.column})`;
  return k.kind;
}

/** A sort key as the panel names it: a column, `len(column)`, or tokens / trained / chars / flags. */
export function parseSortKey(key: string, columns: string[]): QueryKey {
  if (columns.includes(key)) return { kind: 'column', column: key };
  const len = /^len\((.*)\)$/.exec(key);
  if (len && columns.includes(len[1]!)) return { kind: 'len', column: len[1]! };
  const computed = COMPUTED[key.toLowerCase()];
  if (computed) return computed;
  throw new QuerySyntaxError(
    `cannot sort by "${key}" (columns: ${columns.join(', ')}; computed: tokens, trained, chars, flags)`,
    0,
  );
}
