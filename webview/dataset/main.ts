// Dataset preview panel (webview side). The host (src/panels/dataset/session.ts) owns the data;
// this page only asks for the rows in view and renders what it gets, always as text.
//
// Stable DOM hooks (the e2e tests rely on them; keep them):
//   #row-count                 text "<N> rows" (also data-rows="N")
//   #grid                      the scrolling virtual grid; rows are `.row[data-row="N"]` (0-based),
//                              data cells `.cell[data-col="<column>"]`, row number `.rownum`,
//                              per-row warnings `.flags .flag`; a truncated cell has `a.show-full`;
//                              the input_ids cell shows the first tokens as `.gchip` (same classes)
//   #jump-input, #jump-button  <vscode-textfield> / <vscode-button>; type into the inner input
//                              (Playwright: `#jump-input input`, it pierces the open shadow root),
//                              then Enter or click the button. Also the `batchscope.jumpToRow` command.
//   #filter-input, #filter-apply, #filter-clear, #view-status, #query-progress
//                              filter over the whole dataset (src/core/datasets/query.ts syntax, e.g.
//                              `tokens > 100 and flag = "no EOS"`); Apply runs it (with the sort), Clear
//                              shows every row. #view-status: "N of M rows match" / "sorted by …";
//                              data-count = N. Header cells `.colhead[data-col]` sort on click
//                              (data-sort = asc | desc), `.resize` on their right edge resizes;
//                              `.colstats` / `.colhist .hbar` summarise the column. In a view, rows carry
//                              data-row = their row number and data-pos = their position.
//   #colstats-status           "Summarising columns… N%" while the header summaries are computed
//   Ctrl/Cmd+C on the grid     copies the selected row as JSON (the `rows --json` form); #copy-status says so
//   #search-input, #search-button, #search-cancel, #search-progress, #search-results
//                              plain text = case-insensitive substring over text columns;
//                              `ids: 151644 872` = token-id subsequence over id columns;
//                              `@column …` restricts either to one column. Results are
//                              `#search-results .result[data-row="N"]` with `.snippet` (match in `mark`),
//                              click → jump; `#search-status` counts.
//   #detail                    the selected row: #detail-title, #row-flags, #tokens, #cells-full
//   #preview-template          "Preview with chat template" for the selected row (disabled until one is
//                              selected) → `dataset/previewTemplate`; #template-note says what happened
//                              (sent, or why the row has no chat shape; `.error` when it failed)
//   #template-compare          tokenized rows only: "… matches the template" or "First differing token at
//                              position N: expected X, found Y", or why no check was possible;
//                              data-status = match | differs | no-source | no-template | error
//   #tokens                    chips `.chip` with `.trained` / `.masked` / `.special` / `.padding`,
//                              `title` = the token id, text = token with whitespace made visible
//   #tokenizer, #tokenizer-button   tokenizer in use and "Select tokenizer…"
//   #stats                     #stats-button, #stats-cancel, #stats-progress, #cutoff-input,
//                              #stats-rows (row count), #stats-figures, #histogram with `.bar`
//   #errors                    hidden when empty; `.error` items read "file:line: message" or "file (byte N): message"
//   #notes                     explanations (e.g. an `indices`-only cache file), `.note` items
//   .thumb                     image thumbnails (data: URLs or webview URIs), in the grid and #detail
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode/codicons/dist/codicon.css';
import './style.css';
import type { ReadError } from '../../src/core/datasets/types';
import type {
  DatasetFromWebview,
  DatasetRowDetail,
  DatasetSortSpec,
  DatasetTemplateCompare,
  DatasetToWebview,
  DatasetTokenizerInfo,
} from '../../protocol/webview';
import { byId, clear, describeError, el } from './dom';
import { VirtualGrid } from './grid';
import { renderDetail } from './detail';
import { renderStats } from './stats';
import { SearchList } from './search';

declare function acquireVsCodeApi(): { postMessage(msg: unknown): void };
const vscode = acquireVsCodeApi();
const post = (msg: DatasetFromWebview): void => vscode.postMessage(msg);

type Field = HTMLElement & { value: string };
type Progress = HTMLElement & { value?: number; max: number; indeterminate: boolean };

