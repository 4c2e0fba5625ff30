// Every `batchscope.*` setting, read in one place and typed (the keys and defaults are the ones
// package.json contributes.configuration declares). Nothing else calls getConfiguration.
// `resource` picks the folder's settings in a multi-root workspace.
import * as vscode from 'vscode';

const SECTION = 'batchscope';

function section(resource?: vscode.Uri): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION, resource);
}

export const config = {
  /**
   * `batchscope.python`: the interpreter that runs the runtime ('' = choose). A restricted setting
   * (package.json capabilities.untrustedWorkspaces): in Restricted Mode VS Code ignores the
   * workspace's value, and src/vscode/trust.ts refuses to run any interpreter anyway.
   */
  python(resource?: vscode.Uri): string {
    return section(resource).get<string>('python', '');
  },
  /** `batchscope.tokenizerPath`: a folder or tokenizer.json ('' = look beside the data). */
  tokenizerPath(resource?: vscode.Uri): string {
    return section(resource).get<string>('tokenizerPath', '');
  },
  /** `batchscope.cutoffLen`: the length dataset statistics compare rows with. */
  cutoffLen(resource?: vscode.Uri): number {
    return section(resource).get<number>('cutoffLen', 2048);
  },
  /** `batchscope.template.now`: the ISO date strftime_now returns in previews ('' = now). */
  templateNow(resource?: vscode.Uri): string {
    return section(resource).get<string>('template.now', '');
  },
  /** `batchscope.debug.hangTimeout`: default seconds a DataLoader stage may run. */
  debugHangTimeout(resource?: vscode.Uri): number {
    return section(resource).get<number>('debug.hangTimeout', 30);
  },
};

export type SettingKey = 'python' | 'tokenizerPath' | 'cutoffLen' | 'template.now' | 'debug.hangTimeout';

/** Calls `listener` when one of `keys` changes. */
export function onSettingChange(keys: SettingKey[], listener: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (keys.some((k) => e.affectsConfiguration(`${SECTION}.${k}`))) listener();
  });
}
