// jinja2's sequence filters (jinja2/filters.py): select/reject/map/unique/batch/slice/items return
// one-shot generators as in jinja2 (so `|length` on them is a TypeError there and here), sort is
// Python's stable sorted() with jinja2's list keys, and the comparisons happen in CPython's order so
// an unorderable pair fails with the same message.
import { TemplateRuntimeError } from './errors';
import { attrPath, dictItems } from './containers';
import { binaryArith, pyCmp, pyEq, pyIter, typeError } from './ops';
import { pyStr, pyStrRepr } from './pyformat';
import { TESTS, type Test } from './tests';
import {
  type Kwargs,
  type RV,
  generator,
  int,
  isDict,
  isList,
  isNone,
  isStr,
  isUndef,
  list,
  numOf,
  str,
  truthy,
  undef,
} from './values';

export type Filter = (v: RV, args: RV[], kw: Kwargs) => RV;
export const arg = (args: RV[], kw: Kwargs, i: number, name: string): RV | undefined => args[i] ?? kw.get(name);
export const flag = (v: RV | undefined): boolean => !!v && truthy(v);

const lower = (v: RV, caseSensitive: boolean): RV => (!caseSensitive && isStr(v) ? str(v.value.toLowerCase()) : v);
/** `a < b` for sort keys, equal items short-circuiting as Python's list comparison does. */
function lessThan(a: RV, b: RV): boolean {
  if (isList(a) && isList(b) && !a.isTuple && !b.isTuple) {
    const x = a.value as RV[];
    const y = b.value as RV[];
    let i = 0;
    while (
      i < x.length &&
      i < y.length &&
      (x[i] === y[i] || (x[i].type === y[i].type && (isNone(x[i]) || isUndef(x[i]))) || pyEq(x[i], y[i]))
    )
      i++;
    if (i < x.length && i < y.length) return pyCmp('<', x[i], y[i]) < 0;
    return x.length < y.length;
  }
  return pyCmp('<', a, b) < 0;
}

/**
 * Python's sorted(items, key, reverse): binary insertion sort after a run scan for short lists (what
 * CPython's timsort does below 64 items, so comparisons, and errors, come in the same order), a stable
 * merge sort beyond.
 */
export function pySorted(items: RV[], key: (v: RV) => RV, reverse: boolean): RV[] {
  let xs = items.map((v) => ({ v, k: key(v) }));
  if (reverse) xs.reverse();
  if (xs.length < 64) {
    const n = xs.length;
    if (n > 1) {
      let run = 2;
      const desc = lessThan(xs[1].k, xs[0].k);
      if (desc) while (run < n && lessThan(xs[run].k, xs[run - 1].k)) run++;
      else while (run < n && !lessThan(xs[run].k, xs[run - 1].k)) run++;
      if (desc) xs = [...xs.slice(0, run).reverse(), ...xs.slice(run)];
      for (let s = run; s < n; s++) {
        const pivot = xs[s];
        let l = 0;
        let r = s;
        while (l < r) {
          const p = l + ((r - l) >> 1);
          if (lessThan(pivot.k, xs[p].k)) r = p;
          else l = p + 1;
        }
        xs.splice(s, 1);
        xs.splice(l, 0, pivot);
      }
    }
  } else xs = mergeSort(xs, (a, b) => lessThan(b.k, a.k));
  const out = xs.map((x) => x.v);
  return reverse ? out.reverse() : out;
}

function mergeSort<T>(xs: T[], after: (a: T, b: T) => boolean): T[] {
  if (xs.length < 2) return xs;
  const mid = xs.length >> 1;
  const a = mergeSort(xs.slice(0, mid), after);
  const b = mergeSort(xs.slice(mid), after);
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(after(a[i], b[j]) ? b[j++] : a[i++]);
  return out.concat(a.slice(i), b.slice(j));
}

/** jinja2's make_multi_attrgetter: `attribute="a.b,c"` gives the key [item.a.b, item.c]. */
function multiKey(attribute: RV | undefined, caseSensitive: boolean): (v: RV) => RV {
  const parts =
    attribute && !isNone(attribute) ? (isStr(attribute) ? attribute.value.split(',').map(str) : [attribute]) : [];
  return (v) =>
    list(parts.length ? parts.map((p: RV) => lower(attrPath(v, p), caseSensitive)) : [lower(v, caseSensitive)]);
}
function singleKey(attribute: RV | undefined, caseSensitive: boolean): (v: RV) => RV {
  return (v) => lower(attribute && !isNone(attribute) ? attrPath(v, attribute) : v, caseSensitive);
}

