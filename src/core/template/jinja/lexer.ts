// jinja2's lexer for transformers' environment (trim_blocks, lstrip_blocks): jinja2's token types,
// source offsets (for error line/column), `\r\n`/`\r` → `\n` normalisation before trimming, the exact
// trim/lstrip/`{%+` rules, `{% raw %}`, Python number and string literals with their escapes.
import { TemplateRuntimeError } from './errors';
import { pyStrip, pyStrRepr } from './pyformat';

export interface LexToken {
  /** jinja2's token type: data, block_begin, block_end, variable_begin, variable_end, name, string,
   *  integer, float, an operator name (add, lparen …), eof, or error (raised when the parser reaches it). */
  type: string;
  /** name/string/data: the text; integer/float: the literal's digits; operators: the operator. */
  value: string;
  /** Offset in the normalised source. */
  start: number;
}

export interface Lexed {
  /** The template after newline normalisation and removal of one trailing newline, as jinja2 sees it. */
  source: string;
  tokens: LexToken[];
}

// jinja2's operator table, longest first.
const OPERATORS: [string, string][] = [
  ['//', 'floordiv'],
  ['**', 'pow'],
  ['==', 'eq'],
  ['!=', 'ne'],
  ['>=', 'gteq'],
  ['<=', 'lteq'],
  ['+', 'add'],
  ['-', 'sub'],
  ['~', 'tilde'],
  ['/', 'div'],
  ['*', 'mul'],
  ['%', 'mod'],
  ['>', 'gt'],
  ['<', 'lt'],
  ['=', 'assign'],
  ['.', 'dot'],
  [':', 'colon'],
  ['|', 'pipe'],
  [',', 'comma'],
  [';', 'semicolon'],
  ['(', 'lparen'],
  [')', 'rparen'],
  ['[', 'lbracket'],
  [']', 'rbracket'],
  ['{', 'lbrace'],
  ['}', 'rbrace'],
];
const CLOSERS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

const RE_WS = /\s+/y;
const RE_FLOAT = /(?:\d+_)*\d+(?:(?:\.(?:\d+_)*\d+)?[eE][+-]?(?:\d+_)*\d+|\.(?:\d+_)*\d+)/y;
const RE_NAME = /[\p{L}_][\p{L}\p{N}_]*/uy;
const RE_STRING = /'([^'\\]*(?:\\.[^'\\]*)*)'|"([^"\\]*(?:\\.[^"\\]*)*)"/sy;
const RE_BLOCK_END = /\+%\}|-%\}\s*|%\}\n?/y;
const RE_VAR_END = /-\}\}\s*|\}\}/y;
const RE_COMMENT = /([\s\S]*?)(\+#\}|-#\}\s*|#\}\n?)/y;
const RE_RAW_BEGIN = /\{%[-+]?\s*raw\s*(?:-%\}\s*|%\})/y;
const RE_RAW_END = /([\s\S]*?)\{%([-+]?)\s*endraw\s*(?:\+%\}|-%\}\s*|%\}\n?)/y;

function sticky(re: RegExp, s: string, pos: number): RegExpExecArray | null {
  re.lastIndex = pos;
  return re.exec(s);
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '\n': '',
};

/** Python's unicode-escape decoding of a string literal body (unknown escapes stay as written). */
function decodeString(body: string, at: number): string {
  return body.replace(
    /\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|[xuUN]|[\s\S])/g,
    (m, e: string) => {
      if (e in SIMPLE_ESCAPES) return SIMPLE_ESCAPES[e];
      if (/^[xuU][0-9a-fA-F]+$/.test(e) && e.length > 1) return String.fromCodePoint(parseInt(e.slice(1), 16));
      if (/^[0-7]+$/.test(e)) return String.fromCodePoint(parseInt(e, 8));
      if (e === 'N') throw syntaxError('malformed \\N character escape', at);
      if ('xuU'.includes(e)) throw syntaxError(`truncated \\${{ x: 'xXX', u: 'uXXXX', U: 'UXXXXXXXX' }[e]} escape`, at);
      return m;
    },
  );
}

function syntaxError(message: string, offset: number): TemplateRuntimeError {
  const e = new TemplateRuntimeError(message, 'syntax', 'TemplateSyntaxError');
  e.offset = offset;
  return e;
}

/** The error a token stands for (jinja2 lexes lazily: a bad token fails only when the parser reaches it). */
export const lexErrors = new WeakMap<LexToken, TemplateRuntimeError>();

const RE_INT_J2 = /0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0[xX](?:_?[0-9a-fA-F])+|[1-9](?:_?\d)*|0(?:_?0)*/y;

/**
 * Splits a template into jinja2's tokens. A lexing error becomes an `error` token (see lexErrors)
 * followed by nothing: jinja2 lexes lazily, so the parser may fail earlier with its own message.
 */
