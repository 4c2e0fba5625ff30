// Template bundle (dist/templateBundle.js): the preview model (our jinja2 interpreter,
// the tokenizer). Loaded by load.ts on first use.
export { computePreview, DEFAULT_INPUTS } from '../panels/template/previewModel';
export { findTokenizerFor } from '../core/tokens/tokenizer';
export { TemplatePreviewSession } from '../panels/template/session';
export { TemplateDiffSession, SAMPLE_CONVERSATION } from '../panels/templateDiff/session';
export { loadTokenizer } from '../core/tokens/tokenizer';
