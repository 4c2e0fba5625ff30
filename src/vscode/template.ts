// VS Code glue for the chat template preview: the preview panel beside the editor (live as you type),
// diagnostics at the template's line/column (inside the JSON string for embedded templates), a CodeLens,
// the `batchscope-template:` file system that opens an embedded template as .jinja and writes edits back,
// and the lint command. The logic lives in templatePreviewModel.ts / templateFs.ts (tested without VS Code).
import * as vscode from 'vscode';
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { TemplateFromWebview, TemplateInputs, TemplateToWebview } from '../../protocol/webview';
import type { DocumentProblem } from '../panels/template/previewModel';
import { loadTemplateBundle } from '../bundles/load';
import { panelHtml } from '../panels/shell';
import { TEMPLATE_SCHEME, parseVirtual, readVirtual, virtualPath, writeVirtual } from '../panels/template/templateFs';
import { templatesFromJsonText } from '../core/template/discovery';
import { templateOffsetInDocument } from '../core/template/jsonString';
import { rowToMessages, type DatasetInfoEntry } from '../core/template/rowToMessages';
import { parseNow } from '../core/template/jinja/strftime';

const VIEW_TYPE = 'batchscope.templatePreview';

/** Argument the dataset panel (or a script) may pass to `batchscope.previewChatTemplate`. */
export interface PreviewRowArgs {
  /** The template file; default: `batchscope.tokenizerPath`, else the tokenizer folder beside the dataset. */
  templateUri?: string;
  /** A dataset row, mapped with rowToMessages. */
  row?: Record<string, unknown>;
  datasetInfoEntry?: DatasetInfoEntry;
  datasetPath?: string;
  rowIndex?: number;
}

function isTemplateFile(path: string): boolean {
  const b = basename(path);
  return b === 'tokenizer_config.json' || b === 'chat_template.json' || b.endsWith('.jinja') || b.endsWith('.j2');
}

async function documentText(file: string): Promise<string> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
  return open ? open.getText() : fsp.readFile(file, 'utf8');
}

function nowSetting(): Date | undefined {
  const v = vscode.workspace.getConfiguration('batchscope').get<string>('template.now', '');
  if (!v) return undefined;
  try {
    return parseNow(v);
  } catch {
    void vscode.window.showWarningMessage(`batchscope.template.now: not an ISO date: ${v}`);
    return undefined;
  }
}

class Preview {
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly file: string,
    public inputs: TemplateInputs,
    private readonly owner: TemplatePreviews,
    public source?: string,
  ) {
    panel.webview.onDidReceiveMessage((m: TemplateFromWebview) => {
      if (m.type === 'template/ready') this.schedule(0);
      else if (m.type === 'template/inputs') {
        this.inputs = m.inputs;
        this.source = undefined;
        this.schedule(120);
      } else if (m.type === 'template/reveal') void this.reveal(m.line, m.column);
    });
    panel.onDidDispose(() => {
      this.disposed = true;
      owner.closed(this);
    });
  }

  schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.update(), ms);
  }

  private async update(): Promise<void> {
    if (this.disposed) return;
    let text: string;
    try {
      text = await documentText(this.file);
    } catch (e) {
      void this.panel.webview.postMessage({
        type: 'template/state',
        state: { file: this.file, templateNames: [], inputs: this.inputs, spans: [], specials: [], lint: [], error: { message: (e as Error).message, kind: 'runtime' } },
      } satisfies TemplateToWebview);
      return;
    }
    const { state, problems } = await loadTemplateBundle().computePreview({ file: this.file, text, inputs: this.inputs, now: nowSetting(), source: this.source });
    if (this.disposed) return;
    void this.panel.webview.postMessage({ type: 'template/state', state } satisfies TemplateToWebview);
    this.owner.setProblems(this.file, text, problems);
  }

  private async reveal(line: number, column: number): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(this.file));
    const text = doc.getText();
    let offset: number;
    if (this.file.endsWith('.json')) {
      const { templates } = templatesFromJsonText(this.file, text);
      const t = templates.find((x) => (x.name ?? '') === (this.inputs.templateName || x.name || '')) ?? templates[0];
      offset = t ? templateOffsetInDocument(text, t.source, t.jsonStringOffset, line, column) : 0;
    } else offset = templateOffsetInDocument(text, text, undefined, line, column);
    const pos = doc.positionAt(offset);
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(pos, pos) });
  }
}

