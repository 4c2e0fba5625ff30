// jinja2's parser (jinja2/parser.py, 3.1) rewritten for our tokens and syntax tree: the same grammar,
// the same precedence and the same error messages, so a syntax error reads as it does in Python.
// Extensions of transformers' environment: loopcontrols (`break`/`continue`) and AssistantTracker
// (`{% generation %}`).
import type { CallArgs, CompareOp, Expr, Program, Slice, Stmt } from './ast';
import { TemplateRuntimeError } from './errors';
import { type LexToken, lexErrors } from './lexer';
import { pyStrRepr } from './pyformat';
import { bool, float, int, none, str } from './values';

const DESCRIBE: Record<string, string> = {
  block_begin: 'begin of statement block',
  block_end: 'end of statement block',
  variable_begin: 'begin of print statement',
  variable_end: 'end of print statement',
  data: 'template data / text',
  eof: 'end of template',
};
const OPERATOR_TEXT: Record<string, string> = {
  add: '+', sub: '-', div: '/', floordiv: '//', mul: '*', mod: '%', pow: '**', tilde: '~', lbracket: '[', rbracket: ']',
  lparen: '(', rparen: ')', lbrace: '{', rbrace: '}', eq: '==', ne: '!=', gt: '>', gteq: '>=', lt: '<', lteq: '<=',
  assign: '=', dot: '.', colon: ':', pipe: '|', comma: ',', semicolon: ';',
};
const describeType = (type: string): string => OPERATOR_TEXT[type] ?? DESCRIBE[type] ?? type;
const describeToken = (t: LexToken): string => (t.type === 'name' ? t.value : describeType(t.type));
/** jinja2's describe_token_expr: `name:endfor` → `endfor`, `block_end` → `end of statement block`. */
const describeExpr = (e: string): string => (e.startsWith('name:') ? e.slice(5) : describeType(e));

const STATEMENTS = new Set(['for', 'if', 'block', 'extends', 'print', 'macro', 'include', 'from', 'import', 'set', 'with', 'autoescape']);
const COMPARE = new Set(['eq', 'ne', 'lt', 'lteq', 'gt', 'gteq']);
const BINOP: Record<string, '+' | '-' | '*' | '/' | '//' | '%'> = { add: '+', sub: '-', mul: '*', div: '/', floordiv: '//', mod: '%' };

export interface ParseResult {
  program: Program;
  /** Filters and tests named outside `{% if %}` branches: jinja2 checks these exist when compiling. */
  names: { kind: 'filter' | 'test'; name: string; pos: number }[];
}

export function syntaxError(message: string, offset: number, pyClass = 'TemplateSyntaxError'): TemplateRuntimeError {
  const e = new TemplateRuntimeError(message, 'syntax', pyClass);
  e.offset = offset;
  return e;
}

class TokenStream {
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
      if (this.current.type === 'eof') throw syntaxError(`unexpected end of template, expected ${what}.`, this.current.start);
      throw syntaxError(`expected token ${what}, got ${pyStrRepr(describeToken(this.current))}`, this.current.start);
    }
    return this.next();
  }
  private check(t: LexToken | undefined): void {
    const e = t && lexErrors.get(t);
    if (e) throw e;
  }
}

/** `source` (the normalised template) lets a `{{ … }}` report its errors at the tag when it starts on the tag's line. */
export function parse(tokens: LexToken[], source = ''): ParseResult {
  return new Parser(tokens, source).parse();
}

class Parser {
  private readonly s: TokenStream;
  private readonly tagStack: string[] = [];
  private readonly endTokenStack: string[][] = [];
  private softDepth = 0;
  readonly names: ParseResult['names'] = [];

  constructor(
    tokens: LexToken[],
    private readonly source: string,
  ) {
    this.s = new TokenStream(tokens);
  }

  parse(): ParseResult {
    return { program: { body: this.subparse() }, names: this.names };
  }

  private fail(msg: string, pos = this.s.current.start): never {
    throw syntaxError(msg, pos);
  }