function layout(): void {
  const app = byId('app');
  clear(app);
  const header = el('header', 'top');
  const title = el('h2', 'title');
  title.id = 'title';
  const meta = el('span', 'meta');
  meta.id = 'meta';
  const rowCount = el('span', 'row-count');
  rowCount.id = 'row-count';
  const tok = el('span', 'tokenizer');
  tok.id = 'tokenizer';
  const tokButton = button('tokenizer-button', 'Select tokenizer…', true);
  const colStatus = el('span', 'meta');
  colStatus.id = 'colstats-status';
  header.append(title, rowCount, meta, colStatus, tok, tokButton);

  const errors = el('div', 'errors hidden');
  errors.id = 'errors';
  const notes = el('div', 'notes hidden');
  notes.id = 'notes';

  const toolbar = el('div', 'toolbar');
  const jump = field('jump-input', 'Row number');
  const search = field('search-input', 'Search text, or ids: 151644 872');
  search.classList.add('search-field');
  const searchProgress = el('vscode-progress-bar', 'hidden') as Progress;
  searchProgress.id = 'search-progress';
  const searchStatus = el('span', 'search-status');
  searchStatus.id = 'search-status';
  const cancel = button('search-cancel', 'Cancel', true);
  cancel.setAttribute('disabled', '');
  toolbar.append(
    jump,
    button('jump-button', 'Go to row'),
    search,
    button('search-button', 'Search'),
    cancel,
    searchStatus,
  );
  const results = el('div', 'search-results hidden');
  results.id = 'search-results';

  const filterBar = el('div', 'toolbar filter-bar');
  const filterIcon = el('span', 'codicon codicon-filter');
  filterIcon.setAttribute('aria-hidden', 'true');
  const filter = field('filter-input', 'Filter: tokens > 512 and flag = "no EOS", text ~ "paris", len(text) < 20');
  filter.classList.add('search-field');
  const queryProgress = el('vscode-progress-bar', 'hidden') as Progress;
  queryProgress.id = 'query-progress';
  const viewStatus = el('span', 'search-status');
  viewStatus.id = 'view-status';
  const copyStatus = el('span', 'copy-status');
  copyStatus.id = 'copy-status';
  filterBar.append(
    filterIcon,
    filter,
    button('filter-apply', 'Apply'),
    button('filter-clear', 'Clear', true),
    viewStatus,
    copyStatus,
  );

  const main = el('div', 'main');
  const grid = el('div', 'grid');
  grid.id = 'grid';
  grid.tabIndex = 0;
  const detail = el('aside', 'detail');
  detail.id = 'detail';
  const dTitle = el('h3', 'detail-title', 'Click a row to see it in full');
  dTitle.id = 'detail-title';
  const templateBar = el('div', 'template-bar');
  const preview = button('preview-template', 'Preview with chat template', true);
  preview.setAttribute('disabled', '');
  preview.title =
    "Render the selected row with the chat template (the tokenizer's, else the batchscope.tokenizerPath one)";
  const templateNote = el('span', 'template-note');
  templateNote.id = 'template-note';
  templateBar.append(preview, templateNote);
  const compare = el('div', 'template-compare hidden');
  compare.id = 'template-compare';
  const flags = el('div', 'row-flags');
  flags.id = 'row-flags';
  const tokens = el('div', 'tokens empty');
  tokens.id = 'tokens';
  const cells = el('div', 'cells-full');
  cells.id = 'cells-full';
  detail.append(dTitle, templateBar, compare, flags, tokens, cells);
  main.append(grid, detail);

  const stats = el('section', 'stats hidden');
  stats.id = 'stats';
  const statsBar = el('div', 'toolbar');
  const cutoff = field('cutoff-input', 'Cutoff length');
  const statsProgress = el('vscode-progress-bar', 'hidden') as Progress;
  statsProgress.id = 'stats-progress';
  const statsCancel = button('stats-cancel', 'Cancel', true);
  statsCancel.setAttribute('disabled', '');
  statsBar.append(
    el('h3', undefined, 'Statistics'),
    el('span', 'label', 'Rows:'),
    idSpan('stats-rows', '—'),
    el('span', 'label', 'Cutoff:'),
    cutoff,
    button('stats-button', 'Compute'),
    statsCancel,
    button('stats-close', 'Hide', true),
  );
  const figures = el('dl', 'figures');
  figures.id = 'stats-figures';
  const histogram = el('div', 'histogram');
  histogram.id = 'histogram';
  stats.append(statsBar, statsProgress, el('div', 'stats-body'));
  stats.lastElementChild!.append(histogram, figures);

  app.append(header, errors, notes, toolbar, searchProgress, results, filterBar, queryProgress, stats, main);
  header.append(button('stats-open', 'Statistics', true));
}

