// The `batchscope-template:` virtual documents: a chat template inside tokenizer_config.json or
// chat_template.json shown as a .jinja file. The path is `<json file>/<name>.jinja` and the query
// `index=N` picks the template; saving writes the text back, JSON-escaped, into the same string literal.
// No vscode import: the glue in src/vscode/templateFs.ts wraps these functions.
import { templatesFromJsonText } from '../../core/template/discovery';
import { replaceJsonStringLiteral, readJsonString } from '../../core/template/jsonString';

export const TEMPLATE_SCHEME = 'batchscope-template';

export interface VirtualTemplateRef {
  jsonFile: string;
  index: number;
}

export function virtualPath(jsonFile: string, name: string | undefined): string {
  return `${jsonFile}/${name ?? 'chat_template'}.jinja`;
}

export function parseVirtual(path: string, query: string): VirtualTemplateRef {
  const slash = path.lastIndexOf('/');
  const m = /(?:^|&)index=(\d+)/.exec(query);
  return { jsonFile: path.slice(0, slash), index: m ? Number(m[1]) : 0 };
}

/** The template text at `index` of the JSON document. */
export function readVirtual(doc: string, ref: VirtualTemplateRef): string {
  const { templates } = templatesFromJsonText(ref.jsonFile, doc);
  const t = templates[ref.index];
  if (!t) throw new Error(`${ref.jsonFile}: no chat template #${ref.index}`);
  return t.source;
}

/** The JSON document with template `index` replaced by `source` (only that string literal changes). */
export function writeVirtual(doc: string, ref: VirtualTemplateRef, source: string): string {
  const { templates } = templatesFromJsonText(ref.jsonFile, doc);
  const t = templates[ref.index];
  if (!t || t.jsonStringOffset === undefined)
    throw new Error(`${ref.jsonFile}: cannot locate chat template #${ref.index} to write back`);
  return replaceJsonStringLiteral(doc, readJsonString(doc, t.jsonStringOffset), source);
}
