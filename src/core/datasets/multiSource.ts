// Several shards (save_to_disk data-0000i-of-0000N.arrow) presented as one dataset, rows numbered across shards.
import { throwIfAborted } from './errors';
import { isScannable, type ScanChunk, type ScanOptions, type ScannableSource } from './scan';
import type { ColumnInfo, DatasetFormat, DatasetSource, ReadError, Row } from './types';

export class MultiSource implements ScannableSource {
  readonly format: DatasetFormat = 'save_to_disk';
  readonly numRows: number;
  readonly columns: ColumnInfo[];
  readonly notes: string[];
  readonly features?: unknown;
  private readonly starts: number[] = [0];

  constructor(
    readonly path: string,
    private readonly shards: DatasetSource[],
    features: unknown,
    notes: string[],
    private readonly extraErrors: ReadError[] = [],
  ) {
    for (const s of shards) this.starts.push(this.starts[this.starts.length - 1] + s.numRows);
    this.numRows = this.starts[shards.length];
    this.columns = shards[0].columns;
    this.features = features ?? shards[0].features;
    this.notes = [...notes, ...shards.flatMap((s) => s.notes)];
  }

  get errors(): ReadError[] {
    return [...this.extraErrors, ...this.shards.flatMap((s) => s.errors)];
  }

  async readRows(offset: number, limit: number, signal?: AbortSignal): Promise<Row[]> {
    const end = Math.min(this.numRows, offset + limit);
    const out: Row[] = [];
    for (let i = 0; i < this.shards.length && offset < end; i++) {
      const s0 = this.starts[i];
      const s1 = this.starts[i + 1];
      if (end <= s0 || offset >= s1) continue;
      throwIfAborted(signal);
      const from = Math.max(offset, s0);
      const rows = await this.shards[i].readRows(from - s0, Math.min(end, s1) - from, signal);
      for (const r of rows) out.push({ ...r, index: r.index + s0 });
    }
    return out;
  }

  async scan(columns: string[], onChunk: (chunk: ScanChunk) => void, opts: ScanOptions = {}): Promise<void> {
    for (let i = 0; i < this.shards.length; i++) {
      const s = this.shards[i];
      const s0 = this.starts[i];
      if (!isScannable(s)) continue;
      await s.scan(columns, (c) => onChunk({ rowStart: c.rowStart + s0, numRows: c.numRows, column: c.column }), {
        signal: opts.signal,
        onProgress: (p) => opts.onProgress?.({ done: s0 + p.done, total: this.numRows }),
      });
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.close()));
  }
}
