// What the chat template preview shows, computed without VS Code (unit-tested): the rendered text with
// special tokens and trained spans, the token view through the tokenizer beside the template, the
// error or lints, and where each problem sits in the document (a .jinja file or a JSON string).
import { parseExactJson } from '../../core/template/exactJson';
import type { TemplateChip, TemplateInputs, TemplatePreviewState } from '../../../protocol/webview';
import type { ChatMessage, LintFinding, TemplateSource } from '../../core/template/types';
import { chooseTemplate, loadTemplateBundle } from '../../core/template/discovery';
import { renderChat, TemplateError } from '../../core/template/render';
import { lintTemplate, DEFAULT_SAMPLE } from '../../core/template/lint';
import { templateOffsetInDocument } from '../../core/template/jsonString';
import { assistantMask, tokenCharOffsets } from '../../core/template/mask';
import { toCodePointSpans } from '../../core/template/render';
import { loadTokenizer, type TokenizerHandle } from '../../core/tokens/tokenizer';

export const DEFAULT_INPUTS: TemplateInputs = {
  messagesJson: JSON.stringify(DEFAULT_SAMPLE, null, 2),
  toolsJson: '',
  kwargsJson: '',
  addGenerationPrompt: false,
  continueFinalMessage: false,
  templateName: '',
};

/** A problem located in the document the template came from. */
export interface DocumentProblem {
  /** Offsets in the document text. */
  start: number;
  end: number;
  severity: 'error' | 'warning' | 'info';
  message: string;
  code: string;
}

export interface PreviewResult {
  state: TemplatePreviewState;
  problems: DocumentProblem[];
}

function parseJsonField<T>(name: string, text: string, check: (v: unknown) => v is T): T | undefined {
  if (!text.trim()) return undefined;
  let v: unknown;
  try {
    v = parseExactJson(text); // numbers as written (21.0 stays a float), as Python's json.loads reads them
  } catch (e) {
    throw new TemplateError({ message: `${name}: not valid JSON: ${(e as Error).message}`, kind: 'runtime' });
  }
  if (!check(v)) throw new TemplateError({ message: `${name}: unexpected shape`, kind: 'runtime' });
  return v;
}
const isArray = (v: unknown): v is unknown[] => Array.isArray(v);
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Special-token strings: the configured map, additional_special_tokens and added tokens marked special. */
export function specialStrings(config: Record<string, unknown> | undefined, map: Record<string, string>): string[] {
  const out = new Set(Object.values(map));
  const extra = config?.additional_special_tokens;
  if (Array.isArray(extra))
    for (const t of extra) out.add(typeof t === 'string' ? t : ((t as { content?: string })?.content ?? ''));
  const added = config?.added_tokens_decoder;
  if (isObject(added))
    for (const t of Object.values(added))
      if (isObject(t) && t.special && typeof t.content === 'string') out.add(t.content);
  out.delete('');
  return [...out].sort((a, b) => b.length - a.length);
}

/** Non-overlapping occurrences of the special strings in text, leftmost-longest first. */
export function findSpecials(text: string, specials: string[]): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  if (!specials.length) return out;
  const re = new RegExp(specials.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ start: m.index, end: m.index + m[0].length });
  return out;
}

export interface PreviewRequest {
  file: string;
  /** The document text (unsaved edits included). */
  text: string;
  inputs: TemplateInputs;
  now?: Date;
  /** Messages given directly (a dataset row), overriding inputs.messagesJson. */
  source?: string;
}

export async function computePreview(req: PreviewRequest): Promise<PreviewResult> {
  const { inputs } = req;
  const state: TemplatePreviewState = {
    file: req.file,
    templateNames: [],
    inputs,
    spans: [],
    specials: [],
    lint: [],
    source: req.source,
  };
  const problems: DocumentProblem[] = [];
  let template: TemplateSource | undefined;
  try {
    const bundle = await loadTemplateBundle(req.file, req.text);
    state.templateNames = bundle.templates.map((t) => t.name ?? '').filter(Boolean);
    const messages = parseJsonField('messages', inputs.messagesJson, isArray) as ChatMessage[] | undefined;
    const tools = parseJsonField('tools', inputs.toolsJson, isArray);
    const kwargs = parseJsonField('kwargs', inputs.kwargsJson, isObject);
    if (!bundle.templates.length)
      throw new TemplateError({ message: 'no chat_template in this file', kind: 'runtime' });
    template = chooseTemplate(bundle.templates, { name: inputs.templateName || undefined, hasTools: !!tools });
    state.templateName = template.name;
    const variables = { ...bundle.specialTokens, ...kwargs };
    let tokenizer: TokenizerHandle | undefined;
    if (bundle.tokenizerDir) {
      try {
        tokenizer = await loadTokenizer(bundle.tokenizerDir);
      } catch (e) {
        state.tokenizerNote = (e as Error).message;
      }
    } else state.tokenizerNote = 'no tokenizer.json beside the template: no token view';

    const sample = messages ?? [];
    const r = renderChat(template.source, {
      messages: sample,
      tools,
      addGenerationPrompt: inputs.addGenerationPrompt,
      continueFinalMessage: inputs.continueFinalMessage,
      variables,
      now: req.now,
    });
    state.text = r.text;
    state.spans = r.spans;
    state.specials = findSpecials(r.text, specialStrings(bundle.config, bundle.specialTokens));
    if (tokenizer) {
      const ids = tokenizer.encode(r.text);
      const offsets = tokenCharOffsets(tokenizer, ids, r.text);
      const mask = offsets ? assistantMask(offsets, toCodePointSpans(r.text, r.spans)) : ids.map(() => 0);
      const chips: TemplateChip[] = tokenizer
        .chips(ids)
        .map((c, i) => ({ id: c.id, text: c.text, special: c.special, trained: mask[i] === 1 }));
      state.tokens = { chips, count: ids.length, trained: mask.reduce((a, b) => a + b, 0) };
      if (!offsets) state.tokenizerNote = 'token offsets unavailable for this tokenizer: trained tokens not shown';
    }
    state.lint = lintTemplate({
      source: template.source,
      variables,
      tokenizer,
      sample: sample.length ? sample : undefined,
      tools,
      now: req.now,
    });
  } catch (e) {
    if (!(e instanceof TemplateError)) {
      state.error = { message: e instanceof Error ? e.message : String(e), kind: 'runtime' };
    } else {
      state.error = e.info;
      if (
        template &&
        e.info.line !== undefined &&
        (e.info.kind === 'syntax' ||
          e.info.kind === 'raise_exception' ||
          e.info.kind === 'type' ||
          e.info.kind === 'runtime')
      ) {
        const at = templateOffsetInDocument(
          req.text,
          template.source,
          template.jsonStringOffset,
          e.info.line,
          e.info.column ?? 1,
        );
        problems.push({
          start: at,
          end: at + 1,
          severity: 'error',
          message: `${e.info.pyClass ? `${e.info.pyClass}: ` : ''}${e.info.message}`,
          code: e.info.kind,
        });
      }
    }
  }
  if (template) for (const f of state.lint) problems.push(...lintProblems(req.text, template, f));
  return { state, problems };
}

function lintProblems(doc: string, t: TemplateSource, f: LintFinding): DocumentProblem[] {
  if (f.severity === 'info') return [];
  const at =
    f.line !== undefined
      ? templateOffsetInDocument(doc, t.source, t.jsonStringOffset, f.line, f.column ?? 1)
      : (t.jsonStringOffset ?? 0);
  return [{ start: at, end: at + 1, severity: f.severity, message: f.message, code: f.code }];
}
