// The one HTML shell of every Batchscope webview (dataset, template preview, training dashboard,
// weights). Strict CSP: only our own bundle runs (nonce), styles only from the extension (uPlot and
// @vscode-elements set styles through the CSSOM, which style-src does not block), images only as
// data: URLs or webview resources (dataset thumbnails), no network, no inline handlers.
// No vscode import: unit-tested with node:test.
import { randomBytes } from 'node:crypto';

export interface PanelHtmlInput {
  /** `webview.cspSource`. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  title: string;
  /** Static markup of the panel (our own constant strings only; never user or dataset text).
   * Panels that build their DOM in script leave it out and get one empty `#app`. */
  body?: string;
  nonce?: string;
}

export function panelNonce(): string {
  return randomBytes(18)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '');
}

export function panelCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src data: ${cspSource}`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function panelHtml(input: PanelHtmlInput): string {
  const nonce = input.nonce ?? panelNonce();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(panelCsp(input.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttr(input.styleUri)}">
<title>${escapeAttr(input.title)}</title>
</head>
<body>
${input.body ?? '<div id="app"></div>'}
<script nonce="${nonce}" src="${escapeAttr(input.scriptUri)}"></script>
</body>
</html>`;
}
