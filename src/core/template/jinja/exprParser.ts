// jinja2's expression grammar (jinja2/parser.py, parse_expression … parse_test): precedence, tuples,
// subscripts, calls, filters and tests, with jinja2's error messages. parser.ts adds the statements.
import type { CallArgs, CompareOp, Expr, Slice } from './ast';
import { pyStrRepr } from './pyformat';
import { TokenStream, describeToken, syntaxError } from './tokenStream';
import { bool, float, int, none, str } from './values';

const COMPARE = new Set(['eq', 'ne', 'lt', 'lteq', 'gt', 'gteq']);
const BINOP: Record<string, '+' | '-' | '*' | '/' | '//' | '%'> = {
  add: '+',
  sub: '-',
  mul: '*',
  div: '/',
  floordiv: '//',
  mod: '%',
};

export abstract class ExpressionParser {
  /** Depth of `{% if %}` branches: jinja2 checks filter and test names only outside them. */
  protected softDepth = 0;
  /** Filters and tests named outside `{% if %}` branches, checked once parsing succeeds. */
  readonly names: { kind: 'filter' | 'test'; name: string; pos: number }[] = [];

  constructor(protected readonly s: TokenStream) {}

  protected fail(msg: string, pos = this.s.current.start): never {
    throw syntaxError(msg, pos);
  }

  parseExpression(withCondexpr = true): Expr {
    return withCondexpr ? this.parseCondexpr() : this.parseOr();
  }