class TemplatePreviews {
  private readonly previews = new Map<string, Preview>();
  readonly diagnostics = vscode.languages.createDiagnosticCollection('batchscope-template');

  constructor(private readonly context: vscode.ExtensionContext) {}

  attach(panel: vscode.WebviewPanel, file: string, inputs: TemplateInputs, source?: string): Preview {
    const dist = vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview');
    panel.webview.options = { enableScripts: true, localResourceRoots: [dist] };
    panel.webview.html = panelHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'template.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'template.css')).toString(),
      title: `Chat template: ${basename(file)}`,
    });
    const p = new Preview(panel, file, inputs, this, source);
    this.previews.set(file, p);
    return p;
  }

  async open(arg?: vscode.Uri | PreviewRowArgs): Promise<void> {
    let file: string | undefined;
    let inputs: TemplateInputs = { ...loadTemplateBundle().DEFAULT_INPUTS };
    let source: string | undefined;
    if (arg instanceof vscode.Uri) file = this.fileOf(arg, inputs);
    else if (arg && typeof arg === 'object') {
      file = arg.templateUri ? this.fileOf(vscode.Uri.parse(arg.templateUri), inputs) : this.templateForDataset(arg.datasetPath);
      if (arg.row) {
        try {
          const r = rowToMessages(arg.row, arg.datasetInfoEntry);
          inputs = { ...inputs, messagesJson: JSON.stringify(r.messages, null, 2), toolsJson: r.tools ? JSON.stringify(r.tools, null, 2) : '' };
          source = `row ${arg.rowIndex ?? '?'}${arg.datasetPath ? ` of ${basename(arg.datasetPath)}` : ''}`;
        } catch (e) {
          void vscode.window.showErrorMessage(`Batchscope: cannot map the row to messages: ${(e as Error).message}`);
          return;
        }
      }
    } else {
      const doc = vscode.window.activeTextEditor?.document;
      if (doc) file = this.fileOf(doc.uri, inputs);
    }
    if (!file) {
      const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Chat template': ['json', 'jinja', 'j2'] }, title: 'Choose a tokenizer_config.json, chat_template.json or .jinja file' });
      file = picked?.[0]?.fsPath;
      if (!file) return;
    }
    const existing = this.previews.get(file);
    if (existing) {
      if (source || arg) {
        existing.inputs = { ...existing.inputs, ...(source ? { messagesJson: inputs.messagesJson, toolsJson: inputs.toolsJson } : {}), templateName: inputs.templateName || existing.inputs.templateName };
        existing.source = source;
      }
      existing.panel.reveal(vscode.ViewColumn.Beside, true);
      existing.schedule(0);
      return;
    }
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, `Preview ${basename(file)}`, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, retainContextWhenHidden: true });
    this.attach(panel, file, inputs, source);
  }

  /** The real file behind a URI (virtual .jinja documents map to their JSON file and template). */
  private fileOf(uri: vscode.Uri, inputs: TemplateInputs): string | undefined {
    if (uri.scheme === TEMPLATE_SCHEME) {
      const ref = parseVirtual(uri.path, uri.query);
      inputs.templateName = basename(uri.path).replace(/\.jinja$/, '').replace(/^chat_template$/, '');
      return ref.jsonFile;
    }
    return uri.scheme === 'file' && isTemplateFile(uri.fsPath) ? uri.fsPath : undefined;
  }

  private templateForDataset(datasetPath?: string): string | undefined {
    const setting = vscode.workspace.getConfiguration('batchscope').get<string>('tokenizerPath', '');
    const dir = setting ? (setting.endsWith('.json') ? dirname(setting) : setting) : datasetPath ? loadTemplateBundle().findTokenizerFor(datasetPath) : undefined;
    return dir ? join(dir, 'tokenizer_config.json') : undefined;
  }

  onDocumentChanged(doc: vscode.TextDocument): void {
    if (doc.uri.scheme === 'file') this.previews.get(doc.uri.fsPath)?.schedule(150);
    else if (doc.uri.scheme === TEMPLATE_SCHEME) this.previews.get(parseVirtual(doc.uri.path, doc.uri.query).jsonFile)?.schedule(150);
  }

  closed(p: Preview): void {
    if (this.previews.get(p.file) === p) this.previews.delete(p.file);
    this.diagnostics.delete(vscode.Uri.file(p.file));
  }

  setProblems(file: string, text: string, problems: DocumentProblem[]): void {
    const lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
    const pos = (o: number) => {
      let lo = 0;
      let hi = lineStarts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (lineStarts[mid] <= o) lo = mid;
        else hi = mid - 1;
      }
      return new vscode.Position(lo, o - lineStarts[lo]);
    };
    const sev = { error: vscode.DiagnosticSeverity.Error, warning: vscode.DiagnosticSeverity.Warning, info: vscode.DiagnosticSeverity.Information };
    this.diagnostics.set(
      vscode.Uri.file(file),
      problems.map((p) => {
        const d = new vscode.Diagnostic(new vscode.Range(pos(p.start), pos(Math.min(p.end, text.length))), p.message, sev[p.severity]);
        d.source = 'batchscope';
        d.code = p.code;
        return d;
      }),
    );
  }
}

