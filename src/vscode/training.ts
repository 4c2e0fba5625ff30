// Training glue: commands (start, stop, resume, dashboard, doctor), the `batchscope-train` task
// provider, the status bar items and the dashboard serializer. The run itself goes through the
// runtime client (src/runtime) inside the task's CustomExecution.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { setRuntimeDir } from '../runtime';
import { Dashboard } from './trainingDashboard';
import { chooseConfig } from '../core/training/pickConfig';
import { offerInstall, PythonEnv } from './pythonEnv';
import { RunManager } from '../runtime/runManager';
import { makeTrainTask, TASK_TYPE, TrainTaskProvider, type TaskDeps, type TrainTaskDefinition } from './trainTask';
import { TrainingStatus } from './trainingStatus';
import { registerPreviewTrainingData } from './previewTrainingData';
import { requireTrust } from './trust';
import { UntrustedWorkspaceError } from '../runtime/trust';

export function registerTraining(context: vscode.ExtensionContext): void {
  setRuntimeDir(context.asAbsolutePath('runtime'));
  const output = vscode.window.createOutputChannel('Batchscope Training');
  const manager = new RunManager();
  const env = new PythonEnv(output);
  const dashboard = new Dashboard(context, manager, output);
  const status = new TrainingStatus(manager);
  const deps: TaskDeps = { manager, env };
  manager.on('log', (line) => output.appendLine(line));
  // A run started from tasks.json (not through the command) gets its dashboard too.
  manager.on('run', (info) => {
    if (info.active) dashboard.show(true);
  });
  manager.on('exit', (exit) => {
    const err = manager.state.error;
    if (err && !exit.stopRequested) {
      const hint = err.hint ? ` ${err.hint}` : '';
      void vscode.window
        .showErrorMessage(
          `Batchscope training failed: ${err.error_type}: ${err.message.split('\n')[0]}${hint}`,
          'Show Dashboard',
          'Show Output',
        )
        .then((pick) => {
          if (pick === 'Show Dashboard') dashboard.show();
          if (pick === 'Show Output') output.show();
        });
    }
  });

  const runTask = async (config: string, overrides?: string[]): Promise<void> => {
    if (manager.active) {
      const pick = await vscode.window.showWarningMessage(
        `Batchscope: a training run is already active (${manager.info().config}).`,
        'Stop It',
        'Show Dashboard',
      );
      if (pick === 'Stop It') manager.stop();
      if (pick === 'Show Dashboard') dashboard.show();
      return;
    }
    // Train what the user sees: save an edited config first.
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === config);
    if (doc?.isDirty) await doc.save();
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(config));
    const def: TrainTaskDefinition = { type: TASK_TYPE, config, ...(overrides?.length ? { overrides } : {}) };
    await vscode.tasks.executeTask(makeTrainTask(def, folder ?? vscode.TaskScope.Workspace, deps));
  };

  const pickConfig = async (arg: unknown): Promise<string | undefined> => {
    const argPath = arg instanceof vscode.Uri && arg.scheme === 'file' ? arg.fsPath : undefined;
    const active = vscode.window.activeTextEditor?.document.uri;
    const activePath = active?.scheme === 'file' ? active.fsPath : undefined;
    let choice = chooseConfig({ argPath, activePath });
    if (choice.kind === 'none') {
      const found = await vscode.workspace.findFiles('**/*.{yaml,yml}', '**/{node_modules,.git,.venv,.github}/**', 500);
      choice = chooseConfig({ workspaceYaml: found.map((u) => u.fsPath) });
    }
    switch (choice.kind) {
      case 'arg':
      case 'active':
        return choice.path;
      case 'none':
        void vscode.window.showErrorMessage(
          'Batchscope: no YAML training config found. Open one, or create train.yaml (see the README for the keys).',
        );
        return undefined;
      case 'pick': {
        const items = choice.candidates.map((p) => ({
          label: path.basename(p),
          description: vscode.workspace.asRelativePath(p),
          path: p,
        }));
        const picked = await vscode.window.showQuickPick(items, {
          title: 'Batchscope: training config',
          placeHolder: 'Pick the YAML config to train with',
          ignoreFocusOut: true, // the dashboard webview may be in front: see record.ts
        });
        return picked?.path;
      }
    }
  };
  registerPreviewTrainingData(context, env, pickConfig);

  context.subscriptions.push(
    output,
    env,
    dashboard,
    status,
    vscode.tasks.registerTaskProvider(TASK_TYPE, new TrainTaskProvider(deps)),
    vscode.commands.registerCommand('batchscope.startTraining', async (arg?: unknown) => {
      if (!requireTrust('Training')) return;
      const config = await pickConfig(arg);
      if (config) await runTask(config);
    }),
    vscode.commands.registerCommand('batchscope.stopTraining', () => {
      const r = manager.stop();
      if (r === 'requested')
        void vscode.window.showInformationMessage(
          'Batchscope: stopping — the run saves a checkpoint, then exits. Stop again to kill it at once.',
        );
      else if (r === 'killed')
        void vscode.window.showWarningMessage('Batchscope: training killed (no final checkpoint).');
      else void vscode.window.showInformationMessage('Batchscope: no training run is active.');
    }),
    vscode.commands.registerCommand('batchscope.resumeTraining', async (arg?: unknown) => {
      if (!requireTrust('Training')) return;
      const last = manager.options;
      if (last && !(arg instanceof vscode.Uri)) return runTask(last.config, manager.resumeOverrides());
      const config = await pickConfig(arg);
      if (config) await runTask(config, ['resume_from_checkpoint=true']);
    }),
    vscode.commands.registerCommand('batchscope.showTrainingDashboard', () => dashboard.show()),
    vscode.commands.registerCommand('batchscope.runDoctor', async () => {
      if (!requireTrust('The doctor')) return;
      const resource = vscode.window.activeTextEditor?.document.uri;
      try {
        const { python, report } = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: 'Batchscope: running doctor' },
          () => env.check('The doctor', resource, true),
        );
        const torch = report.packages.torch?.version ?? 'missing';
        const gpus = report.cuda.available
          ? `CUDA ${report.cuda.version ?? ''}, ${report.cuda.devices.map((d) => d.name).join(', ')}`
          : 'no CUDA';
        const summary = `Python ${report.python.version} (${python.path}) · torch ${torch} · ${gpus}`;
        if (report.missing.length)
          await offerInstall(
            report.missing.map((m) => m.install),
            `Batchscope doctor: ${summary}. Missing: ${report.missing.map((m) => `${m.package}${m.required ? '' : ' (optional)'}`).join(', ')}.`,
          );
        else {
          const pick = await vscode.window.showInformationMessage(
            `Batchscope doctor: ${summary}. All packages present.`,
            'Show Details',
          );
          if (pick === 'Show Details') output.show();
        }
      } catch (err) {
        if (err instanceof UntrustedWorkspaceError) return void requireTrust(err.action);
        const pick = await vscode.window.showErrorMessage(
          `Batchscope doctor: ${(err as Error).message}`,
          'Open Settings',
          'Show Output',
        );
        if (pick === 'Open Settings')
          void vscode.commands.executeCommand('workbench.action.openSettings', 'batchscope.python');
        if (pick === 'Show Output') output.show();
      }
    }),
  );
}
