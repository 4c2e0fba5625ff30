// The heavy parts load on first use, not at activation. esbuild does not split CJS bundles (a
// dynamic import() stays in the same file, so V8 still has to parse it), so each is its own
// bundle beside dist/extension.js: scripts/build.mjs builds src/bundles/<name>Bundle.ts into
// dist/<name>Bundle.js and keeps these `require('./<name>Bundle')` calls external. Run from the
// sources (tsx), the same require loads the TypeScript module. The bundles share no module state
// with the extension bundle: all they need comes in through constructor/function arguments.
import type * as DatasetBundle from './datasetBundle';
import type * as TemplateBundle from './templateBundle';
import type * as DebugBundle from './debugBundle';

let dataset: typeof DatasetBundle | undefined;
let template: typeof TemplateBundle | undefined;
let debug: typeof DebugBundle | undefined;

/** DatasetSession (apache-arrow, hyparquet, tokenizer, template interpreter). */
export function loadDatasetBundle(): typeof DatasetBundle {
  return (dataset ??= require('./datasetBundle') as typeof DatasetBundle);
}

/** The chat template preview model (our jinja2 interpreter, tokenizer). */
export function loadTemplateBundle(): typeof TemplateBundle {
  return (template ??= require('./templateBundle') as typeof TemplateBundle);
}

/** The inline DataLoader debug session (@vscode/debugadapter). */
export function loadDebugBundle(): typeof DebugBundle {
  return (debug ??= require('./debugBundle') as typeof DebugBundle);
}
