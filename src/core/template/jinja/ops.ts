// Python's operators on runtime values: ==, <, in, iteration, len() and arithmetic (exact ints,
// bigint beyond 2**53), with Python's TypeError/ZeroDivisionError messages.
import { TemplateRuntimeError } from './errors';
import { pyPercentFormat } from './pyformat';
import {
  type RV,
  bigOf,
  float,
  int,
  isDict,
  isFloat,
  isGenerator,
  isIntegral,
  isList,
  isNone,
  isNum,
  isStr,
  isUndef,
  list,
  numOf,
  pyTypeName,
  str,
  tuple,
} from './values';

export function typeError(message: string): TemplateRuntimeError {
  return new TemplateRuntimeError(message, 'type', 'TypeError');
}
export function runtimeError(message: string, pyClass: string): TemplateRuntimeError {
  return new TemplateRuntimeError(message, 'runtime', pyClass);
}
export function undefinedError(u: RV): TemplateRuntimeError {
  if (u.security) return runtimeError(u.hint ?? 'unsafe access', 'SecurityError');
  return runtimeError(u.hint ?? 'undefined value', 'UndefinedError');
}

/** Python's len() in code points (JS strings count UTF-16 units). */
export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

/** Python's `==`. */
export function pyEq(a: RV, b: RV): boolean {
  if (isNum(a) && isNum(b)) {
    if (isFloat(a) || isFloat(b)) return numOf(a) === numOf(b);
    return bigOf(a) === bigOf(b);
  }
  if (a.type !== b.type) return false;
  if (isStr(a)) return a.value === b.value;
  if (isNone(a) || isUndef(a)) return true;
  if (isList(a)) {
    const x = a.value as RV[];
    const y = b.value as RV[];
    return !!a.isTuple === !!b.isTuple && x.length === y.length && x.every((v, i) => pyEq(v, y[i]));
  }
  if (isDict(a)) {
    const x = a.value as Map<string, RV>;
    const y = b.value as Map<string, RV>;
    if (x.size !== y.size) return false;
    for (const [k, v] of x) {
      const w = y.get(k);
      if (!w || !!a.intKeys?.has(k) !== !!b.intKeys?.has(k) || !pyEq(v, w)) return false;
    }
    return true;
  }
  return a === b || a.value === b.value;
}

/** The keys of a dict as Python sees them (ints stay ints). */
export function dictKeys(d: RV): RV[] {
  const out: RV[] = [];
  for (const k of (d.value as Map<string, RV>).keys()) out.push(d.intKeys?.has(k) ? int(BigInt(k)) : str(k));
  return out;
}

/** Python's iteration of a value, as `for` and the sequence filters see it. */
export function pyIter(v: RV): RV[] {
  if (isList(v)) return v.value as RV[];
  if (isStr(v)) return Array.from(v.value as string, str);
  if (isDict(v)) return dictKeys(v);
  if (isUndef(v)) return [];
  if (isGenerator(v)) return (v.value as () => RV[])();
  if (v.type === 'NamespaceValue') throw typeError("'TemplateNamespace' object is not iterable");
  throw typeError(`'${pyTypeName(v)}' object is not iterable`);
}

/** Python's len(). */
export function pyLen(v: RV): number {
  if (isStr(v)) return codePointLength(v.value);
  if (isList(v)) return (v.value as RV[]).length;
  if (isDict(v)) return (v.value as Map<string, RV>).size;
  if (isUndef(v)) return 0;
  throw typeError(`object of type '${pyTypeName(v)}' has no len()`);
}

/** Python's `item in container`. */
export function pyIn(item: RV, container: RV): boolean {
  if (isUndef(container)) return false;
  if (isStr(container)) {
    if (!isStr(item)) throw typeError(`'in <string>' requires string as left operand, not ${pyTypeName(item)}`);
    return container.value.includes(item.value);
  }
  if (isList(container)) return (container.value as RV[]).some((x) => pyEq(item, x));
  if (isDict(container)) {
    const m = container.value as Map<string, RV>;
    if (isStr(item)) return m.has(item.value) && !container.intKeys?.has(item.value);
    if (isIntegral(item) || (isFloat(item) && Number.isInteger(item.value)))
      return !!container.intKeys?.has(String(bigOf(isFloat(item) ? int(item.value) : item)));
    if (isList(item) && !item.isTuple) throw typeError("unhashable type: 'list'");
    if (isDict(item)) throw typeError("unhashable type: 'dict'");
    return false;
  }
  if (isGenerator(container)) return pyIter(container).some((x) => pyEq(item, x));
  throw typeError(`argument of type '${pyTypeName(container)}' is not iterable`);
}

