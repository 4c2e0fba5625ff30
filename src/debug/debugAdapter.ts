// PLACEHOLDER: standalone DAP entry (stdio, or --server=PORT); replaced by the debug adapter owner.
export {};
