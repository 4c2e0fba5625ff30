// Extracts the template strings and contexts of huggingface.js's jinja test suite
// (packages/jinja/test/templates.test.js, MIT licence, © Hugging Face) into hfjs-templates.json.
// Only inputs are kept: the expected outputs come from Python jinja2/transformers, not from that suite.
// Usage: node test/template/peer/extract.mjs <templates.test.js> <commit>
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [file, commit] = process.argv.slice(2);
const src = readFileSync(file, 'utf8');
const block = (name) => {
  const start = src.indexOf(`const ${name} = {`);
  const end = src.indexOf('\n};', start);
  return src.slice(start + `const ${name} = `.length, end + 2);
};
// The literals are plain object expressions (contexts may hold functions); evaluate them in isolation.
const strings = new Function(`return (${block('TEST_STRINGS')});`)();
const contexts = new Function(`return (${block('TEST_CONTEXT')});`)();
const cases = [];
const skipped = [];
for (const [name, template] of Object.entries(strings)) {
  const ctx = contexts[name] ?? {};
  const hasFunction = JSON.stringify(ctx, (k, v) => (typeof v === 'function' ? '__function__' : v)).includes(
    '__function__',
  );
  if (hasFunction) skipped.push(name);
  else cases.push({ name, template, context: JSON.stringify(ctx) });
}
const out = {
  source: 'github.com/huggingface/huggingface.js packages/jinja/test/templates.test.js',
  commit,
  licence: 'MIT',
  skipped,
  cases,
};
writeFileSync(
  join(dirname(fileURLToPath(import.meta.url)), 'hfjs-templates.json'),
  JSON.stringify(out, null, 1) + '\n',
);
console.log(`${cases.length} cases, ${skipped.length} skipped (JS functions in the context): ${skipped.join(', ')}`);
