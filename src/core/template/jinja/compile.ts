// Compiles a chat template once (lex → @huggingface/jinja's parser → positions) and renders it with
// transformers' globals. Parsed templates are cached by source text, as transformers' lru_cache does.
import { Environment, parse } from '@huggingface/jinja';
import type { CharSpan } from '../types';
import { TemplateError, TemplateRuntimeError, lineColumn } from './errors';
import { PyInterpreter, typeError } from './interpreter';
import { GEN_CLOSE, GEN_CLOSE_VAR, GEN_OPEN, GEN_OPEN_VAR, type Opener, lex } from './lexer';
import { pyIter } from './interpreter';
import { pyStr, pyStrRepr } from './pyformat';
import { strftime } from './strftime';
import { type RV, NamespaceValue, dict, fn, int, isDict, isKwargs, list, numOf, str, toRuntime } from './values';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = any;

export interface CompiledTemplate {
  /** The source as given. */
  readonly raw: string;
  /** The source after newline normalisation (what offsets refer to). */
  readonly source: string;
  readonly hasGeneration: boolean;
  readonly program: Node;
}

const STMT_NODE: Record<string, string> = {
  if: 'If', elif: 'If', for: 'For', set: 'Set', macro: 'Macro', call: 'CallStatement', filter: 'FilterStatement', break: 'Break', continue: 'Continue',
};
const SKIPPED = /^(else|end\w+)$/;

/**
 * Gives every statement node the offset of the tag it came from, so runtime errors can say where.
 * The parser builds statements in source order, so a pre-order walk meets them in the order of the
 * tags (skipping `else`/`end…`). On any mismatch we stop: positions before it stay right.
 */
function annotate(program: Node, openers: Opener[]): void {
  let k = 0;
  const next = (): Opener | undefined => {
    while (k < openers.length && openers[k].kind === 'stmt' && SKIPPED.test(openers[k].name)) k++;
    return openers[k++];
  };
  const body = (stmts: Node[] | undefined) => {
    for (const s of stmts ?? []) if (!stmt(s)) return false;
    return true;
  };
  const stmt = (s: Node): boolean => {
    const o = next();
    if (!o) return false;
    if (o.kind === 'text' ? s.type !== 'StringLiteral' : o.kind === 'stmt' ? STMT_NODE[o.name] !== s.type : !!STMT_NODE[s.type.toLowerCase()]) return false;
    s.__pos = o.start;
    switch (s.type) {
      case 'If':
        return body(s.body) && body(s.alternate);
      case 'For':
        (s.iterable.type === 'SelectExpression' ? s.iterable.lhs : s.iterable).__iter = true;
        return body(s.body) && body(s.defaultBlock);
      case 'Set':
      case 'Macro':
      case 'CallStatement':
      case 'FilterStatement':
        return body(s.body);
    }
    return true;
  };
  body(program.body);
}

function toTemplateError(e: unknown, source: string): TemplateError {
  if (e instanceof TemplateError) return e;
  if (e instanceof TemplateRuntimeError) {
    const at = e.offset !== undefined ? lineColumn(source, e.offset) : {};
    return new TemplateError({ message: e.message, kind: e.kind, pyClass: e.pyClass, ...at });
  }
  return new TemplateError({ message: e instanceof Error ? e.message : String(e), kind: 'runtime' });
}

const cache = new Map<string, CompiledTemplate>();
const CACHE_MAX = 64;

/** Parses a template (cached). Throws TemplateError with line/column on a syntax error. */
export function compileTemplate(raw: string): CompiledTemplate {
  const hit = cache.get(raw);
  if (hit) return hit;
  let lexed;
  try {
    lexed = lex(raw);
  } catch (e) {
    throw toTemplateError(e, raw.replace(/\r\n|\r/g, '\n'));
  }
  const { tokens, source } = lexed;
  // The parser reports no positions: we watch which token it read last when it gave up.
  let last = 0;
  const watched = new Proxy(tokens, {
    get(t, p, r) {
      if (typeof p === 'string' && p.charCodeAt(0) >= 48 && p.charCodeAt(0) <= 57) last = Number(p);
      return Reflect.get(t, p, r);
    },
  });
  let program: Node;
  try {
    program = parse(watched as never);
  } catch (e) {
    const atEnd = last >= tokens.length;
    const msg = e instanceof Error ? e.message : String(e);
    const err = new TemplateRuntimeError(
      atEnd || /reading 'type'|undefined/.test(msg) ? 'unexpected end of template' : msg.replace(/^Parser Error: /, ''),
      'syntax',
    );
    err.offset = atEnd ? source.length : tokens[last].start;
    throw toTemplateError(err, source);
  }
  annotate(program, lexed.openers);
  const compiled: CompiledTemplate = { raw, source, hasGeneration: lexed.hasGeneration, program };
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(raw, compiled);
  return compiled;
}

