// Handles on @huggingface/jinja's runtime value classes.
// The package exports only Environment/Interpreter/parse/tokenize, not the value classes, but every
// value it creates is an instance of them and our interpreter subclass must build the same kinds.
// We take each constructor from a value the package itself produces, once, at module load.
import { Environment, Interpreter } from '@huggingface/jinja';

/** The structural shape shared by every runtime value of @huggingface/jinja. */
export interface RV {
  type: string;
  value: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  __bool__(): { value: boolean };
  readonly builtins: ReadonlyMap<string, RV>;
  /** Set on values we create: a Python tuple (printed with parentheses). */
  isTuple?: boolean;
  /** Set on dicts whose keys are ints in Python (`{0: 'a'}`): the Map keys are their decimal strings. */
  intKeys?: Set<string>;
  /** Set on undefined values: the message Python's jinja2 Undefined would raise. */
  hint?: string;
  /** Set on undefined values that stand for an unsafe attribute: calling it is a SecurityError. */
  security?: boolean;
}
export type Fn = (args: RV[], env: Environment) => RV;
type Ctor<T = unknown> = new (value?: T) => RV;

const probe = new Environment();
const interp = new Interpreter(probe);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ev = (node: any): RV => interp.evaluate(node, probe) as unknown as RV;

export const StringValue = probe.set('s', 'x').constructor as Ctor<string>;
export const IntegerValue = probe.set('i', 1).constructor as Ctor<number>;
export const FloatValue = probe.set('f', 1.5).constructor as Ctor<number>;
export const BooleanValue = probe.set('b', true).constructor as Ctor<boolean>;
export const NullValue = probe.set('n', null).constructor as Ctor<null>;
export const UndefinedValue = probe.set('u', undefined).constructor as Ctor<undefined>;
export const ArrayValue = probe.set('a', []).constructor as Ctor<RV[]>;
export const ObjectValue = probe.set('o', {}).constructor as Ctor<Map<string, RV>>;
export const FunctionValue = probe.set('fn', () => 0).constructor as Ctor<Fn>;
export const TupleValue = ev({ type: 'TupleLiteral', value: [] }).constructor as Ctor<RV[]>;
export const NamespaceValue = (probe.lookupVariable('namespace') as unknown as RV).value([], probe).constructor as Ctor<
  Map<string, RV>
>;
let captured: RV | undefined;
probe.variables.set('cap', new FunctionValue((args: RV[]) => ((captured = args[0]), new NullValue())) as never);
ev({
  type: 'CallExpression',
  callee: { type: 'Identifier', value: 'cap' },
  args: [{ type: 'KeywordArgumentExpression', key: { type: 'Identifier', value: 'k' }, value: { type: 'IntegerLiteral', value: 1 } }],
});
export const KeywordArgumentsValue = captured!.constructor as Ctor<Map<string, RV>>;

// Fast constructors. @huggingface/jinja's value classes declare `type`/`value` as class fields, which
// V8 defines property by property at every level of the hierarchy; building the same objects with
// Object.create + plain assignment is several times faster and renders are allocation-bound.
const mk = (proto: object, type: string, value: unknown): RV => {
  const o = Object.create(proto) as RV;
  o.type = type;
  o.value = value;
  return o;
};
const P = {
  str: StringValue.prototype,
  int: IntegerValue.prototype,
  float: FloatValue.prototype,
  bool: BooleanValue.prototype,
  none: NullValue.prototype,
  undef: UndefinedValue.prototype,
  list: ArrayValue.prototype,
  dict: ObjectValue.prototype,
  fn: FunctionValue.prototype,
};
const TRUE = mk(P.bool, 'BooleanValue', true);
const FALSE = mk(P.bool, 'BooleanValue', false);
const NONE = mk(P.none, 'NullValue', null);
const UNDEF = mk(P.undef, 'UndefinedValue', undefined);