function selectOrReject(v: RV, args: RV[], attr: boolean, keep: boolean, fname: string): RV {
  const attribute = attr ? args[0] : undefined;
  if (attr && !attribute) throw typeError(`${fname}() missing 1 required positional argument: 'attr'`);
  const rest = attr ? args.slice(1) : args;
  let test: Test = (x) => truthy(x);
  if (rest.length) {
    const name = pyStr(rest[0]);
    const t = TESTS[name];
    if (!t) throw new TemplateRuntimeError(`No test named ${pyStrRepr(name)}.`, 'runtime', 'TemplateRuntimeError');
    const targs = rest.slice(1);
    test = (x) => t(x, ...targs);
  }
  const items = pyIter(v);
  return generator(
    () => items.filter((item) => test(attribute ? attrPath(item, attribute) : item) === keep),
    'generator',
  );
}

function minMax(v: RV, args: RV[], kw: Kwargs, max: boolean): RV {
  const items = pyIter(v);
  if (!items.length) return undef('No aggregated item, sequence was empty.');
  const key = singleKey(arg(args, kw, 1, 'attribute'), flag(arg(args, kw, 0, 'case_sensitive')));
  let best = items[0];
  let bestKey = key(best);
  for (const x of items.slice(1)) {
    const k = key(x);
    if (max ? pyCmp('>', k, bestKey) > 0 : pyCmp('<', k, bestKey) < 0) {
      best = x;
      bestKey = k;
    }
  }
  return best;
}

