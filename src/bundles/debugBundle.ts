// DataLoader debug bundle (dist/debugBundle.js): the inline DAP session
// (@vscode/debugadapter, the token decoder). Loaded by load.ts on first use.
export { DataLoaderSession } from '../dap/session';
