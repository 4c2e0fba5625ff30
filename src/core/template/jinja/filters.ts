// jinja2's built-in filters (jinja2/filters.py) with transformers' `tojson`; the sequence filters live
// in filtersSeq.ts. Each filter takes (value, positional args, keyword args) like its Python original.
import { TemplateRuntimeError } from './errors';
import { getAttr } from './containers';
import { type Filter, arg, flag, makeSeqFilters } from './filtersSeq';
import { pyIter, pyLen, typeError, undefinedError } from './ops';
import { pyJsonDumps, pyPercentFormat, pyRepr, pySplit, pyStr, pyStrip } from './pyformat';
import { jinjaTitle, pyCapitalize, pySplitlines, stringMethod } from './strMethods';
import { knownFilters } from './tests';
import {
  type RV,
  dict,
  float,
  int,
  isDict,
  isFloat,
  isNone,
  isNum,
  isStr,
  isUndef,
  numOf,
  str,
  tuple,
  undef,
} from './values';

function escapeHtml(v: RV): string {
  return pyStr(v)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&#34;')
    .replace(/'/g, '&#39;');
}

/** Python's round(x, n) ("common"), math.floor/ceil scaled for the other methods. */
function pyRound(x: number, digits: number, method: string): number {
  const f = 10 ** digits;
  if (method === 'floor') return Math.floor(x * f) / f;
  if (method === 'ceil') return Math.ceil(x * f) / f;
  const y = x * f;
  const r = Math.abs(y % 1) === 0.5 ? 2 * Math.round(y / 2) : Math.round(y);
  return r / f;
}

/** Python's int(str, base) for the forms jinja2's |int accepts; null when Python raises ValueError. */
function parseInt10(s: string, base: number): bigint | null {
  let t = pyStrip(s, null, true, true).replace(/(?<=[0-9a-fA-F])_(?=[0-9a-fA-F])/g, '');
  const neg = t.startsWith('-');
  if (neg || t.startsWith('+')) t = t.slice(1);
  const prefix = /^0[xob]/i.exec(t);
  if (prefix) {
    const b = { x: 16, o: 8, b: 2 }[t[1].toLowerCase() as 'x' | 'o' | 'b'];
    if (base !== b && base !== 0) return null;
    t = t.slice(2);
    base = b;
  }
  const digits = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, base);
  if (!t || ![...t.toLowerCase()].every((c) => digits.includes(c))) return null;
  let n = 0n;
  for (const c of t.toLowerCase()) n = n * BigInt(base) + BigInt(digits.indexOf(c));
  return neg ? -n : n;
}

