// transformers' apply_chat_template(tokenize=False) around our renderer: message clean-up, reasoning
// aliases, continue_final_message by tag-and-cut, and the order in which variables reach the template.
import type { RenderOptions, RenderResult } from './types';
import { compileTemplate, renderCompiled } from './jinja/compile';
import { TemplateError } from './jinja/errors';
import { pyStrip } from './jinja/pyformat';
import { ExactNumber } from './exactJson';

export { TemplateError } from './jinja/errors';
export { compileTemplate } from './jinja/compile';

const CONTINUE_TAG = 'CONTINUE_FINAL_MESSAGE_TAG ';
const REASONING_FIELDS = ['reasoning_content', 'thinking', 'reasoning'];

function valueError(message: string): TemplateError {
  return new TemplateError({ message, kind: 'runtime', pyClass: 'ValueError' });
}

/** `_alias_reasoning_fields`: `{"thinking": r, **message, "reasoning_content": r}` (key order matters when printed). */
function aliasReasoning(m: Record<string, unknown>): Record<string, unknown> {
  const key = REASONING_FIELDS.find((k) => m[k] !== undefined && m[k] !== null);
  if (!key) return m;
  const r = m[key];
  return { thinking: r, ...m, reasoning_content: r };
}

/** A deep copy of JSON-like data that keeps ExactNumber (floats/ints as written) and Map objects. */
function clone<T>(x: T): T {
  if (Array.isArray(x)) return x.map(clone) as T;
  if (x instanceof Map) return new Map([...x].map(([k, v]) => [k, clone(v)])) as T;
  if (x && typeof x === 'object' && !(x instanceof ExactNumber)) {
    const out: Record<string, unknown> = {};
    for (const k in x) out[k] = clone((x as Record<string, unknown>)[k]);
    return out as T;
  }
  return x;
}

/**
 * Renders a conversation exactly as transformers' `apply_chat_template(..., tokenize=False)`.
 * `spans` are `{% generation %}` spans as UTF-16 offsets into `text` (see `toCodePointSpans` for Python's).
 * Throws TemplateError wherever transformers raises.
 */
export function renderChat(template: string, opts: RenderOptions): RenderResult {
  const compiled = compileTemplate(template);
  const cfm = opts.continueFinalMessage;
  if (!opts.messages.length)
    throw valueError('Cannot apply chat template to an empty conversation. Provide at least one message.');
  if (cfm && opts.addGenerationPrompt)
    throw valueError(
      'continue_final_message and add_generation_prompt are not compatible. Use continue_final_message when you want the model to continue the final message, and add_generation_prompt when you want to add a header that will prompt it to start a new assistant message instead.',
    );
  const chat = opts.messages.map((m) => {
    if (m === null || typeof m !== 'object' || Array.isArray(m))
      throw new TemplateError({
        message: `Chat messages should be dicts, dataclasses or pydantic models, but got ${JSON.stringify(m)}.`,
        kind: 'type',
        pyClass: 'TypeError',
      });
    // A fresh top-level object per message (None-valued keys dropped, as transformers does); nested
    // values are only read, except by continue_final_message, which deep-copies the last message.
    const kept: Record<string, unknown> = {};
    for (const k in m) if (m[k] !== null && m[k] !== undefined) kept[k] = m[k];
    return aliasReasoning(kept);
  });
  if (cfm) chat[chat.length - 1] = clone(chat[chat.length - 1]);

  let finalMessage: string | undefined;
  if (cfm) {
    const field = typeof cfm === 'string' ? cfm : 'content';
    const last = chat[chat.length - 1];
    const fm = last[field];
    if (fm === undefined)
      throw valueError(`continue_final_message is set but the final message has no "${field}" to continue!`);
    let fields = [field];
    if (REASONING_FIELDS.includes(field))
      fields = REASONING_FIELDS.filter((f) => JSON.stringify(last[f]) === JSON.stringify(fm));
    if (!fields.some((f) => template.includes(f)))
      throw valueError(
        `continue_final_message is set to "${field}" but this is not an accepted field in the chat_template`,
      );
    if (Array.isArray(fm)) {
      const block = [...fm].reverse().find((b) => b && typeof b === 'object' && 'text' in b) as
        Record<string, unknown> | undefined;
      if (!block)
        throw valueError(
          'continue_final_message is set but we could not find any text to continue in the final message!',
        );
      finalMessage = String(block.text);
      block.text = `${block.text}${CONTINUE_TAG}`;
    } else {
      if (typeof fm !== 'string')
        throw new TemplateError({
          message: `unsupported operand type(s) for +: '${typeof fm === 'number' ? 'int' : typeof fm}' and 'str'`,
          kind: 'type',
          pyClass: 'TypeError',
        });
      finalMessage = fm;
      for (const f of fields) last[f] = `${last[f]}${CONTINUE_TAG}`;
    }
  }

  const vars: Record<string, unknown> = {
    messages: chat,
    tools: opts.tools ?? null,
    documents: opts.documents ?? null,
    add_generation_prompt: !!opts.addGenerationPrompt,
    ...opts.variables,
  };
  const result = renderCompiled(compiled, { vars, now: opts.now });

  if (cfm && finalMessage !== undefined) {
    const text = result.text;
    const tag = CONTINUE_TAG.trim();
    if (!text.includes(pyStrip(finalMessage, null, true, true)) || !text.includes(tag))
      throw valueError(
        'continue_final_message is set but the final message does not appear in the chat after applying the chat template! This can happen if the chat template deletes portions of the final message. Please verify the chat template and final message in your chat to ensure they are compatible.' +
          `Final message to continue: ${pyStrip(finalMessage, null, true, true)}\nRendered chat:\n${text}`,
      );
    const at = text.lastIndexOf(tag);
    const cut =
      text.slice(at, at + CONTINUE_TAG.length) === CONTINUE_TAG
        ? text.slice(0, at)
        : pyStrip(text.slice(0, at), null, false, true);
    return {
      text: cut,
      spans: result.spans
        .filter((s) => s.start < cut.length)
        .map((s) => ({ start: s.start, end: Math.min(s.end, cut.length) })),
    };
  }
  return result;
}

/** Converts UTF-16 spans to Python character (code point) offsets, as transformers reports them. */
export function toCodePointSpans(
  text: string,
  spans: { start: number; end: number }[],
): { start: number; end: number }[] {
  const cp = (i: number) => {
    let n = 0;
    for (let k = 0; k < i; k++) {
      const c = text.charCodeAt(k);
      if (c < 0xdc00 || c > 0xdfff) n++;
    }
    return n;
  };
  return spans.map((s) => ({ start: cp(s.start), end: cp(s.end) }));
}