  private failUnknownTag(name: string | null, stack: string[][], pos: number): never {
    const expected = new Set(stack.flat().map(describeExpr));
    const looking = stack.length ? stack[stack.length - 1].map((e) => pyStrRepr(describeExpr(e))).join(' or ') : null;
    const msg = [name === null ? 'Unexpected end of template.' : `Encountered unknown tag ${pyStrRepr(name)}.`];
    if (looking) {
      if (name !== null && expected.has(name)) msg.push(`You probably made a nesting mistake. Jinja is expecting this tag, but currently looking for ${looking}.`);
      else msg.push(`Jinja was looking for the following tags: ${looking}.`);
    }
    if (this.tagStack.length) msg.push(`The innermost block that needs to be closed is ${pyStrRepr(this.tagStack[this.tagStack.length - 1])}.`);
    return this.fail(msg.join(' '), pos);
  }

  private subparse(endTokens?: string[]): Stmt[] {
    const body: Stmt[] = [];
    let data: (Expr | { kind: 'Data'; text: string; pos: number })[] = [];
    const flush = () => {
      if (data.length) body.push({ kind: 'Output', items: data, pos: data[0].pos });
      data = [];
    };
    if (endTokens) this.endTokenStack.push(endTokens);
    try {
      while (this.s.current.type !== 'eof') {
        const t = this.s.current;
        if (t.type === 'data') {
          data.push({ kind: 'Data', text: t.value, pos: t.start });
          this.s.next();
        } else if (t.type === 'variable_begin') {
          this.s.next();
          const expr = this.parseTuple({});
          if (!this.source.slice(t.start, expr.pos).includes('\n')) expr.pos = t.start;
          data.push(expr);
          this.s.expect('variable_end');
        } else if (t.type === 'block_begin') {
          flush();
          this.s.next();
          if (endTokens && endTokens.some((e) => this.s.test(e))) return body;
          body.push(this.parseStatement());
          this.s.expect('block_end');
        } else throw new Error('internal parsing error');
      }
      flush();
    } finally {
      if (endTokens) this.endTokenStack.pop();
    }
    return body;
  }

  private parseStatement(): Stmt {
    const t = this.s.current;
    if (t.type !== 'name') this.fail('tag name expected', t.start);
    this.tagStack.push(t.value);
    let pop = true;
    try {
      if (STATEMENTS.has(t.value)) return this.keywordStatement(t.value);
      if (t.value === 'call') return this.parseCallBlock();
      if (t.value === 'filter') return this.parseFilterBlock();
      if (t.value === 'break' || t.value === 'continue') {
        this.s.next();
        return { kind: t.value === 'break' ? 'Break' : 'Continue', pos: t.start };
      }
      if (t.value === 'generation') {
        this.s.next();
        return { kind: 'Generation', body: this.parseStatements(['name:endgeneration'], true), pos: t.start };
      }
      this.tagStack.pop();
      pop = false;
      return this.failUnknownTag(t.value, this.endTokenStack, t.start);
    } finally {
      if (pop) this.tagStack.pop();
    }
  }

  private keywordStatement(name: string): Stmt {
    const pos = this.s.current.start;
    switch (name) {
      case 'for':
        return this.parseFor();
      case 'if':
        return this.parseIf();
      case 'set':
        return this.parseSet();
      case 'macro':
        return this.parseMacro();
      case 'with':
        return this.parseWith();
      case 'print': {
        this.s.next();
        const items: Expr[] = [];
        while (this.s.current.type !== 'block_end') {
          if (items.length) this.s.expect('comma');
          items.push(this.parseExpression());
        }
        return { kind: 'Output', items, pos };
      }
      case 'block': {
        // Blocks render in place (no inheritance without a loader).
        this.s.next();
        this.s.expect('name');
        this.s.skipIf('name:scoped');
        this.s.skipIf('name:required');
        const body = this.parseStatements(['name:endblock'], true);
        if (this.s.current.type === 'name') this.s.next();
        return { kind: 'With', targets: [], values: [], body, pos };
      }
      case 'autoescape': {
        this.s.next();
        this.parseExpression();
        return { kind: 'With', targets: [], values: [], body: this.parseStatements(['name:endautoescape'], true), pos };
      }
      default: {
        // extends/include/import/from: transformers' environment has no loader; jinja2 raises when rendering.
        while (this.s.current.type !== 'block_end' && this.s.current.type !== 'eof') this.s.next();
        const err: Expr = { kind: 'Call', callee: { kind: 'Name', name: '#no_loader', pos }, args: [], kwargs: [], pos };
        return { kind: 'Output', items: [err], pos };
      }
    }
  }

  private parseStatements(endTokens: string[], dropNeedle = false): Stmt[] {
    this.s.skipIf('colon');
    this.s.expect('block_end');
    const result = this.subparse(endTokens);
    if (this.s.current.type === 'eof') this.failUnknownTag(null, [...this.endTokenStack, endTokens], this.s.current.start);
    if (dropNeedle) this.s.next();
    return result;
  }

