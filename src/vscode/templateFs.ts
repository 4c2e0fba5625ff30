// The `batchscope-template:` file system (glue): a chat template embedded in tokenizer_config.json
// or chat_template.json opened as a .jinja document, with saves written back into the JSON string.
// The text mapping is src/panels/template/templateFs.ts (vscode-free, unit-tested).
import * as vscode from 'vscode';
import { basename } from 'node:path';
import { TEMPLATE_SCHEME, parseVirtual, readVirtual, virtualPath, writeVirtual } from '../panels/template/templateFs';
import { templatesFromJsonText } from '../core/template/discovery';
import { documentText } from './templateFiles';

/** Read/write view of templates embedded in JSON files, as .jinja documents. */
export class TemplateFileSystem implements vscode.FileSystemProvider {
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

/** "Open Chat Template as .jinja": picks the template (when there are several) and opens it. */
export async function openAsJinja(arg?: vscode.Uri): Promise<void> {
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
      { title: 'Which chat template?', ignoreFocusOut: true }, // a webview may be in front: see record.ts
    );
    if (!pick) return;
    index = pick.index;
  }
  const vuri = vscode.Uri.from({
    scheme: TEMPLATE_SCHEME,
    path: virtualPath(uri.fsPath, templates[index].name),
    query: `index=${index}`,
  });
  const doc = await vscode.workspace.openTextDocument(vuri);
  await vscode.languages.setTextDocumentLanguage(doc, 'jinja');
  await vscode.window.showTextDocument(doc, { preview: false });
}
