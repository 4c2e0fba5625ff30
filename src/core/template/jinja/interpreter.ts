// @huggingface/jinja's Interpreter with Python/jinja2 semantics where they differ (see
// ../shared/notes/chat-templates.md): values print like Python's str/repr, `+` raises TypeError on
// mixed types, Undefined behaves like jinja2's (empty when printed, iterated, trimmed or measured; an
// UndefinedError naming the missing key when used), int dict keys, tuples, Python string methods,
// transformers' `tojson`, and the filters and tests real chat templates use.
// The base class keeps control flow, macros, call blocks, loops and `set`; we override `evaluate`
// (public) and two private methods it calls internally (`evaluateBlock`, `applyFilter`).
import { Environment, Interpreter } from '@huggingface/jinja';
import { TemplateRuntimeError } from './errors';
import { isPySpace, pyJsonDumps, pyPercentFormat, pyRepr, pySplit, pyStr, pyStrip, pyStrRepr } from './pyformat';
import {
  type RV,
  bool,
  childEnv,
  controlErrors,
  dict,
  float,
  fn,
  int,
  isBool,
  isDict,
  isFloat,
  isFunc,
  isInt,
  isKwargs,
  isList,
  isNamespace,
  isNone,
  isNum,
  isStr,
  isUndef,
  KeywordArgumentsValue,
  list,
  none,
  numOf,
  pyTypeName,
  str,
  truthy,
  tuple,
  undef,
} from './values';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = any;
type Kwargs = Map<string, RV>;

const NAMESPACE_REPR = 'transformers.utils.chat_template_utils.TemplateNamespace object';

export function typeError(message: string): TemplateRuntimeError {
  return new TemplateRuntimeError(message, 'type', 'TypeError');
}
export function undefinedError(u: RV): TemplateRuntimeError {
  if (u.security) return new TemplateRuntimeError(u.hint ?? 'unsafe access', 'runtime', 'SecurityError');
  return new TemplateRuntimeError(u.hint ?? 'undefined value', 'runtime', 'UndefinedError');
}

/** jinja2's `object_type_repr`, used in Undefined hints. */
function objectTypeRepr(v: RV): string {
  if (isNone(v)) return 'None';
  if (isNamespace(v)) return NAMESPACE_REPR;
  return `${pyTypeName(v)} object`;
}
function missingAttr(obj: RV, name: RV): RV {
  const what = isStr(name) ? `has no attribute ${pyStrRepr(name.value)}` : `has no element ${pyRepr(name)}`;
  return undef(`'${objectTypeRepr(obj)}' ${what}`);
}

const len = (s: string): number => {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
};
const chars = (s: string): string[] => Array.from(s);

/** Python's `==`. */
export function pyEq(a: RV, b: RV): boolean {
  if (isNum(a) && isNum(b)) return numOf(a) === numOf(b);
  if (a.type !== b.type && !(isList(a) && isList(b)) && !(isDict(a) && isDict(b))) return false;
  if (isStr(a) || isNone(a) || isUndef(a)) return isStr(a) ? a.value === b.value : true;
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
  return a === b;
}

function dictKeys(d: RV): RV[] {
  const out: RV[] = [];
  for (const k of (d.value as Map<string, RV>).keys()) out.push(d.intKeys?.has(k) ? int(Number(k)) : str(k));
  return out;
}

/** Python's iteration of a value, as `for` and the sequence filters see it. */
export function pyIter(v: RV): RV[] {
  if (isList(v)) return v.value as RV[];
  if (isStr(v)) return chars(v.value).map(str);
  if (isDict(v)) return dictKeys(v);
  if (isUndef(v)) return [];
  throw typeError(`'${pyTypeName(v)}' object is not iterable`);
}

function pyIn(item: RV, container: RV): boolean {
  if (isUndef(container)) return false;
  if (isStr(container)) {
    if (!isStr(item)) throw typeError(`'in <string>' requires string as left operand, not ${pyTypeName(item)}`);
    return container.value.includes(item.value);
  }
  if (isList(container)) return (container.value as RV[]).some((x) => pyEq(item, x));
  if (isDict(container)) {
    const m = container.value as Map<string, RV>;
    if (isStr(item)) return m.has(item.value) && !container.intKeys?.has(item.value);
    if (isInt(item) || isBool(item)) return !!container.intKeys?.has(String(numOf(item)));
    return false;
  }
  throw typeError(`argument of type '${pyTypeName(container)}' is not iterable`);
}

function pyCompare(op: string, a: RV, b: RV): boolean {
  let c: number;
  if (isNum(a) && isNum(b)) c = numOf(a) - numOf(b);
  else if (isStr(a) && isStr(b)) c = a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  else if (isList(a) && isList(b) && !!a.isTuple === !!b.isTuple) {
    const x = a.value as RV[];
    const y = b.value as RV[];
    let i = 0;
    while (i < x.length && i < y.length && pyEq(x[i], y[i])) i++;
    if (i < x.length && i < y.length) return pyCompare(op, x[i], y[i]);
    c = x.length - y.length;
  } else throw typeError(`'${op}' not supported between instances of '${pyTypeName(a)}' and '${pyTypeName(b)}'`);
  return op === '<' ? c < 0 : op === '>' ? c > 0 : op === '<=' ? c <= 0 : c >= 0;
}

function numResult(a: RV, b: RV, n: number): RV {
  return isFloat(a) || isFloat(b) ? float(n) : int(n);
}

