// Safetensors glue: the read-only custom editor for *.safetensors and *.safetensors.index.json
// (a sharded model opens as one), "Open Model Weights", and "Compare Two Checkpoints".
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SafetensorsFromWebview, SafetensorsToWebview } from '../../protocol/webview';
import { SafetensorsSession, type SessionMode } from '../panels/weights/session';
import { compareCheckpointDirs } from '../panels/weights/view';
import { connectSession, setPanelShell, webviewPoster } from './panelHost';

export const SAFETENSORS_VIEW_TYPE = 'batchscope.safetensors';

/** Wires a panel to a new vscode-free session. */
function openSession(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, mode: SessionMode): void {
  const session = new SafetensorsSession({ mode, post: webviewPoster<SafetensorsToWebview>(panel.webview) });
  setPanelShell(panel.webview, extensionUri, { bundle: 'safetensors', title: session.title });
  connectSession<SafetensorsFromWebview>(panel, session, 'safetensors/');
}

class SafetensorsDocument implements vscode.CustomDocument {
  constructor(readonly uri: vscode.Uri) {}
  dispose(): void {}
}

class SafetensorsEditorProvider implements vscode.CustomReadonlyEditorProvider<SafetensorsDocument> {
  constructor(private readonly extensionUri: vscode.Uri) {}

  openCustomDocument(uri: vscode.Uri): SafetensorsDocument {
    return new SafetensorsDocument(uri);
  }

  resolveCustomEditor(doc: SafetensorsDocument, panel: vscode.WebviewPanel): void {
    // The extension runs where the workspace is (local, SSH, container): its files are plain paths there.
    openSession(panel, this.extensionUri, { kind: 'model', path: doc.uri.fsPath });
  }
}

export function registerSafetensors(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.window.registerCustomEditorProvider(
      SAFETENSORS_VIEW_TYPE,
      new SafetensorsEditorProvider(context.extensionUri),
      {
        supportsMultipleEditorsPerDocument: true,
      },
    ),
    vscode.commands.registerCommand('batchscope.openSafetensors', async (arg?: unknown) => {
      const uri =
        arg instanceof vscode.Uri
          ? arg
          : (
              await vscode.window.showOpenDialog({
                canSelectMany: false,
                filters: { 'Model weights': ['safetensors', 'json'] },
                title: 'Open model weights',
              })
            )?.[0];
      if (uri) await vscode.commands.executeCommand('vscode.openWith', uri, SAFETENSORS_VIEW_TYPE);
    }),
    vscode.commands.registerCommand('batchscope.compareCheckpoints', async (arg?: unknown, args?: unknown) => {
      // From the Explorer with two items selected: (clicked, [all selected]).
      const selected = Array.isArray(args) ? args.filter((u): u is vscode.Uri => u instanceof vscode.Uri) : [];
      let a: string | undefined;
      let b: string | undefined;
      if (selected.length === 2) [a, b] = selected.map((u) => u.fsPath);
      else {
        a = await pickCheckpoint('Checkpoint A (before)', arg instanceof vscode.Uri ? arg.fsPath : undefined);
        if (!a) return;
        b = await pickCheckpoint('Checkpoint B (after)', undefined, a);
        if (!b) return;
      }
      const panel = vscode.window.createWebviewPanel(
        'batchscope.safetensorsCompare',
        `Compare ${path.basename(a)} ↔ ${path.basename(b)}`,
        vscode.ViewColumn.Active,
        {},
      );
      openSession(panel, context.extensionUri, { kind: 'compare', a, b });
    }),
  );
}

/**
 * A checkpoint: a folder holding *.safetensors (or an index), or one file. Offers the checkpoint
 * folders found in the workspace (newest first), then browsing for a file or a folder.
 */
async function pickCheckpoint(title: string, preset?: string, exclude?: string): Promise<string | undefined> {
  if (preset) return preset;
  const files = await vscode.workspace.findFiles(
    '**/*.{safetensors,safetensors.index.json}',
    '**/{node_modules,.git}/**',
    2000,
  );
  const folders = new Map<string, number>();
  for (const f of files) folders.set(path.dirname(f.fsPath), (folders.get(path.dirname(f.fsPath)) ?? 0) + 1);
  type Item = vscode.QuickPickItem & { path?: string; browse?: 'file' | 'folder' };
  const items: Item[] = [...folders.keys()]
    .filter((d) => d !== exclude)
    .sort(compareCheckpointDirs)
    .map((d) => ({
      label: path.basename(d),
      description: vscode.workspace.asRelativePath(d),
      detail: `${folders.get(d)} safetensors file(s)`,
      path: d,
    }));
  items.push(
    { label: '$(file) Browse for a file…', browse: 'file' },
    { label: '$(folder) Browse for a folder…', browse: 'folder' },
  );
  const pick = await vscode.window.showQuickPick(items, {
    title,
    placeHolder: 'A checkpoint folder or a .safetensors file',
    ignoreFocusOut: true, // often asked with a webview in front: see record.ts
  });
  if (!pick) return undefined;
  if (pick.path) return pick.path;
  const uris = await vscode.window.showOpenDialog({
    title,
    canSelectMany: false,
    canSelectFiles: pick.browse === 'file',
    canSelectFolders: pick.browse === 'folder',
    ...(pick.browse === 'file' ? { filters: { 'Model weights': ['safetensors', 'json'] } } : {}),
  });
  return uris?.[0]?.fsPath;
}
