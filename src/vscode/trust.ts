// Workspace trust, the one gate: every path that resolves or starts a Python interpreter (training
// commands and tasks, the doctor, debug launches) asks here first. The policy and the wording are
// in src/runtime/trust.ts. VS Code has no stable API to request trust, so the refusal offers the
// "Manage Workspace Trust" editor; the user runs the command again once trusted.
import * as vscode from 'vscode';
import { MANAGE_TRUST_BUTTON, UntrustedWorkspaceError, untrustedMessage } from '../runtime/trust';

export function isTrusted(): boolean {
  return vscode.workspace.isTrusted;
}

/**
 * True when trusted; otherwise shows the refusal (with a button that opens the trust editor) and
 * returns false at once, without waiting for the notification to be answered.
 */
export function requireTrust(action: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(untrustedMessage(action), MANAGE_TRUST_BUTTON).then((pick) => {
    if (pick === MANAGE_TRUST_BUTTON) void vscode.commands.executeCommand('workbench.trust.manage');
  });
  return false;
}

/** For code paths without their own UI (interpreter resolution): throws instead of asking. */
export function assertTrusted(action: string): void {
  if (!vscode.workspace.isTrusted) throw new UntrustedWorkspaceError(action);
}
