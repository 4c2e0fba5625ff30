// Shared by the CLI and the editor: from a file path to a chosen template, its variables, and messages.
import { promises as fsp } from 'node:fs';
import type { ChatMessage, TemplateSource } from './types';
import { chooseTemplate, loadTemplateBundle, type TemplateBundle } from './discovery';
import { parseExactJson } from './exactJson';

export interface Prepared {
  bundle: TemplateBundle;
  template: TemplateSource;
  variables: Record<string, unknown>;
}

/** Loads the file's templates and picks the one transformers would (name > tool_use with tools > default). */
export async function prepareTemplate(
  file: string,
  opts: { name?: string; hasTools?: boolean; kwargs?: Record<string, unknown>; text?: string } = {},
): Promise<Prepared> {
  const bundle = await loadTemplateBundle(file, opts.text);
  if (!bundle.templates.length) throw new Error(`${file}: no chat template found (no "chat_template" key)`);
  const template = chooseTemplate(bundle.templates, { name: opts.name, hasTools: opts.hasTools });
  // transformers: {**special_tokens_map, **kwargs}: kwargs win.
  return { bundle, template, variables: { ...bundle.specialTokens, ...opts.kwargs } };
}

/** Reads a messages file: a JSON array of messages, or an object with `messages` (and optional `tools`). */
export async function readMessagesFile(file: string): Promise<{ messages: ChatMessage[]; tools?: unknown[] }> {
  const text = await fsp.readFile(file, 'utf8');
  let data: unknown;
  try {
    data = parseExactJson(text); // numbers as written: 21.0 stays a float, big ints stay exact
  } catch (e) {
    throw new Error(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  if (Array.isArray(data)) return { messages: data as ChatMessage[] };
  if (data && typeof data === 'object' && Array.isArray((data as { messages?: unknown }).messages)) {
    const d = data as { messages: ChatMessage[]; tools?: unknown[] };
    return { messages: d.messages, tools: d.tools };
  }
  throw new Error(`${file}: expected a JSON array of messages or an object with "messages"`);
}

export async function readJsonFile(file: string): Promise<unknown> {
  const text = await fsp.readFile(file, 'utf8');
  try {
    return parseExactJson(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON: ${(e as Error).message}`);
  }
}
