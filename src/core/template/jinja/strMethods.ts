// Python's str methods as templates call them (`s.strip()`, `s.split(',')` …), with Python's
// argument rules: only split/rsplit/splitlines/format take keyword arguments (Python 3.11).
import { TemplateRuntimeError } from './errors';
import { codePointLength, pyIter, typeError } from './ops';
import { isPySpace, pySplit, pyStr, pyStrip, pyStrRepr } from './pyformat';
import {
  type Kwargs,
  type RV,
  bool,
  fn,
  int,
  isList,
  isNone,
  isStr,
  list,
  numOf,
  pyTypeName,
  str,
  truthy,
  tuple,
} from './values';

const KEYWORDS_OK = new Set(['split', 'rsplit', 'splitlines', 'format']);

export function strArg(v: RV | undefined, method: string): string {
  if (!v || !isStr(v)) throw typeError(`${method}() argument must be str, not ${v ? pyTypeName(v) : 'nothing'}`);
  return v.value;
}
const optStr = (v: RV | undefined, method: string): string | null => {
  if (v === undefined || isNone(v)) return null;
  if (!isStr(v)) throw typeError(`${method} arg must be None or str`);
  return v.value;
};
const hasCased = (s: string): boolean => s.toLowerCase() !== s.toUpperCase();

export function pyCapitalize(s: string): string {
  const cs = Array.from(s);
  return cs.length ? cs[0].toUpperCase() + cs.slice(1).join('').toLowerCase() : s;
}

