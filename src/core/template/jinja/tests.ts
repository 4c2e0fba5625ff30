// jinja2's built-in tests (`x is divisibleby 3`, `x is in y`, `select('odd')` …), jinja2/tests.py.
import { binaryArith, pyCompare, pyEq, pyIn, undefinedError } from './ops';
import { pyStr } from './pyformat';
import {
  type RV,
  isBool,
  isDict,
  isFloat,
  isFunc,
  isGenerator,
  isInt,
  isList,
  isNone,
  isNum,
  isStr,
  isUndef,
} from './values';

export type Test = (v: RV, ...args: RV[]) => boolean;

const hasCased = (s: string): boolean => s.toLowerCase() !== s.toUpperCase();
/** `value % n == 0` / `== 1` with Python's errors (TypeError for strings, UndefinedError for Undefined). */
function mod(v: RV, n: RV): RV {
  if (isUndef(v)) throw undefinedError(v);
  return binaryArith('%', v, n);
}
const ONE: RV = { type: 'IntegerValue', value: 1 };
const TWO: RV = { type: 'IntegerValue', value: 2 };
const ZERO: RV = { type: 'IntegerValue', value: 0 };

/** Names of the filters, for `is filter`; set by filters.ts to avoid an import cycle. */
export const knownFilters = new Set<string>();

export const TESTS: Record<string, Test> = {
  odd: (v) => pyEq(mod(v, TWO), ONE),
  even: (v) => pyEq(mod(v, TWO), ZERO),
  divisibleby: (v, n) => pyEq(mod(v, n), ZERO),
  defined: (v) => !isUndef(v),
  undefined: (v) => isUndef(v),
  filter: (v) => isStr(v) && knownFilters.has(v.value),
  test: (v) => isStr(v) && v.value in TESTS,
  none: (v) => isNone(v),
  boolean: (v) => isBool(v),
  false: (v) => isBool(v) && !v.value,
  true: (v) => isBool(v) && !!v.value,
  integer: (v) => isInt(v),
  float: (v) => isFloat(v),
  number: (v) => isNum(v),
  lower: (v) => hasCased(pyStr(v)) && pyStr(v) === pyStr(v).toLowerCase(),
  upper: (v) => hasCased(pyStr(v)) && pyStr(v) === pyStr(v).toUpperCase(),
  string: (v) => isStr(v),
  mapping: (v) => isDict(v),
  sequence: (v) =>
    isStr(v) || (isList(v) && (!v.view || v.view === 'dict_values' ? true : false)) || isDict(v) || isUndef(v),
  iterable: (v) => isStr(v) || isList(v) || isDict(v) || isUndef(v) || isGenerator(v) || v.type === 'LoopValue',
  callable: (v) => isFunc(v) || v.type === 'LoopValue' || v.type === 'NamespaceValue',
  sameas: (a, b) =>
    a === b || (a.type === b.type && (isNone(a) || isBool(a) || ((isInt(a) || isStr(a)) && a.value === b.value))),
  escaped: () => false,
  in: (a, b) => pyIn(a, b),
  '==': (a, b) => pyEq(a, b),
  eq: (a, b) => pyEq(a, b),
  equalto: (a, b) => pyEq(a, b),
  '!=': (a, b) => !pyEq(a, b),
  ne: (a, b) => !pyEq(a, b),
  '>': (a, b) => pyCompare('>', a, b),
  gt: (a, b) => pyCompare('>', a, b),
  greaterthan: (a, b) => pyCompare('>', a, b),
  '>=': (a, b) => pyCompare('>=', a, b),
  ge: (a, b) => pyCompare('>=', a, b),
  '<': (a, b) => pyCompare('<', a, b),
  lt: (a, b) => pyCompare('<', a, b),
  lessthan: (a, b) => pyCompare('<', a, b),
  '<=': (a, b) => pyCompare('<=', a, b),
  le: (a, b) => pyCompare('<=', a, b),
};