  protected parseCondexpr(): Expr {
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

  protected parseOr(): Expr {
    const pos = this.s.current.start;
    let left = this.parseAnd();
    while (this.s.skipIf('name:or')) left = { kind: 'Or', left, right: this.parseAnd(), pos };
    return left;
  }

  protected parseAnd(): Expr {
    const pos = this.s.current.start;
    let left = this.parseNot();
    while (this.s.skipIf('name:and')) left = { kind: 'And', left, right: this.parseNot(), pos };
    return left;
  }

  protected parseNot(): Expr {
    if (this.s.test('name:not')) {
      const pos = this.s.next().start;
      return { kind: 'Not', operand: this.parseNot(), pos };
    }
    return this.parseCompare();
  }

  protected parseCompare(): Expr {
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

  protected parseMath1(): Expr {
    const pos = this.s.current.start;
    let left = this.parseConcat();
    while (this.s.current.type === 'add' || this.s.current.type === 'sub') {
      const op = BINOP[this.s.next().type];
      left = { kind: 'BinOp', op, left, right: this.parseConcat(), pos };
    }
    return left;
  }

  protected parseConcat(): Expr {
    const pos = this.s.current.start;
    const items = [this.parseMath2()];
    while (this.s.skipIf('tilde')) items.push(this.parseMath2());
    return items.length === 1 ? items[0] : { kind: 'Concat', items, pos };
  }

  protected parseMath2(): Expr {
    const pos = this.s.current.start;
    let left = this.parsePow();
    while (['mul', 'div', 'floordiv', 'mod'].includes(this.s.current.type)) {
      const op = BINOP[this.s.next().type];
      left = { kind: 'BinOp', op, left, right: this.parsePow(), pos };
    }
    return left;
  }

  protected parsePow(): Expr {
    const pos = this.s.current.start;
    let left = this.parseUnary();
    while (this.s.skipIf('pow')) left = { kind: 'BinOp', op: '**', left, right: this.parseUnary(), pos };
    return left;
  }

  protected parseUnary(withFilter = true): Expr {
    const t = this.s.current;
    let node: Expr;
    if (t.type === 'sub' || t.type === 'add') {
      this.s.next();
      node = { kind: t.type === 'sub' ? 'Neg' : 'Pos', operand: this.parseUnary(false), pos: t.start };
    } else node = this.parsePrimary();
    node = this.parsePostfix(node);
    return withFilter ? this.parseFilterExpr(node) : node;
  }

  protected parsePrimary(withNamespace = false): Expr {
    const t = this.s.current;
    const pos = t.start;
    switch (t.type) {
      case 'name': {
        this.s.next();
        if (['true', 'false', 'True', 'False'].includes(t.value))
          return { kind: 'Const', value: bool(t.value === 'true' || t.value === 'True'), pos };
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

  parseTuple(o: {
    simplified?: boolean;
    withCondexpr?: boolean;
    extraEnd?: string[];
    explicitParens?: boolean;
    withNamespace?: boolean;
  }): Expr {
    let pos = this.s.current.start;
    const parse = () =>
      o.simplified ? this.parsePrimary(o.withNamespace) : this.parseExpression(o.withCondexpr ?? true);
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

  protected isTupleEnd(extra?: string[]): boolean {
    const type = this.s.current.type;
    if (type === 'variable_end' || type === 'block_end' || type === 'rparen') return true;
    return !!extra && extra.some((e) => this.s.test(e));
  }

  protected parseList(): Expr {
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

  protected parseDict(): Expr {
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

  protected parsePostfix(node: Expr): Expr {
    for (;;) {
      const type = this.s.current.type;
      if (type === 'dot' || type === 'lbracket') node = this.parseSubscript(node);
      else if (type === 'lparen') node = this.parseCall(node);
      else return node;
    }
  }

  protected parseFilterExpr(node: Expr): Expr {
    for (;;) {
      const t = this.s.current;
      if (t.type === 'pipe') node = this.parseFilter(node)!;
      else if (t.type === 'name' && t.value === 'is') node = this.parseTest(node);
      else if (t.type === 'lparen') node = this.parseCall(node);
      else return node;
    }
  }

  protected parseSubscript(node: Expr): Expr {
    const t = this.s.next();
    if (t.type === 'dot') {
      const attr = this.s.current;
      this.s.next();
      if (attr.type === 'name') return { kind: 'Getattr', obj: node, attr: attr.value, pos: node.pos };
      if (attr.type !== 'integer') this.fail('expected name or number', attr.start);
      return {
        kind: 'Getitem',
        obj: node,
        arg: { kind: 'Const', value: int(BigInt(attr.value)), pos: attr.start },
        pos: node.pos,
      };
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

  protected parseSubscribed(): Expr | Slice {
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

  protected parseCallArgs(): CallArgs {
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

  protected parseCall(node: Expr): Expr {
    const pos = this.s.current.start;
    return { kind: 'Call', callee: node, ...this.parseCallArgs(), pos: node.pos ?? pos };
  }

  protected dottedName(): { name: string; pos: number } {
    const t = this.s.expect('name');
    let name = t.value;
    while (this.s.current.type === 'dot') {
      this.s.next();
      name += '.' + this.s.expect('name').value;
    }
    return { name, pos: t.start };
  }

  protected parseFilter(node: Expr | null, startInline = false): Expr | null {
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

  protected parseTest(node: Expr): Expr {
    const isTok = this.s.next();
    const negated = this.s.skipIf('name:not');
    const { name, pos } = this.dottedName();
    let args: CallArgs = { args: [], kwargs: [] };
    const cur = this.s.current;
    if (cur.type === 'lparen') args = this.parseCallArgs();
    else if (
      ['name', 'string', 'integer', 'float', 'lparen', 'lbracket', 'lbrace'].includes(cur.type) &&
      !['name:else', 'name:or', 'name:and'].some((e) => this.s.test(e))
    ) {
      if (this.s.test('name:is')) this.fail('You cannot chain multiple tests with is');
      args = { args: [this.parsePostfix(this.parsePrimary())], kwargs: [] };
    }
    if (!this.softDepth) this.names.push({ kind: 'test', name, pos });
    const test: Expr = { kind: 'Test', operand: node, name, ...args, pos: node.pos };
    return negated ? { kind: 'Not', operand: test, pos: isTok.start } : test;
  }
}
