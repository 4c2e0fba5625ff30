// One open dataset panel, host side: owns the DatasetSource, the page cache, the background
// search and stats runs, and answers the webview's messages. No vscode import — the glue
// (registerDataset.ts) hands in `post`, the tokenizer resolution and the image-path mapping —
// so the whole message flow is unit-tested against real fixture files with node:test.
import type { CellValue, ColumnInfo, DatasetSource, ReadError, Row } from '../../core/datasets/types';
import type {
  DatasetFromWebview,
  DatasetGridRow,
  DatasetRowDetail,
  DatasetTokenizerInfo,
  DatasetToWebview,
} from '../../../protocol/webview';
import { conversationTurns } from './conversation';
import { stringifyCells } from '../../core/datasets/jsonOut';

/** Rows up to this size carry their JSON for "Copy row / cell as JSON". */
const COPY_JSON_CHARS = 2_000_000;
import {
  cellText,
  flagRules,
  imageCell,
  imagePreview,
  intList,
  rowFacts,
  tokenColumns,
  type TokenColumns,
} from './cells';
import { flagTexts } from '../../core/datasets/queryFlags';
import { DatasetViews } from './views';
import type { ColumnSummary } from '../../core/datasets/columnStats';
import { markTurns, type MarkTokenizer } from './turnMarks';
import { isAbort, message, runColumnStats, runSearch, runStats, type RunDeps } from './runs';
import { defaultEngines, type ChipTokenizer, type DatasetEngines } from './backends';
import { PageCache } from './pageCache';
import type { TokenizerResolution } from './tokenizerResolve';
import { compareRowWithTemplate, isTokenized } from './templateCompare';
import {
  chatFields,
  chatShape,
  findDatasetInfoEntry,
  templateBesideTokenizer,
  type DatasetInfoLookup,
  type TemplatePreviewRequest,
} from './templateRow';

/** Rows per page message: about two screens, so one message covers a scroll step. */
export const PAGE_SIZE = 50;
const CACHED_PAGES = 40;
/** Grid cells are cut here; the full text comes with the selected row. */
export const PREVIEW_CHARS = 300;
/** Even "in full" stops somewhere: a 200 MB cell would freeze the webview. */
export const DETAIL_CHARS = 2_000_000;
const GRID_IMAGE_BYTES = 256 * 1024;
const DETAIL_IMAGE_BYTES = 16 * 1024 * 1024;
/** Chips per row in the grid's id cell: about a screen width; the rest is in the detail view. */
export const GRID_CHIPS = 48;
/** The token view renders at most this many chips per row. */
export const MAX_CHIPS = 16_384;
/** The error list sent to the webview is capped; the banner still gives the count. */
const MAX_ERRORS_SENT = 500;

export interface DatasetSessionOptions {
  /** Dataset file, or a save_to_disk folder. */
  path: string;
  title: string;
  cutoffLen: number;
  indexCacheDir?: string;
  post(msg: DatasetToWebview): unknown;
  /** Tokenizer order (setting → nearby → none); `picked` is the user's choice for this panel. */
  resolveTokenizer(picked?: string): TokenizerResolution;
  /** An image `path` from a row → a URI the webview may load, or null. */
  resolveImagePath(path: string): string | null;
  engines?: DatasetEngines;
  log?(message: string): void;
  /** Opens the chat template preview for a row (the glue runs `batchscope.previewChatTemplate`). */
  previewTemplate?(req: TemplatePreviewRequest): unknown;
}

export class DatasetSession {
  private readonly abort = new AbortController();
  private readonly engines: DatasetEngines;
  private readonly opened: Promise<DatasetSource>;
  private source: DatasetSource | undefined;
  private cache: PageCache<Row> | undefined;
  private tokCols: TokenColumns = {};
  private picked: string | undefined;
  private tokenizerInfo: DatasetTokenizerInfo = { path: null, source: 'none' };
  private tokenizer: Promise<ChipTokenizer | null> = Promise.resolve(null);
  private loadedTokenizer: ChipTokenizer | null = null;
  private search: { id: number; abort: AbortController } | undefined;
  private searchCounter = 0;
  private stats: AbortController | undefined;
  private errorsSent = -1;
  private disposed = false;
  private datasetInfo: DatasetInfoLookup | undefined;
  private columnStats: AbortController | undefined;
  private columnSummaries: ColumnSummary[] | undefined;
  private readonly views: DatasetViews;

