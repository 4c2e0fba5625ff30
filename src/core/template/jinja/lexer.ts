// A jinja2-faithful lexer producing @huggingface/jinja's token stream, plus what that lexer lacks:
// source positions (for error line/column), `\r\n`/`\r` → `\n` normalisation before trimming,
// jinja2's exact trim_blocks/lstrip_blocks/`{%+` rules, `{% raw %}`, float exponents (`1e20`),
// Python string escapes, and `{% generation %}` turned into marker output instead of being dropped.
import { TemplateRuntimeError } from './errors';
import { pyStrip } from './pyformat';

export interface LexToken {
  type: string;
  value: string;
  /** Offset in the normalised source. */
  start: number;
}

/** The start of each statement the parser will build, in source order (used to place runtime errors). */
export interface Opener {
  kind: 'text' | 'expr' | 'stmt';
  /** For statements: the keyword (`if`, `for`, `endif` …). */
  name: string;
  start: number;
}

export interface Lexed {
  /** The template after newline normalisation and removal of one trailing newline, as jinja2 sees it. */
  source: string;
  tokens: LexToken[];
  openers: Opener[];
  hasGeneration: boolean;
}

/** Output markers for `{% generation %}` / `{% endgeneration %}`: Unicode noncharacters, never in real text. */
export const GEN_OPEN = '\uFDD0';
export const GEN_CLOSE = '\uFDD1';
export const GEN_OPEN_VAR = '#gen_open';
export const GEN_CLOSE_VAR = '#gen_close';

const OPERATORS: [string, string][] = [
  ['//', 'MultiplicativeBinaryOperator'],
  ['**', 'ExponentiationBinaryOperator'],
  ['==', 'ComparisonBinaryOperator'],
  ['!=', 'ComparisonBinaryOperator'],
  ['>=', 'ComparisonBinaryOperator'],
  ['<=', 'ComparisonBinaryOperator'],
  ['+', 'AdditiveBinaryOperator'],
  ['-', 'AdditiveBinaryOperator'],
  ['~', 'AdditiveBinaryOperator'],
  ['/', 'MultiplicativeBinaryOperator'],
  ['*', 'MultiplicativeBinaryOperator'],
  ['%', 'MultiplicativeBinaryOperator'],
  ['>', 'ComparisonBinaryOperator'],
  ['<', 'ComparisonBinaryOperator'],
  ['=', 'Equals'],
  ['.', 'Dot'],
  [':', 'Colon'],
  ['|', 'Pipe'],
  [',', 'Comma'],
  ['(', 'OpenParen'],
  [')', 'CloseParen'],
  ['[', 'OpenSquareBracket'],
  [']', 'CloseSquareBracket'],
  ['{', 'OpenCurlyBracket'],
  ['}', 'CloseCurlyBracket'],
];
const CLOSERS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

const RE_WS = /\s+/y;
const RE_FLOAT = /(?:\d+_)*\d+(?:(?:\.(?:\d+_)*\d+)?[eE][+-]?(?:\d+_)*\d+|\.(?:\d+_)*\d+)/y;
const RE_INT = /0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:\d+_)*\d+/y;
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
  n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '',
};

/** Python's unicode-escape decoding of a string literal body (unknown escapes stay as written). */
function decodeString(body: string, at: number): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|[xuUN]|[\s\S])/g, (m, e: string) => {
    if (e in SIMPLE_ESCAPES) return SIMPLE_ESCAPES[e];
    if (/^[xuU][0-9a-fA-F]+$/.test(e) && e.length > 1) return String.fromCodePoint(parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCodePoint(parseInt(e, 8));
    if ('xuUN'.includes(e)) throw syntaxError(`truncated \\${e} escape in string literal`, at);
    return m;
  });
}

function syntaxError(message: string, offset: number): TemplateRuntimeError {
  const e = new TemplateRuntimeError(message, 'syntax');
  e.offset = offset;
  return e;
}

