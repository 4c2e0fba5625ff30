// The training dashboard panel (`batchscope.trainingDashboard`), glue: one panel at a time, each
// wired to a vscode-free TrainingDashboardSession (src/panels/training/session.ts). No
// retainContextWhenHidden: the RunManager keeps the event history and every (re)opened or restored
// panel gets it replayed; after a window reload the serializer restores the panel and rebuilds the
// history from output_dir/trainer_log.jsonl (the panel's saved state names the config and output_dir).
import * as vscode from 'vscode';
import type { TrainingFromWebview, TrainingToWebview } from '../../protocol/webview';
import type { RunManager } from '../runtime/runManager';
import { DASHBOARD_BODY, DASHBOARD_TITLE } from '../panels/training/markup';
import { TrainingDashboardSession, type DashboardState } from '../panels/training/session';
import { connectSession, setPanelShell, webviewPoster } from './panelHost';

export const DASHBOARD_VIEW_TYPE = 'batchscope.trainingDashboard';
export type { DashboardState } from '../panels/training/session';

export class Dashboard implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private readonly subs: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly manager: RunManager,
    private readonly output: vscode.OutputChannel,
  ) {
    this.subs.push(
      vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
        deserializeWebviewPanel: (panel, state) => this.restore(panel, state as DashboardState | undefined),
      }),
    );
  }

  show(preserveFocus = false): void {
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      DASHBOARD_VIEW_TYPE,
      DASHBOARD_TITLE,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
      { enableScripts: true },
    );
    this.attach(panel);
  }

  private async restore(panel: vscode.WebviewPanel, state: DashboardState | undefined): Promise<void> {
    if (state?.outputDir && !this.manager.active && !this.manager.events().length) {
      try {
        const n = await this.manager.restoreFromLog(state.config ?? null, state.outputDir);
        this.output.appendLine(`dashboard restored ${n} events from ${state.outputDir}/trainer_log.jsonl`);
      } catch (err) {
        this.output.appendLine(
          `dashboard: could not read ${state.outputDir}/trainer_log.jsonl: ${(err as Error).message}`,
        );
      }
    }
    if (this.panel) {
      // Two restored panels of one type: keep one.
      panel.dispose();
      return;
    }
    this.attach(panel);
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    setPanelShell(panel.webview, this.context.extensionUri, {
      bundle: 'training',
      title: DASHBOARD_TITLE,
      body: DASHBOARD_BODY,
    });
    const session = new TrainingDashboardSession({
      manager: this.manager,
      post: webviewPoster<TrainingToWebview>(panel.webview),
      isVisible: () => panel.visible,
      stop: () => vscode.commands.executeCommand('batchscope.stopTraining'),
      resume: () => vscode.commands.executeCommand('batchscope.resumeTraining'),
      openCheckpoint: (path) =>
        vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(path)).then(undefined, () => undefined),
    });
    connectSession<TrainingFromWebview>(panel, session, 'training/', () => {
      if (this.panel === panel) this.panel = undefined;
    });
  }

  dispose(): void {
    this.subs.forEach((d) => d.dispose());
    this.panel?.dispose();
  }
}
