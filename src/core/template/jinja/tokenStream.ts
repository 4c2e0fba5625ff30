// jinja2's TokenStream (jinja2/lexer.py) over our tokens: current/look/next/expect with jinja2's
// "expected token …, got …" messages; a lexing error surfaces when the parser reaches its token.
import { TemplateRuntimeError } from './errors';
import { type LexToken, lexErrors } from './lexer';
import { pyStrRepr } from './pyformat';

const DESCRIBE: Record<string, string> = {
  block_begin: 'begin of statement block',
  block_end: 'end of statement block',
  variable_begin: 'begin of print statement',
  variable_end: 'end of print statement',
  data: 'template data / text',
  eof: 'end of template',
};
const OPERATOR_TEXT: Record<string, string> = {
  add: '+',
  sub: '-',
  div: '/',
  floordiv: '//',
  mul: '*',
  mod: '%',
  pow: '**',
  tilde: '~',
  lbracket: '[',
  rbracket: ']',
  lparen: '(',
  rparen: ')',
  lbrace: '{',
  rbrace: '}',
  eq: '==',
  ne: '!=',
  gt: '>',
  gteq: '>=',
  lt: '<',
  lteq: '<=',
  assign: '=',
  dot: '.',
  colon: ':',
  pipe: '|',
  comma: ',',
  semicolon: ';',
};
const describeType = (type: string): string => OPERATOR_TEXT[type] ?? DESCRIBE[type] ?? type;
export const describeToken = (t: LexToken): string => (t.type === 'name' ? t.value : describeType(t.type));
/** jinja2's describe_token_expr: `name:endfor` → `endfor`, `block_end` → `end of statement block`. */
export const describeExpr = (e: string): string => (e.startsWith('name:') ? e.slice(5) : describeType(e));

export function syntaxError(message: string, offset: number, pyClass = 'TemplateSyntaxError'): TemplateRuntimeError {
  const e = new TemplateRuntimeError(message, 'syntax', pyClass);
  e.offset = offset;
  return e;
}

export class TokenStream {
  private i = 0;
  constructor(private readonly tokens: LexToken[]) {
    this.check(tokens[0]);
  }
  get current(): LexToken {
    return this.tokens[this.i];
  }
  look(): LexToken {
    const t = this.tokens[Math.min(this.i + 1, this.tokens.length - 1)];
    this.check(t);
    return t;
  }
  /** Moves on and returns the token that was current. */
  next(): LexToken {
    const t = this.current;
    if (this.i < this.tokens.length - 1) this.check(this.tokens[++this.i]);
    return t;
  }
  test(expr: string, t = this.current): boolean {
    const c = expr.indexOf(':');
    return c < 0 ? t.type === expr : t.type === expr.slice(0, c) && t.value === expr.slice(c + 1);
  }
  skipIf(expr: string): boolean {
    if (!this.test(expr)) return false;
    this.next();
    return true;
  }
  expect(expr: string): LexToken {
    if (!this.test(expr)) {
      const what = pyStrRepr(describeExpr(expr));
      if (this.current.type === 'eof')
        throw syntaxError(`unexpected end of template, expected ${what}.`, this.current.start);
      throw syntaxError(`expected token ${what}, got ${pyStrRepr(describeToken(this.current))}`, this.current.start);
    }
    return this.next();
  }
  private check(t: LexToken | undefined): void {
    const e = t && lexErrors.get(t);
    if (e) throw e;
  }
}
