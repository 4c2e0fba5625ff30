// Runtime values of the template interpreter: plain tagged objects that stand for Python values.
// `type` names follow the Python type they model; ints may be bigint when they leave the safe range
// (Python ints are exact), floats keep their "floatness" even when integral (21.0 prints `21.0`).
import { ExactNumber } from '../exactJson';

export type Kwargs = Map<string, RV>;
/** A callable: positional arguments and keyword arguments, like Python's `f(*args, **kwargs)`. */
export type Fn = (args: RV[], kw: Kwargs) => RV;

export type ValueType =
  | 'StringValue'
  | 'IntegerValue'
  | 'FloatValue'
  | 'BooleanValue'
  | 'NullValue'
  | 'UndefinedValue'
  | 'ArrayValue'
  | 'ObjectValue'
  | 'NamespaceValue'
  | 'FunctionValue'
  | 'GeneratorValue'
  | 'LoopValue'
  | 'ObjectRefValue';

export interface RV {
  type: ValueType;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the payload depends on `type`
  value: any;
  /** ArrayValue: a Python tuple (printed with parentheses, immutable). */
  isTuple?: boolean;
  /** ObjectValue: keys that are ints in Python (`{0: 'a'}`): the Map keys are their decimal strings. */
  intKeys?: Set<string>;
  /** UndefinedValue: the message Python's jinja2 Undefined would raise. */
  hint?: string;
  /** UndefinedValue standing for an unsafe attribute: using it is a SecurityError. */
  security?: boolean;
  /** GeneratorValue / ObjectRefValue: the Python type name (`generator`, `list_reverseiterator` …). */
  pyType?: string;
  /** ArrayValue produced by dict.items()/keys()/values(): Python prints it as `dict_items([...])`. */
  view?: string;
  /** FunctionValue: a macro (printed as `<Macro 'name'>`) or a named callable. */
  name?: string;
}

const mk = (type: ValueType, value: unknown): RV => ({ type, value });
const TRUE = mk('BooleanValue', true);
const FALSE = mk('BooleanValue', false);
const NONE = mk('NullValue', null);
const UNDEF = mk('UndefinedValue', undefined);

export const str = (s: string): RV => mk('StringValue', s);
/** A Python int: a JS number while exact, a bigint beyond 2**53. */
export function int(n: number | bigint): RV {
  if (typeof n === 'bigint') return mk('IntegerValue', n >= -MAX_SAFE && n <= MAX_SAFE ? Number(n) : n);
  return mk('IntegerValue', n);
}
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
export const float = (n: number): RV => mk('FloatValue', n);
export const bool = (b: boolean): RV => (b ? TRUE : FALSE);
export const none = (): RV => NONE;
export const list = (items: RV[]): RV => mk('ArrayValue', items);
export function fn(f: Fn, name?: string): RV {
  const v = mk('FunctionValue', f);
  if (name) v.name = name;
  return v;
}
export function tuple(items: RV[]): RV {
  const t = list(items);
  t.isTuple = true;
  return t;
}
export function undef(hint?: string, security = false): RV {
  if (!hint) return UNDEF;
  const u = mk('UndefinedValue', undefined);
  u.hint = hint;
  if (security) u.security = true;
  return u;
}
export function dict(entries: Map<string, RV>, intKeys?: Set<string>): RV {
  const d = mk('ObjectValue', entries);
  if (intKeys && intKeys.size) d.intKeys = intKeys;
  return d;
}
export const namespace = (entries: Map<string, RV>): RV => mk('NamespaceValue', entries);

/**
 * A one-shot lazy sequence (jinja2's select/map/reject/unique … return generators): iterable once,
 * no len(), not subscriptable. `pyType` is what Python calls it in error messages.
 */
export function generator(produce: () => RV[], pyType = 'generator'): RV {
  let done = false;
  const g = mk('GeneratorValue', () => {
    if (done) return [];
    done = true;
    return produce();
  });
  g.pyType = pyType;
  return g;
}

