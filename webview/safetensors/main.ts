// Safetensors panel (webview side): the tensor table of a model (one file or all shards) with
// statistics on demand, or the table of a checkpoint compare. All text through textContent.
//
// Stable DOM ids (e2e): #tensor-table (rows `.tensor-row[data-name]`, click → stats), #tensor-stats,
// #compare-table (rows `.compare-row[data-status]`), #problems, #summary, #filter.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import './style.css';
import type { CompareRow } from '../../src/core/weights/compare';
import type { TensorStats } from '../../src/core/weights/stats';
import type {
  SafetensorsFromWebview,
  SafetensorsModelView,
  SafetensorsTensorRow,
  SafetensorsToWebview,
} from '../../protocol/webview';

declare function acquireVsCodeApi(): { postMessage(msg: unknown): void };
const vscode = acquireVsCodeApi();
const post = (m: SafetensorsFromWebview): void => vscode.postMessage(m);

/** Rows rendered at once; a filter narrows the rest. */
const MAX_ROWS = 5000;

type Progress = HTMLElement & { value?: number; max: number; indeterminate: boolean };

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const u = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = -1;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${u[i]}`;
}

function fmtNum(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e5 || a < 1e-3 ? v.toExponential(4) : Number(v.toPrecision(6)).toString();
}

function shape(s: number[] | undefined): string {
  return s ? `[${s.join(', ')}]` : '';
}

const app = document.getElementById('app')!;
const header = el('header', 'top');
const title = el('h2', 'title');
const summary = el('div', 'muted');
summary.id = 'summary';
header.append(title, summary);
const problems = el('ul', 'problems');
problems.id = 'problems';
const tools = el('div', 'tools');
const filter = document.createElement('vscode-textfield') as HTMLElement & { value: string; placeholder: string };
filter.id = 'filter';
filter.placeholder = 'Filter by name (substring)';
const progress = document.createElement('vscode-progress-bar') as Progress;
progress.hidden = true;
tools.append(filter, progress);
const main = el('div', 'main');
app.append(header, problems, tools, main);

let model: SafetensorsModelView | undefined;
let compareRows: CompareRow[] | undefined;
let selected: string | undefined;
const statsCache = new Map<string, { stats?: TensorStats; error?: string }>();

filter.addEventListener('input', () => render());

function matches(name: string): boolean {
  const q = (filter.value ?? '').trim().toLowerCase();
  return !q || name.toLowerCase().includes(q);
}

function render(): void {
  if (model) renderModel(model);
  else if (compareRows) renderCompare(compareRows);
}

function renderProblems(list: { text: string }[]): void {
  problems.replaceChildren(...list.map((p) => el('li', 'error', p.text)));
  problems.hidden = list.length === 0;
}

// ── model view ────────────────────────────────────────────────────────────────
function renderModel(m: SafetensorsModelView): void {
  title.textContent = m.title;
  const shards = m.shards.length > 1 ? ` in ${m.shards.length} shards` : '';
  const params = m.tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  summary.textContent = `${m.tensors.length} tensors${shards} · ${fmtParams(params)} parameters · ${fmtBytes(m.totalBytes)}${
    Object.keys(m.metadata).length
      ? ` · metadata: ${Object.entries(m.metadata)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}`
      : ''
  }`;
  renderProblems(
    m.problems.map((p) => ({
      text: `${p.file}${p.byteOffset !== undefined ? ` (byte ${p.byteOffset})` : ''}: ${p.message}`,
    })),
  );
  const multi = m.shards.length > 1;
  const table = el('table', 'tensors');
  table.id = 'tensor-table';
  const head = el('tr');
  for (const h of ['name', 'dtype', 'shape', 'bytes', 'offset', ...(multi ? ['file'] : [])])
    head.append(el('th', undefined, h));
  table.append(el('thead'));
  table.tHead!.append(head);
  const body = el('tbody');
  const rows = m.tensors.filter((t) => matches(t.name));
  for (const t of rows.slice(0, MAX_ROWS)) body.append(tensorRow(t, multi));
  table.append(body);
  const stats = el('div', 'stats');
  stats.id = 'tensor-stats';
  const layout = el('div', 'split');
  const left = el('div', 'table-wrap');
  left.append(table);
  if (rows.length > MAX_ROWS)
    left.append(el('div', 'muted', `showing ${MAX_ROWS} of ${rows.length} tensors; filter to narrow`));
  layout.append(left, stats);
  main.replaceChildren(layout);
  renderStats();
}

function fmtParams(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

function tensorRow(t: SafetensorsTensorRow, multi: boolean): HTMLTableRowElement {
  const tr = el('tr', 'tensor-row');
  tr.dataset.name = t.name;
  if (t.error) tr.classList.add('bad');
  if (t.name === selected) tr.classList.add('selected');
  tr.title = t.error ?? 'Click for statistics';
  tr.append(
    el('td', 'name', t.name),
    el('td', undefined, t.dtype),
    el('td', 'num', shape(t.shape)),
    el('td', 'num', fmtBytes(t.bytes)),
    el('td', 'num', String(t.offset)),
  );
  if (multi) tr.append(el('td', 'muted', t.file));
  tr.addEventListener('click', () => select(t.name));
  return tr;
}

function select(name: string): void {
  selected = name;
  for (const r of document.querySelectorAll<HTMLElement>('.tensor-row'))
    r.classList.toggle('selected', r.dataset.name === name);
  if (!statsCache.has(name)) {
    progress.hidden = false;
    progress.indeterminate = true;
    post({ type: 'safetensors/requestStats', name });
  }
  renderStats();
}

function renderStats(): void {
  const box = document.getElementById('tensor-stats');
  if (!box) return;
  if (!selected) {
    box.replaceChildren(
      el('div', 'muted', 'Click a tensor for min, max, mean, std and NaN/Inf counts (reads only that tensor).'),
    );
    return;
  }
  const t = model?.tensors.find((x) => x.name === selected);
  const parts: HTMLElement[] = [el('h3', undefined, selected)];
  if (t)
    parts.push(
      el(
        'div',
        'muted',
        `${t.dtype} ${shape(t.shape)} · ${fmtBytes(t.bytes)} at byte ${t.offset}${t.file ? ` of ${t.file}` : ''}`,
      ),
    );
  const entry = statsCache.get(selected);
  if (!entry) parts.push(el('div', 'muted', 'computing…'));
  else if (entry.error) parts.push(el('div', 'error', entry.error));
  else if (entry.stats) {
    const s = entry.stats;
    const dl = el('dl', 'figures');
    const rows: [string, string][] = [
      ['elements', s.count.toLocaleString()],
      ['min', fmtNum(s.min)],
      ['max', fmtNum(s.max)],
      ['mean', fmtNum(s.mean)],
      ['std', fmtNum(s.std)],
      ['zeros', s.zeros.toLocaleString()],
      ['NaN', s.nan.toLocaleString()],
      ['Inf', s.inf.toLocaleString()],
    ];
    for (const [k, v] of rows) {
      const dt = el('dt', undefined, k);
      const dd = el('dd', k === 'NaN' || k === 'Inf' ? (v !== '0' ? 'bad' : '') : '', v);
      dd.dataset.stat = k;
      dl.append(dt, dd);
    }
    parts.push(dl, el('div', 'muted', 'min/max/mean/std over finite values; std with ddof=0'));
  }
  box.replaceChildren(...parts);
}

// ── compare view ──────────────────────────────────────────────────────────────
const STATUS_TEXT: Record<CompareRow['status'], string> = {
  changed: 'changed',
  unchanged: 'unchanged',
  'only-a': 'only in A',
  'only-b': 'only in B',
  'shape-differs': 'shape differs',
  error: 'error',
};

function renderCompare(rows: CompareRow[]): void {
  const count = (s: CompareRow['status']) => rows.filter((r) => r.status === s).length;
  const table = el('table', 'tensors');
  table.id = 'compare-table';
  const head = el('tr');
  for (const h of ['name', 'status', 'dtype', 'shape', '‖a−b‖ / ‖a‖', '‖a−b‖', 'max |a−b|'])
    head.append(el('th', undefined, h));
  table.append(el('thead'));
  table.tHead!.append(head);
  const body = el('tbody');
  const shown = rows.filter((r) => matches(r.name));
  for (const r of shown.slice(0, MAX_ROWS)) {
    const tr = el('tr', `compare-row ${r.status}`);
    tr.dataset.name = r.name;
    tr.dataset.status = r.status;
    const dtype =
      r.dtypeA && r.dtypeB && r.dtypeA !== r.dtypeB ? `${r.dtypeA} → ${r.dtypeB}` : (r.dtypeA ?? r.dtypeB ?? '');
    const sh = r.status === 'shape-differs' ? `${shape(r.shapeA)} → ${shape(r.shapeB)}` : shape(r.shapeA ?? r.shapeB);
    tr.append(
      el('td', 'name', r.name),
      el('td', 'status', r.error ? `${STATUS_TEXT[r.status]}: ${r.error}` : STATUS_TEXT[r.status]),
      el('td', undefined, dtype),
      el('td', 'num', sh),
      el('td', 'num rel', fmtNum(r.relChange)),
      el('td', 'num', fmtNum(r.diffNorm)),
      el('td', 'num', fmtNum(r.maxAbsDiff)),
    );
    body.append(tr);
  }
  table.append(body);
  const wrap = el('div', 'table-wrap');
  wrap.append(table);
  if (shown.length > MAX_ROWS)
    wrap.append(el('div', 'muted', `showing ${MAX_ROWS} of ${shown.length}; filter to narrow`));
  main.replaceChildren(wrap);
  compareSummary = `${count('changed')} changed · ${count('unchanged')} unchanged · ${count('only-a')} only in A · ${count('only-b')} only in B${count('shape-differs') ? ` · ${count('shape-differs')} reshaped` : ''}${count('error') ? ` · ${count('error')} errors` : ''}`;
  summary.textContent = `${compareSummary}${compareNote}`;
}
let compareSummary = '';
let compareNote = '';

// ── messages ──────────────────────────────────────────────────────────────────
window.addEventListener('message', (e: MessageEvent<SafetensorsToWebview>) => {
  const m = e.data;
  switch (m.type) {
    case 'safetensors/model':
      model = m.model;
      render();
      break;
    case 'safetensors/fatal':
      progress.hidden = true;
      title.textContent = 'Cannot open';
      renderProblems([{ text: m.message }]);
      main.replaceChildren();
      break;
    case 'safetensors/statsProgress':
      progress.hidden = false;
      progress.indeterminate = false;
      progress.max = m.total;
      progress.value = m.done;
      break;
    case 'safetensors/stats':
      progress.hidden = true;
      statsCache.set(m.name, { stats: m.stats, error: m.error });
      if (m.name === selected) renderStats();
      break;
    case 'safetensors/compareStart': {
      title.textContent = `${m.a.split(/[\\/]/).pop()} ↔ ${m.b.split(/[\\/]/).pop()}`;
      title.title = `A: ${m.a}\nB: ${m.b}`;
      summary.textContent = `comparing ${m.total} tensors…`;
      progress.hidden = false;
      progress.indeterminate = false;
      progress.max = Math.max(1, m.total);
      progress.value = 0;
      const cancel = document.createElement('vscode-button');
      cancel.id = 'cancel-button';
      cancel.textContent = 'Cancel';
      cancel.setAttribute('secondary', '');
      cancel.addEventListener('click', () => post({ type: 'safetensors/cancel' }));
      main.replaceChildren(cancel);
      break;
    }
    case 'safetensors/compareProgress':
      progress.value = m.done;
      summary.textContent = `comparing… ${m.done} / ${m.total} tensors`;
      break;
    case 'safetensors/compare':
      progress.hidden = true;
      title.textContent = `${m.a.split(/[\\/]/).pop()} ↔ ${m.b.split(/[\\/]/).pop()}`;
      title.title = `A: ${m.a}\nB: ${m.b}`;
      compareRows = m.rows;
      compareNote = ` · ${(m.elapsedMs / 1000).toFixed(1)} s${m.cancelled ? ' · cancelled (partial)' : ''}`;
      render();
      break;
  }
});

post({ type: 'safetensors/ready' });