  constructor(private readonly opts: DatasetSessionOptions) {
    this.engines = opts.engines ?? defaultEngines;
    this.views = new DatasetViews({
      post: (m) => this.post(m),
      signal: this.abort.signal,
      rules: async () => flagRules((await this.tokenizer) ?? {}),
    });
    this.opened = this.engines.open(opts.path, { signal: this.abort.signal, indexCacheDir: opts.indexCacheDir });
    this.opened.then(
      (src) => {
        if (this.disposed) void src.close().catch(() => undefined);
        this.source = src;
        this.tokCols = tokenColumns(src.columns);
        this.cache = new PageCache<Row>(PAGE_SIZE, CACHED_PAGES, (offset, limit) =>
          src.readRows(offset, limit, this.abort.signal),
        );
      },
      () => undefined, // reported to the webview on 'ready'
    );
    this.refreshTokenizer();
  }

  /** Answers one webview message. Never throws: a failing handler becomes a message in the panel. */
  async handle(msg: DatasetFromWebview): Promise<void> {
    try {
      switch (msg.type) {
        case 'dataset/ready':
          return await this.sendInit();
        case 'dataset/requestPage':
          return msg.view !== undefined
            ? await this.sendViewPage(msg.view, msg.offset, msg.limit)
            : await this.sendPage(msg.offset, msg.limit);
        case 'dataset/query':
          return await this.views.start((await this.ready()).src, msg.filter ?? '', msg.sort);
        case 'dataset/cancelQuery':
          this.views.cancel();
          return;
        case 'dataset/locate':
          this.post({
            type: 'dataset/located',
            view: msg.view,
            row: msg.row,
            position: this.views.locate(msg.view, msg.row),
          });
          return;
        case 'dataset/selectRow':
          return await this.sendRow(msg.index);
        case 'dataset/search':
          return await this.startSearch(msg.query);
        case 'dataset/cancelSearch':
          this.search?.abort.abort();
          return;
        case 'dataset/computeStats':
          return await this.runStats(msg.cutoffLen);
        case 'dataset/cancelStats':
          this.stats?.abort();
          return;
        case 'dataset/selectTokenizer':
          return; // the glue opens the picker (it needs vscode) and calls useTokenizer()
        case 'dataset/previewTemplate':
          return await this.previewTemplate(msg.index);
      }
    } catch (err) {
      if (this.disposed || isAbort(err)) return;
      this.opts.log?.(`dataset panel: ${(msg as { type: string }).type} failed: ${message(err)}`);
      this.post({ type: 'dataset/fatal', message: `${this.opts.path}: ${message(err)}`, errors: this.errorList() });
    }
  }

  /** The user picked a tokenizer for this panel (folder or tokenizer.json). */
  useTokenizer(path: string): void {
    this.picked = path;
    this.refreshTokenizer();
    this.post({ type: 'dataset/tokenizer', tokenizer: this.tokenizerInfo });
  }

  /** Re-read the tokenizer setting (it changed). */
  settingsChanged(): void {
    this.refreshTokenizer();
    this.post({ type: 'dataset/tokenizer', tokenizer: this.tokenizerInfo });
  }

  jumpTo(row: number): void {
    this.post({ type: 'dataset/jump', row });
  }

  showStats(): void {
    this.post({ type: 'dataset/showStats' });
  }

  get numRows(): number | undefined {
    return this.source?.numRows;
  }

  get tokenizerState(): DatasetTokenizerInfo {
    return this.tokenizerInfo;
  }

