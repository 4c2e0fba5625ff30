// VS Code glue for the dataset preview: two read-only custom editors (binary formats by default,
// JSONL/JSON as an option), a webview panel for save_to_disk folders, and the dataset commands.
// Everything that can be tested without VS Code lives in src/panels/dataset/ (the session).
import * as vscode from 'vscode';
import { mkdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import type { DatasetFromWebview, DatasetToWebview } from '../../protocol/webview';
import type { DatasetSession } from '../panels/dataset/session';
import { loadDatasetBundle } from '../bundles/load';
import { resolveTokenizer } from '../panels/dataset/tokenizerResolve';
import { config, onSettingChange } from './config';
import { setPanelShell, webviewPoster } from './panelHost';

const VIEW_BINARY = 'batchscope.dataset';
const VIEW_TEXT = 'batchscope.datasetText';
const VIEW_FOLDER = 'batchscope.datasetFolder';
const BINARY_EXT = new Set(['.arrow', '.parquet']);
const TEXT_EXT = new Set(['.jsonl', '.json']);

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

class DatasetPanels {
  private readonly sessions = new Map<vscode.WebviewPanel, DatasetSession>();
  private active: DatasetSession | undefined;
  private readonly log: vscode.OutputChannel;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('Batchscope Dataset');
    context.subscriptions.push(this.log);
  }

  private indexCacheDir(): string | undefined {
    // Workspace storage (or global storage without a workspace), never beside the user's data.
    const base = this.context.storageUri ?? this.context.globalStorageUri;
    const dir = join(base.fsPath, 'dataset-index');
    try {
      mkdirSync(dir, { recursive: true });
      return dir;
    } catch (err) {
      this.log.appendLine(`cannot create the index cache ${dir}: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** Wires a panel (custom editor or folder panel) to a new session for `path`. */
  attach(panel: vscode.WebviewPanel, path: string, isFolder: boolean): void {
    const folder = isFolder ? path : dirname(path);
    // Besides dist/webview: the dataset's folder and the workspace, for image cells.
    const roots = [vscode.Uri.file(folder), ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri)];
    const webview = panel.webview;
    setPanelShell(webview, this.context.extensionUri, { bundle: 'dataset', title: basename(path), extraRoots: roots });
    const workspaceRoot =
      vscode.workspace.getWorkspaceFolder(vscode.Uri.file(path))?.uri.fsPath ??
      vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    // The first dataset panel loads the dataset bundle (see src/bundles/load.ts).
    const session = new (loadDatasetBundle().DatasetSession)({
      path,
      title: basename(path),
      cutoffLen: config.cutoffLen(),
      indexCacheDir: this.indexCacheDir(),
      post: webviewPoster<DatasetToWebview>(webview),
      resolveTokenizer: (picked) =>
        resolveTokenizer({
          datasetPath: path,
          datasetIsFolder: isFolder,
          setting: config.tokenizerPath(),
          workspaceRoot,
          picked,
          isFile,
        }),
      resolveImagePath: (p) => {
        const abs = isAbsolute(p) ? p : resolve(folder, p);
        if (!roots.some((r) => isInside(abs, r.fsPath)) || !isFile(abs)) return null;
        return webview.asWebviewUri(vscode.Uri.file(abs)).toString();
      },
      log: (m) => this.log.appendLine(m),
      // The template command (src/vscode/template.ts) maps the row with rowToMessages and the entry.
      previewTemplate: (req) =>
        vscode.commands.executeCommand('batchscope.previewChatTemplate', {
          row: req.row,
          datasetInfoEntry: req.datasetInfoEntry,
          datasetPath: req.datasetPath,
          rowIndex: req.rowIndex,
          templateUri: req.templatePath ? vscode.Uri.file(req.templatePath).toString() : undefined,
        }),
    });
    this.sessions.set(panel, session);
    this.active = session;
    const subs: vscode.Disposable[] = [
      webview.onDidReceiveMessage((msg: DatasetFromWebview) => {
        if (!msg || typeof msg.type !== 'string' || !msg.type.startsWith('dataset/')) return;
        if (msg.type === 'dataset/selectTokenizer') void this.pickTokenizer(session);
        else void session.handle(msg);
      }),
      panel.onDidChangeViewState((e) => {
        if (e.webviewPanel.active) this.active = session;
      }),
    ];
    panel.onDidDispose(() => {
      subs.forEach((d) => d.dispose());
      this.sessions.delete(panel);
      if (this.active === session) this.active = undefined;
      void session.dispose();
    });
  }

  activeSession(): DatasetSession | undefined {
    if (this.active) return this.active;
    for (const [panel, s] of this.sessions) if (panel.active) return s;
    return undefined;
  }

  settingsChanged(): void {
    for (const s of this.sessions.values()) s.settingsChanged();
  }

  async pickTokenizer(session: DatasetSession | undefined = this.activeSession()): Promise<void> {
    if (!session) {
      void vscode.window.showInformationMessage('Batchscope: open a dataset first, then select its tokenizer.');
      return;
    }
    const picked = await vscode.window.showOpenDialog({
      title: 'Select a tokenizer.json or the folder that holds it',
      canSelectFiles: true,
      canSelectFolders: true,
      canSelectMany: false,
      filters: { 'Tokenizer (tokenizer.json)': ['json'] },
    });
    const p = picked?.[0]?.fsPath;
    if (!p) return;
    if (!isFile(p) && !isFile(join(p, 'tokenizer.json'))) {
      void vscode.window.showErrorMessage(`Batchscope: no tokenizer.json in ${p}`);
      return;
    }
    session.useTokenizer(p);
  }

  openFolderPanel(folder: string): void {
    const panel = vscode.window.createWebviewPanel(VIEW_FOLDER, basename(folder), vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true,
    });
    this.attach(panel, folder, true);
  }
}

class DatasetEditorProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(private readonly panels: DatasetPanels) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    this.panels.attach(panel, document.uri.fsPath, false);
  }
}

/** The file or folder a command was invoked on: its argument, else the active editor's resource. */
function targetUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom) return input.uri;
  return vscode.window.activeTextEditor?.document.uri;
}

export function registerDataset(context: vscode.ExtensionContext): void {
  const panels = new DatasetPanels(context);
  const provider = new DatasetEditorProvider(panels);
  const editorOptions = { webviewOptions: { retainContextWhenHidden: true }, supportsMultipleEditorsPerDocument: true };

  const openFolder = async (arg: unknown): Promise<void> => {
    let folder = arg instanceof vscode.Uri ? arg.fsPath : undefined;
    if (!folder || !isDirectory(folder)) {
      const picked = await vscode.window.showOpenDialog({
        title: 'Open a save_to_disk folder as a dataset',
        canSelectFiles: false,
        canSelectFolders: true,
        canSelectMany: false,
      });
      folder = picked?.[0]?.fsPath;
    }
    if (folder) panels.openFolderPanel(folder);
  };

  const openDataset = async (arg: unknown): Promise<void> => {
    let uri = targetUri(arg);
    if (!uri || !(isFile(uri.fsPath) || isDirectory(uri.fsPath))) {
      const picked = await vscode.window.showOpenDialog({
        title: 'Open a dataset file',
        canSelectMany: false,
        filters: { Datasets: ['arrow', 'parquet', 'jsonl', 'json'] },
      });
      uri = picked?.[0];
      if (!uri) return;
    }
    if (isDirectory(uri.fsPath)) return openFolder(uri);
    const ext = extname(uri.fsPath).toLowerCase();
    const view = BINARY_EXT.has(ext) ? VIEW_BINARY : TEXT_EXT.has(ext) ? VIEW_TEXT : undefined;
    if (!view) {
      void vscode.window.showErrorMessage(
        `Batchscope: ${basename(uri.fsPath)} is not a dataset file (.arrow, .parquet, .jsonl, .json).`,
      );
      return;
    }
    await vscode.commands.executeCommand('vscode.openWith', uri, view);
  };

  const jumpToRow = async (arg: unknown): Promise<void> => {
    const session = panels.activeSession();
    if (!session) {
      void vscode.window.showInformationMessage('Batchscope: open a dataset first.');
      return;
    }
    const max = (session.numRows ?? 1) - 1;
    let row = typeof arg === 'number' ? arg : undefined;
    if (row === undefined) {
      const raw = await vscode.window.showInputBox({
        title: 'Jump to row',
        prompt: `Row number, 0 to ${max}`,
        ignoreFocusOut: true, // asked with the dataset webview in front: see record.ts
        validateInput: (v) =>
          /^\d+$/.test(v.trim()) && Number(v) <= max ? undefined : `Enter a whole number from 0 to ${max}`,
      });
      if (raw === undefined) return;
      row = Number(raw.trim());
    }
    session.jumpTo(row);
  };

  const showStats = (): void => {
    const session = panels.activeSession();
    if (!session) {
      void vscode.window.showInformationMessage('Batchscope: open a dataset first.');
      return;
    }
    session.showStats();
  };

  context.subscriptions.push(
    vscode.window.registerCustomEditorProvider(VIEW_BINARY, provider, editorOptions),
    vscode.window.registerCustomEditorProvider(VIEW_TEXT, provider, editorOptions),
    vscode.commands.registerCommand('batchscope.openDataset', (arg) =>
      guard('open the dataset', () => openDataset(arg)),
    ),
    vscode.commands.registerCommand('batchscope.openSaveToDiskFolder', (arg) =>
      guard('open the folder', () => openFolder(arg)),
    ),
    vscode.commands.registerCommand('batchscope.jumpToRow', (arg) => guard('jump to the row', () => jumpToRow(arg))),
    vscode.commands.registerCommand('batchscope.selectTokenizer', () =>
      guard('select a tokenizer', () => panels.pickTokenizer()),
    ),
    vscode.commands.registerCommand('batchscope.showDatasetStats', () =>
      guard('compute statistics', async () => showStats()),
    ),
    onSettingChange(['tokenizerPath'], () => panels.settingsChanged()),
  );
}

/** Commands report failures instead of leaving a rejected promise in the extension host. */
async function guard(what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    void vscode.window.showErrorMessage(`Batchscope: could not ${what}: ${(err as Error).message}`);
  }
}
