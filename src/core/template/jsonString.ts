// Locating chat templates inside tokenizer_config.json / chat_template.json text, and mapping an offset in
// the decoded template back to the document through JSON escaping (for diagnostics and write-back).

export interface JsonStringLiteral {
  /** Offset of the opening quote in the document. */
  start: number;
  /** Offset just after the closing quote. */
  end: number;
  value: string;
}

/** Reads the JSON string literal whose opening quote is at `start`. */
export function readJsonString(doc: string, start: number): JsonStringLiteral {
  let i = start + 1;
  while (i < doc.length && doc[i] !== '"') i += doc[i] === '\\' ? 2 : 1;
  return { start, end: i + 1, value: JSON.parse(doc.slice(start, i + 1)) as string };
}

/** Offset in the document of the character at `index` of the decoded string literal starting at `start`. */
export function docOffsetOfStringIndex(doc: string, start: number, index: number): number {
  let raw = start + 1;
  let decoded = 0;
  while (decoded < index && raw < doc.length && doc[raw] !== '"') {
    if (doc[raw] === '\\') {
      if (doc[raw + 1] === 'u') {
        // A \uXXXX escape decodes to one UTF-16 unit, like every other escape.
        raw += 6;
      } else raw += 2;
    } else raw += 1;
    decoded += 1;
  }
  return raw;
}

/** Offset in `text` of 1-based line/column, counting `\r\n`, `\r` and `\n` as one line break each (as jinja2 does). */
export function offsetOfLineColumn(text: string, line: number, column: number): number {
  let l = 1;
  let i = 0;
  while (l < line && i < text.length) {
    const c = text[i];
    if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      l++;
    }
    i++;
  }
  return Math.min(text.length, i + column - 1);
}

/** JSON-escapes `value` as a string literal body the way Python's json.dumps(ensure_ascii=False) would. */
export function jsonEscape(value: string): string {
  return JSON.stringify(value);
}

type Path = (string | number)[];

/**
 * Finds the string literals at the given paths of a JSON document without a full positional parser:
 * a small scanner that tracks the current key path. Returns a map from "a.0.b" to the literal.
 */
export function findStringLiterals(
  doc: string,
  wanted: (path: Path) => boolean,
): Map<string, JsonStringLiteral & { path: Path }> {
  const out = new Map<string, JsonStringLiteral & { path: Path }>();
  const stack: { kind: 'obj' | 'arr'; key: string | number | null; index: number }[] = [];
  let i = 0;
  let expectKey = false;
  const path = (): Path => stack.map((s) => (s.kind === 'arr' ? s.index : (s.key as string)));
  while (i < doc.length) {
    const c = doc[i];
    if (c === '{') {
      stack.push({ kind: 'obj', key: null, index: 0 });
      expectKey = true;
      i++;
    } else if (c === '[') {
      stack.push({ kind: 'arr', key: null, index: 0 });
      expectKey = false;
      i++;
    } else if (c === '}' || c === ']') {
      stack.pop();
      i++;
    } else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top?.kind === 'arr') top.index++;
      else expectKey = true;
      i++;
    } else if (c === ':') {
      expectKey = false;
      i++;
    } else if (c === '"') {
      const lit = readJsonString(doc, i);
      const top = stack[stack.length - 1];
      if (top?.kind === 'obj' && expectKey) top.key = lit.value;
      else {
        const p = path();
        if (wanted(p)) out.set(p.join('.'), { ...lit, path: p });
      }
      i = lit.end;
    } else i++;
  }
  return out;
}

/**
 * Document offset of template line/column: directly in a .jinja file, or through the JSON escaping of
 * the string literal at `literalStart` for a template embedded in JSON.
 */
export function templateOffsetInDocument(
  doc: string,
  source: string,
  literalStart: number | undefined,
  line: number,
  column: number,
): number {
  if (literalStart === undefined) return offsetOfLineColumn(doc, line, column);
  return docOffsetOfStringIndex(doc, literalStart, offsetOfLineColumn(source, line, column));
}

/** A JSON string literal for `value`, escaping non-ASCII as \uXXXX when the literal it replaces did. */
export function jsonStringLiteral(value: string, asciiOnly: boolean): string {
  const lit = JSON.stringify(value);
  return asciiOnly ? lit.replace(/[^\x00-\x7f]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) : lit;
}

/** Replaces the string literal [start, end) of `doc` with `value`, keeping the literal's escaping style. */
export function replaceJsonStringLiteral(doc: string, lit: { start: number; end: number }, value: string): string {
  const old = doc.slice(lit.start, lit.end);
  const asciiOnly = /\\u00[8-9a-f][0-9a-f]|\\u0[1-9a-f][0-9a-f]{2}|\\u[1-9a-f][0-9a-f]{3}/i.test(old);
  return doc.slice(0, lit.start) + jsonStringLiteral(value, asciiOnly) + doc.slice(lit.end);
}