  private soft<T>(f: () => T): T {
    this.softDepth++;
    try {
      return f();
    } finally {
      this.softDepth--;
    }
  }

  private parseSet(): Stmt {
    const pos = this.s.next().start;
    const target = this.parseAssignTarget({ withNamespace: true });
    if (this.s.skipIf('assign')) return { kind: 'Assign', target, expr: this.parseTuple({}), pos };
    const filter = this.parseFilter(null);
    const body = this.parseStatements(['name:endset'], true);
    return { kind: 'AssignBlock', target, filter: filter ?? undefined, body, pos };
  }

  private parseFor(): Stmt {
    const pos = this.s.expect('name:for').start;
    const target = this.parseAssignTarget({ extraEnd: ['name:in'] });
    this.s.expect('name:in');
    const iter = this.parseTuple({ withCondexpr: false, extraEnd: ['name:recursive'] });
    const test = this.s.skipIf('name:if') ? this.parseExpression() : undefined;
    const recursive = this.s.skipIf('name:recursive');
    const body = this.parseStatements(['name:endfor', 'name:else']);
    const elseBody = this.s.next().value === 'endfor' ? [] : this.parseStatements(['name:endfor'], true);
    return { kind: 'For', target, iter, body, else: elseBody, test, recursive, pos };
  }

  private parseIf(): Stmt {
    const pos = this.s.expect('name:if').start;
    const test = this.parseTuple({ withCondexpr: false });
    const node: Stmt & { kind: 'If' } = { kind: 'If', test, body: [], elifs: [], else: [], pos };
    node.body = this.soft(() => this.parseStatements(['name:elif', 'name:else', 'name:endif']));
    for (;;) {
      const t = this.s.next();
      if (t.value === 'elif') {
        const at = this.s.current.start;
        const elifTest = this.parseTuple({ withCondexpr: false });
        node.elifs.push({ pos: at, test: elifTest, body: this.soft(() => this.parseStatements(['name:elif', 'name:else', 'name:endif'])) });
        continue;
      }
      if (t.value === 'else') node.else = this.soft(() => this.parseStatements(['name:endif'], true));
      break;
    }
    return node;
  }

  private parseWith(): Stmt {
    const pos = this.s.next().start;
    const targets: Expr[] = [];
    const values: Expr[] = [];
    while (this.s.current.type !== 'block_end') {
      if (targets.length) this.s.expect('comma');
      targets.push(this.parseAssignTarget({}));
      this.s.expect('assign');
      values.push(this.parseExpression());
    }
    return { kind: 'With', targets, values, body: this.parseStatements(['name:endwith'], true), pos };
  }

  private parseSignature(): { params: string[]; defaults: Expr[] } {
    const params: string[] = [];
    const defaults: Expr[] = [];
    this.s.expect('lparen');
    while (this.s.current.type !== 'rparen') {
      if (params.length) this.s.expect('comma');
      const name = this.s.expect('name').value;
      if (this.s.skipIf('assign')) defaults.push(this.parseExpression());
      else if (defaults.length) this.fail('non-default argument follows default argument');
      params.push(name);
    }
    this.s.expect('rparen');
    return { params, defaults };
  }

  private parseCallBlock(): Stmt {
    const pos = this.s.next().start;
    const sig = this.s.current.type === 'lparen' ? this.parseSignature() : { params: [], defaults: [] };
    const call = this.parseExpression();
    if (call.kind !== 'Call') this.fail('expected call', pos);
    return { kind: 'CallBlock', call, ...sig, body: this.parseStatements(['name:endcall'], true), pos };
  }

  private parseFilterBlock(): Stmt {
    const pos = this.s.next().start;
    const filter = this.parseFilter(null, true)!;
    return { kind: 'FilterBlock', filter, body: this.parseStatements(['name:endfilter'], true), pos };
  }

  private parseMacro(): Stmt {
    const pos = this.s.next().start;
    const name = this.s.expect('name').value;
    const sig = this.parseSignature();
    return { kind: 'Macro', name, ...sig, body: this.parseStatements(['name:endmacro'], true), pos };
  }

