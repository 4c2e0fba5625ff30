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

export const str = (s: string): RV => new StringValue(s);
export const int = (n: number): RV => new IntegerValue(n);
export const float = (n: number): RV => new FloatValue(n);
export const bool = (b: boolean): RV => new BooleanValue(b);
export const none = (): RV => new NullValue();
export const list = (items: RV[]): RV => new ArrayValue(items);
export const fn = (f: Fn): RV => new FunctionValue(f);
export function tuple(items: RV[]): RV {
  const t = new ArrayValue(items);
  t.isTuple = true;
  return t;
}
export function undef(hint?: string, security = false): RV {
  const u = new UndefinedValue();
  if (hint) u.hint = hint;
  if (security) u.security = true;
  return u;
}
export function dict(entries: Map<string, RV>, intKeys?: Set<string>): RV {
  const d = new ObjectValue(entries);
  if (intKeys && intKeys.size) d.intKeys = intKeys;
  return d;
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

/** Converts plain JSON-like JS data (messages, tools, kwargs) to runtime values. */
export function toRuntime(x: unknown): RV {
  switch (typeof x) {
    case 'string':
      return new StringValue(x);
    case 'number':
      return Number.isInteger(x) ? new IntegerValue(x) : new FloatValue(x);
    case 'bigint':
      return new IntegerValue(Number(x));
    case 'boolean':
      return new BooleanValue(x);
    case 'undefined':
      return new UndefinedValue();
    case 'object': {
      if (x === null) return new NullValue();
      if (Array.isArray(x)) return new ArrayValue(x.map(toRuntime));
      const m = new Map<string, RV>();
      for (const [k, v] of Object.entries(x as Record<string, unknown>)) m.set(k, toRuntime(v));
      return new ObjectValue(m);
    }
    default:
      return new NullValue();
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
