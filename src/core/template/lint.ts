// Lints for silent training bugs in a chat template, checked against the tokenizer and a sample chat:
// the end-of-turn token outside every trained span, BOS rendered and added again by the post-processor,
// a template that drops the system message, role orders the template rejects, CRLF line endings,
// turns the template never trains, and which EOS is in effect.
import type { ChatMessage, LintFinding } from './types';
import { renderChat, TemplateError } from './render';
import { compileTemplate } from './jinja/compile';

/** What the lints need from a tokenizer (src/core/tokens/tokenizer.ts's handle fits). */
export interface LintTokenizer {
  readonly bosId?: number;
  encode(text: string, addSpecialTokens?: boolean): number[];
  idToToken(id: number): string | undefined;
}

export interface LintInput {
  source: string;
  /** Special tokens + kwargs passed to the template. */
  variables?: Record<string, unknown>;
  specialTokens?: Record<string, string>;
  tokenizer?: LintTokenizer;
  /** A conversation to check; default: system, user, assistant, user, assistant. */
  sample?: ChatMessage[];
  tools?: unknown[];
  now?: Date;
}

/** End-of-turn tokens of common templates, besides the configured eos_token. */
const END_OF_TURN = [
  '<|im_end|>',
  '<|eot_id|>',
  '<|end|>',
  '<end_of_turn>',
  '</s>',
  '<|endoftext|>',
  '<|end_of_text|>',
  '<｜end▁of▁sentence｜>',
  '<|return|>',
];

export const DEFAULT_SAMPLE: ChatMessage[] = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'Hello!' },
  { role: 'assistant', content: 'Hi! How can I help?' },
  { role: 'user', content: 'Tell me a joke.' },
  { role: 'assistant', content: 'Why did the chicken cross the road?' },
];

function errorFinding(code: string, e: TemplateError, prefix = ''): LintFinding {
  return {
    code,
    severity: 'error',
    message: `${prefix}${e.info.pyClass ? `${e.info.pyClass}: ` : ''}${e.info.message}`,
    line: e.info.line,
    column: e.info.column,
  };
}

