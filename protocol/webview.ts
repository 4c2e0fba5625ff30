// Typed messages between the extension host (src/) and the webview panels (webview/).
// One file for all panels; each panel owns its own section. Keep messages plain JSON-serialisable.
import type { ColumnInfo, DatasetStats, ReadError, TokenChip } from '../src/core/datasets/types';
import type { ColumnSummary } from '../src/core/datasets/columnStats';
import type { SearchSnippet } from '../src/core/datasets/querySearch';
import type { CharSpan, LintFinding, TemplateErrorInfo } from '../src/core/template/types';
import type { TrainEvent } from './trainEvents';
import type { TensorStats } from '../src/core/weights/stats';
import type { CompareRow } from '../src/core/weights/compare';

// ── dataset panel ──────────────────────────────────────────────────────────────
// The host sends at most one page of rows per message (plus one selected row in full).
/** A grid cell as shown in the grid: a text preview (cut at a limit) or an image thumbnail. */
export interface DatasetCellPreview {
  text: string;
  /** The full text is longer than `text`: the grid offers "show full". */
  truncated: boolean;
  /** Thumbnail source: a `data:` URL (bytes) or a webview URI (a `path` under the dataset folder). */
  image?: string;
  /** Why an image could not be shown (too big for the grid, unknown format, path outside the folder …). */
  imageNote?: string;
}
export interface DatasetGridRow {
  index: number;
  cells: Record<string, DatasetCellPreview>;
  /** Short warnings for this row, e.g. "0 trained tokens", "input_ids 12 ≠ labels 11". */
  flags: string[];
  /** The first tokens of the id column as chips (when a tokenizer is loaded), shown in its grid cell. */
  chips?: TokenChip[];
  /** Tokenized data: input_ids length without padding, and labels ≠ −100 (src/core/datasets/queryFlags.ts). */
  tokens?: number;
  trained?: number;
  error?: ReadError;
}
export interface DatasetTokenizerInfo {
  /** tokenizer.json (or folder) in use; null when none is known. */
  path: string | null;
  source: 'setting' | 'nearby' | 'picked' | 'none';
  error?: string;
}
export interface DatasetRowDetail {
  index: number;
  /** Every cell's full text (each capped at a few MB, with `truncated` set). */
  cells: {
    column: string;
    text: string;
    truncated: boolean;
    image?: string;
    imageNote?: string;
    /** A messages / sharegpt conversation cell as turns (src/panels/dataset/conversation.ts). */
    turns?: {
      role: string;
      content: string;
      toolCalls?: string;
      /** Tokenized rows: whether the turn's tokens carry labels (src/panels/dataset/turnMarks.ts). */
      train?: 'trained' | 'masked' | 'partly';
      /** Tokens of the turn found in input_ids, and how many of them are trained. */
      tokens?: number;
      trainedTokens?: number;
    }[];
    /** The cell as JSON (the `rows --json` form), for "Copy"; absent when the row is too big. */
    json?: string;
  }[];
  /** The row as one JSON object (the `rows --json` form), for "Copy row as JSON"; absent when too big. */
  json?: string;
  flags: string[];
  error?: ReadError;
  /** Token view of the id column, when there is one. */
  tokens?: { column: string; chips: TokenChip[]; total: number; decoded: boolean };
}
export interface DatasetSearchHit {
  row: number;
  column: string;
  /** Text around the match (for the first listed hits); the panel highlights start..start+length as text. */
  snippet?: SearchSnippet;
}
/** Sort of the view: a column's value (`len(col)` for its length) or tokens / trained / chars / flags. */
export interface DatasetSortSpec {
  key: string;
  desc: boolean;
}
/** The selected tokenized row checked against the chat template (src/panels/dataset/templateCompare.ts). */
export interface DatasetTemplateCompare {
  index: number;
  /** no-source: the row keeps no conversation beside its ids; no-template: no tokenizer/template known. */
  status: 'match' | 'differs' | 'no-source' | 'no-template' | 'error';
  /** One sentence for the panel, e.g. "First differing token at position 7: expected …, found …". */
  message: string;
  /** The template file used. */
  template?: string;
  /** Tokens compared (match). */
  compared?: number;
  /** Where the first difference is (differs). */
  field?: 'input_ids' | 'labels';
  position?: number;
  expected?: string;
  found?: string;
}
export type DatasetToWebview =
  | {
      type: 'dataset/init';
      title: string;
      path: string;
      format: string;
      numRows: number;
      columns: ColumnInfo[];
      notes: string[];
      errors: ReadError[];
      pageSize: number;
      cutoffLen: number;
      tokenizer: DatasetTokenizerInfo;
      /** True for an `indices`-only cache file: the panel shows the note, not a grid of numbers. */
      indicesOnly: boolean;
    }
  /** `view`: rows of a filtered / sorted view (offset = position in it), else of the dataset. */
  | { type: 'dataset/page'; offset: number; rows: DatasetGridRow[]; errors: ReadError[]; view?: number }
  | { type: 'dataset/row'; detail: DatasetRowDetail }
  /** The tokenizer changed or finished loading: the webview drops its pages to get decoded chips. */
  | { type: 'dataset/tokenizer'; tokenizer: DatasetTokenizerInfo }
  | { type: 'dataset/searchProgress'; searchId: number; done: number; total: number }
  | { type: 'dataset/searchHits'; searchId: number; hits: DatasetSearchHit[] }
  | { type: 'dataset/searchDone'; searchId: number; count: number; cancelled: boolean; error?: string }
  | { type: 'dataset/statsProgress'; done: number; total: number }
  | { type: 'dataset/stats'; stats: DatasetStats }
  | { type: 'dataset/statsDone'; cancelled: boolean; error?: string }
  | { type: 'dataset/jump'; row: number }
  | { type: 'dataset/showStats' }
  /** Sent after `dataset/row` for a tokenized dataset (input_ids + labels). */
  | { type: 'dataset/templateCompare'; compare: DatasetTemplateCompare }
  /** Answer to `dataset/previewTemplate`: sent to the template preview, or why not (no chat shape …). */
  | { type: 'dataset/previewTemplateResult'; index: number; ok: boolean; message: string }
  /** Column header summaries (src/core/datasets/columnStats.ts), computed in the background after init. */
  | { type: 'dataset/columnStatsProgress'; done: number; total: number }
  | { type: 'dataset/columnStats'; columns: ColumnSummary[] }
  | { type: 'dataset/columnStatsDone'; cancelled: boolean; error?: string }
  /** A filter / sort run over the whole dataset: progress, then the view (count of matching rows). */
  | { type: 'dataset/queryProgress'; queryId: number; done: number; total: number; matches: number }
  | {
      type: 'dataset/queryDone';
      queryId: number;
      count: number;
      cancelled: boolean;
      error?: string;
      filter: string;
      sort?: DatasetSortSpec;
    }
  /** Answer to `dataset/locate`: the row's position in the view, or null when the view does not hold it. */
  | { type: 'dataset/located'; view: number; row: number; position: number | null }
  | { type: 'dataset/fatal'; message: string; errors: ReadError[] };
