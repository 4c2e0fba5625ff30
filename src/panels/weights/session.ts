// One safetensors panel, host side: the read-only model viewer (custom editor) or a checkpoint
// compare. The header is read once (only its bytes); statistics are computed on request, one tensor
// at a time, reading only that tensor's byte range; everything stops on dispose. No vscode import:
// the glue (src/vscode/weights.ts) hands in `post` and routes the webview's messages to onMessage.
import type { SafetensorsFromWebview, SafetensorsToWebview } from '../../../protocol/webview';
import { compareModels, sortCompareRows } from '../../core/weights/compare';
import { openSafetensorsModel, type SafetensorsModel } from '../../core/weights/model';
import { tensorStats } from '../../core/weights/stats';
import { modelView } from './view';

export type SessionMode = { kind: 'model'; path: string } | { kind: 'compare'; a: string; b: string };

/** Progress messages are posted at most this often. */
const PROGRESS_MS = 150;

export interface SafetensorsSessionOptions {
  mode: SessionMode;
  post(msg: SafetensorsToWebview): unknown;
}

export class SafetensorsSession {
  private model?: SafetensorsModel;
  private abort = new AbortController();
  private queue: Promise<void> = Promise.resolve();
  private disposed = false;
  private readonly mode: SessionMode;

  constructor(private readonly opts: SafetensorsSessionOptions) {
    this.mode = opts.mode;
  }

  /** The panel's title. */
  get title(): string {
    return this.mode.kind === 'model' ? 'Model weights' : 'Compare checkpoints';
  }

  private post(m: SafetensorsToWebview): void {
    if (!this.disposed) void this.opts.post(m);
  }

  /**
   * Handles one webview message. The returned promise settles when the work it started is done
   * (tests await it; the glue does not).
   */
  onMessage(m: SafetensorsFromWebview): Promise<void> {
    switch (m.type) {
      case 'safetensors/ready':
        // A webview reload (hidden and shown again) asks again: answer from what we have.
        return this.mode.kind === 'model' ? this.loadModel() : this.runCompare();
      case 'safetensors/requestStats':
        this.queue = this.queue.then(() => this.stats(m.name));
        return this.queue;
      case 'safetensors/cancel':
        this.abort.abort();
        this.abort = new AbortController();
        return Promise.resolve();
      default:
        return Promise.resolve();
    }
  }

  /** The panel closed: stop reading, post nothing more. */
  dispose(): void {
    this.disposed = true;
    this.abort.abort();
  }

  private async loadModel(): Promise<void> {
    if (this.mode.kind !== 'model') return;
    try {
      this.model ??= await openSafetensorsModel(this.mode.path);
      this.post({ type: 'safetensors/model', model: modelView(this.model) });
    } catch (err) {
      // SafetensorsError messages already name the file and the byte offset.
      this.post({ type: 'safetensors/fatal', message: (err as Error).message });
    }
  }

  private async stats(name: string): Promise<void> {
    const tensor = this.model?.tensors.find((t) => t.name === name);
    if (!tensor) return this.post({ type: 'safetensors/stats', name, error: `no tensor named "${name}"` });
    let last = 0;
    try {
      const stats = await tensorStats(tensor, {
        signal: this.abort.signal,
        onProgress: (done, total) => {
          const now = Date.now();
          if (now - last >= PROGRESS_MS) {
            last = now;
            this.post({ type: 'safetensors/statsProgress', name, done, total });
          }
        },
      });
      this.post({ type: 'safetensors/stats', name, stats });
    } catch (err) {
      this.post({ type: 'safetensors/stats', name, error: (err as Error).message });
    }
  }

  private compareDone?: SafetensorsToWebview;

  private async runCompare(): Promise<void> {
    if (this.mode.kind !== 'compare') return;
    if (this.compareDone) return this.post(this.compareDone);
    const { a, b } = this.mode;
    const t0 = Date.now();
    try {
      const [ma, mb] = await Promise.all([openSafetensorsModel(a), openSafetensorsModel(b)]);
      const names = new Set(mb.tensors.map((t) => t.name));
      const total = ma.tensors.filter((t) => names.has(t.name)).length;
      this.post({ type: 'safetensors/compareStart', a, b, total });
      let last = 0;
      const signal = this.abort.signal;
      const rows = await compareModels(ma, mb, {
        signal,
        onProgress: (done, n) => {
          const now = Date.now();
          if (now - last >= PROGRESS_MS || done === n) {
            last = now;
            this.post({ type: 'safetensors/compareProgress', done, total: n });
          }
        },
      }).catch((err) => {
        if (signal.aborted) return null;
        throw err;
      });
      const problems = [...ma.problems, ...mb.problems].map(
        (p) => `${p.file}${p.byteOffset !== undefined ? ` (byte ${p.byteOffset})` : ''}: ${p.message}`,
      );
      if (problems.length)
        rows?.unshift(
          ...problems.map((message) => ({ name: '(file problem)', status: 'error' as const, error: message })),
        );
      this.compareDone = {
        type: 'safetensors/compare',
        a,
        b,
        rows: sortCompareRows(rows ?? []),
        elapsedMs: Date.now() - t0,
        cancelled: rows === null,
      };
      this.post(this.compareDone);
    } catch (err) {
      this.post({ type: 'safetensors/fatal', message: (err as Error).message });
    }
  }
}
