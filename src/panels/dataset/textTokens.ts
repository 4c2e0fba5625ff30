// Statistics of untokenized datasets in tokens: each row's conversation rendered with the chat template
// beside the tokenizer and tokenized as apply_chat_template(tokenize=True) does (no special tokens added:
// the template owns BOS), or, without a template, the text column tokenized as `tokenizer(text)` does.
// Without a tokenizer the panel keeps stats.ts's character lengths. No vscode import: unit-tested.
import { basename } from 'node:path';
import { throwIfAborted } from '../../core/datasets/errors';
import { cellColumn, type ScanChunk } from '../../core/datasets/scan';
import type { CellValue, DatasetSource, DatasetStats, ProgressInfo } from '../../core/datasets/types';
import { prepareTemplate, type Prepared } from '../../core/template/load';
import { renderChat } from '../../core/template/render';
import type { DatasetInfoEntry } from '../../core/template/rowToMessages';
import { chatFields, chatShape } from './templateRow';

export interface TextTokenizer {
  encode(text: string, addSpecialTokens?: boolean): number[];
}

export interface TextTokenOptions {
  tokenizer: TextTokenizer;
  /** tokenizer_config.json / chat_template.jinja beside the tokenizer, or null. */
  templatePath: string | null;
  entry?: DatasetInfoEntry;
  signal?: AbortSignal;
  onProgress?: (p: ProgressInfo) => void;
}

const BINS = 40;
const PAGE = 500;

function niceWidth(max: number): number {
  const raw = Math.max(1, max / BINS);
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return Math.max(1, Math.round(m * p));
  return Math.ceil(raw);
}

/** The stats with their lengths replaced by token counts; null when no row could be measured in tokens. */
export async function tokenLengthStats(
  src: DatasetSource,
  base: DatasetStats,
  opts: TextTokenOptions,
): Promise<DatasetStats | null> {
  const textCol = src.columns.find((c) => c.role === 'text')?.name;
  const chatCols = src.columns.filter((c) => !['input_ids', 'labels', 'attention_mask', 'indices'].includes(c.role));
  let prepared: Prepared | null = null;
  let preparedTools: Prepared | null = null;
  if (opts.templatePath) prepared = await prepareTemplate(opts.templatePath, { hasTools: false });
  if (!prepared && !textCol) return null;
  const names = prepared ? chatCols.map((c) => c.name) : [textCol!];
  if (textCol && !names.includes(textCol)) names.push(textCol);
  const counts = new Map<number, number>();
  let n = 0;
  let sum = 0;
  let min = Infinity;
  let max = 0;
  let over = 0;
  let failed = 0;

  let viaTemplate = 0;
  let viaText = 0;
  // A row with a chat shape goes through the template; a plain text row (pretraining data) through
  // `tokenizer(text)`, special tokens added as transformers does by default.
  const measure = async (values: Record<string, CellValue>): Promise<number | null> => {
    const shape = prepared ? chatShape(chatFields(values, chatCols), opts.entry, names) : null;
    if (prepared && shape?.ok) {
      let p = prepared;
      if (shape.mapped.tools?.length)
        p = preparedTools ??= await prepareTemplate(opts.templatePath!, { hasTools: true });
      const r = renderChat(p.template.source, {
        messages: shape.mapped.messages,
        tools: shape.mapped.tools,
        variables: p.variables,
      });
      viaTemplate++;
      return opts.tokenizer.encode(r.text, false).length;
    }
    const t = textCol ? values[textCol] : undefined;
    if (typeof t !== 'string') return null;
    viaText++;
    return opts.tokenizer.encode(t, true).length;
  };

  const onRows = async (rows: Record<string, CellValue>[]): Promise<void> => {
    for (const values of rows) {
      let len: number | null = null;
      try {
        len = await measure(values);
      } catch {
        len = null; // a row the template rejects is counted as not measured
      }
      if (len === null) {
        failed++;
        continue;
      }
      n++;
      sum += len;
      min = Math.min(min, len);
      max = Math.max(max, len);
      if (len >= base.cutoffLen) over++;
      counts.set(len, (counts.get(len) ?? 0) + 1);
    }
  };

  const chunkRows = (c: ScanChunk): Record<string, CellValue>[] => {
    const cols = names.map((name) => [name, c.column(name)] as const);
    return Array.from({ length: c.numRows }, (_, r) => {
      const values: Record<string, CellValue> = {};
      for (const [name, col] of cols) if (col) values[name] = col.cell(r);
      return values;
    });
  };
  // Pages through readRows (not scan(), whose callback cannot wait): one page of rows in memory at a time.
  for (let off = 0; off < src.numRows; off += PAGE) {
    throwIfAborted(opts.signal);
    const page = (await src.readRows(off, PAGE, opts.signal)).filter((r) => !r.error);
    const byCol = new Map(names.map((k) => [k, cellColumn(page.map((r) => r.values[k] ?? null))]));
    await onRows(chunkRows({ rowStart: off, numRows: page.length, column: (k) => byCol.get(k) }));
    opts.onProgress?.({ done: Math.min(src.numRows, off + PAGE), total: src.numRows });
    await new Promise<void>((res) => setImmediate(res));
  }
  if (!n) return null;
  const w = niceWidth(max + 1);
  const bins = new Map<number, number>();
  for (const [len, c] of counts) bins.set(Math.floor(len / w), (bins.get(Math.floor(len / w)) ?? 0) + c);
  const histogram: DatasetStats['histogram'] = [];
  for (let b = Math.floor(min / w); b <= Math.floor(max / w); b++)
    histogram.push({ binStart: b * w, binEnd: (b + 1) * w, count: bins.get(b) ?? 0 });
  const how = viaTemplate ? `chat template ${basename(opts.templatePath!)} + tokenizer` : 'tokenizer';
  const col = viaTemplate ? (src.columns.find((c) => c.role === 'messages')?.name ?? 'row') : textCol!;
  const mixed = viaTemplate && viaText ? `; ${viaText} rows as plain text` : '';
  return {
    ...base,
    lengthColumn: `${col} (${how}${mixed}${failed ? `; ${failed} rows not measured` : ''})`,
    lengthUnit: 'tokens',
    histogram,
    minLength: min,
    maxLength: max,
    meanLength: sum / n,
    atOrOverCutoff: over,
  };
}
