// How Python prints values: str(), repr(), float repr, json.dumps and %-formatting,
// so that `{{ value }}`, `~`, `|string`, `|tojson` and `'%s' % x` render byte-identical to jinja2.
import { type RV, isDict, isList, isNamespace, isStr, pyTypeName } from './values';
import { TemplateRuntimeError } from './errors';

/** Python's repr(float): shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expStr] = x.toExponential().split('e');
  const exp = Number(expStr);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  let out: string;
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    out = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else if (exp < 0) {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length <= exp + 1) {
    out = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  } else {
    out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return neg ? `-${out}` : out;
}

// Characters Python's str.isprintable() rejects (other than space), which repr() escapes.
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/** Python's repr(str). */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch !== ' ' && NON_PRINTABLE.test(ch)) {
      const cp = ch.codePointAt(0)!;
      out +=
        cp < 0x100
          ? '\\x' + cp.toString(16).padStart(2, '0')
          : cp < 0x10000
            ? '\\u' + cp.toString(16).padStart(4, '0')
            : '\\U' + cp.toString(16).padStart(8, '0');
    } else out += ch;
  }
  return out + quote;
}

function dictKeyRepr(d: RV, k: string): string {
  return d.intKeys?.has(k) ? k : pyStrRepr(k);
}

/** Python's repr() of a runtime value; `sortDicts` as pprint prints dicts (keys sorted). */
export function pyRepr(v: RV, sortDicts = false): string {
  switch (v.type) {
    case 'StringValue':
      return pyStrRepr(v.value);
    case 'UndefinedValue':
      return 'Undefined';
    default:
      if (isList(v)) {
        const items = (v.value as RV[]).map((x) => pyRepr(x, sortDicts));
        if (v.view) return `${v.view}([${items.join(', ')}])`;
        if (v.isTuple) return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
        return `[${items.join(', ')}]`;
      }
      if (isDict(v)) {
        const parts: string[] = [];
        let entries = [...(v.value as Map<string, RV>)];
        if (sortDicts)
          entries = entries.sort(([a], [b]) => (v.intKeys ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0));
        for (const [k, x] of entries) parts.push(`${dictKeyRepr(v, k)}: ${pyRepr(x, sortDicts)}`);
        return `{${parts.join(', ')}}`;
      }
      return pyStr(v);
  }
}

/** Python's str() of a runtime value, as `{{ value }}` prints it (Undefined prints empty). */
export function pyStr(v: RV): string {
  switch (v.type) {
    case 'StringValue':
      return v.value;
    case 'IntegerValue':
      return Number.isSafeInteger(v.value) ? String(v.value) : BigInt(v.value).toString();
    case 'FloatValue':
      return pyFloatRepr(v.value);
    case 'BooleanValue':
      return v.value ? 'True' : 'False';
    case 'NullValue':
      return 'None';
    case 'UndefinedValue':
      return '';
    case 'FunctionValue':
      return v.pyType === 'Macro'
        ? `<Macro ${pyStrRepr(v.name ?? '')}>`
        : `<built-in function ${v.name ?? 'function'}>`;
    case 'GeneratorValue':
      return v.pyType === 'generator' ? '<generator object at 0x0>' : `<${v.pyType} object at 0x0>`;
    case 'LoopValue': {
      const s = v.value as { index0: number; items: unknown[] };
      return `<LoopContext ${s.index0 + 1}/${s.items.length}>`;
    }
    default:
      if (isNamespace(v)) {
        const parts: string[] = [];
        for (const [k, x] of v.value as Map<string, RV>) parts.push(`${pyStrRepr(k)}: ${pyRepr(x)}`);
        return `<Namespace {${parts.join(', ')}}>`;
      }
      return pyRepr(v);
  }
}

export interface JsonOptions {
  ensureAscii: boolean;
  indent: string | null;
  separators: [string, string] | null;
  sortKeys: boolean;
}

function jsonString(s: string, ensureAscii: boolean): string {
  const out = JSON.stringify(s);
  // Python's ensure_ascii escapes everything outside space..tilde, DEL included, as \uXXXX (UTF-16 units).
  return ensureAscii ? out.replace(/[^\x20-\x7e]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) : out;
}

function jsonKey(d: RV, k: string, ensureAscii: boolean): string {
  return d.intKeys?.has(k) ? `"${k}"` : jsonString(k, ensureAscii);
}

/** Python's json.dumps(x, ensure_ascii, indent, separators, sort_keys). */
export function pyJsonDumps(v: RV, o: JsonOptions): string {
  const [itemSep, keySep] = o.separators ?? (o.indent !== null ? [',', ': '] : [', ', ': ']);
  const walk = (x: RV, depth: number): string => {
    switch (x.type) {
      case 'StringValue':
        return jsonString(x.value, o.ensureAscii);
      case 'IntegerValue':
        return pyStr(x);
      case 'FloatValue':
        return Number.isNaN(x.value)
          ? 'NaN'
          : !Number.isFinite(x.value)
            ? x.value > 0
              ? 'Infinity'
              : '-Infinity'
            : pyFloatRepr(x.value);
      case 'BooleanValue':
        return x.value ? 'true' : 'false';
      case 'NullValue':
        return 'null';
    }
    const nl = o.indent !== null ? '\n' + o.indent.repeat(depth + 1) : '';
    const close = o.indent !== null ? '\n' + o.indent.repeat(depth) : '';
    if (isList(x)) {
      const items = x.value as RV[];
      if (!items.length) return '[]';
      return '[' + nl + items.map((i) => walk(i, depth + 1)).join(itemSep + nl) + close + ']';
    }
    if (isDict(x)) {
      let entries = [...(x.value as Map<string, RV>)];
      if (!entries.length) return '{}';
      if (o.sortKeys) {
        if (x.intKeys && x.intKeys.size !== entries.length)
          throw new TemplateRuntimeError("'<' not supported between instances of 'int' and 'str'", 'type');
        entries = x.intKeys
          ? entries.sort((a, b) => Number(a[0]) - Number(b[0]))
          : entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      }
      return (
        '{' +
        nl +
        entries.map(([k, val]) => jsonKey(x, k, o.ensureAscii) + keySep + walk(val, depth + 1)).join(itemSep + nl) +
        close +
        '}'
      );
    }
    throw new TemplateRuntimeError(`Object of type ${pyTypeName(x)} is not JSON serializable`, 'type');
  };
  return walk(v, 0);
}