export function lex(raw: string): Lexed {
  let src = raw.replace(/\r\n|\r/g, '\n');
  if (src.endsWith('\n')) src = src.slice(0, -1); // keep_trailing_newline=False
  const tokens: LexToken[] = [];
  try {
    lexInto(src, tokens);
  } catch (e) {
    if (!(e instanceof TemplateRuntimeError)) throw e;
    const t: LexToken = { type: 'error', value: '', start: e.offset ?? src.length };
    lexErrors.set(t, e);
    tokens.push(t);
  }
  tokens.push({ type: 'eof', value: '', start: src.length });
  return { source: src, tokens };
}

function lexInto(src: string, tokens: LexToken[]): void {
  let lineStarting = true;
  let i = 0;
  const n = src.length;

  const pushText = (text: string, start: number) => {
    if (text) tokens.push({ type: 'data', value: text, start });
  };
  // jinja2's OptionalLStrip: `-` strips all whitespace before the tag; otherwise lstrip_blocks removes
  // spaces/tabs between the line start and a block or comment tag (never before `{{`, never with `+`).
  const leftStrip = (text: string, sign: string, isVariable: boolean): string => {
    if (sign === '-') return pyStrip(text, null, false, true);
    if (sign !== '+' && !isVariable) {
      const l = text.lastIndexOf('\n') + 1;
      if ((l > 0 || lineStarting) && /^[ \t]*$/.test(text.slice(l))) return text.slice(0, l);
    }
    return text;
  };

  while (i < n) {
    let j = i;
    while (j < n && !(src[j] === '{' && (src[j + 1] === '%' || src[j + 1] === '{' || src[j + 1] === '#'))) j++;
    if (j >= n) {
      pushText(src.slice(i), i);
      break;
    }
    const kind = src[j + 1];
    const sign = src[j + 2] === '-' || src[j + 2] === '+' ? src[j + 2] : '';
    pushText(leftStrip(src.slice(i, j), sign, kind === '{'), i);

    if (kind === '%') {
      const rawBegin = sticky(RE_RAW_BEGIN, src, j);
      if (rawBegin) {
        const endM = sticky(RE_RAW_END, src, j + rawBegin[0].length);
        if (!endM) throw syntaxError('Missing end of raw directive', j);
        lineStarting = rawBegin[0].endsWith('\n');
        pushText(leftStrip(endM[1], endM[2], false), j + rawBegin[0].length);
        i = j + rawBegin[0].length + endM[0].length;
        lineStarting = endM[0].endsWith('\n');
        continue;
      }
    }
    if (kind === '#') {
      const m = sticky(RE_COMMENT, src, j + 2 + sign.length);
      if (!m) throw syntaxError('Missing end of comment tag', j);
      i = j + 2 + sign.length + m[0].length;
      lineStarting = m[0].endsWith('\n');
      continue;
    }

    // A `{% … %}` or `{{ … }}` tag.
    const isBlock = kind === '%';
    tokens.push({ type: isBlock ? 'block_begin' : 'variable_begin', value: isBlock ? '{%' : '{{', start: j });
    let pos = j + 2 + sign.length;
    const stack: string[] = [];
    for (;;) {
      if (pos >= n) return; // the parser reports what it expected
      if (stack.length === 0) {
        const end = sticky(isBlock ? RE_BLOCK_END : RE_VAR_END, src, pos);
        if (end) {
          tokens.push({ type: isBlock ? 'block_end' : 'variable_end', value: isBlock ? '%}' : '}}', start: pos });
          pos += end[0].length;
          lineStarting = end[0].endsWith('\n');
          break;
        }
      }
      let m: RegExpExecArray | null;
      if ((m = sticky(RE_WS, src, pos))) {
        pos += m[0].length;
        continue;
      }
      if (src[pos - 1] !== '.' && (m = sticky(RE_FLOAT, src, pos))) {
        tokens.push({ type: 'float', value: m[0].replace(/_/g, ''), start: pos });
        pos += m[0].length;
        continue;
      }
      if ((m = sticky(RE_INT_J2, src, pos))) {
        tokens.push({ type: 'integer', value: m[0].replace(/_/g, ''), start: pos });
        pos += m[0].length;
        continue;
      }
      if ((m = sticky(RE_NAME, src, pos))) {
        tokens.push({ type: 'name', value: m[0], start: pos });
        pos += m[0].length;
        continue;
      }
      if ((m = sticky(RE_STRING, src, pos))) {
        const body = m[1] ?? m[2];
        tokens.push({ type: 'string', value: decodeString(body, pos), start: pos });
        pos += m[0].length;
        continue;
      }
      const op = OPERATORS.find(([o]) => src.startsWith(o, pos));
      if (!op) throw syntaxError(`unexpected char ${pyStrRepr(src[pos])} at ${pos}`, pos);
      if (op[0] in CLOSERS) {
        if (!stack.length) throw syntaxError(`unexpected '${op[0]}'`, pos);
        const want = stack.pop()!;
        if (want !== op[0]) throw syntaxError(`unexpected '${op[0]}', expected '${want}'`, pos);
      } else if (op[0] in OPENERS) stack.push(OPENERS[op[0]]);
      tokens.push({ type: op[1], value: op[0], start: pos });
      pos += op[0].length;
    }
    i = pos;
  }
}
