// The Compare Chat Templates panel, host side: loads the two templates (tokenizer_config.json,
// chat_template.json or .jinja, each the way transformers picks it), renders one conversation through
// both with each side's special tokens, and posts the text and token/mask diff. No vscode import: the
// glue (src/vscode/templateDiff.ts) hands in `post`, how to read a file and how to load a tokenizer.
import { chooseTemplate, loadTemplateBundle } from '../../core/template/discovery';
import { TemplateError, renderChat } from '../../core/template/render';
import {
  type DiffTokenizer,
  type TemplateDiffFromWebview,
  type TemplateDiffToWebview,
  compareRenders,
} from '../../core/template/templateDiff';
import type { ChatMessage, RenderResult } from '../../core/template/types';

export interface TemplateDiffSide {
  /** tokenizer_config.json, chat_template.json or a .jinja file. */
  file: string;
  label: string;
  /** The text to use instead of the file's (an unsaved editor, a saved or committed version). */
  text?: string;
}

export interface TemplateDiffSessionOptions {
  left: TemplateDiffSide;
  right: TemplateDiffSide;
  messages: ChatMessage[];
  tools?: unknown[];
  addGenerationPrompt?: boolean;
  post(msg: TemplateDiffToWebview): unknown;
  /** Loads the tokenizer in a directory (both sides are tokenized with the left side's, else the right's). */
  loadTokenizer?(dir: string): Promise<DiffTokenizer>;
  now?: Date;
}

/** A short conversation with a system prompt, two user turns and two assistant turns (what masks are about). */
export const SAMPLE_CONVERSATION: ChatMessage[] = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'What is the capital of France?' },
  { role: 'assistant', content: 'Paris.' },
  { role: 'user', content: 'And of Japan?' },
  { role: 'assistant', content: 'Tokyo.' },
];

export class TemplateDiffSession {
  private addGenerationPrompt: boolean;
  private disposed = false;

  constructor(private readonly opts: TemplateDiffSessionOptions) {
    this.addGenerationPrompt = !!opts.addGenerationPrompt;
  }

  /** Handles one webview message; resolves when the diff it started has been posted (tests await it). */
  async onMessage(m: TemplateDiffFromWebview): Promise<void> {
    if (m.type === 'templateDiff/options') this.addGenerationPrompt = !!m.addGenerationPrompt;
    if (m.type === 'templateDiff/ready' || m.type === 'templateDiff/options') await this.refresh();
  }

  async refresh(): Promise<void> {
    try {
      const [left, right] = await Promise.all([this.render(this.opts.left), this.render(this.opts.right)]);
      const tokDir = left.tokenizerDir ?? right.tokenizerDir;
      let tok: DiffTokenizer | undefined;
      if (tokDir && this.opts.loadTokenizer) tok = await this.opts.loadTokenizer(tokDir).catch(() => undefined);
      const state = compareRenders(
        { label: this.opts.left.label, result: left.result },
        { label: this.opts.right.label, result: right.result },
        tok,
      );
      if (!this.disposed) await this.opts.post({ type: 'templateDiff/state', state });
    } catch (e) {
      if (!this.disposed) await this.opts.post({ type: 'templateDiff/error', message: (e as Error).message });
    }
  }

  private async render(
    side: TemplateDiffSide,
  ): Promise<{ result: RenderResult | { error: string }; tokenizerDir?: string }> {
    const bundle = await loadTemplateBundle(side.file, side.text);
    if (!bundle.templates.length)
      return { result: { error: `${side.file}: no chat template found` }, tokenizerDir: bundle.tokenizerDir };
    try {
      const template = chooseTemplate(bundle.templates, { hasTools: !!this.opts.tools });
      const result = renderChat(template.source, {
        messages: this.opts.messages,
        tools: this.opts.tools,
        addGenerationPrompt: this.addGenerationPrompt,
        variables: bundle.specialTokens,
        now: this.opts.now,
      });
      return { result, tokenizerDir: bundle.tokenizerDir };
    } catch (e) {
      return {
        result: { error: e instanceof TemplateError || e instanceof Error ? e.message : String(e) },
        tokenizerDir: bundle.tokenizerDir,
      };
    }
  }

  dispose(): void {
    this.disposed = true;
  }
}