  /** Stops every read, search and stats run, and closes the files. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.abort.abort();
    this.search?.abort.abort();
    this.stats?.abort();
    this.cache?.clear();
    const src = await this.opened.catch(() => undefined);
    await src?.close().catch(() => undefined);
  }

  // ── internals ──

  private post(msg: DatasetToWebview): void {
    if (this.disposed) return;
    try {
      this.opts.post(msg);
    } catch (err) {
      this.opts.log?.(`dataset panel: could not post ${msg.type}: ${message(err)}`);
    }
  }

  private refreshTokenizer(): void {
    const r = this.opts.resolveTokenizer(this.picked);
    this.tokenizerInfo = { path: r.path, source: r.source, ...(r.error ? { error: r.error } : {}) };
    this.loadedTokenizer = null;
    if (!r.path) {
      this.tokenizer = Promise.resolve(null);
      return;
    }
    const path = r.path;
    this.tokenizer = this.engines.loadTokenizer(path).then(
      (t) => {
        if (this.tokenizerInfo.path === path) {
          this.loadedTokenizer = t;
          // Pages sent before the load show raw ids; this makes the webview ask again.
          this.post({ type: 'dataset/tokenizer', tokenizer: this.tokenizerInfo });
        }
        return t;
      },
      (err) => {
        if (this.tokenizerInfo.path === path) {
          this.tokenizerInfo = { ...this.tokenizerInfo, error: `could not load ${path}: ${message(err)}` };
          this.post({ type: 'dataset/tokenizer', tokenizer: this.tokenizerInfo });
        }
        return null;
      },
    );
  }

  private async sendInit(): Promise<void> {
    let src: DatasetSource;
    try {
      src = await this.opened;
    } catch (err) {
      // DatasetOpenError's message already names the file and the line / byte offset.
      this.post({ type: 'dataset/fatal', message: message(err), errors: [] });
      return;
    }
    const indicesOnly = src.columns.length === 1 && src.columns[0]!.role === 'indices';
    this.errorsSent = src.errors.length;
    this.post({
      type: 'dataset/init',
      title: this.opts.title,
      path: src.path,
      format: src.format,
      numRows: src.numRows,
      columns: src.columns,
      notes: src.notes,
      errors: this.errorList(),
      pageSize: PAGE_SIZE,
      cutoffLen: this.opts.cutoffLen,
      tokenizer: this.tokenizerInfo,
      indicesOnly,
    });
    if (this.columnSummaries) this.post({ type: 'dataset/columnStats', columns: this.columnSummaries });
    else if (!indicesOnly && !this.columnStats) void this.runColumnStats(src);
  }

  /** Column header summaries in the background: started once after init, stopped with the panel. */
  private async runColumnStats(src: DatasetSource): Promise<void> {
    this.columnStats = new AbortController();
    this.columnSummaries = await runColumnStats(this.runDeps(), src, this.columnStats);
  }

  /** A page of a filtered / sorted view: positions → row numbers → rows (cached pages where they help). */
  private async sendViewPage(view: number, offset: number, limit: number): Promise<void> {
    const { src, cache } = await this.ready();
    const at = this.views.rowsAt(view, offset, Math.min(PAGE_SIZE, Math.max(0, limit)));
    if (!at) return; // a page of an older view: the webview has moved on
    const pages = new Map<number, number>();
    for (const r of at.rows) pages.set(Math.floor(r / PAGE_SIZE), (pages.get(Math.floor(r / PAGE_SIZE)) ?? 0) + 1);
    // Rows that share a page read it once through the cache; a lone row in a page is read by itself.
    const rows = await Promise.all(
      at.rows.map(async (r) => {
        const page = Math.floor(r / PAGE_SIZE);
        if (cache.has(page) || pages.get(page)! > 1) return cache.row(r);
        return (await src.readRows(r, 1, this.abort.signal))[0];
      }),
    );
    const gridRows = rows.map((r, i) =>
      r
        ? this.gridRow(r, src.columns)
        : { index: at.rows[i]!, cells: {}, flags: [], error: { file: src.path, message: 'row not read' } },
    );
    const errors = src.errors.length !== this.errorsSent ? this.errorList() : [];
    this.errorsSent = src.errors.length;
    this.post({ type: 'dataset/page', offset: at.start, rows: gridRows, errors, view });
  }

  private errorList(): ReadError[] {
    return (this.source?.errors ?? []).slice(0, MAX_ERRORS_SENT);
  }

  private async ready(): Promise<{ src: DatasetSource; cache: PageCache<Row> }> {
    const src = await this.opened;
    return { src, cache: this.cache! };
  }

  private async sendPage(offset: number, limit: number): Promise<void> {
    const { src, cache } = await this.ready();
    const start = clampInt(offset, 0, src.numRows);
    const count = clampInt(limit, 0, Math.min(PAGE_SIZE, src.numRows - start));
    const rows = await cache.rows(start, count);
    const gridRows = rows.map((r) => this.gridRow(r, src.columns));
    const errors = src.errors.length !== this.errorsSent ? this.errorList() : [];
    this.errorsSent = src.errors.length;
    this.post({ type: 'dataset/page', offset: start, rows: gridRows, errors });
  }