/** Read/write view of templates embedded in JSON files, as .jinja documents. */
class TemplateFileSystem implements vscode.FileSystemProvider {
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }
  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const ref = parseVirtual(uri.path, uri.query);
    const s = await vscode.workspace.fs.stat(vscode.Uri.file(ref.jsonFile));
    const size = Buffer.byteLength(readVirtual(await documentText(ref.jsonFile), ref));
    return { type: vscode.FileType.File, ctime: s.ctime, mtime: s.mtime, size };
  }
  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const ref = parseVirtual(uri.path, uri.query);
    return Buffer.from(readVirtual(await documentText(ref.jsonFile), ref), 'utf8');
  }
  async writeFile(uri: vscode.Uri, content: Uint8Array): Promise<void> {
    const ref = parseVirtual(uri.path, uri.query);
    const jsonUri = vscode.Uri.file(ref.jsonFile);
    const doc = await vscode.workspace.openTextDocument(jsonUri);
    const updated = writeVirtual(doc.getText(), ref, Buffer.from(content).toString('utf8'));
    // Through the document (not the disk) so an open editor of the JSON file stays in step, then save.
    const edit = new vscode.WorkspaceEdit();
    edit.replace(jsonUri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), updated);
    await vscode.workspace.applyEdit(edit);
    await doc.save();
    this.emitter.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }
  readDirectory(): [string, vscode.FileType][] {
    return [];
  }
  createDirectory(): void {
    throw vscode.FileSystemError.NoPermissions('templates are read from their JSON file');
  }
  delete(): void {
    throw vscode.FileSystemError.NoPermissions('templates are read from their JSON file');
  }
  rename(): void {
    throw vscode.FileSystemError.NoPermissions('templates are read from their JSON file');
  }
}

async function openAsJinja(arg?: vscode.Uri): Promise<void> {
  const uri = arg ?? vscode.window.activeTextEditor?.document.uri;
  if (!uri || uri.scheme !== 'file' || !uri.fsPath.endsWith('.json')) {
    void vscode.window.showInformationMessage('Batchscope: open a tokenizer_config.json or chat_template.json first.');
    return;
  }
  const text = await documentText(uri.fsPath);
  let templates;
  try {
    ({ templates } = templatesFromJsonText(uri.fsPath, text));
  } catch (e) {
    void vscode.window.showErrorMessage(`Batchscope: ${(e as Error).message}`);
    return;
  }
  if (!templates.length) {
    void vscode.window.showInformationMessage(`Batchscope: ${basename(uri.fsPath)} has no chat_template string.`);
    return;
  }
  let index = 0;
  if (templates.length > 1) {
    const pick = await vscode.window.showQuickPick(
      templates.map((t, i) => ({ label: t.name ?? `template ${i}`, index: i })),
      { title: 'Which chat template?' },
    );
    if (!pick) return;
    index = pick.index;
  }
  const vuri = vscode.Uri.from({ scheme: TEMPLATE_SCHEME, path: virtualPath(uri.fsPath, templates[index].name), query: `index=${index}` });
  const doc = await vscode.workspace.openTextDocument(vuri);
  await vscode.languages.setTextDocumentLanguage(doc, 'jinja');
  await vscode.window.showTextDocument(doc, { preview: false });
}

