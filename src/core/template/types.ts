// The contract between the chat template core (src/template), the CLI and the preview glue.

export interface ChatMessage {
  role: string;
  content?: unknown;
  [key: string]: unknown;
}

export interface RenderOptions {
  messages: ChatMessage[];
  tools?: unknown[] | null;
  documents?: unknown[] | null;
  addGenerationPrompt?: boolean;
  /** true continues `content`; a string names the field to continue (as transformers allows). */
  continueFinalMessage?: boolean | string;
  /** Special-tokens map and caller kwargs (enable_thinking …), merged the way transformers merges them. */
  variables?: Record<string, unknown>;
  /** Pins `strftime_now` for reproducible output. */
  now?: Date;
}

/**
 * A character span [start, end) of trained (assistant) text, as transformers' AssistantTracker records it.
 * In RenderResult these are UTF-16 offsets into the JS string; `toCodePointSpans` (render.ts) gives Python's.
 */
export interface CharSpan {
  start: number;
  end: number;
}

export interface RenderResult {
  text: string;
  spans: CharSpan[];
}

/** Raised wherever Python jinja2/transformers would raise. line/column are 1-based in the template source. */
export interface TemplateErrorInfo {
  message: string;
  line?: number;
  column?: number;
  kind: 'syntax' | 'raise_exception' | 'type' | 'runtime';
}

export type LintSeverity = 'error' | 'warning' | 'info';

export interface LintFinding {
  code: string;
  severity: LintSeverity;
  message: string;
  line?: number;
  column?: number;
}

/** Where a template came from, so diagnostics can map back into a .jinja file or a JSON string. */
export interface TemplateSource {
  file: string;
  /** Template name when chat_template is a list of named templates. */
  name?: string;
  source: string;
  /** Offset of the template's first character inside the JSON string literal, for JSON-embedded templates. */
  jsonStringOffset?: number;
}