  /** Grid form of one row: bounded previews and flags. */
  gridRow(row: Row, columns: ColumnInfo[]): DatasetGridRow {
    if (row.error) return { index: row.index, cells: {}, flags: [], error: row.error };
    const cells: DatasetGridRow['cells'] = {};
    for (const c of columns) {
      const v = row.values[c.name];
      if (v === undefined) {
        cells[c.name] = { text: '', truncated: false };
        continue;
      }
      const img = imageCell(v);
      if (img) {
        const p = imagePreview(img, GRID_IMAGE_BYTES, this.opts.resolveImagePath);
        cells[c.name] = {
          text: p.src ? '' : `[image]`,
          truncated: false,
          ...(p.src ? { image: p.src } : {}),
          ...(p.note ? { imageNote: p.note } : {}),
        };
        continue;
      }
      cells[c.name] = cellText(v, PREVIEW_CHARS, c.role);
    }
    const facts = rowFacts(row.values, this.tokCols, this.loadedTokenizer ?? {});
    const out: DatasetGridRow = { index: row.index, cells, flags: flagTexts(facts) };
    if (facts.tokens !== null) out.tokens = facts.tokens;
    if (facts.trained !== null) out.trained = facts.trained;
    const tok = this.loadedTokenizer;
    const ids = tok && this.tokCols.inputIds ? intList(row.values[this.tokCols.inputIds]) : null;
    if (tok && ids) {
      const head = <T>(a: T[] | null | undefined): T[] | undefined => (a ? a.slice(0, GRID_CHIPS) : undefined);
      const labels = this.tokCols.labels ? intList(row.values[this.tokCols.labels]) : null;
      const mask = this.tokCols.attentionMask ? intList(row.values[this.tokCols.attentionMask]) : null;
      out.chips = tok.chips(ids.slice(0, GRID_CHIPS), head(labels), head(mask));
    }
    return out;
  }

  private async sendRow(index: number): Promise<void> {
    const { src, cache } = await this.ready();
    if (!Number.isInteger(index) || index < 0 || index >= src.numRows) return;
    const row = await cache.row(index);
    if (!row) return;
    this.post({ type: 'dataset/row', detail: await this.rowDetail(row, src.columns) });
    if (!row.error && isTokenized(this.tokCols)) {
      // After the detail, so the row shows at once; the webview drops it if another row is selected by then.
      await this.tokenizer;
      const compare = await compareRowWithTemplate({
        index: row.index,
        values: row.values,
        columns: src.columns,
        tokCols: this.tokCols,
        entry: this.infoLookup().found?.entry,
        tokenizerPath: this.tokenizerInfo.path,
      });
      this.post({ type: 'dataset/templateCompare', compare });
    }
  }

  /** The LLaMA-Factory dataset_info.json entry naming this dataset (read once per panel). */
  private infoLookup(): DatasetInfoLookup {
    if (!this.datasetInfo) {
      this.datasetInfo = findDatasetInfoEntry(this.opts.path);
      if (this.datasetInfo.problem) this.opts.log?.(this.datasetInfo.problem);
    }
    return this.datasetInfo;
  }

  /** "Preview with chat template": the row's chat fields to the template preview, or why it has none. */
  private async previewTemplate(index: number): Promise<void> {
    const { src, cache } = await this.ready();
    if (!Number.isInteger(index) || index < 0 || index >= src.numRows) return;
    const row = await cache.row(index);
    if (!row) return;
    const fail = (message: string) => this.post({ type: 'dataset/previewTemplateResult', index, ok: false, message });
    if (row.error) return fail(`Row ${index} could not be read: ${row.error.message}`);
    const lookup = this.infoLookup();
    const entry = lookup.found?.entry;
    const fields = chatFields(row.values, src.columns);
    const shape = chatShape(
      fields,
      entry,
      src.columns.map((c) => c.name),
    );
    const via = lookup.found ? `mapped by "${lookup.found.name}" in ${lookup.found.file}` : '';
    if (!shape.ok)
      return fail(
        `Row ${index} has no chat shape${via ? ` (${via})` : ''}, so the template cannot render it: ${shape.reason}.${lookup.problem ? ` ${lookup.problem}.` : ''}`,
      );
    if (!this.opts.previewTemplate) return fail('The chat template preview is not available here.');
    const templatePath = templateBesideTokenizer(this.tokenizerInfo.path) ?? undefined;
    try {
      await this.opts.previewTemplate({
        row: fields,
        ...(entry ? { datasetInfoEntry: entry } : {}),
        datasetPath: this.opts.path,
        rowIndex: index,
        ...(templatePath ? { templatePath } : {}),
      });
    } catch (err) {
      return fail(`Could not open the chat template preview: ${message(err)}`);
    }
    const n = shape.mapped.messages.length;
    this.post({
      type: 'dataset/previewTemplateResult',
      index,
      ok: true,
      message: `Row ${index} (${n} message${n === 1 ? '' : 's'}${via ? `, ${via}` : ''}) opened in the chat template preview.`,
    });
  }

