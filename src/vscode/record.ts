// Batchscope: Record Batches — records the batches a DataLoader yields in the debugged program (after
// collate: what the model receives) to an Arrow IPC stream file, then offers it in the dataset viewer.
// The runtime side is runtime/batchscope_runtime/record; this is the command, the status bar item fed
// by the adapter's `batchscopeRecording` events, and the "open it" prompt when a recording ends.
// Launch configs and training YAMLs start recordings themselves (`record: {batches: N}`).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RecordEvent } from '../../protocol/trainEvents';

const COMMAND = 'batchscope.recordBatches';
const EVENT = 'batchscopeRecording';
const TYPE = 'batchscope';

/** The adapter's recording progress: the writer's `progress` (runtime/batchscope_runtime/record/writer.py),
 * the same fields as the training `record` event, plus the batch fields left out of the file. */
export type RecordingProgress = Omit<RecordEvent, 'type' | 'time' | 'reason'> & {
  reason?: RecordEvent['reason'] | null;
  dropped_columns?: string[];
};

const REASONS: Record<string, string> = {
  batches: 'batch limit reached',
  size: 'size cap reached',
  stopped: 'stopped',
  error: 'failed',
};

export function progressText(p: RecordingProgress): string {
  const mb = (p.bytes / 1048576).toFixed(1);
  const of = p.limit_batches ? `/${p.limit_batches}` : '';
  if (!p.done) return `Recording batches ${p.batches}${of} · ${mb} MB`;
  const why = REASONS[p.reason ?? ''] ?? p.reason ?? '';
  return `Recorded ${p.batches} batch${p.batches === 1 ? '' : 'es'} (${mb} MB) to ${path.basename(p.path)}${why ? ` (${why})` : ''}${p.error ? `: ${p.error}` : ''}`;
}

export function registerRecord(context: vscode.ExtensionContext): void {
  const status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 40);
  status.command = COMMAND;
  /** Sessions with a recording running (their latest progress). */
  const running = new Map<string, RecordingProgress>();

  const onProgress = (session: vscode.DebugSession, p: RecordingProgress): void => {
    if (!p.done) {
      running.set(session.id, p);
      status.text = `$(record) ${progressText(p)}`;
      status.tooltip = `${p.path}\nClick to stop recording`;
      status.show();
      return;
    }
    running.delete(session.id);
    status.hide();
    const text = `Batchscope: ${progressText(p)}`;
    if (!p.batches) {
      void vscode.window.showWarningMessage(text);
      return;
    }
    void vscode.window.showInformationMessage(text, 'Open in Dataset Viewer').then((choice) => {
      if (choice) void vscode.commands.executeCommand('batchscope.openDataset', vscode.Uri.file(p.path));
    });
  };

  const command = async (): Promise<void> => {
    const session = pickSession();
    if (!session) {
      void vscode.window.showInformationMessage(
        'Batchscope: Record Batches works in a Batchscope debug session (launch or attach). ' +
          'For a training run, add `record: {batches: 100}` to the training YAML; in launch.json, `"record": {"batches": 100}`.',
      );
      return;
    }
    if (running.has(session.id)) {
      const stop = await vscode.window.showInformationMessage(
        `Batchscope: ${progressText(running.get(session.id)!)}`,
        'Stop Recording',
      );
      if (stop) await request(session, { stop: true });
      return;
    }
    const answer = await vscode.window.showInputBox({
      title: 'Batchscope: Record Batches',
      prompt: 'How many of the next batches to record (each as the model receives it, into an .arrow file)',
      value: '100',
      // A palette choice returns focus to a webview editor (the dataset viewer) asynchronously, after
      // this box has opened; without this the box closes on that blur (microsoft/vscode#93950).
      ignoreFocusOut: true,
      validateInput: (v) => (/^\s*[1-9]\d*\s*$/.test(v) ? undefined : 'a whole number of batches, 1 or more'),
    });
    if (answer === undefined) return;
    const cwd = session.configuration.cwd as string | undefined;
    const args: Record<string, unknown> = { batches: Number(answer.trim()) };
    const folder = cwd ?? session.workspaceFolder?.uri.fsPath;
    if (folder) args.path = path.join(folder, `batchscope-batches-${stamp()}.arrow`);
    const body = await request(session, args);
    if (body) onProgress(session, body as unknown as RecordingProgress);
  };

  context.subscriptions.push(
    status,
    vscode.commands.registerCommand(COMMAND, command),
    vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
      if (e.session.type === TYPE && e.event === EVENT && e.body) onProgress(e.session, e.body as RecordingProgress);
    }),
    vscode.debug.onDidTerminateDebugSession((s) => {
      if (running.delete(s.id) && running.size === 0) status.hide();
    }),
  );
}

function pickSession(): vscode.DebugSession | undefined {
  const active = vscode.debug.activeDebugSession;
  if (active?.type === TYPE) return active;
  return undefined;
}

async function request(
  session: vscode.DebugSession,
  args: Record<string, unknown>,
): Promise<Record<string, unknown> | undefined> {
  try {
    return (await session.customRequest('recordBatches', args)) as Record<string, unknown>;
  } catch (err) {
    void vscode.window.showErrorMessage(`Batchscope: ${(err as Error).message}`);
    return undefined;
  }
}

function stamp(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}
