// The glue every webview panel shares: the HTML shell with its CSP (src/panels/shell.ts) pointed at
// dist/webview/<bundle>.js/.css, a `post` for the vscode-free session, and the wiring of the
// panel's messages and disposal to that session. Sessions live in src/panels/<name>/.
import * as vscode from 'vscode';
import { panelHtml } from '../panels/shell';

/** dist/webview: where every panel's script and style come from. */
export function webviewDist(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
}

export interface ShellOptions {
  /** dist/webview/<bundle>.js and .css */
  bundle: 'dataset' | 'template' | 'training' | 'safetensors';
  title: string;
  /** Static markup (our own constants only); default one empty #app. */
  body?: string;
  /** Folders the webview may load besides dist/webview (dataset images). */
  extraRoots?: vscode.Uri[];
}

/** Sets the panel's options (scripts on, resources only from dist/webview + extraRoots) and its HTML. */
export function setPanelShell(webview: vscode.Webview, extensionUri: vscode.Uri, o: ShellOptions): void {
  const dist = webviewDist(extensionUri);
  webview.options = { enableScripts: true, localResourceRoots: [dist, ...(o.extraRoots ?? [])] };
  webview.html = panelHtml({
    cspSource: webview.cspSource,
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, `${o.bundle}.js`)).toString(),
    styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, `${o.bundle}.css`)).toString(),
    title: o.title,
    body: o.body,
  });
}

/** A `post` for a session: a panel closing mid-send rejects, and the session stops on dispose anyway. */
export function webviewPoster<T>(webview: vscode.Webview): (msg: T) => void {
  return (msg) => void Promise.resolve(webview.postMessage(msg)).then(undefined, () => undefined);
}

export interface PanelSession<In> {
  onMessage(msg: In): unknown;
  dispose(): unknown;
}

/**
 * Routes the webview's messages to `session.onMessage` (only objects whose `type` starts with
 * `prefix`: a webview is untrusted input) and disposes the session with the panel.
 */
export function connectSession<In>(
  panel: vscode.WebviewPanel,
  session: PanelSession<In>,
  prefix: string,
  onDispose?: () => void,
): void {
  const sub = panel.webview.onDidReceiveMessage((msg: In) => {
    const type = (msg as { type?: unknown } | undefined)?.type;
    if (typeof type === 'string' && type.startsWith(prefix)) void session.onMessage(msg);
  });
  panel.onDidDispose(() => {
    sub.dispose();
    void session.dispose();
    onDispose?.();
  });
}
