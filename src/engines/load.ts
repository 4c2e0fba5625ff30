// The heavy engines load on first use, not at activation. esbuild does not split CJS bundles (a
// dynamic import() stays in the same file, so V8 still has to parse it), so each engine is its own
// bundle beside dist/extension.js: scripts/build.mjs builds src/engines/<name>Engine.ts into
// dist/<name>Engine.js and keeps these `require('./<name>Engine')` calls external. Run from the
// sources (tsx), the same require loads the TypeScript module. The engines share no module state
// with the extension bundle: all they need comes in through constructor/function arguments.
import type * as DatasetEngine from './datasetEngine';
import type * as TemplateEngine from './templateEngine';
import type * as DebugEngine from './debugEngine';

let dataset: typeof DatasetEngine | undefined;
let template: typeof TemplateEngine | undefined;
let debug: typeof DebugEngine | undefined;

/** DatasetSession (apache-arrow, hyparquet, tokenizer, template interpreter). */
export function datasetEngine(): typeof DatasetEngine {
  return (dataset ??= require('./datasetEngine') as typeof DatasetEngine);
}

/** The chat template preview model (template interpreter, @huggingface/jinja, tokenizer). */
export function templateEngine(): typeof TemplateEngine {
  return (template ??= require('./templateEngine') as typeof TemplateEngine);
}

/** The inline DataLoader debug session (@vscode/debugadapter). */
export function debugEngine(): typeof DebugEngine {
  return (debug ??= require('./debugEngine') as typeof DebugEngine);
}