function button(id: string, label: string, secondary = false): HTMLElement {
  const b = el('vscode-button', undefined, label);
  b.id = id;
  if (secondary) b.setAttribute('secondary', '');
  return b;
}

function field(id: string, placeholder: string): Field {
  const f = el('vscode-textfield') as Field;
  f.id = id;
  f.setAttribute('placeholder', placeholder);
  return f;
}

function idSpan(id: string, text: string): HTMLElement {
  const s = el('span', undefined, text);
  s.id = id;
  return s;
}

layout();

let numRows = 0;
let focusColumn: string | undefined;
let lastDetail: DatasetRowDetail | undefined;
let queryId = 0;
let sort: DatasetSortSpec | undefined;

const grid = new VirtualGrid(byId('grid'), {
  requestPage: (offset, limit, view) =>
    post({ type: 'dataset/requestPage', offset, limit, ...(view !== undefined ? { view } : {}) }),
  sort: (spec) => {
    sort = spec;
    runQuery();
  },
  copy: () => {
    if (lastDetail?.json && lastDetail.index === grid.selectedRow) void copyText(lastDetail.json, 'Row copied as JSON');
  },
  selectRow: (index, column) => {
    focusColumn = column;
    byId('preview-template').removeAttribute('disabled');
    setTemplateNote('', false);
    show('template-compare', false);
    post({ type: 'dataset/selectRow', index });
  },
});

function show(id: string, visible: boolean): void {
  byId(id).classList.toggle('hidden', !visible);
}

function setErrors(errors: ReadError[], total = errors.length): void {
  const box = byId('errors');
  clear(box);
  show('errors', errors.length > 0);
  if (!errors.length) return;
  box.append(
    el(
      'div',
      'banner',
      `${total} problem${total === 1 ? '' : 's'} while reading; the rows that could be read are shown.`,
    ),
  );
  const list = el('ul');
  for (const e of errors) list.append(el('li', 'error', describeError(e)));
  box.append(list);
}

function setNotes(notes: string[]): void {
  const box = byId('notes');
  clear(box);
  show('notes', notes.length > 0);
  for (const n of notes) box.append(el('div', 'note', n));
}

function setTokenizer(t: DatasetTokenizerInfo): void {
  const where = {
    setting: 'from batchscope.tokenizerPath',
    nearby: 'found beside the dataset',
    picked: 'selected',
    none: '',
  }[t.source];
  byId('tokenizer').textContent = t.path
    ? `Tokenizer: ${t.path} (${where})`
    : 'No tokenizer: token ids are shown as numbers';
  byId('tokenizer').title = [t.path ?? '', t.error ?? ''].filter(Boolean).join('\n');
  if (t.error) byId('tokenizer').textContent += ` — ${t.error}`;
}

function setTemplateNote(text: string, isError: boolean): void {
  const note = byId('template-note');
  note.textContent = text;
  note.classList.toggle('error', isError);
}

function setTemplateCompare(c: DatasetTemplateCompare): void {
  const box = byId('template-compare');
  box.dataset.status = c.status;
  box.textContent = c.message;
  box.title = c.template ? `Template: ${c.template}` : '';
  show('template-compare', true);
}

async function copyText(text: string, done: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    byId('copy-status').textContent = done;
  } catch {
    byId('copy-status').textContent = 'Could not write to the clipboard';
  }
  setTimeout(() => (byId('copy-status').textContent = ''), 3000);
}

/** Filter + sort over the whole dataset (the host answers with a view of the matching rows). */
function runQuery(): void {
  const filter = (byId<Field>('filter-input').value ?? '').trim();
  byId('view-status').textContent = filter || sort ? 'Running…' : '';
  byId('view-status').classList.remove('error');
  const p = byId<Progress>('query-progress');
  p.value = 0;
  show('query-progress', !!(filter || sort));
  post({ type: 'dataset/query', filter, ...(sort ? { sort } : {}) });
}

