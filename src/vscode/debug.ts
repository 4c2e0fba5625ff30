// VS Code glue for the `batchscope` debug type: fills configuration defaults (python, hangTimeout,
// tokenizer, the bundled runtime folder), runs the adapter inline in the extension host, and adds
// the "Debug DataLoader" command. All DataLoader logic lives in the vscode-free session.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { loadDebugBundle } from '../bundles/load';
import { config as settings } from './config';
import { resolveInterpreter } from './pythonEnv';
import { requireTrust } from './trust';

const TYPE = 'batchscope';
const ACTION = 'The DataLoader debugger';

class ConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly extensionPath: string) {}

  async resolveDebugConfiguration(
    folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | undefined> {
    // F5 with no launch.json: debug the active Python file.
    if (!config.type && !config.request && !config.name) {
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.document.languageId !== 'python') {
        void vscode.window.showInformationMessage(
          'Batchscope: open the Python script that builds your DataLoader, or add a "batchscope" configuration to launch.json.',
        );
        return undefined;
      }
      config.type = TYPE;
      config.request = 'launch';
      config.name = 'Debug DataLoader';
      config.program = editor.document.uri.fsPath;
    }
    // A launch runs launch.json's `python` (or batchscope.python) and the workspace's program; an
    // attach talks to a job started by hand and runs nothing here, but its evaluate requests run
    // code in that job: both wait for trust.
    if (!requireTrust(ACTION)) return undefined;
    const resource = folder?.uri ?? vscode.window.activeTextEditor?.document.uri;
    if (config.hangTimeout === undefined) config.hangTimeout = settings.debugHangTimeout(resource);
    if (config.tokenizer === undefined) {
      const tok = settings.tokenizerPath(resource);
      if (tok) config.tokenizer = tok;
    }
    if (config.cwd === undefined && folder) config.cwd = folder.uri.fsPath;
    if (config.request === 'launch' && !config.python) {
      try {
        config.python = (await resolveInterpreter(ACTION, resource)).path;
      } catch (err) {
        void vscode.window.showErrorMessage(`Batchscope: ${(err as Error).message}`);
        return undefined;
      }
    }
    config.runtimePath ??= path.join(this.extensionPath, 'runtime');
    return config;
  }
}

class InlineFactory implements vscode.DebugAdapterDescriptorFactory {
  createDebugAdapterDescriptor(): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    // The first debug session loads the debug bundle (see src/bundles/load.ts).
    return new vscode.DebugAdapterInlineImplementation(new (loadDebugBundle().DataLoaderSession)());
  }
}

/**
 * "Batchscope: Show All Stacks": every process and thread of the debugged DataLoader job (like
 * `py-spy dump`, without stopping anything), as text in an untitled editor, for the active
 * batchscope debug session.
 */
async function showAllStacks(): Promise<void> {
  const active = vscode.debug.activeDebugSession;
  const session = active?.type === TYPE ? active : undefined;
  if (!session) {
    void vscode.window.showInformationMessage('Batchscope: Show All Stacks needs a running DataLoader debug session.');
    return;
  }
  try {
    const body = (await session.customRequest('showAllStacks')) as { text?: string };
    const doc = await vscode.workspace.openTextDocument({ content: body.text ?? '', language: 'log' });
    await vscode.window.showTextDocument(doc, { preview: false });
  } catch (err) {
    void vscode.window.showErrorMessage(`Batchscope: Show All Stacks failed: ${(err as Error).message}`);
  }
}

export function registerDebug(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('batchscope.showAllStacks', showAllStacks),
    vscode.debug.registerDebugConfigurationProvider(TYPE, new ConfigurationProvider(context.extensionPath)),
    vscode.debug.registerDebugAdapterDescriptorFactory(TYPE, new InlineFactory()),
    vscode.commands.registerCommand('batchscope.debugDataLoader', async (uri?: vscode.Uri) => {
      if (!requireTrust(ACTION)) return;
      const target = uri ?? vscode.window.activeTextEditor?.document.uri;
      if (!target || !/\.(py|ya?ml)$/i.test(target.fsPath)) {
        void vscode.window.showErrorMessage(
          'Batchscope: Debug DataLoader needs a Python script or a train.yaml (open one, or pick it in the Explorer).',
        );
        return;
      }
      const isConfig = /\.ya?ml$/i.test(target.fsPath);
      await vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(target), {
        type: TYPE,
        request: 'launch',
        name: `Debug DataLoader: ${path.basename(target.fsPath)}`,
        ...(isConfig ? { config: target.fsPath } : { program: target.fsPath }),
      });
    }),
  );
}
