// A dataset already in memory: the one-record JSON file (a pretty-printed object, which `datasets`
// loads as a single row whose columns are its keys, lists included).
import { jsonType, mergeTypes } from './jsonValues';
import { makeColumns } from './roles';
import { cellColumn, type ScanChunk, type ScanColumn, type ScanOptions, type ScannableSource } from './scan';
import type { CellValue, ColumnInfo, DatasetFormat, ReadError, Row } from './types';

export class MemorySource implements ScannableSource {
  readonly numRows: number;
  readonly columns: ColumnInfo[];
  readonly notes: string[] = [];
  readonly errors: ReadError[] = [];
  readonly features = undefined;

  constructor(
    readonly path: string,
    readonly format: DatasetFormat,
    private readonly records: Record<string, CellValue>[],
  ) {
    this.numRows = records.length;
    const types = new Map<string, string>();
    for (const r of records)
      for (const [k, v] of Object.entries(r)) types.set(k, mergeTypes(types.get(k) ?? 'null', jsonType(v)));
    this.columns = makeColumns(
      [...types].map(([name, type]) => ({ name, type })),
      undefined,
    );
  }

  async readRows(offset: number, limit: number): Promise<Row[]> {
    const out: Row[] = [];
    const end = Math.min(this.numRows, Math.max(0, offset + limit));
    for (let r = Math.max(0, offset); r < end; r++) {
      const values: Record<string, CellValue> = {};
      for (const c of this.columns) values[c.name] = this.records[r][c.name] ?? null;
      out.push({ index: r, values });
    }
    return out;
  }

  async scan(columns: string[], onChunk: (chunk: ScanChunk) => void, opts: ScanOptions = {}): Promise<void> {
    const cols = new Map<string, ScanColumn>(
      columns.map((name) => [name, cellColumn(this.records.map((r) => r[name] ?? null))]),
    );
    onChunk({ rowStart: 0, numRows: this.numRows, column: (name) => cols.get(name) });
    opts.onProgress?.({ done: this.numRows, total: this.numRows });
  }

  async close(): Promise<void> {}
}
