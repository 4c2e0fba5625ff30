// PLACEHOLDER: dataset panel entry; replaced by its owner.
export {};
