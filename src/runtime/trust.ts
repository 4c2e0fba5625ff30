// Workspace trust, the policy half (no vscode import, unit-tested): which actions run a Python
// interpreter, and what the user is told when the workspace is not trusted. A cloned repository's
// .vscode/settings.json can point `batchscope.python` (or a launch.json `python`) at any program,
// so nothing that starts an interpreter may run in Restricted Mode. The viewers (datasets, chat
// templates, model weights) read files only and stay available. The glue is src/vscode/trust.ts.

/** The commands that start an interpreter, with the words the refusal uses for each. */
export const TRUST_GATED_COMMANDS: Readonly<Record<string, string>> = {
  'batchscope.startTraining': 'Training',
  'batchscope.resumeTraining': 'Training',
  'batchscope.runDoctor': 'The doctor',
  'batchscope.previewTrainingData': 'Preview Training Data',
  'batchscope.debugDataLoader': 'The DataLoader debugger',
};

/** Settings that name a program to run: restricted in package.json, ignored from untrusted workspaces. */
export const RESTRICTED_SETTINGS = ['batchscope.python'] as const;

export const MANAGE_TRUST_BUTTON = 'Manage Workspace Trust';

/** The refusal, e.g. "Batchscope: Training runs Python (…) and needs a trusted workspace. …". */
export function untrustedMessage(action: string): string {
  return `Batchscope: ${action} runs Python (the interpreter from batchscope.python or this workspace's environment) and needs a trusted workspace. Trust this folder, then try again. Datasets, chat templates and model weights open in Restricted Mode.`;
}

/** Thrown where an interpreter would be resolved or started in an untrusted workspace. */
export class UntrustedWorkspaceError extends Error {
  constructor(readonly action: string) {
    super(untrustedMessage(action));
    this.name = 'UntrustedWorkspaceError';
  }
}
