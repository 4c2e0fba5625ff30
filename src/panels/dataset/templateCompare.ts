// Template vs tokenized dataset for the panel's selected row: render the row's source conversation
// (the text columns kept beside input_ids) with the tokenizer's chat template, tokenize it as
// apply_chat_template(tokenize=True) does, and report the first token or label that differs.
// No vscode import: unit-tested against the fixture datasets that transformers tokenized.
import type { CellValue, ColumnInfo } from '../../core/datasets/types';
import type { DatasetTemplateCompare } from '../../../protocol/webview';
import { compareTokenizedRow } from '../../core/template/compareRow';
import { prepareTemplate } from '../../core/template/load';
import { assistantMask, tokenCharOffsets } from '../../core/template/mask';
import { renderChat, TemplateError, toCodePointSpans } from '../../core/template/render';
import type { DatasetInfoEntry } from '../../core/template/rowToMessages';
import { loadTokenizer, type TokenizerHandle } from '../../core/tokens/tokenizer';
import { intList, type TokenColumns } from './cells';
import { chatFields, chatShape, templateBesideTokenizer } from './templateRow';

export interface CompareInput {
  index: number;
  values: Record<string, CellValue>;
  columns: ColumnInfo[];
  tokCols: TokenColumns;
  entry?: DatasetInfoEntry;
  /** tokenizer.json in use by the panel, or null. */
  tokenizerPath: string | null;
  /** The template file; default: the one beside the tokenizer. */
  templatePath?: string | null;
  now?: Date;
}

/** A token for a message: its visible text (as the chips show it) and its id. */
function describe(tok: TokenizerHandle, id: number | undefined): string {
  if (id === undefined) return 'nothing (past the end)';
  const chip = tok.chips([id])[0];
  return `${JSON.stringify(chip?.text ?? String(id))} (id ${id})`;
}

/** Whether the dataset has what a comparison needs (input_ids and labels columns). */
export function isTokenized(tokCols: TokenColumns): boolean {
  return !!tokCols.inputIds && !!tokCols.labels;
}

/** The columns the batch recorder writes before the batch's fields (runtime/batchscope_runtime/record/columns.py). */
const RECORDING_COLUMNS = ['batch', 'epoch', 'row', 'worker', 'loader', 'sample_index'];

/** Whether the dataset is a Batchscope batch recording (one row per sample of each recorded batch). */
export function isBatchRecording(columns: ColumnInfo[]): boolean {
  const names = new Set(columns.map((c) => c.name));
  return RECORDING_COLUMNS.every((c) => names.has(c));
}

/** "sample 7 of batch 3 (epoch 0, row 1)" from a recording's row, leaving out what is null. */
function recordedFrom(v: Record<string, CellValue>): string {
  const n = (k: string) => (typeof v[k] === 'number' || typeof v[k] === 'bigint' ? String(v[k]) : undefined);
  const where = [n('epoch') && `epoch ${n('epoch')}`, n('row') && `row ${n('row')}`].filter(Boolean).join(', ');
  const sample = n('sample_index') ? `sample ${n('sample_index')}` : 'this row';
  return `${sample} of batch ${n('batch') ?? '?'}${where ? ` (${where})` : ''}`;
}

