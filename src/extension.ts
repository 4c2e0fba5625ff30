// Wiring only: each capability registers itself from its own glue module.
import * as vscode from 'vscode';
import { registerDataset } from './vscode/dataset';
import { registerTemplate } from './vscode/template';
import { registerSafetensors } from './vscode/weights';
import { registerTraining } from './vscode/training';
import { registerDebug } from './vscode/debug';
import { registerTemplateDiff } from './vscode/templateDiff';
import { registerRecord } from './vscode/record';

export function activate(context: vscode.ExtensionContext): void {
  const registrations: Array<[string, (c: vscode.ExtensionContext) => void]> = [
    ['dataset', registerDataset],
    ['template', registerTemplate],
    ['safetensors', registerSafetensors],
    ['training', registerTraining],
    ['debug', registerDebug],
    ['template diff', registerTemplateDiff],
    ['batch recorder', registerRecord],
  ];
  // One failing capability must not take the others (or the extension host) down.
  for (const [name, register] of registrations) {
    try {
      register(context);
    } catch (err) {
      void vscode.window.showErrorMessage(`Batchscope: could not start ${name}: ${(err as Error).message}`);
    }
  }
}

export function deactivate(): void {}
