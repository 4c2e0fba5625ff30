// jinja2's parser (jinja2/parser.py, 3.1) rewritten for our tokens and syntax tree: the same grammar,
// the same precedence and the same error messages, so a syntax error reads as it does in Python.
// Extensions of transformers' environment: loopcontrols (`break`/`continue`) and AssistantTracker
// (`{% generation %}`).
import type { Expr, Program, Stmt } from './ast';
import { ExpressionParser } from './exprParser';
import type { LexToken } from './lexer';
import { pyStrRepr } from './pyformat';
import { TokenStream, describeExpr } from './tokenStream';

export { syntaxError } from './tokenStream';

const STATEMENTS = new Set([
  'for',
  'if',
  'block',
  'extends',
  'print',
  'macro',
  'include',
  'from',
  'import',
  'set',
  'with',
  'autoescape',
]);

export interface ParseResult {
  program: Program;
  /** Filters and tests named outside `{% if %}` branches: jinja2 checks these exist when compiling. */
  names: { kind: 'filter' | 'test'; name: string; pos: number }[];
}

/** `source` (the normalised template) lets a `{{ … }}` report its errors at the tag when it starts on the tag's line. */
export function parse(tokens: LexToken[], source = ''): ParseResult {
  return new Parser(tokens, source).parse();
}

class Parser extends ExpressionParser {
  private readonly tagStack: string[] = [];
  private readonly endTokenStack: string[][] = [];

  constructor(
    tokens: LexToken[],
    private readonly source: string,
  ) {
    super(new TokenStream(tokens));
  }

  parse(): ParseResult {
    return { program: { body: this.subparse() }, names: this.names };
  }

  private failUnknownTag(name: string | null, stack: string[][], pos: number): never {
    const expected = new Set(stack.flat().map(describeExpr));
    const looking = stack.length ? stack[stack.length - 1].map((e) => pyStrRepr(describeExpr(e))).join(' or ') : null;
    const msg = [name === null ? 'Unexpected end of template.' : `Encountered unknown tag ${pyStrRepr(name)}.`];
    if (looking) {
      if (name !== null && expected.has(name))
        msg.push(
          `You probably made a nesting mistake. Jinja is expecting this tag, but currently looking for ${looking}.`,
        );
      else msg.push(`Jinja was looking for the following tags: ${looking}.`);
    }
    if (this.tagStack.length)
      msg.push(`The innermost block that needs to be closed is ${pyStrRepr(this.tagStack[this.tagStack.length - 1])}.`);
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
        const err: Expr = {
          kind: 'Call',
          callee: { kind: 'Name', name: '#no_loader', pos },
          args: [],
          kwargs: [],
          pos,
        };
        return { kind: 'Output', items: [err], pos };
      }
    }
  }

  private parseStatements(endTokens: string[], dropNeedle = false): Stmt[] {
    this.s.skipIf('colon');
    this.s.expect('block_end');
    const result = this.subparse(endTokens);
    if (this.s.current.type === 'eof')
      this.failUnknownTag(null, [...this.endTokenStack, endTokens], this.s.current.start);
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
        node.elifs.push({
          pos: at,
          test: elifTest,
          body: this.soft(() => this.parseStatements(['name:elif', 'name:else', 'name:endif'])),
        });
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
    const ok = (e: Expr): boolean =>
      e.kind === 'Name' || e.kind === 'NSRef' || (e.kind === 'Tuple' && e.items.every(ok));
    if (
      !ok(target) ||
      (target.kind === 'Name' && ['true', 'false', 'none', 'True', 'False', 'None'].includes(target.name))
    )
      this.fail(`can't assign to ${pyStrRepr(target.kind.toLowerCase())}`, target.pos);
    return target;
  }
}