/** jinja2's |title filter: capitalises after `-`, whitespace and opening brackets only. */
export function jinjaTitle(s: string): string {
  return s
    .split(/([-\s({[<]+)/)
    .filter((w) => w)
    .map((w) => pyCapitalize(w))
    .join('');
}

/** Python's str.title(): a letter after a non-letter starts a word. */
export function pyTitle(s: string): string {
  let out = '';
  let prevCased = false;
  for (const ch of s) {
    const cased = hasCased(ch);
    out += cased ? (prevCased ? ch.toLowerCase() : ch.toUpperCase()) : ch;
    prevCased = cased;
  }
  return out;
}

const LINE_BREAKS = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;
export function pySplitlines(s: string, keepends: boolean): string[] {
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

function pyRsplit(s: string, sep: string | null, maxsplit: number): string[] {
  if (maxsplit < 0) return pySplit(s, sep, -1);
  if (sep === null) {
    const out: string[] = [];
    let j = s.length;
    while (j > 0) {
      while (j > 0 && isPySpace(s[j - 1])) j--;
      if (j === 0) break;
      if (out.length === maxsplit) {
        out.unshift(s.slice(0, j));
        return out;
      }
      let i = j;
      while (i > 0 && !isPySpace(s[i - 1])) i--;
      out.unshift(s.slice(i, j));
      j = i;
    }
    return out;
  }
  if (sep === '') throw new TemplateRuntimeError('empty separator', 'runtime', 'ValueError');
  const parts = s.split(sep);
  if (parts.length - 1 <= maxsplit) return parts;
  return [parts.slice(0, parts.length - maxsplit).join(sep), ...parts.slice(parts.length - maxsplit)];
}

function strFormat(s: string, args: RV[], kwargs: Kwargs): string {
  let auto = 0;
  return s.replace(/\{\{|\}\}|\{([^{}!:]*)(?:![rsa])?(?::([^{}]*))?\}/g, (m, field: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const key = field ?? '';
    const v = key === '' ? args[auto++] : /^\d+$/.test(key) ? args[Number(key)] : kwargs.get(key);
    if (!v)
      throw new TemplateRuntimeError(
        key === '' || /^\d+$/.test(key)
          ? 'Replacement index 0 out of range for positional args tuple'.replace(
              '0',
              String(key === '' ? auto - 1 : key),
            )
          : pyStrRepr(key),
        'runtime',
        key === '' || /^\d+$/.test(key) ? 'IndexError' : 'KeyError',
      );
    return pyStr(v);
  });
}

function replace(s: string, from: string, to: string, count: number): string {
  if (from === '') {
    // Python inserts `to` before every character and at the end, `count` times at most.
    const cs = Array.from(s);
    const n = count < 0 ? cs.length + 1 : Math.min(count, cs.length + 1);
    let out = '';
    for (let i = 0; i < cs.length; i++) out += (i < n ? to : '') + cs[i];
    return out + (n > cs.length ? to : '');
  }
  if (count < 0) return s.split(from).join(to);
  let out = '';
  let rest = s;
  while (count-- > 0) {
    const i = rest.indexOf(from);
    if (i < 0) break;
    out += rest.slice(0, i) + to;
    rest = rest.slice(i + from.length);
  }
  return out + rest;
}

function justify(s: string, name: string, w: RV | undefined, f: RV | undefined): string {
  const width = numOf(w ?? int(0));
  const fill = f ? strArg(f, name) : ' ';
  if (Array.from(fill).length !== 1) throw typeError('The fill character must be exactly one character long');
  const n = Math.max(0, width - codePointLength(s));
  if (name === 'ljust') return s + fill.repeat(n);
  if (name === 'rjust') return fill.repeat(n) + s;
  const left = Math.floor(n / 2) + (n & width & 1);
  return fill.repeat(left) + s + fill.repeat(n - left);
}

/** The bound method `s.<name>`, or undefined when str has no such (safe) method. */
export function stringMethod(s: string, name: string): RV | undefined {
  const impl = STR_METHODS[name];
  if (!impl) return undefined;
  return fn((args, kw) => {
    if (kw.size && !KEYWORDS_OK.has(name)) throw typeError(`str.${name}() takes no keyword arguments`);
    return impl(s, args, kw, name);
  }, name);
}

type Method = (s: string, a: RV[], kw: Kwargs, name: string) => RV;
const strip: Method = (s, [c], _kw, name) => str(pyStrip(s, optStr(c, name), name !== 'rstrip', name !== 'lstrip'));
const split: Method = (s, [sep, max], kw, name) => {
  const sp = optStr(sep ?? kw.get('sep'), 'split');
  const mx = max ?? kw.get('maxsplit');
  const n = mx ? numOf(mx) : -1;
  return list((name === 'rsplit' ? pyRsplit(s, sp, n) : pySplit(s, sp, n)).map(str));
};
const affix: Method = (s, [p], _kw, name) => {
  const opts = p && isList(p) && p.isTuple ? pyIter(p).map((x) => strArg(x, name)) : [p && isStr(p) ? p.value : ''];
  if (!p || !(isStr(p) || (isList(p) && p.isTuple)))
    throw typeError(`${name} first arg must be str or a tuple of str, not ${p ? pyTypeName(p) : 'nothing'}`);
  return bool(opts.some((o) => (name === 'startswith' ? s.startsWith(o) : s.endsWith(o))));
};
const find: Method = (s, [x], _kw, name) => {
  const t = strArg(x, name);
  const i = name.startsWith('r') ? s.lastIndexOf(t) : s.indexOf(t);
  if (i < 0 && name.endsWith('index')) throw new TemplateRuntimeError('substring not found', 'runtime', 'ValueError');
  return int(i < 0 ? -1 : codePointLength(s.slice(0, i)));
};
const predicate =
  (test: (s: string) => boolean): Method =>
  (s) =>
    bool(test(s));

const STR_METHODS: Record<string, Method> = {
  strip,
  lstrip: strip,
  rstrip: strip,
  split,
  rsplit: split,
  startswith: affix,
  endswith: affix,
  find,
  rfind: find,
  index: find,
  rindex: find,
  replace: (s, [a, b, c]) => str(replace(s, strArg(a, 'replace'), strArg(b, 'replace'), c ? numOf(c) : -1)),
  lower: (s) => str(s.toLowerCase()),
  upper: (s) => str(s.toUpperCase()),
  casefold: (s) => str(s.toLowerCase()),
  swapcase: (s) => str(Array.from(s, (c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('')),
  title: (s) => str(pyTitle(s)),
  capitalize: (s) => str(pyCapitalize(s)),
  count: (s, [x]) => {
    const t = strArg(x, 'count');
    return int(t === '' ? codePointLength(s) + 1 : s.split(t).length - 1);
  },
  splitlines: (s, [k], kw) => list(pySplitlines(s, truthy(k ?? kw.get('keepends') ?? bool(false))).map(str)),
  join: (s, [items]) =>
    str(
      pyIter(items)
        .map((x, i) => {
          if (!isStr(x)) throw typeError(`sequence item ${i}: expected str instance, ${pyTypeName(x)} found`);
          return x.value as string;
        })
        .join(s),
    ),
  format: (s, args, kw) => str(strFormat(s, args, kw)),
  removeprefix: (s, [p]) => {
    const x = strArg(p, 'removeprefix');
    return str(s.startsWith(x) ? s.slice(x.length) : s);
  },
  removesuffix: (s, [p]) => {
    const x = strArg(p, 'removesuffix');
    return str(x && s.endsWith(x) ? s.slice(0, s.length - x.length) : s);
  },
  partition: (s, [p]) => {
    const x = strArg(p, 'partition');
    const i = s.indexOf(x);
    return tuple((i < 0 ? [s, '', ''] : [s.slice(0, i), x, s.slice(i + x.length)]).map(str));
  },
  isdigit: predicate((s) => s.length > 0 && /^\p{Nd}+$/u.test(s)),
  isnumeric: predicate((s) => s.length > 0 && /^\p{N}+$/u.test(s)),
  isdecimal: predicate((s) => s.length > 0 && /^\p{Nd}+$/u.test(s)),
  isalpha: predicate((s) => s.length > 0 && /^\p{L}+$/u.test(s)),
  isalnum: predicate((s) => s.length > 0 && /^[\p{L}\p{N}]+$/u.test(s)),
  isspace: predicate((s) => s.length > 0 && Array.from(s).every(isPySpace)),
  islower: predicate((s) => hasCased(s) && s === s.toLowerCase()),
  isupper: predicate((s) => hasCased(s) && s === s.toUpperCase()),
  istitle: predicate((s) => hasCased(s) && s === pyTitle(s)),
  zfill: (s, [w]) => {
    const sign = s[0] === '-' || s[0] === '+' ? s[0] : '';
    return str(sign + s.slice(sign.length).padStart(numOf(w) - sign.length, '0'));
  },
  center: (s, [w, f], _kw, name) => str(justify(s, name, w, f)),
  ljust: (s, [w, f], _kw, name) => str(justify(s, name, w, f)),
  rjust: (s, [w, f], _kw, name) => str(justify(s, name, w, f)),
  expandtabs: (s, [t]) => str(s.replace(/\t/g, ' '.repeat(t ? numOf(t) : 8))),
};
