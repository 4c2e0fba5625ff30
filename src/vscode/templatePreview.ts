// The chat template preview panels (glue): one panel per template file beside the editor, each
// wired to a vscode-free TemplatePreviewSession (src/panels/template/session.ts, loaded with the
// template bundle); edits of the document re-render it, its problems become diagnostics.
import * as vscode from 'vscode';
import { basename, dirname, join } from 'node:path';
import type { TemplateFromWebview, TemplateInputs, TemplateToWebview } from '../../protocol/webview';
import type { DocumentProblem } from '../panels/template/previewModel';
import type { TemplatePreviewSession } from '../panels/template/session';
import { loadTemplateBundle } from '../bundles/load';
import { TEMPLATE_SCHEME, parseVirtual } from '../panels/template/templateFs';
import { rowToMessages, type DatasetInfoEntry } from '../core/template/rowToMessages';
import { config } from './config';
import { connectSession, setPanelShell, webviewPoster } from './panelHost';
import { documentText, isTemplateFile, problemDiagnostics, templateNow } from './templateFiles';

export const TEMPLATE_VIEW_TYPE = 'batchscope.templatePreview';

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

interface OpenPreview {
  panel: vscode.WebviewPanel;
  session: TemplatePreviewSession;
}

export class TemplatePreviews {
  private readonly previews = new Map<string, OpenPreview>();
  readonly diagnostics = vscode.languages.createDiagnosticCollection('batchscope-template');

  constructor(private readonly context: vscode.ExtensionContext) {}

  attach(panel: vscode.WebviewPanel, file: string, inputs: TemplateInputs, source?: string): void {
    setPanelShell(panel.webview, this.context.extensionUri, {
      bundle: 'template',
      title: `Chat template: ${basename(file)}`,
    });
    const session = new (loadTemplateBundle().TemplatePreviewSession)({
      file,
      inputs,
      source,
      post: webviewPoster<TemplateToWebview>(panel.webview),
      readText: documentText,
      now: templateNow,
      onProblems: (f, text, problems) => this.setProblems(f, text, problems),
      reveal: async (f, offset) => {
        const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(f));
        const pos = doc.positionAt(offset);
        await vscode.window.showTextDocument(doc, {
          viewColumn: vscode.ViewColumn.One,
          selection: new vscode.Range(pos, pos),
        });
      },
    });
    const entry = { panel, session };
    this.previews.set(file, entry);
    connectSession<TemplateFromWebview>(panel, session, 'template/', () => {
      if (this.previews.get(file) === entry) this.previews.delete(file);
      this.diagnostics.delete(vscode.Uri.file(file));
    });
  }

  async open(arg?: vscode.Uri | PreviewRowArgs): Promise<void> {
    let file: string | undefined;
    let inputs: TemplateInputs = { ...loadTemplateBundle().DEFAULT_INPUTS };
    let source: string | undefined;
    if (arg instanceof vscode.Uri) file = this.fileOf(arg, inputs);
    else if (arg && typeof arg === 'object') {
      file = arg.templateUri
        ? this.fileOf(vscode.Uri.parse(arg.templateUri), inputs)
        : this.templateForDataset(arg.datasetPath);
      if (arg.row) {
        try {
          const r = rowToMessages(arg.row, arg.datasetInfoEntry);
          inputs = {
            ...inputs,
            messagesJson: JSON.stringify(r.messages, null, 2),
            toolsJson: r.tools ? JSON.stringify(r.tools, null, 2) : '',
          };
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
      const picked = await vscode.window.showOpenDialog({
        canSelectMany: false,
        filters: { 'Chat template': ['json', 'jinja', 'j2'] },
        title: 'Choose a tokenizer_config.json, chat_template.json or .jinja file',
      });
      file = picked?.[0]?.fsPath;
      if (!file) return;
    }
    const existing = this.previews.get(file);
    if (existing) {
      const s = existing.session;
      if (source || arg)
        s.update(
          {
            ...(source ? { messagesJson: inputs.messagesJson, toolsJson: inputs.toolsJson } : {}),
            templateName: inputs.templateName || s.inputs.templateName,
          },
          source,
        );
      existing.panel.reveal(vscode.ViewColumn.Beside, true);
      void s.schedule(0);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      TEMPLATE_VIEW_TYPE,
      `Preview ${basename(file)}`,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, retainContextWhenHidden: true },
    );
    this.attach(panel, file, inputs, source);
  }

  /** The real file behind a URI (virtual .jinja documents map to their JSON file and template). */
  private fileOf(uri: vscode.Uri, inputs: TemplateInputs): string | undefined {
    if (uri.scheme === TEMPLATE_SCHEME) {
      const ref = parseVirtual(uri.path, uri.query);
      inputs.templateName = basename(uri.path)
        .replace(/\.jinja$/, '')
        .replace(/^chat_template$/, '');
      return ref.jsonFile;
    }
    return uri.scheme === 'file' && isTemplateFile(uri.fsPath) ? uri.fsPath : undefined;
  }

  private templateForDataset(datasetPath?: string): string | undefined {
    const setting = config.tokenizerPath();
    const dir = setting
      ? setting.endsWith('.json')
        ? dirname(setting)
        : setting
      : datasetPath
        ? loadTemplateBundle().findTokenizerFor(datasetPath)
        : undefined;
    return dir ? join(dir, 'tokenizer_config.json') : undefined;
  }

  onDocumentChanged(doc: vscode.TextDocument): void {
    const file =
      doc.uri.scheme === 'file'
        ? doc.uri.fsPath
        : doc.uri.scheme === TEMPLATE_SCHEME
          ? parseVirtual(doc.uri.path, doc.uri.query).jsonFile
          : undefined;
    if (file) void this.previews.get(file)?.session.documentChanged();
  }

  setProblems(file: string, text: string, problems: DocumentProblem[]): void {
    this.diagnostics.set(vscode.Uri.file(file), problemDiagnostics(text, problems));
  }
}
