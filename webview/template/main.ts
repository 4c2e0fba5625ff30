// PLACEHOLDER: template panel entry; replaced by its owner.
export {};