  /** The selected row in full: every cell's text and the token chips of its id column. */
  async rowDetail(row: Row, columns: ColumnInfo[]): Promise<DatasetRowDetail> {
    if (row.error) return { index: row.index, cells: [], flags: [], error: row.error };
    const tok = await this.tokenizer;
    const cells: DatasetRowDetail['cells'] = [];
    for (const c of columns) {
      const v: CellValue = row.values[c.name] ?? null;
      const img = imageCell(v);
      if (img) {
        const p = imagePreview(img, DETAIL_IMAGE_BYTES, this.opts.resolveImagePath);
        cells.push({
          column: c.name,
          text: img.path ?? '',
          truncated: false,
          ...(p.src ? { image: p.src } : {}),
          ...(p.note ? { imageNote: p.note } : {}),
        });
        continue;
      }
      const t = cellText(v, DETAIL_CHARS, c.role);
      const turns = c.role === 'messages' ? this.markedTurns(conversationTurns(v), row, tok) : null;
      cells.push({ column: c.name, text: t.text, truncated: t.truncated, ...(turns ? { turns } : {}) });
    }
    const detail: DatasetRowDetail = {
      index: row.index,
      cells,
      flags: flagTexts(rowFacts(row.values, this.tokCols, tok ?? {})),
    };
    // Copy as JSON: exact values in the `rows --json` forms, unless the row is too big to send twice.
    const json = stringifyCells(row.values);
    if (json.length <= COPY_JSON_CHARS) {
      detail.json = json;
      for (const cell of cells) cell.json = stringifyCells({ v: row.values[cell.column] ?? null }).slice(5, -1);
    }
    const ids = this.tokCols.inputIds ? intList(row.values[this.tokCols.inputIds]) : null;
    if (ids) {
      const labels = this.tokCols.labels ? (intList(row.values[this.tokCols.labels]) ?? undefined) : undefined;
      const mask = this.tokCols.attentionMask
        ? (intList(row.values[this.tokCols.attentionMask]) ?? undefined)
        : undefined;
      const n = Math.min(ids.length, MAX_CHIPS);
      const cut = <T>(a: T[] | undefined): T[] | undefined => (a ? a.slice(0, n) : undefined);
      const chips = tok
        ? tok.chips(ids.slice(0, n), cut(labels), cut(mask))
        : ids.slice(0, n).map((id, i) => ({
            id,
            text: String(id),
            special: false,
            ...(labels && i < labels.length ? { trained: labels[i] !== -100 } : {}),
            ...(mask && i < mask.length && mask[i] === 0 ? { padding: true } : {}),
          }));
      detail.tokens = { column: this.tokCols.inputIds!, chips, total: ids.length, decoded: tok !== null };
    }
    return detail;
  }

  /** Turns of a tokenized row marked trained / masked from its labels (needs a tokenizer that decodes). */
  private markedTurns(
    turns: ReturnType<typeof conversationTurns>,
    row: Row,
    tok: ChipTokenizer | null,
  ): ReturnType<typeof conversationTurns> {
    const full = tok as (ChipTokenizer & Partial<MarkTokenizer>) | null;
    if (!turns || !full || typeof full.decode !== 'function' || typeof full.tokenBytes !== 'function') return turns;
    const ids = this.tokCols.inputIds ? intList(row.values[this.tokCols.inputIds]) : null;
    const labels = this.tokCols.labels ? intList(row.values[this.tokCols.labels]) : null;
    if (!ids || !labels) return turns;
    try {
      return markTurns(turns, ids, labels, full as MarkTokenizer);
    } catch (err) {
      this.opts.log?.(`dataset panel: could not mark turns of row ${row.index}: ${message(err)}`);
      return turns;
    }
  }

  private async startSearch(raw: string): Promise<void> {
    const { src } = await this.ready();
    this.search?.abort.abort();
    const id = ++this.searchCounter;
    const abort = new AbortController();
    this.search = { id, abort };
    await runSearch(this.runDeps(), src, raw, id, abort);
    if (this.search?.id === id) this.search = undefined;
  }

  private async runStats(cutoffLen: number): Promise<void> {
    const { src } = await this.ready();
    this.stats?.abort();
    const abort = new AbortController();
    this.stats = abort;
    const cutoff = Number.isInteger(cutoffLen) && cutoffLen > 0 ? cutoffLen : this.opts.cutoffLen;
    await runStats(this.runDeps(), src, cutoff, abort, {
      tokenizer: this.tokenizer,
      templatePath: () => templateBesideTokenizer(this.tokenizerInfo.path),
      entry: () => this.infoLookup().found?.entry,
    });
    if (this.stats === abort) this.stats = undefined;
  }

  private runDeps(): RunDeps {
    return { post: (m) => this.post(m), log: this.opts.log, engines: this.engines, panel: this.abort.signal };
  }
}

function clampInt(n: number, lo: number, hi: number): number {
  if (!Number.isFinite(n)) return lo;
  return Math.max(lo, Math.min(hi, Math.floor(n)));
}
