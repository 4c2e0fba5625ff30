// The training dashboard panel (`batchscope.trainingDashboard`). No retainContextWhenHidden: the
// RunManager keeps the event history and every (re)opened or restored panel gets it replayed; after
// a window reload the serializer restores the panel and rebuilds the history from
// output_dir/trainer_log.jsonl (the panel's saved state names the config and output_dir).
import * as vscode from 'vscode';
import type { TrainingFromWebview, TrainingToWebview } from '../../protocol/webview';
import type { TrainEvent } from '../runtime';
import type { RunManager } from '../runtime/runManager';
import { panelHtml } from '../panels/shell';

export const DASHBOARD_VIEW_TYPE = 'batchscope.trainingDashboard';
/** Events are posted in batches at most this often, so a fast run does not flood the webview. */
const FLUSH_MS = 100;

/** What the webview saves with vscode.setState, handed back to the serializer after a reload. */
export interface DashboardState {
  config?: string | null;
  outputDir?: string | null;
}

export class Dashboard implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private pending: TrainEvent[] = [];
  private timer?: NodeJS.Timeout;
  private ready = false;
  private readonly subs: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly manager: RunManager,
    private readonly output: vscode.OutputChannel,
  ) {
    const onEvent = (ev: TrainEvent) => this.queue(ev);
    const onRun = () => this.post({ type: 'training/run', run: manager.info() });
    const onLog = (line: string) => this.post({ type: 'training/log', lines: [line] });
    manager.on('event', onEvent);
    manager.on('run', onRun);
    manager.on('log', onLog);
    this.subs.push({ dispose: () => { manager.off('event', onEvent); manager.off('run', onRun); manager.off('log', onLog); } });
    this.subs.push(vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, { deserializeWebviewPanel: (panel, state) => this.restore(panel, state as DashboardState | undefined) }));
  }

  show(preserveFocus = false): void {
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      return;
    }
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'Training', { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, this.options());
    this.attach(panel);
  }

  private options(): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview')] };
  }

  private async restore(panel: vscode.WebviewPanel, state: DashboardState | undefined): Promise<void> {
    panel.webview.options = this.options();
    if (state?.outputDir && !this.manager.active && !this.manager.events().length) {
      try {
        const n = await this.manager.restoreFromLog(state.config ?? null, state.outputDir);
        this.output.appendLine(`dashboard restored ${n} events from ${state.outputDir}/trainer_log.jsonl`);
      } catch (err) {
        this.output.appendLine(`dashboard: could not read ${state.outputDir}/trainer_log.jsonl: ${(err as Error).message}`);
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
    this.ready = false;
    const root = vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview');
    panel.webview.html = panelHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(root, 'training.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(root, 'training.css')).toString(),
      title: 'Training',
      body: DASHBOARD_BODY,
    });
    const subs: vscode.Disposable[] = [];
    subs.push(
      panel.webview.onDidReceiveMessage((m: TrainingFromWebview) => this.onMessage(m)),
      // Hidden panels lose their DOM (no retainContextWhenHidden); on becoming visible the webview
      // reloads and sends training/ready again, which replays the history.
      panel.onDidDispose(() => {
        subs.forEach((d) => d.dispose());
        if (this.panel === panel) this.panel = undefined;
        this.ready = false;
      }),
    );
  }

  private onMessage(m: TrainingFromWebview): void {
    switch (m.type) {
      case 'training/ready':
        this.ready = true;
        this.pending = [];
        this.post({ type: 'training/reset', run: this.manager.info(), events: [...this.manager.events()] });
        if (this.manager.log().length) this.post({ type: 'training/log', lines: [...this.manager.log()] });
        break;
      case 'training/stop':
        void vscode.commands.executeCommand('batchscope.stopTraining');
        break;
      case 'training/resume':
        void vscode.commands.executeCommand('batchscope.resumeTraining');
        break;
      case 'training/openCheckpoint':
        void vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(m.path)).then(undefined, () => undefined);
        break;
    }
  }

  private queue(ev: TrainEvent): void {
    // A hidden panel has no DOM; it replays the whole history when it becomes visible again.
    if (!this.panel || !this.ready || !this.panel.visible) return;
    this.pending.push(ev);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const events = this.pending;
      this.pending = [];
      if (events.length) this.post({ type: 'training/events', events });
    }, FLUSH_MS);
  }

  private post(msg: TrainingToWebview): void {
    if (this.panel && this.ready) void this.panel.webview.postMessage(msg);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.subs.forEach((d) => d.dispose());
    this.panel?.dispose();
  }
}

// Static markup only; every dynamic value is set by the webview with textContent.
const DASHBOARD_BODY = `
<header class="bar">
  <div id="status" class="status">no run</div>
  <div class="buttons">
    <vscode-button id="stop-button" secondary disabled>Stop</vscode-button>
    <vscode-button id="resume-button" secondary disabled>Resume</vscode-button>
  </div>
</header>
<div id="config" class="muted"></div>
<div id="error-box" class="error" hidden></div>
<section class="grid">
  <div class="card"><h3>Loss <span class="muted">(<span id="points-count">0</span> points)</span></h3><div id="loss-chart" class="chart"></div></div>
  <div class="card"><h3>Learning rate</h3><div id="lr-chart" class="chart"></div></div>
  <div class="card"><h3>Throughput <span id="throughput" class="value">—</span></h3><div id="throughput-chart" class="chart"></div></div>
  <div class="card"><h3>Data wait vs compute <span id="data-wait" class="value">—</span></h3><div id="time-chart" class="chart"></div></div>
  <div class="card"><h3>GPU memory <span id="gpu-memory" class="value">—</span></h3><div id="memory-chart" class="chart"></div></div>
  <div class="card"><h3>Checkpoints</h3><ul id="checkpoints" class="list"></ul><h3>Warnings</h3><ul id="warnings" class="list"></ul></div>
</section>
<details id="log-box"><summary>Runtime output</summary><pre id="log"></pre></details>
`;