/** Python's `fmt % args` for the conversions templates use (%s %r %d %i %f %e %g %x %o %c %%). */
export function pyPercentFormat(fmt: string, args: RV): string {
  const positional: RV[] | null = isList(args) && args.isTuple ? (args.value as RV[]) : isDict(args) ? null : [args];
  let next = 0;
  const re = /%(?:\(([^)]*)\))?([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?([sridfFeEgGxXocua%])/g;
  const out = fmt.replace(
    re,
    (
      _m,
      name: string | undefined,
      flags: string,
      width: string | undefined,
      prec: string | undefined,
      conv: string,
    ) => {
      if (conv === '%') return '%';
      let val: RV | undefined;
      if (name !== undefined) {
        if (!isDict(args)) throw new TemplateRuntimeError('format requires a mapping', 'type');
        val = (args.value as Map<string, RV>).get(name);
        if (!val) throw new TemplateRuntimeError(pyStrRepr(name), 'runtime');
      } else {
        if (!positional) throw new TemplateRuntimeError('format requires a mapping', 'type');
        if (next >= positional.length) throw new TemplateRuntimeError('not enough arguments for format string', 'type');
        val = positional[next++];
      }
      const p = prec === undefined ? undefined : Number(prec);
      let s: string;
      const num = (): number => {
        if (!(val!.type === 'IntegerValue' || val!.type === 'FloatValue' || val!.type === 'BooleanValue'))
          throw new TemplateRuntimeError(`%${conv} format: a real number is required, not ${pyTypeName(val!)}`, 'type');
        return val!.type === 'BooleanValue' ? Number(val!.value) : val!.value;
      };
      switch (conv) {
        case 's':
          s = pyStr(val);
          if (p !== undefined) s = s.slice(0, p);
          break;
        case 'r':
        case 'a':
          s = pyRepr(val);
          break;
        case 'd':
        case 'i':
        case 'u':
          s = String(Math.trunc(num()));
          break;
        case 'f':
        case 'F':
          s = num().toFixed(p ?? 6);
          break;
        case 'e':
        case 'E': {
          s = num()
            .toExponential(p ?? 6)
            .replace(/e([+-])(\d)$/, 'e$10$2');
          if (conv === 'E') s = s.toUpperCase();
          break;
        }
        case 'g':
        case 'G':
          s = String(Number(num().toPrecision(p || 6)));
          break;
        case 'x':
          s = Math.trunc(num()).toString(16);
          break;
        case 'X':
          s = Math.trunc(num()).toString(16).toUpperCase();
          break;
        case 'o':
          s = Math.trunc(num()).toString(8);
          break;
        case 'c':
          s = isStr(val) ? val.value : String.fromCodePoint(num());
          break;
        default:
          s = pyStr(val);
      }
      if (flags.includes('+') && /^[0-9]/.test(s) && 'difFeEgGu'.includes(conv)) s = '+' + s;
      const w = width === undefined ? 0 : Number(width);
      if (s.length < w)
        s = flags.includes('-')
          ? s.padEnd(w)
          : flags.includes('0') && conv !== 's'
            ? s.padStart(w, '0')
            : s.padStart(w);
      return s;
    },
  );
  if (positional && next < positional.length && !(positional.length === 1 && next === 0 && isDict(args)))
    throw new TemplateRuntimeError('not all arguments converted during string formatting', 'type');
  return out;
}

// Python's str.isspace() set, which strip()/split() use (JS's \s differs: it has U+FEFF, lacks \x1c-\x1f).
const PY_WS =
  '\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

export function pyStrip(s: string, chars: string | null, left: boolean, right: boolean): string {
  const set = chars ?? PY_WS;
  let a = 0;
  let b = s.length;
  if (left) while (a < b && set.includes(s[a])) a++;
  if (right) while (b > a && set.includes(s[b - 1])) b--;
  return s.slice(a, b);
}

export function pySplit(s: string, sep: string | null, maxsplit: number): string[] {
  if (sep === null) {
    const out: string[] = [];
    let i = 0;
    while (i < s.length) {
      while (i < s.length && PY_WS.includes(s[i])) i++;
      if (i >= s.length) break;
      if (maxsplit >= 0 && out.length === maxsplit) {
        out.push(s.slice(i));
        return out;
      }
      let j = i;
      while (j < s.length && !PY_WS.includes(s[j])) j++;
      out.push(s.slice(i, j));
      i = j;
    }
    return out;
  }
  if (sep === '') throw new TemplateRuntimeError('empty separator', 'runtime');
  const parts = s.split(sep);
  if (maxsplit < 0 || parts.length - 1 <= maxsplit) return parts;
  return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(sep)];
}

export const isPySpace = (c: string): boolean => PY_WS.includes(c);