  private parseAssignTarget(o: { extraEnd?: string[]; withNamespace?: boolean }): Expr {
    const target = this.parseTuple({ simplified: true, extraEnd: o.extraEnd, withNamespace: o.withNamespace });
    const ok = (e: Expr): boolean => e.kind === 'Name' || e.kind === 'NSRef' || (e.kind === 'Tuple' && e.items.every(ok));
    if (!ok(target) || (target.kind === 'Name' && ['true', 'false', 'none', 'True', 'False', 'None'].includes(target.name)))
      this.fail(`can't assign to ${pyStrRepr(target.kind.toLowerCase())}`, target.pos);
    return target;
  }

  parseExpression(withCondexpr = true): Expr {
    return withCondexpr ? this.parseCondexpr() : this.parseOr();
  }

  private parseCondexpr(): Expr {
    let pos = this.s.current.start;
    let expr = this.parseOr();
    while (this.s.skipIf('name:if')) {
      const test = this.parseOr();
      const otherwise = this.s.skipIf('name:else') ? this.parseCondexpr() : undefined;
      expr = { kind: 'CondExpr', test, then: expr, else: otherwise, pos };
      pos = this.s.current.start;
    }
    return expr;
  }

  private parseOr(): Expr {
    const pos = this.s.current.start;
    let left = this.parseAnd();
    while (this.s.skipIf('name:or')) left = { kind: 'Or', left, right: this.parseAnd(), pos };
    return left;
  }

  private parseAnd(): Expr {
    const pos = this.s.current.start;
    let left = this.parseNot();
    while (this.s.skipIf('name:and')) left = { kind: 'And', left, right: this.parseNot(), pos };
    return left;
  }

  private parseNot(): Expr {
    if (this.s.test('name:not')) {
      const pos = this.s.next().start;
      return { kind: 'Not', operand: this.parseNot(), pos };
    }
    return this.parseCompare();
  }

  private parseCompare(): Expr {
    const pos = this.s.current.start;
    const left = this.parseMath1();
    const ops: [CompareOp, Expr][] = [];
    for (;;) {
      const type = this.s.current.type;
      if (COMPARE.has(type)) {
        this.s.next();
        ops.push([type as CompareOp, this.parseMath1()]);
      } else if (this.s.skipIf('name:in')) ops.push(['in', this.parseMath1()]);
      else if (this.s.test('name:not') && this.s.test('name:in', this.s.look())) {
        this.s.next();
        this.s.next();
        ops.push(['notin', this.parseMath1()]);
      } else break;
    }
    return ops.length ? { kind: 'Compare', left, ops, pos } : left;
  }

  private parseMath1(): Expr {
    const pos = this.s.current.start;
    let left = this.parseConcat();
    while (this.s.current.type === 'add' || this.s.current.type === 'sub') {
      const op = BINOP[this.s.next().type];
      left = { kind: 'BinOp', op, left, right: this.parseConcat(), pos };
    }
    return left;
  }

  private parseConcat(): Expr {
    const pos = this.s.current.start;
    const items = [this.parseMath2()];
    while (this.s.skipIf('tilde')) items.push(this.parseMath2());
    return items.length === 1 ? items[0] : { kind: 'Concat', items, pos };
  }

  private parseMath2(): Expr {
    const pos = this.s.current.start;
    let left = this.parsePow();
    while (['mul', 'div', 'floordiv', 'mod'].includes(this.s.current.type)) {
      const op = BINOP[this.s.next().type];
      left = { kind: 'BinOp', op, left, right: this.parsePow(), pos };
    }
    return left;
  }

  private parsePow(): Expr {
    const pos = this.s.current.start;
    let left = this.parseUnary();
    while (this.s.skipIf('pow')) left = { kind: 'BinOp', op: '**', left, right: this.parseUnary(), pos };
    return left;
  }

  private parseUnary(withFilter = true): Expr {
    const t = this.s.current;
    let node: Expr;
    if (t.type === 'sub' || t.type === 'add') {
      this.s.next();
      node = { kind: t.type === 'sub' ? 'Neg' : 'Pos', operand: this.parseUnary(false), pos: t.start };
    } else node = this.parsePrimary();
    node = this.parsePostfix(node);
    return withFilter ? this.parseFilterExpr(node) : node;
  }

