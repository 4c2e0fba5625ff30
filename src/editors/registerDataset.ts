import * as vscode from 'vscode';

// PLACEHOLDER: replaced by the owner of this capability.
export function registerDataset(_context: vscode.ExtensionContext): void {}
