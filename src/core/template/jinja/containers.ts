// Attribute and item access as jinja2's sandbox does it (`obj.name` tries the attribute first,
// `obj[key]` the item first; a miss is an Undefined that says what was missing), and the safe
// list/dict methods (the mutating ones are unsafe in the ImmutableSandboxedEnvironment).
import { TemplateRuntimeError } from './errors';
import { dictKeys, pyEq, typeError, undefinedError } from './ops';
import { pyRepr, pyStrRepr } from './pyformat';
import { stringMethod } from './strMethods';
import {
  type RV,
  bigOf,
  dict,
  fn,
  int,
  isDict,
  isFloat,
  isIntegral,
  isList,
  isNamespace,
  isNone,
  isStr,
  isUndef,
  list,
  none,
  numOf,
  pyTypeName,
  str,
  tuple,
  undef,
} from './values';

const NAMESPACE_REPR = 'transformers.utils.chat_template_utils.TemplateNamespace object';

/** jinja2's `object_type_repr`, used in Undefined hints. */
function objectTypeRepr(v: RV): string {
  if (isNone(v)) return 'None';
  if (isNamespace(v)) return NAMESPACE_REPR;
  if (v.type === 'GeneratorValue') return `${pyTypeName(v)} object`;
  return `${pyTypeName(v)} object`;
}

export function missingAttr(obj: RV, name: RV): RV {
  if (obj.type === 'GeneratorValue' && !isStr(name))
    return undef(`${objectTypeRepr(obj)} has no element ${pyRepr(name)}`);
  const what = isStr(name) ? `has no attribute ${pyStrRepr(name.value)}` : `has no element ${pyRepr(name)}`;
  return undef(`'${objectTypeRepr(obj)}' ${what}`);
}

const UNSAFE_LIST = new Set(['append', 'extend', 'insert', 'pop', 'remove', 'clear', 'sort', 'reverse']);
const UNSAFE_DICT = new Set(['update', 'pop', 'popitem', 'setdefault', 'clear']);

function view(items: RV[], name: string): RV {
  const v = list(items);
  v.view = name;
  return v;
}

export function dictItems(d: RV): RV[] {
  const keys = dictKeys(d);
  return [...(d.value as Map<string, RV>).values()].map((v, i) => tuple([keys[i], v]));
}

function dictLookup(d: RV, k: RV): RV | undefined {
  const m = d.value as Map<string, RV>;
  if (isStr(k)) return d.intKeys?.has(k.value) ? undefined : m.get(k.value);
  if (isIntegral(k) || (isFloat(k) && Number.isInteger(k.value))) {
    const key = String(isFloat(k) ? k.value : bigOf(k));
    return d.intKeys?.has(key) ? m.get(key) : undefined;
  }
  return undefined;
}

function dictMethod(d: RV, name: string): RV | undefined {
  const m = d.value as Map<string, RV>;
  switch (name) {
    case 'items':
      return fn(() => view(dictItems(d), 'dict_items'), name);
    case 'keys':
      return fn(() => view(dictKeys(d), 'dict_keys'), name);
    case 'values':
      return fn(() => view([...m.values()], 'dict_values'), name);
    case 'get':
      return fn(([k, dflt], kw) => {
        if (kw.size) throw typeError('dict.get() takes no keyword arguments');
        return dictLookup(d, k) ?? dflt ?? none();
      }, name);
    case 'copy':
      return fn(() => dict(new Map(m), d.intKeys && new Set(d.intKeys)), name);
  }
  if (UNSAFE_DICT.has(name)) return undef(`access to attribute '${name}' of 'dict' object is unsafe.`, true);
  return undefined;
}