  private parsePrimary(withNamespace = false): Expr {
    const t = this.s.current;
    const pos = t.start;
    switch (t.type) {
      case 'name': {
        this.s.next();
        if (['true', 'false', 'True', 'False'].includes(t.value)) return { kind: 'Const', value: bool(t.value === 'true' || t.value === 'True'), pos };
        if (t.value === 'none' || t.value === 'None') return { kind: 'Const', value: none(), pos };
        if (withNamespace && this.s.current.type === 'dot') {
          this.s.next();
          return { kind: 'NSRef', name: t.value, attr: this.s.expect('name').value, pos };
        }
        return { kind: 'Name', name: t.value, pos };
      }
      case 'string': {
        let text = this.s.next().value;
        while (this.s.current.type === 'string') text += this.s.next().value;
        return { kind: 'Const', value: str(text), pos };
      }
      case 'integer':
        this.s.next();
        return { kind: 'Const', value: int(BigInt(t.value)), pos };
      case 'float':
        this.s.next();
        return { kind: 'Const', value: float(Number(t.value)), pos };
      case 'lparen': {
        this.s.next();
        const node = this.parseTuple({ explicitParens: true });
        this.s.expect('rparen');
        return node;
      }
      case 'lbracket':
        return this.parseList();
      case 'lbrace':
        return this.parseDict();
    }
    return this.fail(`unexpected ${pyStrRepr(describeToken(t))}`, pos);
  }

  parseTuple(o: { simplified?: boolean; withCondexpr?: boolean; extraEnd?: string[]; explicitParens?: boolean; withNamespace?: boolean }): Expr {
    let pos = this.s.current.start;
    const parse = () => (o.simplified ? this.parsePrimary(o.withNamespace) : this.parseExpression(o.withCondexpr ?? true));
    const items: Expr[] = [];
    let isTuple = false;
    for (;;) {
      if (items.length) this.s.expect('comma');
      if (this.isTupleEnd(o.extraEnd)) break;
      items.push(parse());
      if (this.s.current.type === 'comma') isTuple = true;
      else break;
      pos = this.s.current.start;
    }
    if (!isTuple) {
      if (items.length) return items[0];
      if (!o.explicitParens) this.fail(`Expected an expression, got ${pyStrRepr(describeToken(this.s.current))}`);
    }
    return { kind: 'Tuple', items, pos };
  }

  private isTupleEnd(extra?: string[]): boolean {
    const type = this.s.current.type;
    if (type === 'variable_end' || type === 'block_end' || type === 'rparen') return true;
    return !!extra && extra.some((e) => this.s.test(e));
  }

  private parseList(): Expr {
    const pos = this.s.expect('lbracket').start;
    const items: Expr[] = [];
    while (this.s.current.type !== 'rbracket') {
      if (items.length) this.s.expect('comma');
      if (this.s.current.type === 'rbracket') break;
      items.push(this.parseExpression());
    }
    this.s.expect('rbracket');
    return { kind: 'List', items, pos };
  }

  private parseDict(): Expr {
    const pos = this.s.expect('lbrace').start;
    const pairs: [Expr, Expr][] = [];
    while (this.s.current.type !== 'rbrace') {
      if (pairs.length) this.s.expect('comma');
      if (this.s.current.type === 'rbrace') break;
      const key = this.parseExpression();
      this.s.expect('colon');
      pairs.push([key, this.parseExpression()]);
    }
    this.s.expect('rbrace');
    return { kind: 'Dict', pairs, pos };
  }

  private parsePostfix(node: Expr): Expr {
    for (;;) {
      const type = this.s.current.type;
      if (type === 'dot' || type === 'lbracket') node = this.parseSubscript(node);
      else if (type === 'lparen') node = this.parseCall(node);
      else return node;
    }
  }

  private parseFilterExpr(node: Expr): Expr {
    for (;;) {
      const t = this.s.current;
      if (t.type === 'pipe') node = this.parseFilter(node)!;
      else if (t.type === 'name' && t.value === 'is') node = this.parseTest(node);
      else if (t.type === 'lparen') node = this.parseCall(node);
      else return node;
    }
  }

  private parseSubscript(node: Expr): Expr {
    const t = this.s.next();
    if (t.type === 'dot') {
      const attr = this.s.current;
      this.s.next();
      if (attr.type === 'name') return { kind: 'Getattr', obj: node, attr: attr.value, pos: node.pos };
      if (attr.type !== 'integer') this.fail('expected name or number', attr.start);
      return { kind: 'Getitem', obj: node, arg: { kind: 'Const', value: int(BigInt(attr.value)), pos: attr.start }, pos: node.pos };
    }
    const args: (Expr | Slice)[] = [];
    while (this.s.current.type !== 'rbracket') {
      if (args.length) this.s.expect('comma');
      args.push(this.parseSubscribed());
    }
    this.s.expect('rbracket');
    const arg = args.length === 1 ? args[0] : ({ kind: 'Tuple', items: args as Expr[], pos: t.start } as Expr);
    return { kind: 'Getitem', obj: node, arg, pos: node.pos };
  }