export const str = (s: string): RV => mk(P.str, 'StringValue', s);
export const int = (n: number): RV => mk(P.int, 'IntegerValue', n);
export const float = (n: number): RV => mk(P.float, 'FloatValue', n);
export const bool = (b: boolean): RV => (b ? TRUE : FALSE);
export const none = (): RV => NONE;
export const list = (items: RV[]): RV => mk(P.list, 'ArrayValue', items);
export const fn = (f: Fn): RV => mk(P.fn, 'FunctionValue', f);
export function tuple(items: RV[]): RV {
  const t = list(items);
  t.isTuple = true;
  return t;
}
export function undef(hint?: string, security = false): RV {
  if (!hint) return UNDEF;
  const u = mk(P.undef, 'UndefinedValue', undefined);
  u.hint = hint;
  if (security) u.security = true;
  return u;
}
export function dict(entries: Map<string, RV>, intKeys?: Set<string>): RV {
  const d = mk(P.dict, 'ObjectValue', entries);
  if (intKeys && intKeys.size) d.intKeys = intKeys;
  return d;
}

/** A child scope without the per-instance `namespace` function the Environment constructor builds. */
export function childEnv(parent: Environment): Environment {
  const e = Object.create(Environment.prototype) as Environment;
  e.variables = new Map();
  (e as unknown as { tests: unknown }).tests = (parent as unknown as { tests: unknown }).tests;
  e.parent = parent;
  return e;
}

export const isStr = (v: RV): boolean => v.type === 'StringValue';
export const isInt = (v: RV): boolean => v.type === 'IntegerValue';
export const isFloat = (v: RV): boolean => v.type === 'FloatValue';
export const isBool = (v: RV): boolean => v.type === 'BooleanValue';
export const isNone = (v: RV): boolean => v.type === 'NullValue';
export const isUndef = (v: RV): boolean => v.type === 'UndefinedValue';
/** list or tuple (both are ArrayValue/TupleValue instances). */
export const isList = (v: RV): boolean => v instanceof ArrayValue;
/** A Python dict (ObjectValue, including keyword-argument bags). */
export const isDict = (v: RV): boolean => v instanceof ObjectValue;
export const isNamespace = (v: RV): boolean => v.type === 'NamespaceValue';
export const isFunc = (v: RV): boolean => v.type === 'FunctionValue';
export const isKwargs = (v: RV | undefined): boolean => !!v && v.type === 'KeywordArgumentsValue';
/** Python numbers: int, float and bool (bool is an int subclass). */
export const isNum = (v: RV): boolean => v.type === 'IntegerValue' || v.type === 'FloatValue' || v.type === 'BooleanValue';
export const numOf = (v: RV): number => (v.type === 'BooleanValue' ? (v.value ? 1 : 0) : (v.value as number));

/** Python truthiness, without allocating (the base classes' __bool__ builds a new BooleanValue). */
export function truthy(v: RV): boolean {
  switch (v.type) {
    case 'StringValue':
      return v.value.length > 0;
    case 'IntegerValue':
    case 'FloatValue':
      return v.value !== 0;
    case 'BooleanValue':
      return v.value;
    case 'NullValue':
    case 'UndefinedValue':
      return false;
    default:
      if (v.value instanceof Map) return v.type === 'NamespaceValue' || v.value.size > 0;
      if (Array.isArray(v.value)) return v.value.length > 0;
      return true;
  }
}

/** Converts plain JSON-like JS data (messages, tools, kwargs) to runtime values. */
export function toRuntime(x: unknown): RV {
  switch (typeof x) {
    case 'string':
      return str(x);
    case 'number':
      return Number.isInteger(x) ? int(x) : float(x);
    case 'bigint':
      return int(Number(x));
    case 'boolean':
      return bool(x);
    case 'undefined':
      return undef();
    case 'object': {
      if (x === null) return none();
      if (Array.isArray(x)) return list(x.map(toRuntime));
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
      return 'function';
    default:
      if (isList(v)) return v.isTuple ? 'tuple' : 'list';
      if (isDict(v)) return 'dict';
      return v.type;
  }
}

/** @huggingface/jinja's loop-control exceptions, which must pass through our error wrapping untouched. */
export const controlErrors: Function[] = ['Break', 'Continue'].map((type) => {
  try {
    ev({ type });
  } catch (e) {
    return (e as object).constructor;
  }
  throw new Error(`@huggingface/jinja: ${type} did not throw`);
});
