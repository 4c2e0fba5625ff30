// Damaged shards of a save_to_disk folder keep every later row at its true number: a shard that
// cannot be opened, or whose stream stops early, is padded to the row count it should have, and the
// missing rows are error rows ("a marked gap"). The count comes from dataset_info.json's split size
// and the way `save_to_disk` cuts shards (contiguous, sizes differing by at most one), trusted only
// when every intact shard has exactly the size that rule gives it.
import { isScannable, type ScanChunk, type ScanOptions, type ScannableSource } from './scan';
import type { DatasetSource, ReadError, Row } from './types';

/** Row counts of k contiguous shards of n rows, as `datasets` makes them (Dataset.shard(contiguous=True)). */
export function contiguousShardSizes(n: number, k: number): number[] {
  const div = Math.floor(n / k);
  const mod = n % k;
  return Array.from({ length: k }, (_, i) => div + (i < mod ? 1 : 0));
}

/**
 * The expected size of each shard (undefined where it cannot be known for sure). With the split's row
 * count: the contiguous rule, if every intact shard fits it. Without: shard sizes never grow along the
 * list and differ by at most one, so a damaged shard between two intact ones of equal size has that size.
 */
export function expectedShardSizes(
  total: number | undefined,
  actual: (number | undefined)[],
  damaged: boolean[],
): (number | undefined)[] {
  const k = actual.length;
  if (total !== undefined && Number.isSafeInteger(total) && total >= 0 && k) {
    const sizes = contiguousShardSizes(total, k);
    if (actual.every((n, i) => (damaged[i] ? (n ?? 0) <= sizes[i] : n === sizes[i]))) return sizes;
  }
  return actual.map((n, i) => {
    if (!damaged[i]) return n;
    let before: number | undefined;
    let after: number | undefined;
    for (let j = i - 1; j >= 0 && before === undefined; j--) if (!damaged[j]) before = actual[j];
    for (let j = i + 1; j < k && after === undefined; j++) if (!damaged[j]) after = actual[j];
    return before !== undefined && before === after && (n ?? 0) <= before ? before : undefined;
  });
}

/** A shard seen through its expected size: rows past what it holds are error rows. */
export class PaddedShard implements ScannableSource {
  readonly format;
  readonly columns;
  readonly notes: string[];
  readonly features;

  constructor(
    private readonly inner: DatasetSource | undefined,
    readonly path: string,
    readonly numRows: number,
    private readonly gap: ReadError,
    template: DatasetSource,
  ) {
    this.format = template.format;
    this.columns = template.columns;
    this.features = template.features;
    this.notes = inner?.notes ?? [];
  }

  get errors(): ReadError[] {
    const own = this.inner?.errors ?? [];
    return own.length ? own : [this.gap];
  }

  async readRows(offset: number, limit: number, signal?: AbortSignal): Promise<Row[]> {
    const end = Math.min(this.numRows, offset + limit);
    const have = this.inner?.numRows ?? 0;
    const rows: Row[] =
      offset < have && this.inner ? await this.inner.readRows(offset, Math.min(end, have) - offset, signal) : [];
    for (let r = Math.max(offset, have); r < end; r++) rows.push({ index: r, values: {}, error: this.gap });
    return rows;
  }

  async scan(columns: string[], onChunk: (chunk: ScanChunk) => void, opts?: ScanOptions): Promise<void> {
    if (this.inner && isScannable(this.inner)) await this.inner.scan(columns, onChunk, opts);
  }

  async close(): Promise<void> {
    await this.inner?.close();
  }
}
