import * as vscode from 'vscode';

// PLACEHOLDER: replaced by the owner of this capability.
export function registerDebug(_context: vscode.ExtensionContext): void {}
