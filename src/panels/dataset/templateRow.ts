// A dataset row on its way to the chat template: the chat fields of the row as plain JSON, the
// LLaMA-Factory dataset_info.json entry that names the dataset (beside it or one folder up), and the
// template that goes with the panel's tokenizer. No vscode import: unit-tested against the fixtures.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { CellValue, ColumnInfo } from '../../core/datasets/types';
import { rowToMessages, type DatasetInfoEntry, type RowMessages } from '../../core/template/rowToMessages';

/** Column roles that never hold a conversation: dropped before mapping (and before a command argument). */
const NOT_CHAT = new Set<ColumnInfo['role']>(['input_ids', 'labels', 'attention_mask', 'indices']);

export interface FoundDatasetInfo {
  /** The dataset_info.json file. */
  file: string;
  /** The entry's key (the dataset name LLaMA-Factory uses). */
  name: string;
  entry: DatasetInfoEntry;
}

export interface DatasetInfoLookup {
  found?: FoundDatasetInfo;
  /** A dataset_info.json that could not be read (named, with the reason). */
  problem?: string;
}

/** JSON-safe copy of a cell: bigint beyond 2^53 → decimal string, bytes → a short marker. */
export function plainValue(v: CellValue): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  if (Array.isArray(v)) return v.map(plainValue);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = plainValue(x);
    return out;
  }
  return v;
}

/** The row's fields that may hold a conversation, as plain JSON (token id columns left out). */
export function chatFields(values: Record<string, CellValue>, columns: ColumnInfo[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of columns) {
    if (NOT_CHAT.has(c.role) || !(c.name in values)) continue;
    out[c.name] = plainValue(values[c.name]);
  }
  return out;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function names(entryPath: string, datasetPath: string): boolean {
  if (entryPath === datasetPath) return true;
  // LLaMA-Factory's file_name may be a folder of data files.
  const rel = relative(entryPath, datasetPath);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && isDir(entryPath);
}

/**
 * The LLaMA-Factory dataset_info.json entry whose `file_name` names this dataset, looked for beside it and
 * one folder up (where LLaMA-Factory's `dataset_dir` usually is). Other dataset_info.json files, such as the
 * one `datasets` writes into a cache or save_to_disk folder, name no file and are passed over.
 */
export function findDatasetInfoEntry(datasetPath: string): DatasetInfoLookup {
  const target = resolve(datasetPath);
  const first = dirname(target);
  const dirs = [first, dirname(first)].filter((d, i, a) => a.indexOf(d) === i);
  let problem: string | undefined;
  for (const dir of dirs) {
    const file = join(dir, 'dataset_info.json');
    if (!existsSync(file)) continue;
    let info: unknown;
    try {
      info = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      problem ??= `${file}: not valid JSON (${(e as Error).message}); the row's format is guessed from its fields`;
      continue;
    }
    if (!info || typeof info !== 'object' || Array.isArray(info)) continue;
    for (const [name, raw] of Object.entries(info as Record<string, unknown>)) {
      if (!raw || typeof raw !== 'object') continue;
      const e = raw as Record<string, unknown>;
      if (typeof e.file_name !== 'string' || !names(resolve(dir, e.file_name), target)) continue;
      const entry: DatasetInfoEntry = {};
      if (typeof e.formatting === 'string') entry.formatting = e.formatting;
      if (e.columns && typeof e.columns === 'object') entry.columns = e.columns as Record<string, string>;
      if (e.tags && typeof e.tags === 'object') entry.tags = e.tags as Record<string, string>;
      return { found: { file, name, entry }, ...(problem ? { problem } : {}) };
    }
  }
  return problem ? { problem } : {};
}

export type ChatShape = { ok: true; mapped: RowMessages } | { ok: false; reason: string };

/** Whether the row maps to messages, and why not (naming the columns it has) when it does not. */
export function chatShape(
  fields: Record<string, unknown>,
  entry: DatasetInfoEntry | undefined,
  allColumns: string[],
): ChatShape {
  if (!Object.keys(fields).length)
    return { ok: false, reason: `it holds only token columns (${allColumns.join(', ')}), not the source conversation` };
  try {
    const mapped = rowToMessages(fields, entry);
    if (!mapped.messages.length) return { ok: false, reason: 'it maps to no messages' };
    return { ok: true, mapped };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

/** The chat template that goes with a tokenizer.json: its folder's tokenizer_config.json / chat_template.jinja. */
export function templateBesideTokenizer(tokenizerPath: string | null): string | null {
  if (!tokenizerPath) return null;
  const dir = tokenizerPath.endsWith('.json') ? dirname(tokenizerPath) : tokenizerPath;
  for (const name of ['tokenizer_config.json', 'chat_template.jinja', 'chat_template.json']) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return null;
}

/** What the panel hands to `batchscope.previewChatTemplate` (the glue turns templatePath into a URI). */
export interface TemplatePreviewRequest {
  row: Record<string, unknown>;
  datasetInfoEntry?: DatasetInfoEntry;
  datasetPath: string;
  rowIndex: number;
  templatePath?: string;
}