function binaryArith(op: string, l: RV, r: RV): RV {
  const unsupported = () => typeError(`unsupported operand type(s) for ${op}: '${pyTypeName(l)}' and '${pyTypeName(r)}'`);
  if (op === '%' && isStr(l)) return str(pyPercentFormat(l.value, r));
  if (isNum(l) && isNum(r)) {
    const a = numOf(l);
    const b = numOf(r);
    const anyFloat = isFloat(l) || isFloat(r);
    switch (op) {
      case '+':
        return numResult(l, r, a + b);
      case '-':
        return numResult(l, r, a - b);
      case '*':
        return numResult(l, r, a * b);
      case '/':
        if (b === 0) throw new TemplateRuntimeError(anyFloat ? 'float division by zero' : 'division by zero', 'runtime', 'ZeroDivisionError');
        return float(a / b);
      case '//':
        if (b === 0) throw new TemplateRuntimeError(anyFloat ? 'float floor division by zero' : 'integer division or modulo by zero', 'runtime', 'ZeroDivisionError');
        return numResult(l, r, Math.floor(a / b));
      case '%':
        if (b === 0) throw new TemplateRuntimeError(anyFloat ? 'float modulo by zero' : 'integer modulo by zero', 'runtime', 'ZeroDivisionError');
        return numResult(l, r, ((a % b) + b) % b);
      case '**':
        return b < 0 || anyFloat ? float(a ** b) : int(a ** b);
    }
  }
  if (op === '+') {
    if (isStr(l) && isStr(r)) return str(l.value + r.value);
    if (isList(l) && isList(r) && !!l.isTuple === !!r.isTuple) {
      const items = [...(l.value as RV[]), ...(r.value as RV[])];
      return l.isTuple ? tuple(items) : list(items);
    }
    if (isStr(l)) throw typeError(`can only concatenate str (not "${pyTypeName(r)}") to str`);
    if (isList(l)) throw typeError(`can only concatenate ${pyTypeName(l)} (not "${pyTypeName(r)}") to ${pyTypeName(l)}`);
    throw unsupported();
  }
  if (op === '*') {
    const [seq, n] = isInt(r) || isBool(r) ? [l, r] : [r, l];
    if (isStr(seq) || isList(seq)) {
      if (!(isInt(n) || isBool(n))) throw typeError(`can't multiply sequence by non-int of type '${pyTypeName(n)}'`);
      const times = Math.max(0, numOf(n));
      if (isStr(seq)) return str(seq.value.repeat(times));
      const items: RV[] = [];
      for (let i = 0; i < times; i++) items.push(...(seq.value as RV[]));
      return seq.isTuple ? tuple(items) : list(items);
    }
  }
  throw unsupported();
}

// ── tests (`is …`, select/reject) ──────────────────────────────────────────────
type Test = (v: RV, ...args: RV[]) => boolean;
const needsInt = (name: string, v: RV): number => {
  if (isUndef(v)) throw undefinedError(v);
  if (!isNum(v)) throw typeError(`not all arguments converted during string formatting`);
  return numOf(v);
};
const hasCased = (s: string): boolean => s.toLowerCase() !== s.toUpperCase();
export const TESTS: Record<string, Test> = {
  defined: (v) => !isUndef(v),
  undefined: (v) => isUndef(v),
  none: (v) => isNone(v),
  boolean: (v) => isBool(v),
  false: (v) => isBool(v) && !v.value,
  true: (v) => isBool(v) && !!v.value,
  integer: (v) => isInt(v),
  float: (v) => isFloat(v),
  number: (v) => isNum(v),
  string: (v) => isStr(v),
  mapping: (v) => isDict(v),
  iterable: (v) => isStr(v) || isList(v) || isDict(v) || isUndef(v),
  sequence: (v) => isStr(v) || isList(v) || isDict(v) || isUndef(v),
  callable: (v) => isFunc(v),
  odd: (v) => needsInt('odd', v) % 2 !== 0,
  even: (v) => needsInt('even', v) % 2 === 0,
  lower: (v) => hasCased(pyStr(v)) && pyStr(v) === pyStr(v).toLowerCase(),
  upper: (v) => hasCased(pyStr(v)) && pyStr(v) === pyStr(v).toUpperCase(),
  divisibleby: (v, n) => needsInt('divisibleby', v) % numOf(n) === 0,
  eq: (a, b) => pyEq(a, b),
  equalto: (a, b) => pyEq(a, b),
  '==': (a, b) => pyEq(a, b),
  ne: (a, b) => !pyEq(a, b),
  '!=': (a, b) => !pyEq(a, b),
  lt: (a, b) => pyCompare('<', a, b),
  '<': (a, b) => pyCompare('<', a, b),
  le: (a, b) => pyCompare('<=', a, b),
  '<=': (a, b) => pyCompare('<=', a, b),
  gt: (a, b) => pyCompare('>', a, b),
  '>': (a, b) => pyCompare('>', a, b),
  ge: (a, b) => pyCompare('>=', a, b),
  '>=': (a, b) => pyCompare('>=', a, b),
  greaterthan: (a, b) => pyCompare('>', a, b),
  lessthan: (a, b) => pyCompare('<', a, b),
  in: (a, b) => pyIn(a, b),
  sameas: (a, b) => a === b || (isNone(a) && isNone(b)) || (isBool(a) && isBool(b) && a.value === b.value),
};

