// Where chat templates live and which one transformers picks:
// tokenizer_config.json `chat_template` (a string, or a list of {name, template}), chat_template.jinja
// beside it (which transformers prefers), additional_chat_templates/*.jinja, chat_template.json
// (processors), and any .jinja file.
import { existsSync, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { TemplateSource } from './types';
import { findStringLiterals } from './jsonString';

export const SPECIAL_TOKEN_ATTRIBUTES = [
  'bos_token',
  'eos_token',
  'unk_token',
  'sep_token',
  'pad_token',
  'cls_token',
  'mask_token',
];

export interface TemplateBundle {
  /** All templates found; `name` set for named templates. */
  templates: TemplateSource[];
  /** transformers' `special_tokens_map` (named tokens that are set), passed to the template as variables. */
  specialTokens: Record<string, string>;
  /** The tokenizer_config.json object, when the file was one. */
  config?: Record<string, unknown>;
  /** Folder holding tokenizer.json, if any (for token views and lints). */
  tokenizerDir?: string;
}

export class TemplateDiscoveryError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

/** The special-tokens map transformers builds from a tokenizer_config.json (AddedToken dicts give their content). */
export function specialTokensMap(config: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of SPECIAL_TOKEN_ATTRIBUTES) {
    const v = config[k];
    if (typeof v === 'string') out[k] = v;
    else if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string')
      out[k] = (v as { content: string }).content;
  }
  return out;
}

/** Templates inside a JSON document (tokenizer_config.json or chat_template.json), with their literal offsets. */
export function templatesFromJsonText(
  file: string,
  text: string,
): { templates: TemplateSource[]; config: Record<string, unknown> } {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new TemplateDiscoveryError(file, `not valid JSON: ${(e as Error).message}`);
  }
  const ct = config.chat_template;
  const lits = findStringLiterals(
    text,
    (p) => p[0] === 'chat_template' && (p.length === 1 || (p.length === 3 && (p[2] === 'template' || p[2] === 'name'))),
  );
  const templates: TemplateSource[] = [];
  if (typeof ct === 'string') {
    templates.push({ file, source: ct, jsonStringOffset: lits.get('chat_template')?.start });
  } else if (Array.isArray(ct)) {
    ct.forEach((entry, i) => {
      const e = entry as { name?: unknown; template?: unknown };
      if (typeof e?.template === 'string')
        templates.push({
          file,
          name: typeof e.name === 'string' ? e.name : undefined,
          source: e.template,
          jsonStringOffset: lits.get(`chat_template.${i}.template`)?.start,
        });
    });
  } else if (ct && typeof ct === 'object') {
    for (const [name, source] of Object.entries(ct))
      if (typeof source === 'string') templates.push({ file, name, source });
  }
  return { templates, config };
}

/** transformers' get_chat_template: the caller's name wins, then `tool_use` when tools are given, then `default`. */
export function chooseTemplate(
  templates: TemplateSource[],
  opts: { name?: string; hasTools?: boolean } = {},
): TemplateSource {
  if (!templates.length) throw new Error('no chat template found');
  const named = templates.filter((t) => t.name !== undefined);
  if (!named.length || (templates.length === 1 && !opts.name)) return templates[0];
  if (opts.name) {
    const t = named.find((x) => x.name === opts.name);
    if (t) return t;
  }
  if (opts.hasTools) {
    const t = named.find((x) => x.name === 'tool_use');
    if (t) return t;
  }
  const d = named.find((x) => x.name === 'default');
  if (d) return d;
  throw new Error(
    `This model has multiple chat templates with no default specified! Please either pass a chat template or the name of the template you wish to use to the \`chat_template\` argument. Available template names are [${named
      .map((t) => `'${t.name}'`)
      .sort()
      .join(', ')}].`,
  );
}

/** Loads every template a file offers, plus the special tokens of the tokenizer it belongs to. */
export async function loadTemplateBundle(file: string, text?: string): Promise<TemplateBundle> {
  let content: string;
  try {
    content = text ?? (await fsp.readFile(file, 'utf8'));
  } catch (e) {
    throw new TemplateDiscoveryError(file, (e as Error).message);
  }
  const dir = dirname(file);
  const name = basename(file);
  let templates: TemplateSource[] = [];
  let config: Record<string, unknown> | undefined;
  if (name.endsWith('.jinja') || name.endsWith('.j2')) {
    templates = [
      {
        file,
        source: content,
        name: basename(dir) === 'additional_chat_templates' ? name.replace(/\.(jinja|j2)$/, '') : undefined,
      },
    ];
    const cfgPath = join(basename(dir) === 'additional_chat_templates' ? dirname(dir) : dir, 'tokenizer_config.json');
    if (existsSync(cfgPath))
      config = JSON.parse(await fsp.readFile(cfgPath, 'utf8').catch(() => '{}')) as Record<string, unknown>;
  } else {
    ({ templates, config } = templatesFromJsonText(file, content));
    if (name === 'tokenizer_config.json') {
      // transformers ≥ 4.43 saves the template as chat_template.jinja and prefers it when present.
      const jinja = join(dir, 'chat_template.jinja');
      if (existsSync(jinja)) {
        const src = await fsp.readFile(jinja, 'utf8');
        templates = [{ file: jinja, source: src }, ...templates.filter((t) => t.name && t.name !== 'default')];
      }
      const extra = join(dir, 'additional_chat_templates');
      if (existsSync(extra))
        for (const f of (await fsp.readdir(extra)).filter((x) => x.endsWith('.jinja')).sort())
          templates.push({
            file: join(extra, f),
            name: f.replace(/\.jinja$/, ''),
            source: await fsp.readFile(join(extra, f), 'utf8'),
          });
    } else if (name === 'chat_template.json' && existsSync(join(dir, 'tokenizer_config.json'))) {
      config = JSON.parse(await fsp.readFile(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    }
  }
  const tokDir = [dir, dirname(dir)].find((d) => existsSync(join(d, 'tokenizer.json')));
  return { templates, specialTokens: config ? specialTokensMap(config) : {}, config, tokenizerDir: tokDir };
}
