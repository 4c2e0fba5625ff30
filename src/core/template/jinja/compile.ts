// Compiles a chat template once (jinja2's lexer and parser, rewritten in ./lexer.ts and ./parser.ts)
// and renders it with transformers' globals. Parsed templates are cached by source text, as
// transformers' lru_cache does.
import type { CharSpan } from '../types';
import type { Program } from './ast';
import { TemplateError, TemplateRuntimeError, lineColumn } from './errors';
import { FILTERS } from './filters';
import { makeGlobals } from './globals';
import { lex } from './lexer';
import { parse, syntaxError } from './parser';
import { pyStrRepr } from './pyformat';
import { RenderState, Scope } from './runtime';
import { renderBody } from './statements';
import { TESTS } from './tests';
import { toRuntime } from './values';

export interface CompiledTemplate {
  /** The source as given. */
  readonly raw: string;
  /** The source after newline normalisation (what offsets refer to). */
  readonly source: string;
  readonly hasGeneration: boolean;
  readonly program: Program;
}

function toTemplateError(e: unknown, source: string): TemplateError {
  if (e instanceof TemplateError) return e;
  if (e instanceof TemplateRuntimeError) {
    const at = e.offset !== undefined ? lineColumn(source, e.offset) : {};
    return new TemplateError({ message: e.message, kind: e.kind, pyClass: e.pyClass, ...at });
  }
  if (e instanceof RangeError)
    return new TemplateError({
      message: 'maximum recursion depth exceeded',
      kind: 'runtime',
      pyClass: 'RecursionError',
    });
  return new TemplateError({ message: e instanceof Error ? e.message : String(e), kind: 'runtime' });
}

const cache = new Map<string, CompiledTemplate>();
const CACHE_MAX = 64;

/** Parses a template (cached). Throws TemplateError with line/column on a syntax error. */
export function compileTemplate(raw: string): CompiledTemplate {
  const hit = cache.get(raw);
  if (hit) return hit;
  const { tokens, source } = lex(raw);
  let compiled: CompiledTemplate;
  try {
    const { program, names } = parse(tokens, source);
    // jinja2's code generator refuses unknown filters and tests (outside `{% if %}` branches).
    for (const n of names)
      if (!(n.kind === 'filter' ? n.name in FILTERS : n.name in TESTS))
        throw syntaxError(`No ${n.kind} named ${pyStrRepr(n.name)}.`, n.pos, 'TemplateAssertionError');
    compiled = {
      raw,
      source,
      hasGeneration: tokens.some((t) => t.type === 'name' && t.value === 'generation'),
      program,
    };
  } catch (e) {
    throw toTemplateError(e, source);
  }
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(raw, compiled);
  return compiled;
}

export interface RenderVariables {
  /** Template variables in the order Python passes them (messages, tools, documents, add_generation_prompt, **kwargs). */
  vars: Record<string, unknown>;
  /** strftime_now's "now"; default: the current time. */
  now?: Date;
}

/** Renders and returns the text with `{% generation %}` spans (UTF-16 offsets into `text`), as AssistantTracker records them. */
export function renderCompiled(
  t: CompiledTemplate,
  { vars, now }: RenderVariables,
): { text: string; spans: CharSpan[] } {
  const globals = new Scope();
  for (const [k, v] of makeGlobals(() => now ?? new Date())) globals.vars.set(k, v);
  const scope = new Scope(globals);
  for (const k in vars) scope.vars.set(k, toRuntime(vars[k]));
  const st = new RenderState();
  try {
    renderBody(t.program.body, scope, st.root, st);
  } catch (e) {
    throw toTemplateError(e, t.source);
  }
  const text = st.root.text;
  const at = utf16Offsets(
    text,
    st.spans.flatMap((sp) => [sp.start, sp.end]),
  );
  return { text, spans: st.spans.map((sp) => ({ start: at.get(sp.start)!, end: at.get(sp.end)! })) };
}

/** UTF-16 offsets of code point positions in `text`, in one pass (past the end counts on in code units). */
function utf16Offsets(text: string, cps: number[]): Map<number, number> {
  const want = [...new Set(cps)].sort((a, b) => a - b);
  const out = new Map<number, number>();
  let i = 0;
  let n = 0;
  for (const cp of want) {
    while (n < cp && i < text.length) {
      const c = text.charCodeAt(i);
      i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
      n++;
    }
    out.set(cp, i + (cp - n));
  }
  return out;
}
