// Evaluation of expressions: names, literals, attribute/item access, calls, filters, tests, operators,
// with jinja2's Undefined rules (an Undefined prints empty, but using it raises UndefinedError).
import type { CallArgs, Expr, Slice } from './ast';
import { TemplateRuntimeError } from './errors';
import { getAttr, pySlice } from './containers';
import { FILTERS } from './filters';
import { binaryArith, pyCompare, pyEq, pyIn, pyIter, typeError, unaryArith, undefinedError } from './ops';
import { pyStr, pyStrRepr } from './pyformat';
import { type LoopState, type Scope } from './runtime';
import { TESTS } from './tests';
import {
  type Kwargs,
  type RV,
  bigOf,
  bool,
  dict,
  isBool,
  isDict,
  isFloat,
  isInt,
  isList,
  isStr,
  isUndef,
  list,
  pyTypeName,
  str,
  truthy,
  tuple,
  undef,
} from './values';

export function evaluate(node: Expr, scope: Scope): RV {
  switch (node.kind) {
    case 'Const':
      return node.value;
    case 'Name':
      return scope.lookup(node.name) ?? undef(`'${node.name}' is undefined`);
    case 'NSRef':
      throw new Error('NSRef outside an assignment');
    case 'Tuple':
      return tuple(node.items.map((x) => evaluate(x, scope)));
    case 'List':
      return list(node.items.map((x) => evaluate(x, scope)));
    case 'Dict':
      return dictLiteral(node.pairs, scope);
    case 'Getattr':
      return getAttr(evaluate(node.obj, scope), str(node.attr), false);
    case 'Getitem': {
      const obj = evaluate(node.obj, scope);
      if (node.arg.kind === 'Slice') return slice(obj, node.arg, scope);
      return getAttr(obj, evaluate(node.arg, scope), true);
    }
    case 'Call':
      return call(evaluate(node.callee, scope), node, scope);
    case 'Filter':
      return applyFilter(node.name, evaluate(node.operand!, scope), node, scope);
    case 'Test':
      return bool(applyTest(node.name, evaluate(node.operand, scope), node, scope));
    case 'CondExpr':
      if (truthy(evaluate(node.test, scope))) return evaluate(node.then, scope);
      return node.else
        ? evaluate(node.else, scope)
        : undef('the inline if-expression evaluated to false and no else section was defined.');
    case 'And': {
      const l = evaluate(node.left, scope);
      return truthy(l) ? evaluate(node.right, scope) : l;
    }
    case 'Or': {
      const l = evaluate(node.left, scope);
      return truthy(l) ? l : evaluate(node.right, scope);
    }
    case 'Not':
      return bool(!truthy(evaluate(node.operand, scope)));
    case 'Neg':
    case 'Pos':
      return unaryArith(node.kind === 'Neg' ? '-' : '+', evaluate(node.operand, scope));
    case 'Compare':
      return compare(node.left, node.ops, scope);
    case 'BinOp': {
      const l = evaluate(node.left, scope);
      const r = evaluate(node.right, scope);
      if (isUndef(l)) throw undefinedError(l);
      if (isUndef(r)) throw undefinedError(r);
      return binaryArith(node.op, l, r);
    }
    case 'Concat':
      return str(node.items.map((x) => pyStr(evaluate(x, scope))).join(''));
  }
}

function dictLiteral(pairs: [Expr, Expr][], scope: Scope): RV {
  const m = new Map<string, RV>();
  const intKeys = new Set<string>();
  for (const [k, v] of pairs) {
    const key = evaluate(k, scope);
    const val = evaluate(v, scope);
    if (isStr(key)) {
      m.delete(key.value);
      m.set(key.value, val);
      intKeys.delete(key.value);
    } else if (isInt(key) || isBool(key) || (isFloat(key) && Number.isInteger(key.value))) {
      const s = String(isFloat(key) ? key.value : bigOf(key));
      if (!m.has(s) || !intKeys.has(s)) m.set(s, val);
      else m.set(s, val);
      intKeys.add(s);
    } else if (isList(key) || isDict(key)) throw typeError(`unhashable type: '${isDict(key) ? 'dict' : 'list'}'`);
    else throw typeError(`unsupported dict key type: '${key.type}'`);
  }
  return dict(m, intKeys);
}

