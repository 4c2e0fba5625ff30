// The training dashboard panel, host side: replays the RunManager's history to a (re)loaded
// webview, then forwards new events in batches, run changes and runtime output; the webview's
// buttons come back as stop/resume/open-checkpoint requests. No vscode import: the glue
// (src/vscode/trainingDashboard.ts) hands in `post`, the panel's visibility and the commands.
import type { TrainingFromWebview, TrainingToWebview } from '../../../protocol/webview';
import type { TrainEvent } from '../../../protocol/trainEvents';
import type { RunManager } from '../../runtime/runManager';

/** Events are posted in batches at most this often, so a fast run does not flood the webview. */
export const FLUSH_MS = 100;

/** What the webview saves with vscode.setState, handed back to the serializer after a reload. */
export interface DashboardState {
  config?: string | null;
  outputDir?: string | null;
}

export interface TrainingDashboardOptions {
  manager: RunManager;
  post(msg: TrainingToWebview): unknown;
  /** False while the panel is hidden: it has no DOM then, and replays everything when shown. */
  isVisible?(): boolean;
  /** The Stop / Resume buttons (the glue runs the same commands as the palette). */
  stop(): unknown;
  resume(): unknown;
  /** A checkpoint in the list was clicked. */
  openCheckpoint(path: string): unknown;
}

export class TrainingDashboardSession {
  private pending: TrainEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private ready = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly opts: TrainingDashboardOptions) {
    const { manager } = opts;
    const onEvent = (ev: TrainEvent) => this.queue(ev);
    const onRun = () => this.post({ type: 'training/run', run: manager.info() });
    const onLog = (line: string) => this.post({ type: 'training/log', lines: [line] });
    manager.on('event', onEvent);
    manager.on('run', onRun);
    manager.on('log', onLog);
    this.unsubscribe = () => {
      manager.off('event', onEvent);
      manager.off('run', onRun);
      manager.off('log', onLog);
    };
  }

  onMessage(m: TrainingFromWebview): void {
    const { manager } = this.opts;
    switch (m.type) {
      case 'training/ready':
        // Sent on every (re)load of the webview, also after it was hidden: replay the whole history.
        this.ready = true;
        this.pending = [];
        this.post({ type: 'training/reset', run: manager.info(), events: [...manager.events()] });
        if (manager.log().length) this.post({ type: 'training/log', lines: [...manager.log()] });
        break;
      case 'training/stop':
        void this.opts.stop();
        break;
      case 'training/resume':
        void this.opts.resume();
        break;
      case 'training/openCheckpoint':
        if (typeof m.path === 'string') void this.opts.openCheckpoint(m.path);
        break;
    }
  }

  /** Posts the events waiting for the next batch now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const events = this.pending;
    this.pending = [];
    if (events.length) this.post({ type: 'training/events', events });
  }

  private queue(ev: TrainEvent): void {
    // A hidden panel has no DOM; it replays the whole history when it becomes visible again.
    if (!this.ready || !(this.opts.isVisible?.() ?? true)) return;
    this.pending.push(ev);
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private post(msg: TrainingToWebview): void {
    if (this.ready) void this.opts.post(msg);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.ready = false;
    this.unsubscribe();
  }
}
