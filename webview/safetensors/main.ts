// PLACEHOLDER: safetensors panel entry; replaced by its owner.
export {};
