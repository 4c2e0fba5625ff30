// Template discovery and choice (against transformers' picks from c_templates.py), JSON offset mapping,
// and the write-back of the `batchscope-template:` virtual .jinja documents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseTemplate, loadTemplateBundle, templatesFromJsonText } from '../../src/core/template/discovery';
import { templateOffsetInDocument } from '../../src/core/template/jsonString';
import { renderChat, TemplateError } from '../../src/core/template/render';
import { parseVirtual, readVirtual, virtualPath, writeVirtual } from '../../src/panels/template/templateFs';
import { TEMPLATES } from './fixtures';

test('named templates: transformers picks default, tool_use with tools, and a name when asked', async () => {
  const dir = join(TEMPLATES, 'named');
  const exp = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
  const b = await loadTemplateBundle(join(dir, 'tokenizer_config.json'));
  assert.deepEqual(
    b.templates.map((t) => t.name),
    ['default', 'tool_use', 'rag'],
  );
  const msgs = JSON.parse(readFileSync(join(TEMPLATES, 'messages.json'), 'utf8')).slice(0, 2);
  const render = (name: string | undefined, extra: { tools?: unknown[]; documents?: unknown[] }) =>
    renderChat(chooseTemplate(b.templates, { name, hasTools: !!extra.tools }).source, {
      messages: msgs,
      ...extra,
      variables: b.specialTokens,
    }).text;
  assert.equal(render(undefined, {}), exp.no_tools);
  assert.equal(render(undefined, { tools: exp.tools_arg }), exp.tools);
  assert.equal(render('rag', { documents: exp.documents_arg }), exp.rag);
  assert.throws(
    () =>
      chooseTemplate([
        { file: 'x', name: 'a', source: '' },
        { file: 'x', name: 'b', source: '' },
      ]),
    /no default specified.*\['a', 'b'\]/,
  );
});

test('chat_template.jinja beside tokenizer_config.json wins, as transformers loads it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-tpl-'));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ chat_template: 'FROM JSON', eos_token: '</s>' }));
  writeFileSync(join(dir, 'chat_template.jinja'), 'FROM JINJA');
  mkdirSync(join(dir, 'additional_chat_templates'));
  writeFileSync(join(dir, 'additional_chat_templates', 'tool_use.jinja'), 'TOOLS');
  const b = await loadTemplateBundle(join(dir, 'tokenizer_config.json'));
  assert.deepEqual(
    b.templates.map((t) => [t.name, t.source]),
    [
      [undefined, 'FROM JINJA'],
      ['tool_use', 'TOOLS'],
    ],
  );
  assert.deepEqual(b.specialTokens, { eos_token: '</s>' });
});

test('an error inside a JSON-embedded template maps through the escapes to the document position', () => {
  const template = 'line one\n  "quoted" é\t{{ messages[0] + 1 }}';
  const doc = `{\n  "eos_token": "</s>",\n  "chat_template": ${JSON.stringify(template)}\n}`;
  const { templates } = templatesFromJsonText('tokenizer_config.json', doc);
  assert.equal(doc[templates[0].jsonStringOffset!], '"');
  let err: TemplateError | undefined;
  try {
    renderChat(templates[0].source, { messages: [{ role: 'user', content: 'x' }] });
  } catch (e) {
    err = e as TemplateError;
  }
  assert.ok(err instanceof TemplateError);
  assert.equal(err.info.message, "unsupported operand type(s) for +: 'dict' and 'int'");
  assert.deepEqual([err.info.line, err.info.column], [2, 14]);
  const at = templateOffsetInDocument(
    doc,
    templates[0].source,
    templates[0].jsonStringOffset,
    err.info.line!,
    err.info.column!,
  );
  assert.ok(doc.slice(at).startsWith('{{ messages[0] + 1 }}'), doc.slice(at, at + 20));
});

test('virtual .jinja documents: read, edit, write back only the string literal', () => {
  const doc =
    '{\n  "a": 1,\n  "chat_template": [\n    {"name": "default", "template": "A\\n{{ x }}"},\n    {"name": "tool_use", "template": "T\\u00e9"}\n  ],\n  "z": "\\u00e9"\n}\n';
  const ref = parseVirtual(virtualPath('/m/tokenizer_config.json', 'tool_use'), 'index=1');
  assert.deepEqual(ref, { jsonFile: '/m/tokenizer_config.json', index: 1 });
  assert.equal(readVirtual(doc, ref), 'Té');
  const edited = writeVirtual(doc, ref, 'Tü "q"\n{% if x %}');
  assert.equal(JSON.parse(edited).chat_template[1].template, 'Tü "q"\n{% if x %}');
  // Only the literal changed; its \uXXXX escaping style is kept.
  assert.ok(edited.includes('"template": "T\\u00fc \\"q\\"\\n{% if x %}"'));
  assert.equal(edited.replace('"T\\u00fc \\"q\\"\\n{% if x %}"', '"T\\u00e9"'), doc);
  assert.equal(readVirtual(writeVirtual(doc, { jsonFile: 'x', index: 0 }, 'B'), { jsonFile: 'x', index: 0 }), 'B');
});