class TemplateLens implements vscode.CodeLensProvider {
  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const top = new vscode.Range(0, 0, 0, 0);
    if (doc.uri.scheme === TEMPLATE_SCHEME || doc.fileName.endsWith('.jinja') || doc.fileName.endsWith('.j2'))
      return [new vscode.CodeLens(top, { title: 'Preview Chat Template', command: 'batchscope.previewChatTemplate', arguments: [doc.uri] })];
    const text = doc.getText();
    const key = text.indexOf('"chat_template"');
    if (key < 0) return [];
    const at = new vscode.Range(doc.positionAt(key), doc.positionAt(key));
    return [
      new vscode.CodeLens(at, { title: 'Preview Chat Template', command: 'batchscope.previewChatTemplate', arguments: [doc.uri] }),
      new vscode.CodeLens(at, { title: 'Open as .jinja', command: 'batchscope.openTemplateAsJinja', arguments: [doc.uri] }),
    ];
  }
}

export function registerTemplate(context: vscode.ExtensionContext): void {
  const previews = new TemplatePreviews(context);
  const log = vscode.window.createOutputChannel('Batchscope Template');
  context.subscriptions.push(
    previews.diagnostics,
    log,
    vscode.commands.registerCommand('batchscope.previewChatTemplate', (arg?: vscode.Uri | PreviewRowArgs) => previews.open(arg)),
    vscode.commands.registerCommand('batchscope.openTemplateAsJinja', (arg?: vscode.Uri) => openAsJinja(arg)),
    vscode.commands.registerCommand('batchscope.lintChatTemplate', async (arg?: vscode.Uri) => {
      const uri = arg ?? vscode.window.activeTextEditor?.document.uri;
      if (!uri || uri.scheme !== 'file' || !isTemplateFile(uri.fsPath)) {
        void vscode.window.showInformationMessage('Batchscope: open a tokenizer_config.json, chat_template.json or .jinja file first.');
        return;
      }
      const text = await documentText(uri.fsPath);
      const { state, problems } = await loadTemplateBundle().computePreview({ file: uri.fsPath, text, inputs: { ...loadTemplateBundle().DEFAULT_INPUTS }, now: nowSetting() });
      previews.setProblems(uri.fsPath, text, problems);
      const findings = state.error ? [`error: ${state.error.message}`] : state.lint.map((f) => `${f.severity}: ${f.message} [${f.code}]`);
      log.appendLine(`${uri.fsPath}:`);
      for (const f of findings) log.appendLine(`  ${f}`);
      void vscode.window.showInformationMessage(`Batchscope: ${findings.length} finding(s) for ${basename(uri.fsPath)} (see Problems and the Batchscope Template output).`);
    }),
    vscode.workspace.registerFileSystemProvider(TEMPLATE_SCHEME, new TemplateFileSystem(), { isCaseSensitive: true }),
    vscode.languages.registerCodeLensProvider(
      [{ pattern: '**/tokenizer_config.json' }, { pattern: '**/chat_template.json' }, { pattern: '**/*.jinja' }, { pattern: '**/*.j2' }, { scheme: TEMPLATE_SCHEME }],
      new TemplateLens(),
    ),
    vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        const s = state as { file?: string; inputs?: TemplateInputs } | undefined;
        if (!s?.file) {
          panel.dispose();
          return;
        }
        previews.attach(panel, s.file, { ...loadTemplateBundle().DEFAULT_INPUTS, ...s.inputs });
      },
    }),
    vscode.workspace.onDidChangeTextDocument((e) => previews.onDocumentChanged(e.document)),
    vscode.workspace.onDidSaveTextDocument((d) => previews.onDocumentChanged(d)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('batchscope.template.now')) for (const d of vscode.workspace.textDocuments) previews.onDocumentChanged(d);
    }),
  );
}