export function lex(raw: string): Lexed {
  let src = raw.replace(/\r\n|\r/g, '\n');
  if (src.endsWith('\n')) src = src.slice(0, -1); // keep_trailing_newline=False
  const tokens: LexToken[] = [];
  const openers: Opener[] = [];
  const genStack: number[] = [];
  let hasGeneration = false;
  let lineStarting = true;
  let i = 0;
  const n = src.length;

  const pushText = (text: string, start: number) => {
    if (!text) return;
    tokens.push({ type: 'Text', value: text, start });
    openers.push({ kind: 'text', name: '', start });
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
    const tag: LexToken[] = [{ type: isBlock ? 'OpenStatement' : 'OpenExpression', value: isBlock ? '{%' : '{{', start: j }];
    let pos = j + 2 + sign.length;
    const stack: string[] = [];
    for (;;) {
      if (pos >= n) throw syntaxError(`unexpected end of template, expected 'end of ${isBlock ? 'statement block' : 'print statement'}'`, j);
      if (stack.length === 0) {
        const end = sticky(isBlock ? RE_BLOCK_END : RE_VAR_END, src, pos);
        if (end) {
          tag.push({ type: isBlock ? 'CloseStatement' : 'CloseExpression', value: isBlock ? '%}' : '}}', start: pos });
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
        // The parser makes a FloatLiteral only when the text has a '.', so give exponent forms one.
        let text = m[0].replace(/_/g, '');
        if (!text.includes('.')) text = text.replace(/[eE]/, '.0e');
        tag.push({ type: 'NumericLiteral', value: text, start: pos });
        pos += m[0].length;
        continue;
      }
      if ((m = sticky(RE_INT, src, pos))) {
        const t = m[0].replace(/_/g, '');
        tag.push({ type: 'NumericLiteral', value: /^0[xob]/i.test(t) ? String(Number(t)) : String(BigInt(t) <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(t) : t), start: pos });
        pos += m[0].length;
        continue;
      }
      if ((m = sticky(RE_NAME, src, pos))) {
        tag.push({ type: 'Identifier', value: m[0], start: pos });
        pos += m[0].length;
        continue;
      }
      if ((m = sticky(RE_STRING, src, pos))) {
        const body = m[1] ?? m[2];
        tag.push({ type: 'StringLiteral', value: decodeString(body, pos), start: pos });
        pos += m[0].length;
        continue;
      }
      const op = OPERATORS.find(([o]) => src.startsWith(o, pos));
      if (!op) throw syntaxError(`unexpected char ${JSON.stringify(src[pos])} at ${pos}`, pos);
      if (op[0] in CLOSERS) {
        if (stack.pop() !== CLOSERS[op[0]]) throw syntaxError(`unexpected '${op[0]}'`, pos);
      } else if (op[0] === '(' || op[0] === '[' || op[0] === '{') stack.push(op[0]);
      tag.push({ type: op[1], value: op[0], start: pos });
      pos += op[0].length;
    }
    i = pos;

    const name = tag[1]?.type === 'Identifier' ? tag[1].value : '';
    if (isBlock && (name === 'generation' || name === 'endgeneration')) {
      if (tag.length !== 3) throw syntaxError(`expected 'end of statement block' after '${name}'`, tag[2].start);
      hasGeneration = true;
      if (name === 'generation') genStack.push(j);
      else if (genStack.pop() === undefined) throw syntaxError("Encountered unknown tag 'endgeneration'.", j);
      // `{% generation %}` becomes `{{ <marker variable> }}`: the body renders unchanged and the markers
      // in the output give AssistantTracker's span with exact offsets.
      tokens.push(
        { type: 'OpenExpression', value: '{{', start: j },
        { type: 'Identifier', value: name === 'generation' ? GEN_OPEN_VAR : GEN_CLOSE_VAR, start: tag[1].start },
        { type: 'CloseExpression', value: '}}', start: tag[2].start },
      );
      openers.push({ kind: 'expr', name: '', start: j });
      continue;
    }
    if (isBlock && tag.length === 2) throw syntaxError('tag name expected', j);
    tokens.push(...tag);
    openers.push({ kind: isBlock ? 'stmt' : 'expr', name, start: j });
  }
  if (genStack.length)
    throw syntaxError("Unexpected end of template. Jinja was looking for the following tags: 'endgeneration'. The innermost block that needs to be closed is 'generation'.", genStack[genStack.length - 1]);
  return { source: src, tokens, openers, hasGeneration };
}