function pyFloatParse(s: string): number | null {
  const t = pyStrip(s, null, true, true)
    .toLowerCase()
    .replace(/(?<=\d)_(?=\d)/g, '');
  if (/^[+-]?(inf|infinity)$/.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(t)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return null;
  return Number(t);
}

function filesizeformat(v: RV, binary: boolean): string {
  const bytes = isNum(v) ? numOf(v) : pyFloatParse(pyStr(v));
  if (bytes === null)
    throw new TemplateRuntimeError(`could not convert string to float: ${pyRepr(v)}`, 'runtime', 'ValueError');
  const base = binary ? 1024 : 1000;
  const prefixes = binary
    ? ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB']
    : ['kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  if (bytes === 1) return '1 Byte';
  if (bytes < base) return `${Math.trunc(bytes)} Bytes`;
  let unit = base;
  let prefix = prefixes[0];
  for (let i = 0; i < prefixes.length; i++) {
    unit = base ** (i + 2);
    prefix = prefixes[i];
    if (bytes < unit) break;
  }
  return `${((base * bytes) / unit).toFixed(1)} ${prefix}`;
}

function wordwrap(s: string, width: number, breakLong: boolean, wrap: string): string {
  return pySplitlines(s, false)
    .map((line) => {
      const words = line.split(/(\s+)/).filter((w) => w !== '');
      const lines: string[] = [];
      let cur = '';
      for (let w of words) {
        if (/^\s+$/.test(w)) {
          if (cur) cur += w;
          continue;
        }
        while (breakLong && w.length > width) {
          if (cur.trimEnd()) lines.push(cur.trimEnd());
          cur = '';
          lines.push(w.slice(0, width));
          w = w.slice(width);
        }
        if ((cur + w).length > width && cur.trimEnd()) {
          lines.push(cur.trimEnd());
          cur = w;
        } else cur += w;
      }
      if (cur.trimEnd()) lines.push(cur.trimEnd());
      return lines.join(wrap);
    })
    .join(wrap);
}

export const FILTERS: Record<string, Filter> = {
  ...makeSeqFilters(() => FILTERS),
  tojson(v, args, kw) {
    // transformers' tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)
    const indent = arg(args, kw, 1, 'indent');
    const seps = arg(args, kw, 2, 'separators');
    let ind: string | null = null;
    if (indent && !isNone(indent)) ind = isStr(indent) ? indent.value : ' '.repeat(Math.max(0, numOf(indent)));
    let separators: [string, string] | null = null;
    if (seps && !isNone(seps)) {
      const s = pyIter(seps);
      if (s.length !== 2)
        throw new TemplateRuntimeError(`too many values to unpack (expected 2)`, 'runtime', 'ValueError');
      separators = [pyStr(s[0]), pyStr(s[1])];
    }
    if (isUndef(v))
      throw new TemplateRuntimeError('Object of type Undefined is not JSON serializable', 'type', 'TypeError');
    return str(
      pyJsonDumps(v, {
        ensureAscii: flag(arg(args, kw, 0, 'ensure_ascii')),
        indent: ind,
        separators,
        sortKeys: flag(arg(args, kw, 3, 'sort_keys')),
      }),
    );
  },
  string: (v) => str(pyStr(v)),
  safe: (v) => v,
  forceescape: (v) => str(escapeHtml(v)),
  escape: (v) => str(escapeHtml(v)),
  e: (v) => str(escapeHtml(v)),
  trim: (v, args, kw) => {
    const chars = arg(args, kw, 0, 'chars');
    return str(pyStrip(pyStr(v), chars && !isNone(chars) ? pyStr(chars) : null, true, true));
  },
  upper: (v) => str(pyStr(v).toUpperCase()),
  lower: (v) => str(pyStr(v).toLowerCase()),
  capitalize: (v) => str(pyCapitalize(pyStr(v))),
  title: (v) => str(jinjaTitle(pyStr(v))),
  length: (v) => int(pyLen(v)),
  count: (v) => int(pyLen(v)),
  wordcount: (v) => int((pyStr(v).match(/[\p{L}\p{N}_]+/gu) ?? []).length),
  default(v, args, kw) {
    const dflt = arg(args, kw, 0, 'default_value') ?? str('');
    return isUndef(v) || (flag(arg(args, kw, 1, 'boolean')) && !flag(v)) ? dflt : v;
  },
  abs(v) {
    if (!isNum(v)) throw typeError(`bad operand type for abs(): '${v.type === 'StringValue' ? 'str' : v.type}'`);
    return isFloat(v)
      ? float(Math.abs(v.value))
      : int(v.value < 0 ? -BigInt(v.value) : BigInt(v.type === 'BooleanValue' ? Number(v.value) : v.value));
  },
  round(v, args, kw) {
    const p = arg(args, kw, 0, 'precision');
    const method = arg(args, kw, 1, 'method');
    const m = method ? pyStr(method) : 'common';
    if (!['common', 'ceil', 'floor'].includes(m))
      throw new TemplateRuntimeError('method must be common, ceil or floor', 'runtime', 'FilterArgumentError');
    if (isUndef(v)) throw undefinedError(v);
    if (!isNum(v)) throw typeError(`type ${v.type === 'StringValue' ? 'str' : v.type} doesn't define __round__ method`);
    if (m === 'common' && !isFloat(v)) return int(BigInt(numOf(v)));
    return float(pyRound(numOf(v), p ? numOf(p) : 0, m));
  },
  int(v, args, kw) {
    const dflt = arg(args, kw, 0, 'default') ?? int(0);
    const base = numOf(arg(args, kw, 1, 'base') ?? int(10));
    if (isNum(v))
      return isFloat(v) ? (Number.isFinite(v.value) ? int(BigInt(Math.trunc(v.value))) : dflt) : int(BigInt(numOf(v)));
    if (isStr(v)) {
      const n = parseInt10(v.value, base);
      if (n !== null) return int(n);
      const f = pyFloatParse(v.value);
      return f !== null && Number.isFinite(f) ? int(BigInt(Math.trunc(f))) : dflt;
    }
    return dflt;
  },
  float(v, args, kw) {
    const dflt = arg(args, kw, 0, 'default') ?? float(0);
    if (isNum(v)) return float(numOf(v));
    if (isStr(v)) {
      const f = pyFloatParse(v.value);
      return f === null ? dflt : float(f);
    }
    return dflt;
  },
  format(v, args, kw) {
    if (args.length && kw.size)
      throw new TemplateRuntimeError(
        "can't handle positional and keyword arguments at the same time",
        'runtime',
        'FilterArgumentError',
      );
    return str(pyPercentFormat(pyStr(v), kw.size ? dict(kw) : tuple(args)));
  },
  replace(v, args, kw) {
    const old = arg(args, kw, 0, 'old');
    const nu = arg(args, kw, 1, 'new');
    const count = arg(args, kw, 2, 'count');
    const f = stringMethod(pyStr(v), 'replace')!.value as (a: RV[], k: Map<string, RV>) => RV;
    return f(
      [str(pyStr(old ?? str(''))), str(pyStr(nu ?? str(''))), ...(count && !isNone(count) ? [count] : [])],
      new Map(),
    );
  },
  indent(v, args, kw) {
    const width = arg(args, kw, 0, 'width') ?? int(4);
    const ind = isStr(width) ? width.value : ' '.repeat(numOf(width));
    const lines = pySplitlines(pyStr(v) + '\n', false);
    let rv: string;
    if (flag(arg(args, kw, 2, 'blank'))) rv = lines.join('\n' + ind);
    else {
      rv = lines.shift() ?? '';
      if (lines.length) rv += '\n' + lines.map((l) => (l ? ind + l : l)).join('\n');
    }
    return str(flag(arg(args, kw, 1, 'first')) ? ind + rv : rv);
  },
  center(v, args, kw) {
    return (stringMethod(pyStr(v), 'center')!.value as (a: RV[], k: Map<string, RV>) => RV)(
      [arg(args, kw, 0, 'width') ?? int(80)],
      new Map(),
    );
  },
  truncate(v, args, kw) {
    const s = pyStr(v);
    const length = numOf(arg(args, kw, 0, 'length') ?? int(255));
    const end = pyStr(arg(args, kw, 2, 'end') ?? str('...'));
    const leeway = numOf(arg(args, kw, 3, 'leeway') ?? int(5));
    const cs = Array.from(s);
    if (length < end.length)
      throw new TemplateRuntimeError(`expected length >= ${end.length}, got ${length}`, 'runtime', 'AssertionError');
    if (cs.length <= length + leeway) return str(s);
    const head = cs.slice(0, length - end.length).join('');
    if (flag(arg(args, kw, 1, 'killwords'))) return str(head + end);
    const cut = head.lastIndexOf(' ');
    return str((cut < 0 ? head : head.slice(0, cut)) + end);
  },
  wordwrap(v, args, kw) {
    const width = numOf(arg(args, kw, 0, 'width') ?? int(79));
    const breakLong = arg(args, kw, 1, 'break_long_words');
    const wrap = arg(args, kw, 2, 'wrapstring');
    return str(
      wordwrap(pyStr(v), width, breakLong ? flag(breakLong) : true, wrap && !isNone(wrap) ? pyStr(wrap) : '\n'),
    );
  },
  striptags: (v) =>
    str(
      pySplit(pyStr(v).replace(/<!--[\s\S]*?-->|<[^>]*>/g, ''), null, -1)
        .join(' ')
        .replace(/&amp;/g, '&')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&#34;|&quot;/g, '"')
        .replace(/&#39;/g, "'"),
    ),
  filesizeformat: (v, args, kw) => str(filesizeformat(v, flag(arg(args, kw, 0, 'binary')))),
  pprint: (v) => str(pyRepr(v, true)),
  attr(v, args) {
    if (!args[0]) throw typeError("do_attr() missing 1 required positional argument: 'name'");
    // Attributes only (jinja2's sandbox getattr): a dict's keys are not attributes.
    const a = getAttr(v, args[0], false);
    if (isDict(v) && isStr(args[0]) && (v.value as Map<string, RV>).get(args[0].value) === a)
      return undef(`'dict object' has no attribute ${pyRepr(args[0])}`);
    return a;
  },
  urlencode(v) {
    // Python's quote(safe='/'), and for query pairs quote(safe='') with spaces as '+'.
    const enc = (s: string) =>
      encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
    if (isDict(v))
      return str(
        [...(v.value as Map<string, RV>)]
          .map(([k, x]) => `${enc(k).replace(/%20/g, '+')}=${enc(pyStr(x)).replace(/%20/g, '+')}`)
          .join('&'),
      );
    return str(enc(pyStr(v)).replace(/%2F/g, '/'));
  },
  random(v) {
    const items = pyIter(v);
    return items.length ? items[Math.floor(Math.random() * items.length)] : str('');
  },
  xmlattr(v) {
    if (!isDict(v)) throw typeError("'dict' expected");
    const parts: string[] = [];
    for (const [k, x] of v.value as Map<string, RV>) {
      if (isNone(x) || isUndef(x)) continue;
      if (/[\s/>=]/.test(k))
        throw new TemplateRuntimeError(
          `Invalid character in attribute name: ${pyRepr(str(k))}`,
          'runtime',
          'ValueError',
        );
      parts.push(`${escapeHtml(str(k))}="${escapeHtml(x)}"`);
    }
    return str(parts.length ? ' ' + parts.join(' ') : '');
  },
  urlize: (v) => str(escapeHtml(v)),
};
FILTERS.d = FILTERS.default;
for (const k of Object.keys(FILTERS)) knownFilters.add(k);
