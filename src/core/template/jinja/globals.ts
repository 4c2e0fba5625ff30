// The globals of transformers' environment: jinja2's defaults (range, dict, namespace, cycler, joiner)
// as the sandbox exposes them, plus transformers' raise_exception and strftime_now.
import { TemplateRuntimeError } from './errors';
import { pyIter, typeError } from './ops';
import { pyStr, pyStrRepr } from './pyformat';
import { strftime } from './strftime';
import { type Kwargs, type RV, dict, fn, int, isDict, list, namespace, numOf, str } from './values';

const MAX_RANGE = 100000;

function mappingEntries(positional: RV[], kw: Kwargs, what: string): Map<string, RV> {
  if (positional.length > 1) throw typeError(`${what} expected at most 1 argument, got ${positional.length}`);
  const m = new Map<string, RV>();
  const src = positional[0];
  if (src) {
    if (isDict(src)) for (const [k, v] of src.value as Map<string, RV>) m.set(k, v);
    else
      for (const pair of pyIter(src)) {
        const kv = pyIter(pair);
        if (kv.length !== 2)
          throw new TemplateRuntimeError(
            `dictionary update sequence element #0 has length ${kv.length}; 2 is required`,
            'runtime',
            'ValueError',
          );
        m.set(pyStr(kv[0]), kv[1]);
      }
  }
  for (const [k, v] of kw) m.set(k, v);
  return m;
}

function range(args: RV[]): RV {
  const n = args.map(numOf);
  if (!n.length) throw typeError('range expected at least 1 argument, got 0');
  const [start, stop, step] = n.length === 1 ? [0, n[0], 1] : [n[0], n[1], n[2] ?? 1];
  if (step === 0) throw new TemplateRuntimeError('range() arg 3 must not be zero', 'runtime', 'ValueError');
  const count = Math.max(0, Math.ceil((stop - start) / step));
  if (count > MAX_RANGE)
    throw new TemplateRuntimeError(
      `Range too big. The sandbox blocks ranges larger than MAX_RANGE (${MAX_RANGE}).`,
      'runtime',
      'OverflowError',
    );
  const out: RV[] = [];
  for (let i = 0; i < count; i++) out.push(int(start + i * step));
  return list(out);
}

function cycler(items: RV[]): RV {
  let pos = 0;
  const m = new Map<string, RV>();
  const move = (to: number) => {
    pos = to;
    if (items.length) m.set('current', items[pos]);
  };
  m.set(
    'next',
    fn(() => {
      const v = items[pos];
      move((pos + 1) % items.length);
      return v;
    }),
  );
  m.set(
    'reset',
    fn(() => (move(0), str(''))),
  );
  move(0);
  return { type: 'ObjectRefValue', value: m, pyType: 'Cycler' };
}

/** Globals shared by every render; `now` pins strftime_now. */
export function makeGlobals(now: () => Date): Map<string, RV> {
  const g = new Map<string, RV>();
  g.set('range', fn(range, 'range'));
  g.set(
    'dict',
    fn((a, kw) => dict(mappingEntries(a, kw, 'dict')), 'dict'),
  );
  g.set(
    'namespace',
    fn((a, kw) => {
      const m = mappingEntries(a, kw, 'namespace');
      for (const k of m.keys())
        if (k.startsWith('_'))
          throw new TemplateRuntimeError(
            `Chat templates cannot store underscore-prefixed attributes on a namespace, but got ${pyStrRepr(k)}. Please rename the attribute.`,
            'runtime',
            'SecurityError',
          );
      return namespace(m);
    }, 'namespace'),
  );
  g.set(
    'raise_exception',
    fn(([msg]) => {
      throw new TemplateRuntimeError(msg ? pyStr(msg) : '', 'raise_exception', 'TemplateError');
    }, 'raise_exception'),
  );
  g.set(
    'strftime_now',
    fn(([f]) => str(strftime(now(), pyStr(f))), 'strftime_now'),
  );
  g.set(
    'cycler',
    fn((items) => cycler(items), 'cycler'),
  );
  g.set(
    'joiner',
    fn(([sep]) => {
      let used = false;
      return fn(() => {
        if (!used) return ((used = true), str(''));
        return str(sep ? pyStr(sep) : ', ');
      }, 'joiner');
    }, 'joiner'),
  );
  g.set(
    '#no_loader',
    fn(() => {
      throw new TemplateRuntimeError('no loader for this environment specified', 'type', 'TypeError');
    }),
  );
  return g;
}
