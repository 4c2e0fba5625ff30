// The training status bar item (step / total · loss · ETA; click → dashboard) and the progress
// notification (cancellable: Cancel asks the run to stop gracefully). Both follow the RunManager.
import * as vscode from 'vscode';
import type { RunManager } from '../runtime/runManager';
import { percentDone, statusBarText, statusText } from '../core/training/runState';

export class TrainingStatus implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private progressDone?: () => void;
  private report?: (v: { message?: string; increment?: number }) => void;
  private lastPercent = 0;
  private readonly off: () => void;

  constructor(private readonly manager: RunManager) {
    this.item = vscode.window.createStatusBarItem('batchscope.training', vscode.StatusBarAlignment.Left, 39);
    this.item.name = 'Batchscope Training';
    this.item.command = 'batchscope.showTrainingDashboard';
    const update = () => this.update();
    const onRun = () => {
      if (manager.active) this.startProgress();
      else this.endProgress();
      this.update();
    };
    manager.on('event', update);
    manager.on('run', onRun);
    this.off = () => {
      manager.off('event', update);
      manager.off('run', onRun);
    };
  }

  private update(): void {
    const s = this.manager.state;
    if (s.phase === 'idle') {
      this.item.hide();
      return;
    }
    this.item.text = statusBarText(s);
    this.item.tooltip = `Batchscope training: ${statusText(s)}${this.manager.info().config ? `\n${this.manager.info().config}` : ''}\nClick to show the dashboard.`;
    this.item.backgroundColor =
      s.phase === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.show();
    if (this.report) {
      const pct = percentDone(s);
      this.report({ message: statusText(s), increment: Math.max(0, pct - this.lastPercent) });
      this.lastPercent = pct;
    }
  }

  private startProgress(): void {
    if (this.progressDone) return;
    this.lastPercent = 0;
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Batchscope training', cancellable: true },
      (progress, token) =>
        new Promise<void>((resolve) => {
          this.report = (v) => progress.report(v);
          this.progressDone = () => {
            this.report = undefined;
            this.progressDone = undefined;
            resolve();
          };
          token.onCancellationRequested(() => void vscode.commands.executeCommand('batchscope.stopTraining'));
          progress.report({ message: 'starting…' });
        }),
    );
  }

  private endProgress(): void {
    this.progressDone?.();
  }

  dispose(): void {
    this.off();
    this.endProgress();
    this.item.dispose();
  }
}
