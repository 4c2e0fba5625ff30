// Small helpers the template glue shares: which files are chat templates, a document's current
// text, the `batchscope.template.now` date, and problems (document offsets) as diagnostics.
import * as vscode from 'vscode';
import { promises as fsp } from 'node:fs';
import { basename } from 'node:path';
import type { DocumentProblem } from '../panels/template/previewModel';
import { parseNow } from '../core/template/jinja/strftime';
import { config } from './config';

export function isTemplateFile(path: string): boolean {
  const b = basename(path);
  return b === 'tokenizer_config.json' || b === 'chat_template.json' || b.endsWith('.jinja') || b.endsWith('.j2');
}

/** An open editor's text (unsaved edits included), else the file on disk. */
export async function documentText(file: string): Promise<string> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
  return open ? open.getText() : fsp.readFile(file, 'utf8');
}

/** `batchscope.template.now` as a date, or undefined (unset, or not a date: then a warning says so). */
export function templateNow(): Date | undefined {
  const v = config.templateNow();
  if (!v) return undefined;
  try {
    return parseNow(v);
  } catch {
    void vscode.window.showWarningMessage(`batchscope.template.now: not an ISO date: ${v}`);
    return undefined;
  }
}

/** Problems with offsets into `text`, as diagnostics with line/column ranges. */
export function problemDiagnostics(text: string, problems: DocumentProblem[]): vscode.Diagnostic[] {
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
  const sev = {
    error: vscode.DiagnosticSeverity.Error,
    warning: vscode.DiagnosticSeverity.Warning,
    info: vscode.DiagnosticSeverity.Information,
  };
  return problems.map((p) => {
    const d = new vscode.Diagnostic(
      new vscode.Range(pos(p.start), pos(Math.min(p.end, text.length))),
      p.message,
      sev[p.severity],
    );
    d.source = 'batchscope';
    d.code = p.code;
    return d;
  });
}