export type DatasetFromWebview =
  | { type: 'dataset/ready' }
  | { type: 'dataset/requestPage'; offset: number; limit: number; view?: number }
  /** Filter (the query.ts language; empty = every row) and optional sort; starts a new view, cancels the last run. */
  | { type: 'dataset/query'; filter: string; sort?: DatasetSortSpec }
  | { type: 'dataset/cancelQuery' }
  | { type: 'dataset/locate'; view: number; row: number }
  | { type: 'dataset/selectRow'; index: number }
  | { type: 'dataset/search'; query: string }
  | { type: 'dataset/cancelSearch' }
  | { type: 'dataset/computeStats'; cutoffLen: number }
  | { type: 'dataset/cancelStats' }
  | { type: 'dataset/selectTokenizer' }
  /** "Preview with chat template" for the selected row. */
  | { type: 'dataset/previewTemplate'; index: number };

// ── template preview panel ─────────────────────────────────────────────────────
/** Inputs the panel edits (all JSON as typed, parsed on the host so errors can name the field). */
export interface TemplateInputs {
  messagesJson: string;
  toolsJson: string;
  kwargsJson: string;
  addGenerationPrompt: boolean;
  continueFinalMessage: boolean;
  /** A named template (`default`, `tool_use` …) when the file has several; empty = transformers' choice. */
  templateName: string;
}
export interface TemplateChip {
  id: number;
  /** Token text with whitespace made visible. */
  text: string;
  special: boolean;
  trained: boolean;
}
export interface TemplatePreviewState {
  file: string;
  /** The template in use: its name when the file has several. */
  templateName?: string;
  templateNames: string[];
  inputs: TemplateInputs;
  /** Rendered text, exactly as transformers renders it (absent on error). */
  text?: string;
  /** `{% generation %}` spans (UTF-16 offsets into text). */
  spans: CharSpan[];
  /** Special-token occurrences in text (UTF-16 offsets). */
  specials: CharSpan[];
  /** Token view, when a tokenizer.json sits beside the template. */
  tokens?: { chips: TemplateChip[]; count: number; trained: number };
  tokenizerNote?: string;
  /** Where the sample came from, e.g. "row 12 of train.jsonl". */
  source?: string;
  error?: TemplateErrorInfo & { pyClass?: string };
  lint: LintFinding[];
}
export type TemplateToWebview = { type: 'template/state'; state: TemplatePreviewState };
export type TemplateFromWebview =
  | { type: 'template/ready' }
  | { type: 'template/inputs'; inputs: TemplateInputs }
  | { type: 'template/reveal'; line: number; column: number };

