// Filtered / sorted views of the dataset panel, host side. A query runs over the whole dataset in the
// background (queryRun.ts: chunked, progress, cancelled by the next query or the panel closing) and
// leaves a view: the matching row numbers in order. The grid pages through the view by position; this
// maps positions to row numbers and rows to positions. No vscode import: tested with node:test.
import type { DatasetSortSpec, DatasetToWebview } from '../../../protocol/webview';
import { parseFilter, parseSortKey, type QueryExpr, type QuerySort } from '../../core/datasets/query';
import type { FlagRules } from '../../core/datasets/queryFlags';
import { queryContext } from '../../core/datasets/queryEval';
import { runQuery } from '../../core/datasets/queryRun';
import type { DatasetSource } from '../../core/datasets/types';

export interface ViewDeps {
  post(msg: DatasetToWebview): void;
  /** Aborts with the panel. */
  signal: AbortSignal;
  /** Special ids and EOS rule of the loaded tokenizer (waits for it), for the flags. */
  rules(): Promise<FlagRules>;
}

export class DatasetViews {
  private running: { id: number; abort: AbortController } | undefined;
  private counter = 0;
  private view: { id: number; rows: Uint32Array } | undefined;

  constructor(private readonly deps: ViewDeps) {}

  /** Starts a query (cancelling the one running). An empty filter with no sort is the whole dataset. */
  async start(src: DatasetSource, filter: string, sortSpec?: DatasetSortSpec): Promise<void> {
    this.running?.abort.abort();
    const id = ++this.counter;
    const names = src.columns.map((c) => c.name);
    const done = (m: { count: number; cancelled: boolean; error?: string }): void =>
      this.deps.post({ type: 'dataset/queryDone', queryId: id, filter, ...(sortSpec ? { sort: sortSpec } : {}), ...m });
    let expr: QueryExpr | undefined;
    let sort: QuerySort | undefined;
    try {
      if (filter.trim()) expr = parseFilter(filter, names);
      if (sortSpec) sort = { key: parseSortKey(sortSpec.key, names), desc: !!sortSpec.desc };
    } catch (err) {
      done({ count: 0, cancelled: false, error: (err as Error).message });
      return;
    }
    if (!expr && !sort) {
      this.view = undefined;
      done({ count: src.numRows, cancelled: false });
      return;
    }
    const abort = new AbortController();
    const onDispose = (): void => abort.abort();
    this.deps.signal.addEventListener('abort', onDispose, { once: true });
    this.running = { id, abort };
    try {
      const ctx = queryContext(src.columns, await this.deps.rules());
      const result = await runQuery(src, ctx, {
        filter: expr,
        sort,
        signal: abort.signal,
        onProgress: (p) =>
          this.deps.post({
            type: 'dataset/queryProgress',
            queryId: id,
            done: p.done,
            total: p.total,
            matches: p.matches,
          }),
      });
      if (abort.signal.aborted) throw new Error('cancelled');
      this.view = { id, rows: result.rows };
      done({ count: result.rows.length, cancelled: false });
    } catch (err) {
      const cancelled = abort.signal.aborted || (err instanceof Error && err.name === 'AbortError');
      done({ count: 0, cancelled, ...(cancelled ? {} : { error: (err as Error).message }) });
    } finally {
      this.deps.signal.removeEventListener('abort', onDispose);
      if (this.running?.id === id) this.running = undefined;
    }
  }

  cancel(): void {
    this.running?.abort.abort();
  }

  /** Row numbers at view positions [start, start+count), or null when `viewId` is not the current view. */
  rowsAt(viewId: number, start: number, count: number): { start: number; rows: number[] } | null {
    const v = this.view;
    if (!v || v.id !== viewId) return null;
    const s = Math.max(0, Math.min(v.rows.length, Math.floor(start)));
    const e = Math.max(s, Math.min(v.rows.length, s + Math.floor(count)));
    return { start: s, rows: Array.from(v.rows.subarray(s, e)) };
  }

  /** Position of `row` in the view, null when the view does not hold it (or is not current). */
  locate(viewId: number, row: number): number | null {
    const v = this.view;
    if (!v || v.id !== viewId) return null;
    const i = v.rows.indexOf(row);
    return i >= 0 ? i : null;
  }

  get current(): { id: number; count: number } | undefined {
    return this.view ? { id: this.view.id, count: this.view.rows.length } : undefined;
  }
}