function listMethod(obj: RV, name: string): RV | undefined {
  if (UNSAFE_LIST.has(name) && !obj.isTuple)
    return undef(`access to attribute '${name}' of 'list' object is unsafe.`, true);
  const items = obj.value as RV[];
  if (name === 'count') return fn(([x]) => int(items.filter((y) => pyEq(x, y)).length), name);
  if (name === 'index')
    return fn(([x]) => {
      const i = items.findIndex((y) => pyEq(x, y));
      if (i < 0)
        throw new TemplateRuntimeError(
          obj.isTuple ? 'tuple.index(x): x not in tuple' : `${pyRepr(x)} is not in list`,
          'runtime',
          'ValueError',
        );
      return int(i);
    }, name);
  if (name === 'copy' && !obj.isTuple) return fn(() => list([...items]), name);
  return undefined;
}

/** jinja2's getattr/getitem: `obj.name` (subscript false) tries the attribute first, `obj[name]` the item. */
export function getAttr(obj: RV, key: RV, subscript: boolean): RV {
  if (isUndef(obj)) throw undefinedError(obj);
  if (isDict(obj)) {
    const item = dictLookup(obj, key);
    if (subscript && item) return item;
    if (isStr(key)) {
      const meth = dictMethod(obj, key.value);
      if (meth) return meth;
    }
    return item ?? missingAttr(obj, key);
  }
  if ((isList(obj) && !obj.view) || isStr(obj)) {
    if (isIntegral(key)) {
      let i = numOf(key);
      const items: RV[] | string[] = isStr(obj) ? Array.from(obj.value as string) : obj.value;
      if (i < 0) i += items.length;
      if (i < 0 || i >= items.length) return missingAttr(obj, key);
      const v = items[i];
      return typeof v === 'string' ? str(v) : v;
    }
    if (isStr(key))
      return (isStr(obj) ? stringMethod(obj.value, key.value) : listMethod(obj, key.value)) ?? missingAttr(obj, key);
    return missingAttr(obj, key);
  }
  if (isNamespace(obj) && isStr(key)) return (obj.value as Map<string, RV>).get(key.value) ?? missingAttr(obj, key);
  if (obj.type === 'LoopValue' && isStr(key))
    return (obj.value as { attr(n: string): RV | undefined }).attr(key.value) ?? missingAttr(obj, key);
  if (obj.type === 'ObjectRefValue' && isStr(key))
    return (obj.value as Map<string, RV>).get(key.value) ?? missingAttr(obj, key);
  return missingAttr(obj, key);
}

/** Python slicing `obj[start:stop:step]` of a list, tuple or str. */
export function pySlice(obj: RV, start: RV | undefined, stop: RV | undefined, step: RV | undefined): RV {
  const items: RV[] | string[] = isStr(obj) ? Array.from(obj.value as string) : (obj.value as RV[]);
  const n = items.length;
  const st = step && !isNone(step) ? numOf(step) : 1;
  if (st === 0) throw new TemplateRuntimeError('slice step cannot be zero', 'runtime', 'ValueError');
  const norm = (v: RV | undefined, dflt: number, lo: number, hi: number) => {
    if (!v || isNone(v)) return dflt;
    let i = numOf(v);
    if (i < 0) i += n;
    return Math.min(Math.max(i, lo), hi);
  };
  const a = norm(start, st > 0 ? 0 : n - 1, st > 0 ? 0 : -1, st > 0 ? n : n - 1);
  const b = norm(stop, st > 0 ? n : -1, st > 0 ? 0 : -1, st > 0 ? n : n - 1);
  const out: (RV | string)[] = [];
  for (let i = a; st > 0 ? i < b : i > b; i += st) out.push(items[i]);
  if (isStr(obj)) return str((out as string[]).join(''));
  return obj.isTuple ? tuple(out as RV[]) : list(out as RV[]);
}

/** Dotted attribute lookup used by map/sort/selectattr(attribute='a.b.0'). */
export function attrPath(item: RV, path: RV): RV {
  if (isIntegral(path)) return getAttr(item, path, true);
  let v = item;
  for (const part of String(path.value).split('.')) {
    v = getAttr(v, /^\d+$/.test(part) ? int(Number(part)) : str(part), true);
  }
  return v;
}