export async function compareRowWithTemplate(input: CompareInput): Promise<DatasetTemplateCompare> {
  const { index, tokCols } = input;
  const base = { index };
  const ids = tokCols.inputIds ? intList(input.values[tokCols.inputIds]) : null;
  const labels = tokCols.labels ? intList(input.values[tokCols.labels]) : null;
  if (!ids)
    return {
      ...base,
      status: 'error',
      message: `row ${index}: ${tokCols.inputIds ?? 'input_ids'} is not a list of token ids`,
    };

  // A batch recording holds what the model received: already templated, tokenized and collated. There is
  // no source conversation to render, so say what the row is; mention a tokenizer only to decode the ids.
  if (isBatchRecording(input.columns))
    return {
      ...base,
      status: input.tokenizerPath ? 'no-source' : 'no-template',
      message:
        `Batch recording: ${recordedFrom(input.values)}, as the model received it (already templated, tokenized and collated), so there is no chat template to check it against.` +
        (input.tokenizerPath ? '' : ' Select a tokenizer to decode its token ids.'),
    };

  const templatePath = input.templatePath ?? templateBesideTokenizer(input.tokenizerPath);
  if (!input.tokenizerPath || !templatePath)
    return {
      ...base,
      status: 'no-template',
      message: input.tokenizerPath
        ? `No chat template beside ${input.tokenizerPath} (tokenizer_config.json or chat_template.jinja): cannot check this row against a template.`
        : "No tokenizer known: select one (its folder's chat template is used) to check this row against the template.",
    };

  const fields = chatFields(input.values, input.columns);
  const shape = chatShape(
    fields,
    input.entry,
    input.columns.map((c) => c.name),
  );
  if (!shape.ok)
    return {
      ...base,
      status: 'no-source',
      template: templatePath,
      message: `The source row is not in this dataset, so it cannot be checked against the template: ${shape.reason}.`,
    };

  let tok: TokenizerHandle;
  try {
    tok = await loadTokenizer(input.tokenizerPath);
  } catch (e) {
    return { ...base, status: 'error', template: templatePath, message: (e as Error).message };
  }
  let text: string;
  let spans: { start: number; end: number }[];
  try {
    const { mapped } = shape;
    const prepared = await prepareTemplate(templatePath, { hasTools: !!mapped.tools?.length });
    const r = renderChat(prepared.template.source, {
      messages: mapped.messages,
      tools: mapped.tools,
      variables: prepared.variables,
      now: input.now,
    });
    text = r.text;
    spans = r.spans;
  } catch (e) {
    const msg = e instanceof TemplateError ? e.info.message : (e as Error).message;
    return {
      ...base,
      status: 'error',
      template: templatePath,
      message: `The template could not render row ${index}: ${msg}`,
    };
  }
  // apply_chat_template(tokenize=True) encodes with add_special_tokens=False: the template owns BOS.
  const rendered = tok.encode(text, false);
  const offsets = spans.length ? tokenCharOffsets(tok, rendered, text) : null;
  const mask = offsets ? assistantMask(offsets, toCodePointSpans(text, spans)) : undefined;
  const d = compareTokenizedRow(
    { inputIds: ids, ...(labels ? { labels } : {}) },
    { ids: rendered, ...(mask ? { assistantMask: mask } : {}) },
  );
  const labelNote = !labels
    ? ' (no labels column: only input_ids compared)'
    : !spans.length
      ? ' (the template has no {% generation %} block: labels not compared)'
      : !offsets
        ? ' (token offsets unavailable for this tokenizer: labels not compared)'
        : '';
  if (d.match)
    return {
      ...base,
      status: 'match',
      template: templatePath,
      compared: d.compared,
      message: `Row ${index} matches the template: ${d.compared} tokens${d.note ? ` (${d.note})` : ''}${labelNote}.`,
    };
  const common = { ...base, status: 'differs' as const, template: templatePath, field: d.field, position: d.index };
  if (d.field === 'input_ids') {
    const found = describe(tok, d.actual as number | undefined);
    if (d.expected === undefined)
      return {
        ...common,
        found,
        message: `First differing token at position ${d.index}: expected the end of the row (the template renders ${rendered.length} tokens), found ${found}.`,
      };
    const expected = describe(tok, d.expected as number);
    return {
      ...common,
      expected,
      found,
      message: `First differing token at position ${d.index}: expected ${expected}, found ${found}.`,
    };
  }
  const word = (x: unknown) => (x === 'masked' ? 'masked (−100)' : 'trained');
  return {
    ...common,
    expected: String(d.expected),
    found: String(d.actual),
    message: `First differing label at position ${d.index} (token ${describe(tok, ids[d.index])}): expected ${word(d.expected)} as the template's assistant mask says, found ${word(d.actual)}.`,
  };
}