/** Shows row `row`: its position in the view when one shows (asked of the host), else the row itself. */
function goToRow(row: number): void {
  const view = grid.viewId;
  if (view === undefined) grid.jumpTo(row);
  else post({ type: 'dataset/locate', view, row });
}

function doJump(): void {
  const raw = (byId<Field>('jump-input').value ?? '').trim().replace(/[,_\s]/g, '');
  const n = Number(raw);
  if (!raw || !Number.isInteger(n) || n < 0 || n >= numRows) {
    byId('jump-input').setAttribute('invalid', '');
    byId('jump-input').title = `Enter a row number from 0 to ${Math.max(0, numRows - 1)}`;
    return;
  }
  byId('jump-input').removeAttribute('invalid');
  goToRow(n);
}

function startStats(): void {
  const raw = Number((byId<Field>('cutoff-input').value ?? '').trim());
  if (!Number.isInteger(raw) || raw <= 0) {
    byId('cutoff-input').setAttribute('invalid', '');
    return;
  }
  byId('cutoff-input').removeAttribute('invalid');
  show('stats', true);
  const p = byId<Progress>('stats-progress');
  p.value = 0;
  show('stats-progress', true);
  byId('stats-cancel').removeAttribute('disabled');
  post({ type: 'dataset/computeStats', cutoffLen: raw });
}

function onKeyEnter(id: string, action: () => void): void {
  byId(id).addEventListener('keydown', (ev) => {
    if ((ev as KeyboardEvent).key === 'Enter') action();
  });
}

byId('jump-button').addEventListener('click', doJump);
onKeyEnter('jump-input', doJump);
const search = new SearchList(post);
byId('search-button').addEventListener('click', () => search.start());
onKeyEnter('search-input', () => search.start());
byId('search-cancel').addEventListener('click', () => post({ type: 'dataset/cancelSearch' }));
byId('search-results').addEventListener('click', (ev) => {
  const item = (ev.target as HTMLElement).closest<HTMLElement>('.result');
  if (item?.dataset.row) goToRow(Number(item.dataset.row));
});
byId('filter-apply').addEventListener('click', runQuery);
onKeyEnter('filter-input', runQuery);
byId('filter-clear').addEventListener('click', () => {
  byId<Field>('filter-input').value = '';
  sort = undefined;
  runQuery();
});
byId('tokenizer-button').addEventListener('click', () => post({ type: 'dataset/selectTokenizer' }));
byId('preview-template').addEventListener('click', () => {
  if (grid.selectedRow < 0) return;
  setTemplateNote('Opening the chat template preview…', false);
  post({ type: 'dataset/previewTemplate', index: grid.selectedRow });
});
byId('stats-open').addEventListener('click', () => show('stats', true));
byId('stats-close').addEventListener('click', () => show('stats', false));
byId('stats-button').addEventListener('click', startStats);
onKeyEnter('cutoff-input', startStats);
byId('stats-cancel').addEventListener('click', () => post({ type: 'dataset/cancelStats' }));