function splitKw(args: RV[]): [RV[], Map<string, RV>] {
  const last = args[args.length - 1];
  return isKwargs(last) ? [args.slice(0, -1), last.value] : [args, new Map()];
}

function mappingEntries(positional: RV[], kw: Map<string, RV>, what: string): Map<string, RV> {
  if (positional.length > 1) throw typeError(`${what} expected at most 1 argument, got ${positional.length}`);
  const m = new Map<string, RV>();
  const src = positional[0];
  if (src) {
    if (isDict(src)) for (const [k, v] of src.value as Map<string, RV>) m.set(k, v);
    else
      for (const pair of pyIter(src)) {
        const kv = pyIter(pair);
        if (kv.length !== 2) throw new TemplateRuntimeError(`dictionary update sequence element has length ${kv.length}; 2 is required`, 'runtime', 'ValueError');
        m.set(pyStr(kv[0]), kv[1]);
      }
  }
  for (const [k, v] of kw) m.set(k, v);
  return m;
}

const MAX_RANGE = 100000;
/** Globals shared by every render (transformers' environment plus jinja2's defaults). */
const GLOBALS = new Environment();
for (const [k, v] of Object.entries({ true: true, false: false, none: null, True: true, False: false, None: null })) GLOBALS.variables.set(k, toRuntime(v) as never);
const globalFns: Record<string, (args: RV[]) => RV> = {
  raise_exception: ([msg]) => {
    throw new TemplateRuntimeError(msg ? pyStr(msg) : '', 'raise_exception', 'TemplateError');
  },
  range: (args) => {
    const n = splitKw(args)[0].map(numOf);
    const [start, stop, step] = n.length === 1 ? [0, n[0], 1] : [n[0], n[1], n[2] ?? 1];
    if (step === 0) throw new TemplateRuntimeError('range() arg 3 must not be zero', 'runtime', 'ValueError');
    const out: RV[] = [];
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) {
      if (out.length >= MAX_RANGE)
        throw new TemplateRuntimeError(`Range too big. The sandbox blocks ranges larger than MAX_RANGE (${MAX_RANGE}).`, 'runtime', 'OverflowError');
      out.push(int(i));
    }
    return list(out);
  },
  dict: (args) => dict(mappingEntries(...splitKw(args), 'dict')),
  namespace: (args) => {
    const m = mappingEntries(...splitKw(args), 'namespace');
    for (const k of m.keys())
      if (k.startsWith('_'))
        throw new TemplateRuntimeError(
          `Chat templates cannot store underscore-prefixed attributes on a namespace, but got ${pyStrRepr(k)}. Please rename the attribute.`,
          'runtime',
          'SecurityError',
        );
    return new NamespaceValue(m);
  },
};
for (const [k, f] of Object.entries(globalFns)) GLOBALS.variables.set(k, fn(f) as never);
GLOBALS.variables.set(GEN_OPEN_VAR, str(GEN_OPEN) as never);
GLOBALS.variables.set(GEN_CLOSE_VAR, str(GEN_CLOSE) as never);
const NAMESPACE_FN = GLOBALS.variables.get('namespace')!;

export interface RenderVariables {
  /** Template variables in the order Python passes them (messages, tools, documents, add_generation_prompt, **kwargs). */
  vars: Record<string, unknown>;
  /** strftime_now's "now"; default: the current time. */
  now?: Date;
}

/** Renders and returns the text with `{% generation %}` spans (UTF-16 offsets into `text`). */
export function renderCompiled(t: CompiledTemplate, { vars, now }: RenderVariables): { text: string; spans: CharSpan[] } {
  const env = new Environment(GLOBALS);
  env.variables.set('namespace', NAMESPACE_FN);
  env.variables.set('strftime_now', fn(([f]) => str(strftime(now ?? new Date(), pyStr(f)))) as never);
  for (const k in vars) env.variables.set(k, toRuntime(vars[k]) as never);
  let out: string;
  try {
    out = ((new PyInterpreter(env).run(t.program) as unknown as RV).value as string) ?? '';
  } catch (e) {
    throw toTemplateError(e, t.source);
  }
  if (!t.hasGeneration) return { text: out, spans: [] };
  return extractSpans(out);
}

/** Removes the generation markers and records each block's [start, end), innermost first like AssistantTracker. */
export function extractSpans(marked: string): { text: string; spans: CharSpan[] } {
  const spans: CharSpan[] = [];
  const open: number[] = [];
  const markers = /[\uFDD0\uFDD1]/g;
  let text = '';
  let from = 0;
  for (let m = markers.exec(marked); m; m = markers.exec(marked)) {
    text += marked.slice(from, m.index);
    from = m.index + 1;
    if (m[0] === GEN_OPEN) open.push(text.length);
    else if (m[0] === GEN_CLOSE) spans.push({ start: open.pop() ?? 0, end: text.length });
  }
  text += marked.slice(from);
  return { text, spans };
}

