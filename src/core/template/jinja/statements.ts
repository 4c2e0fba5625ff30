// Execution of statements: output, if, for (filtered, recursive, loop controls), set, set blocks,
// macros, call and filter blocks, with, and AssistantTracker's `{% generation %}`, following jinja2's
// scoping (loop bodies, macros and with blocks have their own scope) and its output buffering (macro,
// call, filter, set-block and recursive-loop bodies are buffered; everything else is yielded as it goes).
import type { Expr, Stmt } from './ast';
import { TemplateRuntimeError } from './errors';
import { applyFilter, callValue, evalArgs, evaluate } from './expressions';
import { codePointLength, pyIter, typeError } from './ops';
import { pyStr } from './pyformat';
import { LoopBreak, LoopContinue, LoopState, type RenderState, Scope, Sink, loopValue, positioned } from './runtime';
import { type RV, dict, fn, isNamespace, str, truthy, tuple, undef } from './values';

export function renderBody(nodes: Stmt[], scope: Scope, out: Sink, st: RenderState): void {
  for (const node of nodes) positioned(node.pos, () => renderStmt(node, scope, out, st));
}

function renderStmt(node: Stmt, scope: Scope, out: Sink, st: RenderState): void {
  switch (node.kind) {
    case 'Output':
      for (const item of node.items) {
        if (item.kind === 'Data') out.write(item.text);
        else out.write(positioned(item.pos, () => pyStr(evaluate(item, scope))));
      }
      return;
    case 'If': {
      if (truthy(evaluate(node.test, scope))) return renderBody(node.body, scope, out, st);
      for (const e of node.elifs)
        if (positioned(e.pos, () => truthy(evaluate(e.test, scope)))) return renderBody(e.body, scope, out, st);
      return renderBody(node.else, scope, out, st);
    }
    case 'For': {
      const iterable = evaluate(node.iter, scope);
      if (!node.recursive) return renderLoop(node, iterable, scope, out, st, 0);
      // jinja2 compiles a recursive loop into a buffered function.
      const buf = new Sink();
      renderLoop(node, iterable, scope, buf, st, 0);
      out.write(buf.text);
      return;
    }
    case 'Assign':
      return assign(node.target, evaluate(node.expr, scope), scope);
    case 'AssignBlock': {
      const buf = new Sink();
      renderBody(node.body, scope, buf, st);
      const value = node.filter ? filterChain(node.filter, str(buf.text), scope) : str(buf.text);
      return assign(node.target, value, scope);
    }
    case 'Macro':
      scope.vars.set(node.name, macro(node.name, node.params, node.defaults, node.body, scope, st));
      return;
    case 'CallBlock': {
      const call = node.call as Expr & { kind: 'Call' };
      const callee = evaluate(call.callee, scope);
      const [args, kw] = evalArgs(call, scope);
      kw.set('caller', macro('caller', node.params, node.defaults, node.body, scope, st));
      out.write(pyStr(callValue(callee, args, kw)));
      return;
    }
    case 'FilterBlock': {
      const buf = new Sink();
      renderBody(node.body, scope, buf, st);
      out.write(pyStr(filterChain(node.filter, str(buf.text), scope)));
      return;
    }
    case 'With': {
      const values = node.values.map((v) => evaluate(v, scope));
      const inner = new Scope(scope);
      node.targets.forEach((t, i) => assign(t, values[i], inner));
      return renderBody(node.body, inner, out, st);
    }
    case 'Break':
      throw new LoopBreak();
    case 'Continue':
      throw new LoopContinue();
    case 'Generation': {
      // AssistantTracker: the body renders through caller(); the span starts at what the template has
      // yielded so far, which inside a macro or a set block is not where the text ends up.
      const buf = new Sink();
      renderBody(node.body, scope, buf, st);
      // Python measures in code points; compile.ts maps them to UTF-16 offsets into the final text.
      const start = st.root.codePoints;
      st.spans.push({ start, end: start + codePointLength(buf.text) });
      out.write(buf.text);
      return;
    }
  }
}

/** Applies `{% filter a|b(1) %}` / `{% set x | a %}` chains (the innermost Filter has no operand). */
function filterChain(f: Expr, value: RV, scope: Scope): RV {
  if (f.kind !== 'Filter') return value;
  const inner = f.operand ? filterChain(f.operand, value, scope) : value;
  return applyFilter(f.name, inner, f, scope);
}

function unpack(value: RV, want: number): RV[] {
  const parts = pyIter(value);
  if (parts.length !== want)
    throw new TemplateRuntimeError(
      parts.length > want
        ? `too many values to unpack (expected ${want})`
        : `not enough values to unpack (expected ${want}, got ${parts.length})`,
      'runtime',
      'ValueError',
    );
  return parts;
}