export function makeSeqFilters(filters: () => Record<string, Filter>): Record<string, Filter> {
  return {
    select: (v, args) => selectOrReject(v, args, false, true, 'select'),
    reject: (v, args) => selectOrReject(v, args, false, false, 'reject'),
    selectattr: (v, args) => selectOrReject(v, args, true, true, 'selectattr'),
    rejectattr: (v, args) => selectOrReject(v, args, true, false, 'rejectattr'),
    map(v, args, kw) {
      const items = pyIter(v);
      if (!args.length && kw.has('attribute')) {
        const dflt = kw.get('default');
        return generator(() =>
          items.map((x) => {
            const r = attrPath(x, kw.get('attribute')!);
            return isUndef(r) && dflt ? dflt : r;
          }),
        );
      }
      if (!args.length)
        throw new TemplateRuntimeError('map requires a filter argument', 'runtime', 'FilterArgumentError');
      const name = pyStr(args[0]);
      const f = filters()[name];
      if (!f) throw new TemplateRuntimeError(`No filter named ${pyStrRepr(name)}.`, 'runtime', 'TemplateRuntimeError');
      return generator(() => items.map((x) => f(x, args.slice(1), kw)));
    },
    sort(v, args, kw) {
      const key = multiKey(arg(args, kw, 2, 'attribute'), flag(arg(args, kw, 1, 'case_sensitive')));
      return list(pySorted(pyIter(v), key, flag(arg(args, kw, 0, 'reverse'))));
    },
    dictsort(v, args, kw) {
      const by = arg(args, kw, 1, 'by');
      const pos = !by || pyStr(by) === 'key' ? 0 : pyStr(by) === 'value' ? 1 : -1;
      if (pos < 0)
        throw new TemplateRuntimeError(
          'You can only sort by either "key" or "value"',
          'runtime',
          'FilterArgumentError',
        );
      if (!isDict(v))
        throw new TemplateRuntimeError(`'${v.type}' object has no attribute 'items'`, 'runtime', 'AttributeError');
      const cs = flag(arg(args, kw, 0, 'case_sensitive'));
      return list(
        pySorted(dictItems(v), (p: RV) => lower((p.value as RV[])[pos], cs), flag(arg(args, kw, 2, 'reverse'))),
      );
    },
    unique(v, args, kw) {
      const key = singleKey(arg(args, kw, 1, 'attribute'), flag(arg(args, kw, 0, 'case_sensitive')));
      const items = pyIter(v);
      return generator(() => {
        const seen: RV[] = [];
        const out: RV[] = [];
        for (const x of items) {
          const k = key(x);
          if (isList(k) && !k.isTuple) throw typeError("unhashable type: 'list'");
          if (isDict(k)) throw typeError("unhashable type: 'dict'");
          if (!seen.some((s) => pyEq(s, k))) {
            seen.push(k);
            out.push(x);
          }
        }
        return out;
      });
    },
    max: (v, args, kw) => minMax(v, args, kw, true),
    min: (v, args, kw) => minMax(v, args, kw, false),
    sum(v, args, kw) {
      const attribute = arg(args, kw, 0, 'attribute');
      let acc: RV = arg(args, kw, 1, 'start') ?? int(0);
      for (const x of pyIter(v))
        acc = binaryArith('+', acc, attribute && !isNone(attribute) ? attrPath(x, attribute) : x);
      return acc;
    },
    first(v) {
      const items = pyIter(v);
      return items.length ? items[0] : undef('No first item, sequence was empty.');
    },
    last(v) {
      if (v.type === 'GeneratorValue' || isDict(v))
        throw typeError(`'${v.type === 'GeneratorValue' ? v.pyType : 'dict'}' object is not reversible`);
      const items = pyIter(v);
      return items.length ? items[items.length - 1] : undef('No last item, sequence was empty.');
    },
    list: (v) => list([...pyIter(v)]),
    reverse(v) {
      if (isStr(v))
        return str(
          Array.from(v.value as string)
            .reverse()
            .join(''),
        );
      if (isList(v) && !v.view) {
        const items = [...(v.value as RV[])].reverse();
        return generator(() => items, 'list_reverseiterator');
      }
      return list([...pyIter(v)].reverse());
    },
    join(v, args, kw) {
      const sep = arg(args, kw, 0, 'd');
      const attribute = arg(args, kw, 1, 'attribute');
      const items = pyIter(v).map((x) => (attribute && !isNone(attribute) ? attrPath(x, attribute) : x));
      return str(items.map(pyStr).join(sep ? pyStr(sep) : ''));
    },
    items(v) {
      if (isUndef(v)) return generator(() => []);
      if (!isDict(v)) throw typeError('Can only get item pairs from a mapping.');
      const items = dictItems(v);
      return generator(() => items);
    },
    batch(v, args, kw) {
      const n = numOf(arg(args, kw, 0, 'linecount') ?? int(1));
      const fill = arg(args, kw, 1, 'fill_with');
      const items = pyIter(v);
      return generator(() => {
        const out: RV[] = [];
        for (let i = 0; i < items.length; i += n) {
          const row = items.slice(i, i + n);
          if (fill && !isNone(fill)) while (row.length < n) row.push(fill);
          out.push(list(row));
        }
        return out;
      });
    },
    slice(v, args, kw) {
      const slices = numOf(arg(args, kw, 0, 'slices') ?? int(1));
      const fill = arg(args, kw, 1, 'fill_with');
      const seq = pyIter(v);
      return generator(() => {
        const per = Math.floor(seq.length / slices);
        const extra = seq.length % slices;
        const out: RV[] = [];
        let offset = 0;
        for (let k = 0; k < slices; k++) {
          const start = offset + k * per;
          if (k < extra) offset++;
          const tmp = seq.slice(start, offset + (k + 1) * per);
          if (fill && !isNone(fill) && k >= extra) tmp.push(fill);
          out.push(list(tmp));
        }
        return out;
      });
    },
    groupby(v, args, kw) {
      const attribute = arg(args, kw, 0, 'attribute');
      const dflt = arg(args, kw, 1, 'default');
      const cs = flag(arg(args, kw, 2, 'case_sensitive'));
      const key = (x: RV) => {
        const k = attribute ? attrPath(x, attribute) : x;
        return lower(isUndef(k) && dflt ? dflt : k, cs);
      };
      const sorted = pySorted(pyIter(v), key, false);
      const groups: RV[] = [];
      for (const x of sorted) {
        const k = key(x);
        const last = groups[groups.length - 1];
        if (last && pyEq((last.value as RV[])[0], k)) ((last.value as RV[])[1].value as RV[]).push(x);
        else groups.push(groupTuple(k, [x]));
      }
      if (!cs)
        for (const g of groups) {
          const first = ((g.value as RV[])[1].value as RV[])[0];
          const k = attribute ? attrPath(first, attribute) : first;
          (g.value as RV[])[0] = isUndef(k) && dflt ? dflt : k;
        }
      return list(groups);
    },
  };
}

function groupTuple(grouper: RV, items: RV[]): RV {
  const t = list([grouper, list(items)]);
  t.isTuple = true;
  return t;
}