function slice(obj: RV, s: Slice, scope: Scope): RV {
  const part = (e?: Expr) => (e ? evaluate(e, scope) : undefined);
  const [a, b, c] = [part(s.start), part(s.stop), part(s.step)];
  // jinja2 compiles a slice to a plain Python subscript (no sandbox getitem), so misses raise.
  if (isUndef(obj)) throw undefinedError(obj);
  if (isDict(obj)) throw typeError("unhashable type: 'slice'");
  if (!(isStr(obj) || (isList(obj) && !obj.view))) throw typeError(`'${pyTypeName(obj)}' object is not subscriptable`);
  return pySlice(obj, a, b, c);
}

/** Evaluates call arguments: positional, keyword, `*args` and `**kwargs`. */
export function evalArgs(node: CallArgs, scope: Scope): [RV[], Kwargs] {
  const args = node.args.map((a) => evaluate(a, scope));
  const kw: Kwargs = new Map();
  for (const [k, v] of node.kwargs) kw.set(k, evaluate(v, scope));
  if (node.dynArgs) args.push(...pyIter(evaluate(node.dynArgs, scope)));
  if (node.dynKwargs) {
    const d = evaluate(node.dynKwargs, scope);
    if (!isDict(d)) throw typeError(`argument after ** must be a mapping, not ${d.type}`);
    for (const [k, v] of d.value as Map<string, RV>) kw.set(k, v);
  }
  return [args, kw];
}

export function callValue(callee: RV, args: RV[], kw: Kwargs): RV {
  if (isUndef(callee)) throw undefinedError(callee);
  if (callee.type === 'FunctionValue') return (callee.value as (a: RV[], k: Kwargs) => RV)(args, kw);
  if (callee.type === 'LoopValue') return (callee.value as LoopState).call(args, kw);
  throw typeError(
    `'${callee.type === 'StringValue' ? 'str' : callee.type === 'IntegerValue' ? 'int' : callee.type === 'ObjectValue' ? 'dict' : callee.type === 'ArrayValue' ? 'list' : callee.type === 'NullValue' ? 'NoneType' : callee.type}' object is not callable`,
  );
}

function call(callee: RV, node: CallArgs, scope: Scope): RV {
  if (isUndef(callee)) throw undefinedError(callee);
  const [args, kw] = evalArgs(node, scope);
  return callValue(callee, args, kw);
}

export function applyFilter(name: string, value: RV, node: CallArgs, scope: Scope): RV {
  const f = FILTERS[name];
  if (!f)
    throw new TemplateRuntimeError(`No filter named ${pyStrRepr(name)} found.`, 'runtime', 'TemplateRuntimeError');
  const [args, kw] = evalArgs(node, scope);
  return f(value, args, kw);
}

function applyTest(name: string, value: RV, node: CallArgs, scope: Scope): boolean {
  const t = TESTS[name];
  if (!t) throw new TemplateRuntimeError(`No test named ${pyStrRepr(name)} found.`, 'runtime', 'TemplateRuntimeError');
  const [args] = evalArgs(node, scope);
  return t(value, ...args);
}

const OP_SYMBOL = { lt: '<', lteq: '<=', gt: '>', gteq: '>=' } as const;

function compare(leftNode: Expr, ops: [string, Expr][], scope: Scope): RV {
  let left = evaluate(leftNode, scope);
  for (const [op, rightNode] of ops) {
    const right = evaluate(rightNode, scope);
    let ok: boolean;
    if (op === 'eq') ok = pyEq(left, right);
    else if (op === 'ne') ok = !pyEq(left, right);
    else if (op === 'in') ok = pyIn(left, right);
    else if (op === 'notin') ok = !pyIn(left, right);
    else {
      if (isUndef(left)) throw undefinedError(left);
      if (isUndef(right)) throw undefinedError(right);
      ok = pyCompare(OP_SYMBOL[op as keyof typeof OP_SYMBOL], left, right);
    }
    if (!ok) return bool(false);
    left = right;
  }
  return bool(true);
}