/** Python's ordering: -1/0/1, or TypeError for unorderable pairs. `op` names the operator in the message. */
export function pyCmp(op: string, a: RV, b: RV): number {
  if (isNum(a) && isNum(b)) {
    if (isFloat(a) || isFloat(b)) {
      const x = numOf(a);
      const y = numOf(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    const x = bigOf(a);
    const y = bigOf(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (isStr(a) && isStr(b)) return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  if (isList(a) && isList(b) && !!a.isTuple === !!b.isTuple) {
    const x = a.value as RV[];
    const y = b.value as RV[];
    let i = 0;
    while (i < x.length && i < y.length && pyEq(x[i], y[i])) i++;
    if (i < x.length && i < y.length) return pyCmp(op, x[i], y[i]);
    return Math.sign(x.length - y.length);
  }
  throw typeError(`'${op}' not supported between instances of '${pyTypeName(a)}' and '${pyTypeName(b)}'`);
}

export function pyCompare(op: '<' | '>' | '<=' | '>=', a: RV, b: RV): boolean {
  const c = pyCmp(op, a, b);
  return op === '<' ? c < 0 : op === '>' ? c > 0 : op === '<=' ? c <= 0 : c >= 0;
}

function floorDivBig(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function intArith(op: string, a: bigint, b: bigint): RV {
  switch (op) {
    case '+':
      return int(a + b);
    case '-':
      return int(a - b);
    case '*':
      return int(a * b);
    case '//':
      if (b === 0n) throw runtimeError('integer division or modulo by zero', 'ZeroDivisionError');
      return int(floorDivBig(a, b));
    case '%':
      if (b === 0n) throw runtimeError('integer modulo by zero', 'ZeroDivisionError');
      return int(a - b * floorDivBig(a, b));
    case '**':
      if (b < 0n) return float(Number(a) ** Number(b));
      if (b > 100000n) throw runtimeError('exponent too large', 'OverflowError');
      return int(a ** b);
  }
  throw new Error(op);
}

function floatArith(op: string, a: number, b: number): RV {
  switch (op) {
    case '+':
      return float(a + b);
    case '-':
      return float(a - b);
    case '*':
      return float(a * b);
    case '//':
      if (b === 0) throw runtimeError('float floor division by zero', 'ZeroDivisionError');
      return float(Math.floor(a / b));
    case '%': {
      if (b === 0) throw runtimeError('float modulo by zero', 'ZeroDivisionError');
      const r = a % b;
      return float(r !== 0 && r < 0 !== b < 0 ? r + b : r);
    }
    case '**':
      if (a === 0 && b < 0) throw runtimeError('0.0 cannot be raised to a negative power', 'ZeroDivisionError');
      return float(a ** b);
  }
  throw new Error(op);
}

/** Python's binary arithmetic (`+ - * / // % **`) with its TypeErrors. */
export function binaryArith(op: string, l: RV, r: RV): RV {
  if (op === '%' && isStr(l)) return str(pyPercentFormat(l.value, r));
  if (isNum(l) && isNum(r)) {
    if (op === '/') {
      const b = numOf(r);
      if (b === 0)
        throw runtimeError(
          isFloat(l) || isFloat(r) ? 'float division by zero' : 'division by zero',
          'ZeroDivisionError',
        );
      return float(numOf(l) / b);
    }
    if (isFloat(l) || isFloat(r)) return floatArith(op, numOf(l), numOf(r));
    return intArith(op, bigOf(l), bigOf(r));
  }
  if (op === '+') {
    if (isStr(l) && isStr(r)) return str(l.value + r.value);
    if (isList(l) && isList(r) && !!l.isTuple === !!r.isTuple && !l.view && !r.view) {
      const items = [...(l.value as RV[]), ...(r.value as RV[])];
      return l.isTuple ? tuple(items) : list(items);
    }
    if (isStr(l)) throw typeError(`can only concatenate str (not "${pyTypeName(r)}") to str`);
    if (isList(l) && !l.view)
      throw typeError(`can only concatenate ${pyTypeName(l)} (not "${pyTypeName(r)}") to ${pyTypeName(l)}`);
  }
  if (op === '*') {
    const [seq, n] = isIntegral(r) ? [l, r] : [r, l];
    if (isStr(seq) || (isList(seq) && !seq.view)) {
      if (!isIntegral(n)) throw typeError(`can't multiply sequence by non-int of type '${pyTypeName(n)}'`);
      const times = Math.max(0, numOf(n));
      if (isStr(seq)) return str(seq.value.repeat(times));
      const items: RV[] = [];
      for (let i = 0; i < times; i++) items.push(...(seq.value as RV[]));
      return seq.isTuple ? tuple(items) : list(items);
    }
  }
  const sym = op === '**' ? '** or pow()' : op;
  throw typeError(`unsupported operand type(s) for ${sym}: '${pyTypeName(l)}' and '${pyTypeName(r)}'`);
}

/** Python's unary minus/plus. */
export function unaryArith(op: '-' | '+', v: RV): RV {
  if (isUndef(v)) throw undefinedError(v);
  if (!isNum(v)) throw typeError(`bad operand type for unary ${op}: '${pyTypeName(v)}'`);
  if (isFloat(v)) return float(op === '-' ? -v.value : v.value);
  return op === '-' ? int(-bigOf(v)) : int(bigOf(v));
}
