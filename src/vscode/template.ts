// VS Code glue for chat templates: the preview command and its panels (templatePreview.ts), the
// `batchscope-template:` file system that opens an embedded template as .jinja (templateFs.ts), a
// CodeLens, the lint command, and the serializer that restores previews after a reload.
import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { TemplateInputs } from '../../protocol/webview';
import { loadTemplateBundle } from '../bundles/load';
import { TEMPLATE_SCHEME } from '../panels/template/templateFs';
import { onSettingChange } from './config';
import { documentText, isTemplateFile, templateNow } from './templateFiles';
import { openAsJinja, TemplateFileSystem } from './templateFs';
import { TEMPLATE_VIEW_TYPE, TemplatePreviews, type PreviewRowArgs } from './templatePreview';

export type { PreviewRowArgs } from './templatePreview';

class TemplateLens implements vscode.CodeLensProvider {
  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const top = new vscode.Range(0, 0, 0, 0);
    if (doc.uri.scheme === TEMPLATE_SCHEME || doc.fileName.endsWith('.jinja') || doc.fileName.endsWith('.j2'))
      return [
        new vscode.CodeLens(top, {
          title: 'Preview Chat Template',
          command: 'batchscope.previewChatTemplate',
          arguments: [doc.uri],
        }),
      ];
    const text = doc.getText();
    const key = text.indexOf('"chat_template"');
    if (key < 0) return [];
    const at = new vscode.Range(doc.positionAt(key), doc.positionAt(key));
    return [
      new vscode.CodeLens(at, {
        title: 'Preview Chat Template',
        command: 'batchscope.previewChatTemplate',
        arguments: [doc.uri],
      }),
      new vscode.CodeLens(at, {
        title: 'Open as .jinja',
        command: 'batchscope.openTemplateAsJinja',
        arguments: [doc.uri],
      }),
    ];
  }
}

/** "Lint Chat Template": the findings in Problems and in the Batchscope Template output. */
async function lintTemplate(previews: TemplatePreviews, log: vscode.OutputChannel, arg?: vscode.Uri): Promise<void> {
  const uri = arg ?? vscode.window.activeTextEditor?.document.uri;
  if (!uri || uri.scheme !== 'file' || !isTemplateFile(uri.fsPath)) {
    void vscode.window.showInformationMessage(
      'Batchscope: open a tokenizer_config.json, chat_template.json or .jinja file first.',
    );
    return;
  }
  const text = await documentText(uri.fsPath);
  const bundle = loadTemplateBundle();
  const { state, problems } = await bundle.computePreview({
    file: uri.fsPath,
    text,
    inputs: { ...bundle.DEFAULT_INPUTS },
    now: templateNow(),
  });
  previews.setProblems(uri.fsPath, text, problems);
  const findings = state.error
    ? [`error: ${state.error.message}`]
    : state.lint.map((f) => `${f.severity}: ${f.message} [${f.code}]`);
  log.appendLine(`${uri.fsPath}:`);
  for (const f of findings) log.appendLine(`  ${f}`);
  void vscode.window.showInformationMessage(
    `Batchscope: ${findings.length} finding(s) for ${basename(uri.fsPath)} (see Problems and the Batchscope Template output).`,
  );
}

export function registerTemplate(context: vscode.ExtensionContext): void {
  const previews = new TemplatePreviews(context);
  const log = vscode.window.createOutputChannel('Batchscope Template');
  context.subscriptions.push(
    previews.diagnostics,
    log,
    vscode.commands.registerCommand('batchscope.previewChatTemplate', (arg?: vscode.Uri | PreviewRowArgs) =>
      previews.open(arg),
    ),
    vscode.commands.registerCommand('batchscope.openTemplateAsJinja', (arg?: vscode.Uri) => openAsJinja(arg)),
    vscode.commands.registerCommand('batchscope.lintChatTemplate', (arg?: vscode.Uri) =>
      lintTemplate(previews, log, arg),
    ),
    vscode.workspace.registerFileSystemProvider(TEMPLATE_SCHEME, new TemplateFileSystem(), { isCaseSensitive: true }),
    vscode.languages.registerCodeLensProvider(
      [
        { pattern: '**/tokenizer_config.json' },
        { pattern: '**/chat_template.json' },
        { pattern: '**/*.jinja' },
        { pattern: '**/*.j2' },
        { scheme: TEMPLATE_SCHEME },
      ],
      new TemplateLens(),
    ),
    vscode.window.registerWebviewPanelSerializer(TEMPLATE_VIEW_TYPE, {
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
    onSettingChange(['template.now'], () => {
      for (const d of vscode.workspace.textDocuments) previews.onDocumentChanged(d);
    }),
  );
}
