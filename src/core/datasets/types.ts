// The contract between the dataset readers (src/data), the CLI and the dataset editor glue.
// Pure types: no vscode, no Node-only APIs, so webview code may import them too.

/** One cell as the readers hand it out: JSON-like, integers as numbers (bigint only beyond 2^53). */
export type CellValue =
  null | boolean | number | bigint | string | Uint8Array | CellValue[] | { [key: string]: CellValue };

export type DatasetFormat = 'arrow-stream' | 'arrow-file' | 'parquet' | 'jsonl' | 'json' | 'save_to_disk';

/** What a column holds for the token view. */
export type ColumnRole =
  'input_ids' | 'labels' | 'attention_mask' | 'messages' | 'text' | 'image' | 'indices' | 'other';

export interface ColumnInfo {
  name: string;
  /** Arrow-style type string, e.g. `list<int32>`, `large_list<int64>`, `struct<bytes: binary, path: string>`, `string`. */
  type: string;
  /** The column's entry in the `huggingface` schema metadata features, when present (List or Sequence form). */
  feature?: unknown;
  role: ColumnRole;
}

/** A problem found while reading. Never fatal for the rows around it. */
export interface ReadError {
  file: string;
  /** 1-based line for JSONL/JSON. */
  line?: number;
  /** Byte offset in `file` for binary formats. */
  byteOffset?: number;
  message: string;
}

export interface Row {
  /** 0-based row number in the whole dataset (across shards). */
  index: number;
  values: Record<string, CellValue>;
  /** Set when this row could not be read; `values` is then empty. */
  error?: ReadError;
}

export interface DatasetSource {
  readonly path: string;
  readonly format: DatasetFormat;
  readonly numRows: number;
  readonly columns: ColumnInfo[];
  /** Human explanations, e.g. "This cache file holds only an `indices` column written by shuffle()/select() …". */
  readonly notes: string[];
  /** Non-fatal problems found so far (bad JSONL lines, a truncated last batch …). Grows as more is read. */
  readonly errors: ReadError[];
  /** Raw HF `features` from schema metadata / dataset_info.json, if any. */
  readonly features?: unknown;
  /** Reads rows [offset, offset+limit), decoding only the batches / row groups / lines they need. */
  readRows(offset: number, limit: number, signal?: AbortSignal): Promise<Row[]>;
  close(): Promise<void>;
}

export interface ProgressInfo {
  done: number;
  total: number;
}

export interface StatsOptions {
  cutoffLen: number;
  /** Special token ids when a tokenizer is known: enables the no-EOS / double-BOS counts. */
  bosId?: number;
  eosId?: number;
  padId?: number;
  /** Token ids that end a turn (eos plus e.g. `<|im_end|>`), and template text allowed after one (e.g. "\n"). */
  endOfTurnIds?: number[];
  afterEosIds?: number[];
  onProgress?: (p: ProgressInfo) => void;
  signal?: AbortSignal;
}

export interface DatasetStats {
  rows: number;
  /** Column the lengths were measured on (`input_ids`, else the first text column in characters). */
  lengthColumn: string | null;
  lengthUnit: 'tokens' | 'characters';
  histogram: { binStart: number; binEnd: number; count: number }[];
  minLength: number;
  maxLength: number;
  meanLength: number;
  cutoffLen: number;
  atOrOverCutoff: number;
  /** Trained labels (≠ −100) / all label positions; null when there is no labels column. */
  trainedTokenRatio: number | null;
  /** Padding positions (attention_mask 0, else pad id) / all positions; null when unknown. */
  paddingFraction: number | null;
  rowsWithNoTrainedTokens: number | null;
  rowsWithLengthMismatch: number | null;
  rowsWithoutEos: number | null;
  rowsWithDoubleBos: number | null;
  errors: ReadError[];
}

export interface SearchQuery {
  /** Substring over text columns (case-insensitive). */
  text?: string;
  /** Contiguous token-id subsequence over id columns. */
  tokenIds?: number[];
  /** Restrict to one column. */
  column?: string;
}

/** One rendered token chip for the token view. */
export interface TokenChip {
  id: number;
  /** Visible text: whitespace made visible (· for space, ↵ for newline, → for tab), partial UTF-8 as <0xNN>. */
  text: string;
  special: boolean;
  /** label ≠ −100 at this position; undefined when there is no labels column. */
  trained?: boolean;
  /** attention_mask 0 at this position. */
  padding?: boolean;
}