  private parseSubscribed(): Expr | Slice {
    const pos = this.s.current.start;
    const type = (): string => this.s.current.type;
    const parts: (Expr | undefined)[] = [];
    if (type() === 'colon') {
      this.s.next();
      parts.push(undefined);
    } else {
      const node = this.parseExpression();
      if (type() !== 'colon') return node;
      this.s.next();
      parts.push(node);
    }
    if (type() === 'colon') parts.push(undefined);
    else if (type() !== 'rbracket' && type() !== 'comma') parts.push(this.parseExpression());
    else parts.push(undefined);
    if (type() === 'colon') {
      this.s.next();
      parts.push(type() !== 'rbracket' && type() !== 'comma' ? this.parseExpression() : undefined);
    }
    return { kind: 'Slice', start: parts[0], stop: parts[1], step: parts[2], pos };
  }

  private parseCallArgs(): CallArgs {
    const open = this.s.expect('lparen');
    const out: CallArgs = { args: [], kwargs: [] };
    const ensure = (ok: boolean) => {
      if (!ok) this.fail('invalid syntax for function call expression', open.start);
    };
    let requireComma = false;
    while (this.s.current.type !== 'rparen') {
      if (requireComma) {
        this.s.expect('comma');
        if (this.s.current.type === 'rparen') break;
      }
      if (this.s.current.type === 'mul') {
        ensure(!out.dynArgs && !out.dynKwargs);
        this.s.next();
        out.dynArgs = this.parseExpression();
      } else if (this.s.current.type === 'pow') {
        ensure(!out.dynKwargs);
        this.s.next();
        out.dynKwargs = this.parseExpression();
      } else if (this.s.current.type === 'name' && this.s.look().type === 'assign') {
        ensure(!out.dynKwargs);
        const key = this.s.next().value;
        this.s.next();
        out.kwargs.push([key, this.parseExpression()]);
      } else {
        ensure(!out.dynArgs && !out.dynKwargs && !out.kwargs.length);
        out.args.push(this.parseExpression());
      }
      requireComma = true;
    }
    this.s.expect('rparen');
    return out;
  }

  private parseCall(node: Expr): Expr {
    const pos = this.s.current.start;
    return { kind: 'Call', callee: node, ...this.parseCallArgs(), pos: node.pos ?? pos };
  }

  private dottedName(): { name: string; pos: number } {
    const t = this.s.expect('name');
    let name = t.value;
    while (this.s.current.type === 'dot') {
      this.s.next();
      name += '.' + this.s.expect('name').value;
    }
    return { name, pos: t.start };
  }

  private parseFilter(node: Expr | null, startInline = false): Expr | null {
    while (this.s.current.type === 'pipe' || startInline) {
      if (!startInline) this.s.next();
      const { name, pos } = this.dottedName();
      const args: CallArgs = this.s.current.type === 'lparen' ? this.parseCallArgs() : { args: [], kwargs: [] };
      if (!this.softDepth) this.names.push({ kind: 'filter', name, pos });
      node = { kind: 'Filter', operand: node, name, ...args, pos: node?.pos ?? pos };
      startInline = false;
    }
    return node;
  }

  private parseTest(node: Expr): Expr {
    const isTok = this.s.next();
    const negated = this.s.skipIf('name:not');
    const { name, pos } = this.dottedName();
    let args: CallArgs = { args: [], kwargs: [] };
    const cur = this.s.current;
    if (cur.type === 'lparen') args = this.parseCallArgs();
    else if (['name', 'string', 'integer', 'float', 'lparen', 'lbracket', 'lbrace'].includes(cur.type) && !['name:else', 'name:or', 'name:and'].some((e) => this.s.test(e))) {
      if (this.s.test('name:is')) this.fail('You cannot chain multiple tests with is');
      args = { args: [this.parsePostfix(this.parsePrimary())], kwargs: [] };
    }
    if (!this.softDepth) this.names.push({ kind: 'test', name, pos });
    const test: Expr = { kind: 'Test', operand: node, name, ...args, pos: node.pos };
    return negated ? { kind: 'Not', operand: test, pos: isTok.start } : test;
  }
}
