// One chat template preview panel, host side: re-renders the template (debounced) when the webview
// is ready, when its inputs change and when the glue reports an edit of the document, posts the
// preview state, hands the problems to the glue (diagnostics), and turns a click on an error into a
// document offset. No vscode import: the glue (src/vscode/templatePreview.ts) hands in `post`,
// how to read the document (the open editor's text, else the disk) and where to show things.
import type { TemplateFromWebview, TemplateInputs, TemplateToWebview } from '../../../protocol/webview';
import { templatesFromJsonText } from '../../core/template/discovery';
import { templateOffsetInDocument } from '../../core/template/jsonString';
import { computePreview, type DocumentProblem } from './previewModel';

/** Typing in the inputs re-renders after this pause. */
export const INPUTS_DEBOUNCE_MS = 120;
/** Editing the template document re-renders after this pause. */
export const EDIT_DEBOUNCE_MS = 150;

export interface TemplatePreviewSessionOptions {
  /** tokenizer_config.json, chat_template.json or a .jinja file. */
  file: string;
  inputs: TemplateInputs;
  /** Where the messages came from ("row 3 of train.jsonl"), shown in the panel. */
  source?: string;
  post(msg: TemplateToWebview): unknown;
  /** The document's current text (an open editor's, unsaved edits included, else the file). */
  readText(file: string): Promise<string>;
  /** `batchscope.template.now`, for strftime_now. */
  now?(): Date | undefined;
  /** Problems located in the document (the glue shows them as diagnostics). */
  onProblems?(file: string, text: string, problems: DocumentProblem[]): void;
  /** Shows the document at `offset` (a click on an error's line:column in the panel). */
  reveal?(file: string, offset: number): unknown;
}

export class TemplatePreviewSession {
  readonly file: string;
  inputs: TemplateInputs;
  source: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private waiters: (() => void)[] = [];
  private disposed = false;

  constructor(private readonly opts: TemplatePreviewSessionOptions) {
    this.file = opts.file;
    this.inputs = opts.inputs;
    this.source = opts.source;
  }

  /** Handles one webview message; resolves when the work it started is done (tests await it). */
  onMessage(m: TemplateFromWebview): Promise<void> {
    switch (m.type) {
      case 'template/ready':
        return this.schedule(0);
      case 'template/inputs':
        this.inputs = m.inputs;
        this.source = undefined;
        return this.schedule(INPUTS_DEBOUNCE_MS);
      case 'template/reveal':
        return this.reveal(m.line, m.column);
      default:
        return Promise.resolve();
    }
  }

  /** New messages (a dataset row) or a template name for an open preview. */
  update(inputs: Partial<TemplateInputs>, source: string | undefined): void {
    this.inputs = { ...this.inputs, ...inputs };
    this.source = source;
  }

  /** The document was edited or saved (or a setting it depends on changed). */
  documentChanged(): Promise<void> {
    return this.schedule(EDIT_DEBOUNCE_MS);
  }

  /** Re-render after `ms`; an earlier pending render is replaced. Resolves once a render has run. */
  schedule(ms: number): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    const done = new Promise<void>((resolve) => this.waiters.push(resolve));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const waiting = this.waiters.splice(0);
      void this.render().finally(() => waiting.forEach((w) => w()));
    }, ms);
    return done;
  }

  private async render(): Promise<void> {
    if (this.disposed) return;
    let text: string;
    try {
      text = await this.opts.readText(this.file);
    } catch (e) {
      this.post({
        type: 'template/state',
        state: {
          file: this.file,
          templateNames: [],
          inputs: this.inputs,
          spans: [],
          specials: [],
          lint: [],
          error: { message: (e as Error).message, kind: 'runtime' },
        },
      });
      return;
    }
    const { state, problems } = await computePreview({
      file: this.file,
      text,
      inputs: this.inputs,
      now: this.opts.now?.(),
      source: this.source,
    });
    if (this.disposed) return;
    this.post({ type: 'template/state', state });
    this.opts.onProblems?.(this.file, text, problems);
  }

  private async reveal(line: number, column: number): Promise<void> {
    const text = await this.opts.readText(this.file);
    await this.opts.reveal?.(
      this.file,
      templateDocumentOffset(this.file, text, this.inputs.templateName, line, column),
    );
  }

  private post(msg: TemplateToWebview): void {
    if (!this.disposed) void this.opts.post(msg);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.waiters.splice(0).forEach((w) => w());
  }
}

/**
 * The offset in the document of the template's `line`:`column` (1-based): inside the JSON string
 * literal of the named (else the first) template for .json files, the text itself for .jinja.
 */
export function templateDocumentOffset(
  file: string,
  text: string,
  templateName: string,
  line: number,
  column: number,
): number {
  if (!file.endsWith('.json')) return templateOffsetInDocument(text, text, undefined, line, column);
  const { templates } = templatesFromJsonText(file, text);
  const t = templates.find((x) => (x.name ?? '') === (templateName || x.name || '')) ?? templates[0];
  return t ? templateOffsetInDocument(text, t.source, t.jsonStringOffset, line, column) : 0;
}