export const isStr = (v: RV): boolean => v.type === 'StringValue';
export const isInt = (v: RV): boolean => v.type === 'IntegerValue';
export const isFloat = (v: RV): boolean => v.type === 'FloatValue';
export const isBool = (v: RV): boolean => v.type === 'BooleanValue';
export const isNone = (v: RV): boolean => v.type === 'NullValue';
export const isUndef = (v: RV): boolean => v.type === 'UndefinedValue';
/** list or tuple. */
export const isList = (v: RV): boolean => v.type === 'ArrayValue';
export const isDict = (v: RV): boolean => v.type === 'ObjectValue';
export const isNamespace = (v: RV): boolean => v.type === 'NamespaceValue';
export const isFunc = (v: RV): boolean => v.type === 'FunctionValue';
export const isGenerator = (v: RV): boolean => v.type === 'GeneratorValue';
/** Python numbers: int, float and bool (bool is an int subclass). */
export const isNum = (v: RV): boolean =>
  v.type === 'IntegerValue' || v.type === 'FloatValue' || v.type === 'BooleanValue';
/** int or bool: what Python accepts as an index or a repeat count. */
export const isIntegral = (v: RV): boolean => v.type === 'IntegerValue' || v.type === 'BooleanValue';
/** A number as a JS double (big ints round, as Python's float(x) would). */
export const numOf = (v: RV): number => (v.type === 'BooleanValue' ? (v.value ? 1 : 0) : Number(v.value));
/** An int or bool as an exact bigint. */
export const bigOf = (v: RV): bigint => (v.type === 'BooleanValue' ? (v.value ? 1n : 0n) : BigInt(v.value));

/** Python truthiness. */
export function truthy(v: RV): boolean {
  switch (v.type) {
    case 'StringValue':
      return v.value.length > 0;
    case 'IntegerValue':
    case 'FloatValue':
      return v.value != 0; // eslint-disable-line eqeqeq -- number or bigint zero
    case 'BooleanValue':
      return v.value;
    case 'NullValue':
    case 'UndefinedValue':
      return false;
    case 'ArrayValue':
      return v.value.length > 0;
    case 'ObjectValue':
      return v.value.size > 0;
    default:
      return true;
  }
}

/**
 * Converts JSON-like JS data (messages, tools, kwargs) to runtime values. ExactNumber keeps what the
 * user wrote: `21.0` stays a float and `12345678901234567890` an exact int.
 */
export function toRuntime(x: unknown): RV {
  switch (typeof x) {
    case 'string':
      return str(x);
    case 'number':
      return Number.isInteger(x) ? int(x) : float(x);
    case 'bigint':
      return int(x);
    case 'boolean':
      return bool(x);
    case 'undefined':
      return undef();
    case 'object': {
      if (x === null) return none();
      if (x instanceof ExactNumber) return x.isFloat ? float(x.valueOf()) : int(BigInt(x.text));
      if (Array.isArray(x)) return list(x.map(toRuntime));
      if (x instanceof Map) {
        const entries = new Map<string, RV>();
        for (const [k, v] of x) entries.set(String(k), toRuntime(v));
        return dict(entries);
      }
      const m = new Map<string, RV>();
      for (const k in x as Record<string, unknown>) m.set(k, toRuntime((x as Record<string, unknown>)[k]));
      return dict(m);
    }
    default:
      return none();
  }
}

/** Python's `type(x).__name__`, used in error messages. */
export function pyTypeName(v: RV): string {
  switch (v.type) {
    case 'StringValue':
      return 'str';
    case 'IntegerValue':
      return 'int';
    case 'FloatValue':
      return 'float';
    case 'BooleanValue':
      return 'bool';
    case 'NullValue':
      return 'NoneType';
    case 'UndefinedValue':
      return 'Undefined';
    case 'NamespaceValue':
      return 'TemplateNamespace';
    case 'FunctionValue':
      return v.name?.startsWith('<Macro') ? 'Macro' : 'function';
    case 'ArrayValue':
      return v.view ?? (v.isTuple ? 'tuple' : 'list');
    case 'ObjectValue':
      return 'dict';
    case 'LoopValue':
      return 'LoopContext';
    default:
      return v.pyType ?? v.type;
  }
}
