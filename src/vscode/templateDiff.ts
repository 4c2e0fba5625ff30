// Batchscope: Compare Chat Templates (glue). Picks the two templates (the command's arguments, else the
// active template file and a file chosen in a dialog), opens a panel with the shared HTML shell and
// wires it to the vscode-free TemplateDiffSession (src/panels/templateDiff/session.ts, loaded with the
// template bundle). Unsaved edits of an open template are what gets compared.
import * as vscode from 'vscode';
import { basename, dirname } from 'node:path';
import type { TemplateDiffFromWebview, TemplateDiffToWebview } from '../core/template/templateDiff';
import { loadTemplateBundle } from '../bundles/load';
import { panelHtml } from '../panels/shell';
import { connectSession, webviewDist, webviewPoster } from './panelHost';
import { documentText, isTemplateFile, templateNow } from './templateFiles';

export const TEMPLATE_DIFF_VIEW_TYPE = 'batchscope.templateDiff';
const FILTERS = { 'Chat templates': ['json', 'jinja', 'j2'] };

/** A readable label: the file name with its folder (two checkpoints both have tokenizer_config.json). */
const label = (file: string): string => `${basename(dirname(file))}/${basename(file)}`;

async function pick(title: string): Promise<string | undefined> {
  const uris = await vscode.window.showOpenDialog({ title, canSelectMany: false, filters: FILTERS });
  return uris?.[0]?.fsPath;
}

async function compare(context: vscode.ExtensionContext, leftArg?: vscode.Uri, rightArg?: vscode.Uri): Promise<void> {
  const active = vscode.window.activeTextEditor?.document.uri;
  const left =
    leftArg?.fsPath ??
    (active && active.scheme === 'file' && isTemplateFile(active.fsPath)
      ? active.fsPath
      : await pick('Compare chat templates: first template'));
  if (!left) return;
  const right = rightArg?.fsPath ?? (await pick(`Compare ${label(left)} with…`));
  if (!right) return;
  const panel = vscode.window.createWebviewPanel(
    TEMPLATE_DIFF_VIEW_TYPE,
    `${basename(left)} ↔ ${basename(right)}`,
    vscode.ViewColumn.Beside,
    {
      enableScripts: true,
      localResourceRoots: [webviewDist(context.extensionUri)],
    },
  );
  const dist = webviewDist(context.extensionUri);
  panel.webview.html = panelHtml({
    cspSource: panel.webview.cspSource,
    scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'templateDiff.js')).toString(),
    styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'templateDiff.css')).toString(),
    title: 'Compare Chat Templates',
  });
  const bundle = loadTemplateBundle();
  const [leftText, rightText] = await Promise.all([documentText(left), documentText(right)]);
  const session = new bundle.TemplateDiffSession({
    left: { file: left, label: label(left), text: leftText },
    right: { file: right, label: label(right), text: rightText },
    messages: bundle.SAMPLE_CONVERSATION,
    post: webviewPoster<TemplateDiffToWebview>(panel.webview),
    loadTokenizer: (dir) => bundle.loadTokenizer(dir),
    now: templateNow(),
  });
  connectSession<TemplateDiffFromWebview>(panel, session, 'templateDiff/');
}

export function registerTemplateDiff(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    // From the explorer with two files selected, VS Code passes (clicked, [all selected]).
    vscode.commands.registerCommand(
      'batchscope.compareChatTemplates',
      (left?: vscode.Uri, right?: vscode.Uri | vscode.Uri[]) =>
        Array.isArray(right) ? compare(context, right[0], right[1]) : compare(context, left, right),
    ),
  );
}
