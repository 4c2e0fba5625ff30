// PLACEHOLDER: training panel entry; replaced by its owner.
export {};
