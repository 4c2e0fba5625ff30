// Batchscope: Preview Training Data — the first N samples of a training YAML exactly as its engine will
// feed them (token texts, labels, trained tokens, truncated or not, and the counts of truncated/dropped
// samples), written by the runtime's `preview` command to a JSONL file that opens in the dataset viewer.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { previewTrainingData } from '../runtime/training';
import type { PythonEnv } from './pythonEnv';
import { requireTrust } from './trust';

const COMMAND = 'batchscope.previewTrainingData';
const SAMPLES = 50;

export function registerPreviewTrainingData(
  context: vscode.ExtensionContext,
  env: PythonEnv,
  pickConfig: (arg: unknown) => Promise<string | undefined>,
): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(COMMAND, async (arg?: unknown) => {
      if (!requireTrust('Preview Training Data')) return;
      const config = await pickConfig(arg);
      if (!config) return;
      const check = await env.requireForTraining(vscode.Uri.file(config));
      if (!check) return;
      const out = path.join(
        os.tmpdir(),
        `batchscope-preview-${path.basename(config, path.extname(config))}-${process.pid}.jsonl`,
      );
      const result = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Batchscope: encoding the first ${SAMPLES} samples of ${path.basename(config)}`,
        },
        () => previewTrainingData({ python: check.python.path, config, n: SAMPLES, out }),
      );
      if (result.code !== 0) {
        const line =
          result.stderr.split('\n').find((l) => l.startsWith('batchscope: error:')) ??
          result.stderr.trim().split('\n').pop() ??
          'failed';
        void vscode.window.showErrorMessage(`Batchscope: Preview Training Data: ${line}`);
        return;
      }
      await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(out), 'batchscope.datasetText');
    }),
  );
}