window.addEventListener('message', (ev: MessageEvent<DatasetToWebview>) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'dataset/init': {
      numRows = msg.numRows;
      byId('title').textContent = msg.title;
      byId('title').title = msg.path;
      byId('meta').textContent = `${msg.format} · ${msg.columns.length} column${msg.columns.length === 1 ? '' : 's'}`;
      byId('row-count').textContent = `${msg.numRows} rows`;
      byId('row-count').dataset.rows = String(msg.numRows);
      byId<Field>('cutoff-input').value = String(msg.cutoffLen);
      setTokenizer(msg.tokenizer);
      setErrors(msg.errors);
      setNotes(msg.notes);
      document.body.classList.toggle('indices-only', msg.indicesOnly);
      grid.reset(msg.columns, msg.indicesOnly ? 0 : msg.numRows, msg.pageSize);
      break;
    }
    case 'dataset/page':
      grid.addPage(msg.offset, msg.rows, msg.view);
      if (msg.errors.length) setErrors(msg.errors);
      break;
    case 'dataset/columnStats':
      grid.setSummaries(msg.columns);
      break;
    case 'dataset/columnStatsProgress':
      byId('colstats-status').textContent =
        `Summarising columns… ${Math.floor((100 * msg.done) / Math.max(1, msg.total))}%`;
      break;
    case 'dataset/columnStatsDone':
      byId('colstats-status').textContent = msg.error ? `Column summaries failed: ${msg.error}` : '';
      break;
    case 'dataset/queryProgress': {
      if (msg.queryId < queryId) break;
      queryId = msg.queryId;
      const p = byId<Progress>('query-progress');
      p.max = Math.max(1, msg.total);
      p.value = msg.done;
      byId('view-status').textContent = `${msg.matches} matching so far (${msg.done} of ${msg.total} rows read)…`;
      break;
    }
    case 'dataset/queryDone': {
      if (msg.queryId < queryId) break;
      queryId = msg.queryId;
      show('query-progress', false);
      const status = byId('view-status');
      status.classList.toggle('error', !!msg.error);
      if (msg.error || msg.cancelled) {
        status.textContent = msg.error ? `Filter: ${msg.error}` : 'Cancelled';
        break;
      }
      const active = !!msg.filter.trim() || !!msg.sort;
      grid.setView(active ? msg.queryId : undefined, active ? msg.count : numRows, msg.sort);
      status.dataset.count = String(msg.count);
      const by = msg.sort ? `sorted by ${msg.sort.key} ${msg.sort.desc ? '↓' : '↑'}` : '';
      status.textContent = msg.filter.trim() ? `${msg.count} of ${numRows} rows match${by ? `, ${by}` : ''}` : by;
      break;
    }
    case 'dataset/located':
      if (msg.view !== grid.viewId) break;
      if (msg.position !== null) grid.jumpTo(msg.position);
      else {
        // Not in the view: show every row again, then the row.
        byId<Field>('filter-input').value = '';
        sort = undefined;
        grid.setView(undefined, numRows);
        byId('view-status').textContent = `Row ${msg.row} is not in the filtered view: filter cleared`;
        grid.jumpTo(msg.row);
      }
      break;
    case 'dataset/row':
      if (msg.detail.index !== grid.selectedRow) break; // an answer to an older click
      lastDetail = msg.detail;
      renderDetail(msg.detail, focusColumn, {
        title: byId('detail-title'),
        flags: byId('row-flags'),
        tokens: byId('tokens'),
        cells: byId('cells-full'),
      });
      break;
    case 'dataset/templateCompare':
      if (msg.compare.index === grid.selectedRow) setTemplateCompare(msg.compare);
      break;
    case 'dataset/previewTemplateResult':
      if (msg.index === grid.selectedRow) setTemplateNote(msg.message, !msg.ok);
      break;
    case 'dataset/tokenizer':
      setTokenizer(msg.tokenizer);
      // Flags (no EOS, two BOS) depend on the tokenizer: a filtered / sorted view is worked out again.
      if (
        grid.viewId !== undefined &&
        (/\bflags?\b/.test(byId<Field>('filter-input').value ?? '') || sort?.key === 'flags')
      )
        runQuery();
      grid.refresh();
      if (grid.selectedRow >= 0) post({ type: 'dataset/selectRow', index: grid.selectedRow });
      break;
    case 'dataset/searchProgress':
    case 'dataset/searchHits':
    case 'dataset/searchDone':
      search.onMessage(msg);
      break;
    case 'dataset/statsProgress': {
      const p = byId<Progress>('stats-progress');
      p.max = Math.max(1, msg.total);
      p.value = msg.done;
      break;
    }
    case 'dataset/stats':
      renderStats(msg.stats, {
        rows: byId('stats-rows'),
        figures: byId('stats-figures'),
        histogram: byId('histogram'),
      });
      break;
    case 'dataset/statsDone':
      show('stats-progress', false);
      byId('stats-cancel').setAttribute('disabled', '');
      if (msg.error || msg.cancelled) {
        const f = byId('stats-figures');
        clear(f);
        f.append(
          el(
            'div',
            msg.error ? 'error' : 'note',
            msg.error ? `Statistics failed: ${msg.error}` : 'Statistics cancelled.',
          ),
        );
      }
      break;
    case 'dataset/jump':
      if (msg.row >= 0 && msg.row < numRows) goToRow(msg.row);
      break;
    case 'dataset/showStats':
      show('stats', true);
      startStats();
      break;
    case 'dataset/fatal':
      setErrors([{ file: '', message: msg.message }, ...msg.errors]);
      byId('row-count').textContent = '0 rows';
      byId('row-count').dataset.rows = '0';
      break;
  }
});

post({ type: 'dataset/ready' });