// ── Python str methods, bound to a string ──────────────────────────────────────
function splitKwargs(args: RV[]): [RV[], Kwargs] {
  const last = args[args.length - 1];
  return isKwargs(last) ? [args.slice(0, -1), last.value as Kwargs] : [args, new Map()];
}
const optStr = (v: RV | undefined): string | null => (v === undefined || isNone(v) ? null : pyStr(v));
function pyTitle(s: string): string {
  return s
    .split(/([-\s({[<]+)/)
    .map((w) => (w ? w[0].toUpperCase() + w.slice(1).toLowerCase() : w))
    .join('');
}
function pyCapitalize(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1).toLowerCase() : s;
}
const LINE_BREAKS = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;
function pySplitlines(s: string, keepends: boolean): string[] {
  const out: string[] = [];
  let rest = s;
  while (rest) {
    const m = LINE_BREAKS.exec(rest);
    if (!m) {
      out.push(rest);
      break;
    }
    out.push(rest.slice(0, keepends ? m.index + m[0].length : m.index));
    rest = rest.slice(m.index + m[0].length);
  }
  return out;
}
function strFormat(s: string, args: RV[], kwargs: Kwargs): string {
  let auto = 0;
  return s.replace(/\{\{|\}\}|\{([^{}!:]*)(?:![rsa])?(?::([^{}]*))?\}/g, (m, field: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const key = field ?? '';
    const v = key === '' ? args[auto++] : /^\d+$/.test(key) ? args[Number(key)] : kwargs.get(key);
    if (!v) throw new TemplateRuntimeError(key === '' || /^\d+$/.test(key) ? 'Replacement index out of range for positional args tuple' : pyStrRepr(key), 'runtime', key === '' ? 'IndexError' : 'KeyError');
    return pyStr(v);
  });
}

function stringMethod(s: string, name: string): RV | undefined {
  const m = (f: (args: RV[], kwargs: Kwargs) => RV): RV => fn((raw) => f(...splitKwargs(raw)));
  switch (name) {
    case 'strip':
    case 'lstrip':
    case 'rstrip':
      return m(([c]) => str(pyStrip(s, optStr(c), name !== 'rstrip', name !== 'lstrip')));
    case 'split':
    case 'rsplit':
      return m(([sep, max], kw) => {
        const sp = optStr(sep ?? kw.get('sep'));
        const mx = max ?? kw.get('maxsplit');
        const n = mx ? numOf(mx) : -1;
        if (name === 'rsplit' && n >= 0 && sp !== null) {
          const parts = s.split(sp);
          if (parts.length - 1 > n) return list([parts.slice(0, parts.length - n).join(sp), ...parts.slice(parts.length - n)].map(str));
          return list(parts.map(str));
        }
        return list(pySplit(s, sp, n).map(str));
      });
    case 'startswith':
    case 'endswith':
      return m(([p]) => {
        const opts = isList(p) ? (p.value as RV[]).map((x) => x.value as string) : [pyStrOnly(p, name)];
        return bool(opts.some((o) => (name === 'startswith' ? s.startsWith(o) : s.endsWith(o))));
      });
    case 'replace':
      return m(([a, b, c]) => {
        const from = pyStrOnly(a, name);
        const to = pyStrOnly(b, name);
        let count = c ? numOf(c) : -1;
        if (count < 0) return str(from === '' ? chars(s).join(to).replace(/^/, to) + to : s.split(from).join(to));
        let out = '';
        let rest = s;
        while (count-- > 0) {
          const i = rest.indexOf(from);
          if (i < 0) break;
          out += rest.slice(0, i) + to;
          rest = rest.slice(i + from.length);
        }
        return str(out + rest);
      });
    case 'lower':
      return m(() => str(s.toLowerCase()));
    case 'upper':
      return m(() => str(s.toUpperCase()));
    case 'title':
      return m(() => str(s.replace(/[\p{L}\p{N}]+/gu, (w) => w[0].toUpperCase() + w.slice(1).toLowerCase())));
    case 'capitalize':
      return m(() => str(pyCapitalize(s)));
    case 'find':
    case 'index':
      return m(([x]) => {
        const i = s.indexOf(pyStrOnly(x, name));
        if (i < 0 && name === 'index') throw new TemplateRuntimeError('substring not found', 'runtime', 'ValueError');
        return int(i < 0 ? -1 : len(s.slice(0, i)));
      });
    case 'rfind':
      return m(([x]) => {
        const i = s.lastIndexOf(pyStrOnly(x, name));
        return int(i < 0 ? -1 : len(s.slice(0, i)));
      });
    case 'count':
      return m(([x]) => {
        const t = pyStrOnly(x, name);
        return int(t === '' ? len(s) + 1 : s.split(t).length - 1);
      });
    case 'splitlines':
      return m(([k], kw) => list(pySplitlines(s, !!(k ?? kw.get('keepends'))?.__bool__().value).map(str)));
    case 'join':
      return m(([items]) => str(pyIter(items).map((x) => pyStrOnly(x, 'join')).join(s)));
    case 'format':
      return m((args, kw) => str(strFormat(s, args, kw)));
    case 'removeprefix':
      return m(([p]) => str(s.startsWith(pyStrOnly(p, name)) ? s.slice(p.value.length) : s));
    case 'removesuffix':
      return m(([p]) => str(p.value && s.endsWith(pyStrOnly(p, name)) ? s.slice(0, s.length - p.value.length) : s));
    case 'isdigit':
    case 'isnumeric':
    case 'isdecimal':
      return m(() => bool(s.length > 0 && /^\p{Nd}+$/u.test(s)));
    case 'isalpha':
      return m(() => bool(s.length > 0 && /^\p{L}+$/u.test(s)));
    case 'isalnum':
      return m(() => bool(s.length > 0 && /^[\p{L}\p{N}]+$/u.test(s)));
    case 'isspace':
      return m(() => bool(s.length > 0 && [...s].every(isPySpace)));
    case 'islower':
      return m(() => bool(hasCased(s) && s === s.toLowerCase()));
    case 'isupper':
      return m(() => bool(hasCased(s) && s === s.toUpperCase()));
    case 'zfill':
      return m(([w]) => {
        const sign = s[0] === '-' || s[0] === '+' ? s[0] : '';
        return str(sign + s.slice(sign.length).padStart(numOf(w) - sign.length, '0'));
      });
    case 'center':
    case 'ljust':
    case 'rjust':
      return m(([w, f]) => {
        const width = numOf(w);
        const fill = f ? f.value : ' ';
        const n = Math.max(0, width - len(s));
        if (name === 'ljust') return str(s + fill.repeat(n));
        if (name === 'rjust') return str(fill.repeat(n) + s);
        const left = Math.floor(n / 2) + (n & width & 1);
        return str(fill.repeat(left) + s + fill.repeat(n - left));
      });
  }
  return undefined;
}
function pyStrOnly(v: RV | undefined, method: string): string {
  if (!v || !isStr(v)) throw typeError(`${method}() argument must be str, not ${v ? pyTypeName(v) : 'nothing'}`);
  return v.value;
}

const UNSAFE_LIST = new Set(['append', 'extend', 'insert', 'pop', 'remove', 'clear', 'sort', 'reverse']);
const UNSAFE_DICT = new Set(['update', 'pop', 'popitem', 'setdefault', 'clear']);

function dictMethod(d: RV, name: string): RV | undefined {
  const m = d.value as Map<string, RV>;
  switch (name) {
    case 'items':
      return fn(() => list([...m].map(([k, v]) => tuple([d.intKeys?.has(k) ? int(Number(k)) : str(k), v]))));
    case 'keys':
      return fn(() => list(dictKeys(d)));
    case 'values':
      return fn(() => list([...m.values()]));
    case 'get':
      return fn(([k, dflt]) => {
        const key = isStr(k) ? k.value : isInt(k) && d.intKeys?.has(String(k.value)) ? String(k.value) : undefined;
        const v = key !== undefined && (isStr(k) ? !d.intKeys?.has(key) : true) ? m.get(key) : undefined;
        return v ?? (dflt && !isKwargs(dflt) ? dflt : none());
      });
    case 'copy':
      return fn(() => dict(new Map(m), d.intKeys && new Set(d.intKeys)));
    case 'cycle':
      // `loop.cycle(...)`: the base class's loop object is a plain dict, so we provide it here.
      if (m.has('index0') && m.has('revindex0')) return fn((args) => args[numOf(m.get('index0')!) % args.length] ?? undef());
  }
  if (UNSAFE_DICT.has(name)) return undef(`access to attribute '${name}' of 'dict' object is unsafe.`, true);
  return undefined;
}

/** jinja2's getattr/getitem: `obj.name` tries the attribute first, `obj[name]` the item first. */
export function getAttr(obj: RV, key: RV, subscript: boolean): RV {
  if (isUndef(obj)) throw undefinedError(obj);
  if (isDict(obj)) {
    const m = obj.value as Map<string, RV>;
    if (isStr(key)) {
      const item = obj.intKeys?.has(key.value) ? undefined : m.get(key.value);
      if (subscript && item) return item;
      const meth = dictMethod(obj, key.value);
      if (meth) return meth;
      if (item) return item;
    } else if ((isInt(key) || isBool(key)) && obj.intKeys?.has(String(numOf(key)))) return m.get(String(numOf(key)))!;
    return missingAttr(obj, key);
  }
  if (isList(obj) || isStr(obj)) {
    if (isInt(key) || isBool(key)) {
      let i = numOf(key);
      const items: RV[] | string[] = isStr(obj) ? (/[\ud800-\udfff]/.test(obj.value) ? chars(obj.value) : (obj.value as string).split('')) : obj.value;
      if (i < 0) i += items.length;
      if (i < 0 || i >= items.length) return missingAttr(obj, key);
      const v = items[i];
      return typeof v === 'string' ? str(v) : v;
    }
    if (isStr(key)) {
      if (isStr(obj)) return stringMethod(obj.value, key.value) ?? missingAttr(obj, key);
      if (UNSAFE_LIST.has(key.value) && !obj.isTuple) return undef(`access to attribute '${key.value}' of 'list' object is unsafe.`, true);
      const items = obj.value as RV[];
      if (key.value === 'count') return fn(([x]) => int(items.filter((y) => pyEq(x, y)).length));
      if (key.value === 'index')
        return fn(([x]) => {
          const i = items.findIndex((y) => pyEq(x, y));
          if (i < 0) throw new TemplateRuntimeError(`${pyRepr(x)} is not in list`, 'runtime', 'ValueError');
          return int(i);
        });
    }
    return missingAttr(obj, key);
  }
  if (isNamespace(obj) && isStr(key)) {
    return (obj.value as Map<string, RV>).get(key.value) ?? missingAttr(obj, key);
  }
  return missingAttr(obj, key);
}

export function toStringValue(v: RV): string {
  return pyStr(v);
}

// ── filters ───────────────────────────────────────────────────────────────────
type Filter = (this: PyInterpreter, v: RV, args: RV[], kw: Kwargs, env: Environment) => RV;
const arg = (args: RV[], kw: Kwargs, i: number, name: string): RV | undefined => args[i] ?? kw.get(name);
const truthyOpt = (v: RV | undefined): boolean => !!v && truthy(v);

function pyLen(v: RV): number {
  if (isStr(v)) return len(v.value);
  if (isList(v)) return (v.value as RV[]).length;
  if (isDict(v)) return (v.value as Map<string, RV>).size;
  if (isUndef(v)) return 0;
  throw typeError(`object of type '${pyTypeName(v)}' has no len()`);
}

/** Dotted attribute lookup used by map/sort/selectattr(attribute='a.b.0'). */
function attrPath(item: RV, path: RV): RV {
  if (isInt(path)) return getAttr(item, path, true);
  let v = item;
  for (const part of String(path.value).split('.')) v = getAttr(v, /^\d+$/.test(part) ? int(Number(part)) : str(part), true);
  return v;
}

function pyRound(x: number, digits: number, method: string): number {
  const f = 10 ** digits;
  if (method === 'floor') return Math.floor(x * f) / f;
  if (method === 'ceil') return Math.ceil(x * f) / f;
  // jinja2's 'common' is Python's round(): ties go to the even neighbour.
  const y = x * f;
  const r = Math.abs(y % 1) === 0.5 ? 2 * Math.round(y / 2) : Math.round(y);
  return r / f;
}

function sortKey(a: RV, b: RV, caseSensitive: boolean): number {
  const norm = (v: RV) => (!caseSensitive && isStr(v) ? str(v.value.toLowerCase()) : v);
  const x = norm(a);
  const y = norm(b);
  return pyCompare('<', x, y) ? -1 : pyCompare('>', x, y) ? 1 : 0;
}

function selectFilter(this: PyInterpreter, v: RV, args: RV[], kw: Kwargs, env: Environment, attr: boolean, keep: boolean): RV {
  const items = pyIter(v);
  const rest = attr ? args.slice(1) : args;
  const testName = rest[0];
  const testArgs = rest.slice(1);
  let test: Test = (x) => truthy(x);
  if (testName) {
    const t = TESTS[String(testName.value)];
    if (!t) throw new TemplateRuntimeError(`No test named ${pyStrRepr(String(testName.value))}.`, 'runtime', 'TemplateRuntimeError');
    test = t;
  }
  void env;
  return list(items.filter((item) => test(attr ? attrPath(item, args[0]) : item, ...testArgs) === keep));
}

export const FILTERS: Record<string, Filter> = {
  tojson(v, args, kw) {
    // transformers' tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)
    const ensureAscii = arg(args, kw, 0, 'ensure_ascii');
    const indent = arg(args, kw, 1, 'indent');
    const seps = arg(args, kw, 2, 'separators');
    const sortKeys = arg(args, kw, 3, 'sort_keys');
    let ind: string | null = null;
    if (indent && !isNone(indent)) ind = isStr(indent) ? indent.value : ' '.repeat(Math.max(0, numOf(indent)));
    let separators: [string, string] | null = null;
    if (seps && !isNone(seps)) {
      const s = pyIter(seps);
      if (s.length !== 2) throw new TemplateRuntimeError(`too many values to unpack (expected 2)`, 'runtime', 'ValueError');
      separators = [pyStr(s[0]), pyStr(s[1])];
    }
    return str(pyJsonDumps(v, { ensureAscii: truthyOpt(ensureAscii), indent: ind, separators, sortKeys: truthyOpt(sortKeys) }));
  },
  string: (v) => str(pyStr(v)),
  safe: (v) => v,
  trim: (v, args, kw) => str(pyStrip(pyStr(v), optStr(arg(args, kw, 0, 'chars')), true, true)),
  upper: (v) => str(pyStr(v).toUpperCase()),
  lower: (v) => str(pyStr(v).toLowerCase()),
  capitalize: (v) => str(pyCapitalize(pyStr(v))),
  title: (v) => str(pyTitle(pyStr(v))),
  length: (v) => int(pyLen(v)),
  count: (v) => int(pyLen(v)),
  wordcount: (v) => int((pyStr(v).match(/[\p{L}\p{N}_]+/gu) ?? []).length),
  first(v) {
    const items = pyIter(v);
    return items.length ? items[0] : undef('No first item, sequence was empty.');
  },
  last(v) {
    const items = pyIter(v);
    return items.length ? items[items.length - 1] : undef('No last item, sequence was empty.');
  },
  list: (v) => list(pyIter(v)),
  reverse: (v) => (isStr(v) ? str(chars(v.value).reverse().join('')) : list([...pyIter(v)].reverse())),
  join(v, args, kw) {
    const sep = arg(args, kw, 0, 'd');
    const attribute = arg(args, kw, 1, 'attribute');
    const items = pyIter(v).map((x) => (attribute && !isNone(attribute) ? attrPath(x, attribute) : x));
    return str(items.map(pyStr).join(sep ? pyStr(sep) : ''));
  },
  default(v, args, kw) {
    const dflt = arg(args, kw, 0, 'default_value') ?? str('');
    const boolean = arg(args, kw, 1, 'boolean');
    return isUndef(v) || (truthyOpt(boolean) && !truthy(v)) ? dflt : v;
  },
  items(v) {
    if (isUndef(v)) return list([]);
    if (!isDict(v)) throw typeError('Can only get item pairs from a mapping.');
    return (dictMethod(v, 'items')!.value as (a: RV[]) => RV)([]);
  },
  map(v, args, kw, env) {
    const items = pyIter(v);
    if (args.length === 0 && kw.has('attribute')) {
      const dflt = kw.get('default');
      return list(items.map((x) => {
        const r = attrPath(x, kw.get('attribute')!);
        return isUndef(r) && dflt ? dflt : r;
      }));
    }
    if (!args[0]) throw new TemplateRuntimeError('map requires a filter argument', 'runtime', 'FilterArgumentError');
    const name = pyStr(args[0]);
    const f = FILTERS[name];
    if (!f) throw new TemplateRuntimeError(`No filter named ${pyStrRepr(name)}.`, 'runtime', 'TemplateRuntimeError');
    return list(items.map((x) => f.call(this, x, args.slice(1), kw, env)));
  },
  select(v, args, kw, env) {
    return selectFilter.call(this, v, args, kw, env, false, true);
  },
  reject(v, args, kw, env) {
    return selectFilter.call(this, v, args, kw, env, false, false);
  },
  selectattr(v, args, kw, env) {
    return selectFilter.call(this, v, args, kw, env, true, true);
  },
  rejectattr(v, args, kw, env) {
    return selectFilter.call(this, v, args, kw, env, true, false);
  },
  sort(v, args, kw) {
    const reverse = truthyOpt(arg(args, kw, 0, 'reverse'));
    const cs = truthyOpt(arg(args, kw, 1, 'case_sensitive'));
    const attribute = arg(args, kw, 2, 'attribute');
    const key = (x: RV) => (attribute && !isNone(attribute) ? attrPath(x, attribute) : x);
    const sorted = [...pyIter(v)].sort((a, b) => sortKey(key(a), key(b), cs));
    return list(reverse ? sorted.reverse() : sorted);
  },
  unique(v, args, kw) {
    const cs = truthyOpt(arg(args, kw, 0, 'case_sensitive'));
    const out: RV[] = [];
    for (const x of pyIter(v)) {
      const k = !cs && isStr(x) ? str(x.value.toLowerCase()) : x;
      if (!out.some((y) => pyEq(!cs && isStr(y) ? str(y.value.toLowerCase()) : y, k))) out.push(x);
    }
    return list(out);
  },
  max(v, args, kw) {
    return extreme(v, args, kw, 1);
  },
  min(v, args, kw) {
    return extreme(v, args, kw, -1);
  },
  sum(v, args, kw) {
    const attribute = arg(args, kw, 0, 'attribute');
    let acc: RV = arg(args, kw, 1, 'start') ?? int(0);
    for (const x of pyIter(v)) acc = binaryArith('+', acc, attribute && !isNone(attribute) ? attrPath(x, attribute) : x);
    return acc;
  },
  abs(v) {
    if (!isNum(v)) throw typeError(`bad operand type for abs(): '${pyTypeName(v)}'`);
    return isFloat(v) ? float(Math.abs(v.value)) : int(Math.abs(numOf(v)));
  },
  round(v, args, kw) {
    const p = arg(args, kw, 0, 'precision');
    const method = arg(args, kw, 1, 'method');
    if (!isNum(v)) throw typeError(`type ${pyTypeName(v)} doesn't define __round__ method`);
    return float(pyRound(numOf(v), p ? numOf(p) : 0, method ? pyStr(method) : 'common'));
  },
  int(v, args, kw) {
    const dflt = arg(args, kw, 0, 'default') ?? int(0);
    if (isNum(v)) return int(Math.trunc(numOf(v)));
    const s = pyStrip(pyStr(v), null, true, true).replace(/_/g, '');
    if (/^[+-]?\d+$/.test(s)) return int(Number(s));
    const f = Number(s);
    return s !== '' && Number.isFinite(f) ? int(Math.trunc(f)) : dflt;
  },
  float(v, args, kw) {
    const dflt = arg(args, kw, 0, 'default') ?? float(0);
    if (isNum(v)) return float(numOf(v));
    const s = pyStrip(pyStr(v), null, true, true).toLowerCase();
    const f = s === 'inf' || s === '+inf' || s === 'infinity' ? Infinity : s === '-inf' || s === '-infinity' ? -Infinity : s === 'nan' ? NaN : s === '' ? NaN : Number(s);
    return Number.isNaN(f) && s !== 'nan' ? dflt : float(f);
  },
  format(v, args, kw) {
    return str(pyPercentFormat(pyStr(v), kw.size ? dict(kw) : tuple(args)));
  },
  replace(v, args, kw) {
    const meth = stringMethod(pyStr(v), 'replace')!;
    return (meth.value as (a: RV[]) => RV)([str(pyStr(args[0] ?? kw.get('old')!)), str(pyStr(args[1] ?? kw.get('new')!)), ...(args[2] ?? kw.get('count') ? [args[2] ?? kw.get('count')!] : [])]);
  },
  indent(v, args, kw) {
    const width = arg(args, kw, 0, 'width') ?? int(4);
    const first = truthyOpt(arg(args, kw, 1, 'first'));
    const blank = truthyOpt(arg(args, kw, 2, 'blank'));
    const ind = isStr(width) ? width.value : ' '.repeat(numOf(width));
    const lines = pySplitlines(pyStr(v) + '\n', false);
    let rv: string;
    if (blank) rv = lines.join('\n' + ind);
    else {
      rv = lines.shift() ?? '';
      if (lines.length) rv += '\n' + lines.map((l) => (l ? ind + l : l)).join('\n');
    }
    return str(first ? ind + rv : rv);
  },
  escape: (v) => str(escapeHtml(v)),
  e: (v) => str(escapeHtml(v)),
  center(v, args, kw) {
    return (stringMethod(pyStr(v), 'center')!.value as (a: RV[]) => RV)([arg(args, kw, 0, 'width') ?? int(80)]);
  },
  dictsort(v, args, kw) {
    if (!isDict(v)) throw typeError('You can only sort by either "key" or "value"');
    const cs = truthyOpt(arg(args, kw, 0, 'case_sensitive'));
    const by = arg(args, kw, 1, 'by');
    const reverse = truthyOpt(arg(args, kw, 2, 'reverse'));
    const pos = by && pyStr(by) === 'value' ? 1 : 0;
    const pairs = pyIter((dictMethod(v, 'items')!.value as (a: RV[]) => RV)([]));
    pairs.sort((a, b) => sortKey((a.value as RV[])[pos], (b.value as RV[])[pos], cs));
    return list(reverse ? pairs.reverse() : pairs);
  },
};
FILTERS.d = FILTERS.default;

function escapeHtml(v: RV): string {
  return pyStr(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;');
}

function extreme(v: RV, args: RV[], kw: Kwargs, sign: 1 | -1): RV {
  const cs = truthyOpt(arg(args, kw, 0, 'case_sensitive'));
  const attribute = arg(args, kw, 1, 'attribute');
  const items = pyIter(v);
  if (!items.length) return undef(`No aggregated item, sequence was empty.`);
  const key = (x: RV) => (attribute && !isNone(attribute) ? attrPath(x, attribute) : x);
  let best = items[0];
  for (const x of items.slice(1)) if (sortKey(key(x), key(best), cs) * sign > 0) best = x;
  return best;
}

const ONE = int(1);
const ZERO = int(0);
const NO_PREV = undef('there is no previous item');
const NO_NEXT = undef('there is no next item');

// ── the interpreter ───────────────────────────────────────────────────────────
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const base = Interpreter.prototype as any;

export class PyInterpreter extends Interpreter {
  override evaluate(node: Node, env: Environment): never {
    if (node === undefined || node === null) return undef() as never;
    if (node.__pos === undefined) return this.dispatch(node, env) as never;
    try {
      return this.dispatch(node, env) as never;
    } catch (e) {
      if (e instanceof TemplateRuntimeError) {
        if (e.offset === undefined) e.offset = node.__pos;
        throw e;
      }
      if (controlErrors.some((c) => e instanceof c)) throw e;
      const w = new TemplateRuntimeError(e instanceof Error ? e.message : String(e), 'runtime');
      w.offset = node.__pos;
      throw w;
    }
  }

  private dispatch(node: Node, env: Environment): RV {
    const r = this.dispatchInner(node, env);
    if (node.__iter) {
      // A `for` loop's iterable: Python iterates strings, dict keys (ints stay ints) and Undefined (empty).
      if (isNone(r) || isNum(r) || isNamespace(r) || isFunc(r)) throw typeError(`'${pyTypeName(r)}' object is not iterable`);
      if (isStr(r) || isUndef(r) || (isDict(r) && r.intKeys)) return list(pyIter(r));
    }
    return r;
  }

  private dispatchInner(node: Node, env: Environment): RV {
    switch (node.type) {
      case 'Identifier': {
        const v = env.lookupVariable(node.value) as unknown as RV;
        return isUndef(v) && !v.hint ? undef(`'${node.value}' is undefined`) : v;
      }
      case 'MemberExpression': {
        const obj = this.evaluate(node.object, env) as RV;
        if (isUndef(obj)) throw undefinedError(obj);
        if (node.computed && node.property.type === 'SliceExpression') {
          if (!(isList(obj) || isStr(obj))) throw typeError(`'${pyTypeName(obj)}' object is not subscriptable`);
          return base.evaluateSliceExpression.call(this, obj, node.property, env);
        }
        const key: RV = node.computed
          ? (this.evaluate(node.property, env) as RV)
          : node.property.type === 'IntegerLiteral'
            ? int(node.property.value)
            : str(node.property.value);
        return getAttr(obj, key, node.computed);
      }
      case 'CallExpression': {
        const callee = this.evaluate(node.callee, env) as RV;
        if (isUndef(callee)) throw undefinedError(callee);
        if (!isFunc(callee)) throw typeError(`'${pyTypeName(callee)}' object is not callable`);
        const [args, kwargs] = base.evaluateArguments.call(this, node.args, env) as [RV[], Kwargs];
        if (kwargs.size > 0) args.push(new KeywordArgumentsValue(kwargs));
        return callee.value(args, env);
      }
      case 'BinaryExpression':
        return this.binary(node, env);
      case 'UnaryExpression': {
        if (node.operator.value === 'not') return bool(!truthy(this.evaluate(node.argument, env) as RV));
        const v = this.evaluate(node.argument, env) as RV;
        if (isUndef(v)) throw undefinedError(v);
        if (!isNum(v)) throw typeError(`bad operand type for unary ${node.operator.value}: '${pyTypeName(v)}'`);
        const n = node.operator.value === '-' ? -numOf(v) : numOf(v);
        return isFloat(v) ? float(n) : int(n);
      }
      case 'TestExpression': {
        const v = this.evaluate(node.operand, env) as RV;
        const t = TESTS[node.test.value];
        if (!t) throw new TemplateRuntimeError(`No test named ${pyStrRepr(node.test.value)}.`, 'runtime', 'TemplateAssertionError');
        return bool(t(v) !== node.negate);
      }
      case 'TupleLiteral':
        return tuple(node.value.map((x: Node) => this.evaluate(x, env)));
      case 'ObjectLiteral': {
        const m = new Map<string, RV>();
        const intKeys = new Set<string>();
        for (const [k, v] of node.value as Map<Node, Node>) {
          const key = this.evaluate(k, env) as RV;
          const val = this.evaluate(v, env) as RV;
          if (isStr(key)) {
            m.set(key.value, val);
            intKeys.delete(key.value);
          } else if (isInt(key) || isBool(key)) {
            const s = String(numOf(key));
            m.set(s, val);
            intKeys.add(s);
          } else throw typeError(`unsupported dict key type: '${pyTypeName(key)}'`);
        }
        return dict(m, intKeys);
      }
      // Literals are immutable: build their value once per node.
      case 'StringLiteral':
        return (node.__rv ??= str(node.value));
      case 'IntegerLiteral':
        return (node.__rv ??= int(node.value));
      case 'FloatLiteral':
        return (node.__rv ??= float(node.value));
      case 'For':
        return this.pyFor(node, env);
      case 'If':
        return this.block(truthy(this.evaluate(node.test, env) as RV) ? node.body : node.alternate, env);
      case 'Ternary':
        return this.evaluate(truthy(this.evaluate(node.condition, env) as RV) ? node.trueExpr : node.falseExpr, env) as RV;
      default:
        return super.evaluate(node, env) as unknown as RV;
    }
  }

  /** jinja2's for loop: filtered items, `loop` (index, first, last, cycle …), else-block, break/continue. */
  private pyFor(node: Node, env: Environment): RV {
    const scope = childEnv(env);
    let iterNode = node.iterable;
    let test: Node;
    if (iterNode.type === 'SelectExpression') {
      test = iterNode.test;
      iterNode = iterNode.lhs;
    }
    const iterable = this.evaluate(iterNode, scope) as RV;
    let items = pyIter(iterable);
    const lv = node.loopvar;
    const bind = (s: Environment, item: RV) => {
      if (lv.type === 'Identifier') {
        s.variables.set(lv.value, item as never);
        return;
      }
      const parts = pyIter(item);
      const want = lv.value.length;
      if (parts.length !== want)
        throw new TemplateRuntimeError(
          parts.length > want ? `too many values to unpack (expected ${want})` : `not enough values to unpack (expected ${want}, got ${parts.length})`,
          'runtime',
          'ValueError',
        );
      for (let j = 0; j < want; j++) s.variables.set(lv.value[j].value, parts[j] as never);
    };
    if (test) {
      items = items.filter((item) => {
        const ls = childEnv(scope);
        bind(ls, item);
        return truthy(this.evaluate(test, ls) as RV);
      });
    }
    const n = items.length;
    if (n === 0) return this.block(node.defaultBlock, scope);
    const nRV = int(n);
    let out = '';
    for (let i = 0; i < n; i++) {
      const loop = new Map<string, RV>()
        .set('index', int(i + 1))
        .set('index0', int(i))
        .set('revindex', int(n - i))
        .set('revindex0', int(n - i - 1))
        .set('first', bool(i === 0))
        .set('last', bool(i === n - 1))
        .set('length', nRV)
        .set('depth', ONE)
        .set('depth0', ZERO)
        .set('previtem', i > 0 ? items[i - 1] : NO_PREV)
        .set('nextitem', i < n - 1 ? items[i + 1] : NO_NEXT);
      scope.variables.set('loop', dict(loop) as never);
      bind(scope, items[i]);
      try {
        out += this.block(node.body, scope).value;
      } catch (e) {
        const ctl = e instanceof controlErrors[1] ? 'continue' : e instanceof controlErrors[0] ? 'break' : undefined;
        if (!ctl) throw e;
        out += (e as { partial?: string }).partial ?? '';
        if (ctl === 'continue') continue;
        break;
      }
    }
    return str(out);
  }

  private block(stmts: Node[], env: Environment): RV {
    return (this as unknown as { evaluateBlock(b: Node[], e: Environment): RV }).evaluateBlock(stmts, env);
  }

  private binary(node: Node, env: Environment): RV {
    const op: string = node.operator.value;
    const l = this.evaluate(node.left, env) as RV;
    if (op === 'and') return truthy(l) ? (this.evaluate(node.right, env) as RV) : l;
    if (op === 'or') return truthy(l) ? l : (this.evaluate(node.right, env) as RV);
    const r = this.evaluate(node.right, env) as RV;
    switch (op) {
      case '==':
        return bool(pyEq(l, r));
      case '!=':
        return bool(!pyEq(l, r));
      case 'in':
        return bool(pyIn(l, r));
      case 'not in':
        return bool(!pyIn(l, r));
      case '~':
        return str(pyStr(l) + pyStr(r));
    }
    if (isUndef(l)) throw undefinedError(l);
    if (isUndef(r)) throw undefinedError(r);
    if (op === '<' || op === '>' || op === '<=' || op === '>=') return bool(pyCompare(op, l, r));
    return binaryArith(op, l, r);
  }
}

// Private methods of the base class that it calls on `this`: replaced on our prototype only.
Object.assign(PyInterpreter.prototype, {
  /** Concatenates a body's output the way jinja2 prints: str() of every expression, nothing for set/macro. */
  evaluateBlock(this: PyInterpreter, statements: Node[], env: Environment): RV {
    let out = '';
    for (const s of statements) {
      let v: RV;
      try {
        v = this.evaluate(s, env) as RV;
      } catch (e) {
        // break/continue: jinja2 has already emitted this iteration's output so far; carry it up.
        if (controlErrors.some((c) => e instanceof c)) (e as { partial?: string }).partial = out + ((e as { partial?: string }).partial ?? '');
        throw e;
      }
      const t = s.type;
      if (t === 'Set' || t === 'Macro' || t === 'Comment') continue;
      out += v.type === 'StringValue' ? v.value : pyStr(v);
    }
    return str(out);
  },
  applyFilter(this: PyInterpreter, operand: RV, filterNode: Node, env: Environment): RV {
    const isCall = filterNode.type === 'CallExpression';
    const name: string = isCall ? filterNode.callee.value : filterNode.value;
    const f = FILTERS[name];
    if (!f) {
      if (isUndef(operand)) throw undefinedError(operand);
      return base.applyFilter.call(this, operand, filterNode, env);
    }
    const [args, kwargs] = isCall ? (base.evaluateArguments.call(this, filterNode.args, env) as [RV[], Kwargs]) : [[], new Map()];
    return f.call(this, operand, args, kwargs, env);
  },
});