export function lintTemplate(input: LintInput): LintFinding[] {
  const out: LintFinding[] = [];
  const { source } = input;
  const vars = { ...input.specialTokens, ...input.variables };

  const cr = source.indexOf('\r');
  if (cr >= 0) {
    const line = source.slice(0, cr).split(/\r\n|\r|\n/).length;
    out.push({
      code: 'crlf',
      severity: 'warning',
      message:
        'the template has CRLF line endings: jinja2 turns them into \\n, so the rendered text differs from the file; save it with LF',
      line,
      column: cr - Math.max(source.lastIndexOf('\n', cr - 1), source.lastIndexOf('\r', cr - 1)),
    });
  }
  try {
    compileTemplate(source);
  } catch (e) {
    if (e instanceof TemplateError) out.push(errorFinding('syntax', e));
    return out;
  }

  const sample = input.sample ?? DEFAULT_SAMPLE;
  const render = (messages: ChatMessage[]) =>
    renderChat(source, { messages, tools: input.tools, variables: vars, now: input.now });
  let result;
  try {
    result = render(sample);
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    out.push(
      errorFinding(
        e.info.kind === 'raise_exception' ? 'rejects-sample' : 'render-error',
        e,
        'the sample conversation fails to render: ',
      ),
    );
    return out;
  }
  const text = result.text;

  // Trained spans vs end-of-turn tokens.
  const eos = typeof vars.eos_token === 'string' ? vars.eos_token : undefined;
  const eots = [...new Set([...(eos ? [eos] : []), ...END_OF_TURN])].filter((t) => text.includes(t));
  const assistantTurns = sample.filter((m) => m.role === 'assistant').length;
  if (!result.spans.length) {
    if (assistantTurns)
      out.push({
        code: 'no-generation',
        severity: 'info',
        message:
          "no {% generation %} block: transformers' return_assistant_tokens_mask (and TRL assistant_only_loss) gives an all-zero mask with this template",
      });
  } else {
    if (result.spans.length < assistantTurns)
      out.push({
        code: 'untrained-turns',
        severity: 'warning',
        message: `only ${result.spans.length} of ${assistantTurns} assistant turns are inside {% generation %}: the others are never trained`,
      });
    for (const s of result.spans) {
      const inside = text.slice(s.start, s.end);
      const after = text.slice(s.end);
      const next = eots.find((t) => after.replace(/^[ \t]*/, '').startsWith(t));
      if (next && !eots.some((t) => inside.includes(t))) {
        out.push({
          code: 'eos-not-trained',
          severity: 'error',
          message: `the end-of-turn token ${next} comes right after a trained span but is not inside it: the model never learns to stop (move it inside {% generation %})`,
          ...lineOfGeneration(source),
        });
        break;
      }
    }
  }

  // EOS in effect.
  if (eos && eots.length && !text.includes(eos)) {
    const used = eots.filter((t) => t !== eos);
    out.push({
      code: 'eos-not-rendered',
      severity: 'warning',
      message: `eos_token ${eos} never appears in the rendered chat; turns end with ${used.join(', ')}. Generation stops there only if eos_token_id includes it (LLaMA-Factory replaces eos_token with the template's stop word)`,
    });
  } else if (eos) {
    out.push({ code: 'eos-in-effect', severity: 'info', message: `EOS in effect: ${eos}` });
  }

  // BOS twice.
  const bos = typeof vars.bos_token === 'string' ? vars.bos_token : undefined;
  if (bos && text.startsWith(bos) && input.tokenizer?.bosId !== undefined) {
    const withSpecial = input.tokenizer.encode('x', true);
    if (withSpecial[0] === input.tokenizer.bosId)
      out.push({
        code: 'double-bos',
        severity: 'warning',
        message: `the template renders ${bos} and the tokenizer's post-processor adds it again: tokenizing the rendered text with add_special_tokens=True gives two BOS (apply_chat_template tokenizes with add_special_tokens=False)`,
      });
  }

  // System message ignored.
  const marker = 'BATCHSCOPE_SYSTEM_PROBE_7f3a';
  const withSystem = [{ role: 'system', content: marker }, ...sample.filter((m) => m.role !== 'system')];
  try {
    if (!render(withSystem).text.includes(marker))
      out.push({
        code: 'ignores-system',
        severity: 'warning',
        message: 'the template does not render the system message: system prompts in your data are silently dropped',
      });
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    out.push(errorFinding('rejects-system', e, 'a conversation starting with a system message fails: '));
  }

  // Role orders the template rejects.
  const probes: [string, ChatMessage[]][] = [
    [
      'user, user',
      [
        { role: 'user', content: 'a' },
        { role: 'user', content: 'b' },
      ],
    ],
    [
      'assistant first',
      [
        { role: 'assistant', content: 'a' },
        { role: 'user', content: 'b' },
      ],
    ],
    [
      'user, assistant, assistant',
      [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'b' },
        { role: 'assistant', content: 'c' },
      ],
    ],
    [
      'tool result',
      [
        { role: 'user', content: 'a' },
        { role: 'tool', content: 'b' },
      ],
    ],
  ];
  for (const [label, msgs] of probes) {
    try {
      render(msgs);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      out.push({ ...errorFinding('role-order', e, `role order "${label}" is rejected: `), severity: 'info' });
    }
  }
  return out;
}

function lineOfGeneration(source: string): { line?: number; column?: number } {
  const m = /\{%-?\s*endgeneration/.exec(source);
  if (!m) return {};
  const before = source.slice(0, m.index);
  const lines = before.split(/\r\n|\r|\n/);
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

export function formatFinding(file: string, f: LintFinding): string {
  const where = f.line !== undefined ? `:${f.line}:${f.column ?? 1}` : '';
  return `${file}${where}: ${f.severity}: ${f.message} [${f.code}]`;
}