export function assign(target: Expr, value: RV, scope: Scope): void {
  if (target.kind === 'Name') scope.vars.set(target.name, value);
  else if (target.kind === 'NSRef') {
    const ns = scope.lookup(target.name);
    if (!ns || !isNamespace(ns))
      throw new TemplateRuntimeError(
        'cannot assign attribute on non-namespace object',
        'runtime',
        'TemplateRuntimeError',
      );
    (ns.value as Map<string, RV>).set(target.attr, value);
  } else if (target.kind === 'Tuple') {
    if (
      value.type === 'IntegerValue' ||
      value.type === 'FloatValue' ||
      value.type === 'BooleanValue' ||
      value.type === 'NullValue'
    )
      throw typeError(
        `cannot unpack non-iterable ${value.type === 'NullValue' ? 'NoneType' : value.type === 'IntegerValue' ? 'int' : value.type === 'FloatValue' ? 'float' : 'bool'} object`,
      );
    const parts = unpack(value, target.items.length);
    target.items.forEach((t, i) => assign(t, parts[i], scope));
  }
}

function renderLoop(
  node: Stmt & { kind: 'For' },
  iterable: RV,
  scope: Scope,
  out: Sink,
  st: RenderState,
  depth0: number,
): void {
  let items = pyIter(iterable);
  const inner = new Scope(scope);
  if (node.test) {
    const test = node.test;
    items = items.filter((item) => {
      assign(node.target, item, inner);
      return truthy(evaluate(test, inner));
    });
  }
  if (!items.length) return renderBody(node.else, new Scope(scope), out, st);
  const recurse = node.recursive
    ? (it: RV): RV => {
        const buf = new Sink();
        renderLoop(node, it, scope, buf, st, depth0 + 1);
        return str(buf.text);
      }
    : undefined;
  const state = new LoopState(items, depth0, recurse);
  const loop = loopValue(state);
  for (let i = 0; i < items.length; i++) {
    // Each iteration starts from the enclosing scope: a `set` in one iteration is not seen by the next.
    const iteration = new Scope(scope);
    iteration.vars.set('loop', loop);
    state.index0 = i;
    assign(node.target, items[i], iteration);
    try {
      renderBody(node.body, iteration, out, st);
    } catch (e) {
      if (e instanceof LoopContinue) continue;
      if (e instanceof LoopBreak) break;
      throw e;
    }
  }
}

const usesCache = new WeakMap<Stmt[], Set<string>>();
/** Names a macro body reads (varargs, kwargs, caller decide what a macro accepts, as in jinja2). */
function namesUsed(body: Stmt[]): Set<string> {
  let names = usesCache.get(body);
  if (names) return names;
  names = new Set();
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object' && 'kind' in x) {
      const n = x as { kind: string; name?: string };
      if (n.kind === 'Name' && n.name) names!.add(n.name);
      if (n.kind === 'Macro') return; // a nested macro's names are its own
      for (const v of Object.values(x)) if (v && typeof v === 'object') walk(v);
    }
  };
  walk(body);
  usesCache.set(body, names);
  return names;
}

function macro(name: string, params: string[], defaults: Expr[], body: Stmt[], defScope: Scope, st: RenderState): RV {
  const used = namesUsed(body);
  const firstDefault = params.length - defaults.length;
  const v = fn((args, kw) => {
    const sc = new Scope(defScope);
    const kwargs = new Map(kw);
    params.forEach((p, i) => {
      let value: RV;
      if (i < args.length) value = args[i];
      else if (kwargs.has(p)) {
        value = kwargs.get(p)!;
        kwargs.delete(p);
      } else if (i >= firstDefault) value = evaluate(defaults[i - firstDefault], sc);
      else value = undef(`parameter '${p}' was not provided`);
      sc.vars.set(p, value);
    });
    if (args.length > params.length) {
      if (!used.has('varargs')) throw typeError(`macro '${name}' takes not more than ${params.length} argument(s)`);
    }
    sc.vars.set('varargs', tuple(args.slice(params.length)));
    const caller = kwargs.get('caller');
    if (caller) {
      kwargs.delete('caller');
      if (!used.has('caller')) throw typeError(`macro '${name}' takes no keyword argument 'caller'`);
      sc.vars.set('caller', caller);
    }
    if (kwargs.size && !used.has('kwargs'))
      throw typeError(`macro '${name}' takes no keyword argument '${kwargs.keys().next().value}'`);
    sc.vars.set('kwargs', dict(kwargs));
    const buf = new Sink();
    renderBody(body, sc, buf, st);
    return str(buf.text);
  }, name);
  v.pyType = 'Macro';
  return v;
}