// ── training dashboard ─────────────────────────────────────────────────────────
// The host keeps the run's whole event history; a (re)opened panel gets it all in `training/reset`,
// then new events in batches. The panel folds them with the same reducer (src/core/training/runState.ts).
export interface TrainingRunInfo {
  /** Config file of the run, null when no run was started in this window. */
  config: string | null;
  /** True while the process is alive (Stop enabled). */
  active: boolean;
  /** A checkpoint exists to resume from (Resume enabled). */
  canResume: boolean;
}
export type TrainingToWebview =
  | { type: 'training/reset'; run: TrainingRunInfo; events: TrainEvent[] }
  | { type: 'training/events'; events: TrainEvent[] }
  | { type: 'training/run'; run: TrainingRunInfo }
  /** Output that is not an event (stderr of the runtime), shown in the log box; capped by the host. */
  | { type: 'training/log'; lines: string[] };
export type TrainingFromWebview =
  | { type: 'training/ready' }
  | { type: 'training/stop' }
  | { type: 'training/resume' }
  | { type: 'training/openCheckpoint'; path: string };

// ── safetensors viewer (and checkpoint compare, same bundle) ──────────────────
export interface SafetensorsTensorRow {
  name: string;
  dtype: string;
  shape: number[];
  bytes: number;
  /** Absolute byte offset in its file. */
  offset: number;
  /** Shard file name (base name) for sharded models. */
  file: string;
  error?: string;
}
export interface SafetensorsModelView {
  title: string;
  path: string;
  kind: 'file' | 'index' | 'folder';
  tensors: SafetensorsTensorRow[];
  metadata: Record<string, string>;
  totalBytes: number;
  shards: { file: string; size: number; headerLength: number; tensors: number }[];
  problems: ReadError[];
}
export type SafetensorsToWebview =
  | { type: 'safetensors/model'; model: SafetensorsModelView }
  | { type: 'safetensors/fatal'; message: string }
  | { type: 'safetensors/statsProgress'; name: string; done: number; total: number }
  | { type: 'safetensors/stats'; name: string; stats?: TensorStats; error?: string }
  | { type: 'safetensors/compareStart'; a: string; b: string; total: number }
  | { type: 'safetensors/compareProgress'; done: number; total: number }
  | { type: 'safetensors/compare'; a: string; b: string; rows: CompareRow[]; elapsedMs: number; cancelled: boolean };
export type SafetensorsFromWebview =
  { type: 'safetensors/ready' } | { type: 'safetensors/requestStats'; name: string } | { type: 'safetensors/cancel' };
