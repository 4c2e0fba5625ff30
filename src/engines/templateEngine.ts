// Template engine bundle (dist/templateEngine.js): the preview model (template interpreter,
// @huggingface/jinja, the tokenizer). Loaded by load.ts on first use.
export { computePreview, DEFAULT_INPUTS } from '../editors/templatePreviewModel';
export { findTokenizerFor } from '../tokens/tokenizer';
