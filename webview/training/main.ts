// Training dashboard (webview side). The host replays the run's whole event history on every
// `training/ready` (the panel does not keep its DOM while hidden), then sends new events in batches;
// both go through the same reducer as the status bar (src/core/training/runState.ts). All text is set
// with textContent. Charts are uPlot, coloured from the theme's chart variables.
//
// Stable DOM ids (e2e): #loss-chart (uPlot root inside), #lr-chart, #points-count, #status,
// #checkpoints (.checkpoint items), #stop-button, #resume-button, #throughput, #data-wait, #gpu-memory.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import type { TrainingFromWebview, TrainingRunInfo, TrainingToWebview } from '../../protocol/webview';
import {
  applyEvent,
  dataWaitShare,
  engineSummary,
  formatGiB,
  formatRate,
  lossPointCount,
  newRunState,
  statusText,
  type RunState,
} from '../../src/core/training/runState';

declare function acquireVsCodeApi(): {
  postMessage(msg: unknown): void;
  setState(s: unknown): void;
  getState(): unknown;
};
const vscode = acquireVsCodeApi();
const post = (m: TrainingFromWebview): void => vscode.postMessage(m);

const LOG_LINES = 400;
let state: RunState = newRunState();
let run: TrainingRunInfo = { config: null, active: false, canResume: false };

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing`);
  return e as T;
}

function themeColor(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

// ── charts ────────────────────────────────────────────────────────────────────
type Chart = { plot: uPlot; el: HTMLElement; data: () => uPlot.AlignedData };

function axis(fmt?: (v: number) => string, size?: number): uPlot.Axis {
  const fg = themeColor('--vscode-descriptionForeground', '#888');
  const grid = themeColor('--vscode-editorWidget-border', 'rgba(128,128,128,0.2)');
  return {
    stroke: fg,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
    ...(size ? { size } : {}),
    ...(fmt ? { values: (_u, vals) => vals.map((v) => (v === null ? '' : fmt(v))) } : {}),
  };
}

function makeChart(
  elId: string,
  series: { label: string; color: string; dash?: number[]; scale?: string; points?: boolean }[],
  data: () => uPlot.AlignedData,
  yFmt?: (v: number) => string,
  logY = false,
): Chart {
  const el = byId(elId);
  const opts: uPlot.Options = {
    width: Math.max(200, el.clientWidth),
    height: 180,
    cursor: { drag: { x: true, y: false } },
    legend: { show: true },
    scales: { x: { time: false }, y: logY ? { distr: 3 } : {} },
    // Room for labels such as 7.5e-5 on the y axis.
    axes: [axis(), axis(yFmt, 64)],
    series: [
      { label: 'step' },
      ...series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: 1.5,
        dash: s.dash,
        spanGaps: true,
        points: { show: s.points ?? false },
      })),
    ],
  };
  const plot = new uPlot(opts, data(), el);
  new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height: 180 })).observe(el);
  return { plot, el, data };
}

let charts: Chart[] = [];

function lossData(): uPlot.AlignedData {
  const x = state.series;
  if (!state.evals.length) return [x.step, x.loss];
  // Eval points sit between logged steps: join both onto one x axis (gaps are null).
  return uPlot.join([
    [x.step, x.loss as number[]],
    [state.evals.map((e) => e.step), state.evals.map((e) => e.loss) as number[]],
  ]);
}

function buildCharts(): void {
  const blue = themeColor('--vscode-charts-blue', '#3794ff');
  const orange = themeColor('--vscode-charts-orange', '#d18616');
  const green = themeColor('--vscode-charts-green', '#89d185');
  const purple = themeColor('--vscode-charts-purple', '#b180d7');
  const red = themeColor('--vscode-charts-red', '#f14c4c');
  const x = () => state.series;
  charts = [
    makeChart(
      'loss-chart',
      [
        { label: 'train loss', color: blue },
        { label: 'eval loss', color: orange, points: true },
      ],
      () => {
        const d = lossData();
        // uPlot needs the same number of series as configured: add an empty eval series before any eval.
        return d.length === 2 ? [d[0], d[1], Array.from(d[0], () => null)] : d;
      },
    ),
    makeChart(
      'lr-chart',
      [{ label: 'learning rate', color: purple }],
      () => [x().step, x().lr],
      (v) => v.toExponential(1),
    ),
    makeChart('throughput-chart', [{ label: 'tokens/s', color: green }], () => [x().step, x().tokensPerS], formatRate),
    makeChart(
      'time-chart',
      [
        { label: 'data wait ms', color: red },
        { label: 'step ms', color: blue },
      ],
      () => [x().step, x().dataWaitMs, x().stepMs],
    ),
    makeChart(
      'memory-chart',
      [
        { label: 'allocated', color: orange },
        { label: 'reserved', color: purple, dash: [4, 3] },
      ],
      () => [x().step, x().gpuAllocated.map(gib), x().gpuReserved.map(gib)],
      (v) => `${v.toFixed(1)}G`,
    ),
  ];
}

function gib(v: number | null): number | null {
  return v === null ? null : v / 2 ** 30;
}

/** The engine line under the config line (made here: the static markup predates engines). */
function engineLine(): HTMLElement {
  let el = document.getElementById('engine');
  if (!el) {
    el = document.createElement('div');
    el.id = 'engine';
    el.className = 'muted';
    byId('config').after(el);
  }
  return el;
}

// ── rendering ─────────────────────────────────────────────────────────────────
function render(): void {
  for (const c of charts) c.plot.setData(c.data());
  byId('points-count').textContent = String(lossPointCount(state));
  const status = byId('status');
  status.textContent = statusText(state);
  status.dataset.phase = state.phase;
  byId('config').textContent = run.config
    ? `${run.config}${state.started ? ` → ${state.started.output_dir}` : ''}`
    : '';
  engineLine().textContent = engineSummary(state);
  const last = state.last;
  byId('throughput').textContent = last
    ? `${formatRate(last.tokens_per_s)} tok/s · ${formatRate(last.samples_per_s)} samples/s`
    : '—';
  const share = dataWaitShare(state);
  byId('data-wait').textContent = last
    ? `${last.data_wait_ms.toFixed(0)} ms wait / ${last.step_ms.toFixed(0)} ms step${share !== null ? ` (${(share * 100).toFixed(0)}% waiting)` : ''}`
    : '—';
  byId('gpu-memory').textContent = last
    ? last.gpu_mem_allocated === null
      ? 'CPU run'
      : `${formatGiB(last.gpu_mem_allocated)} allocated · ${formatGiB(last.gpu_mem_reserved)} reserved`
    : '—';
  renderCheckpoints();
  renderWarnings();
  renderError();
  (byId('stop-button') as HTMLElement & { disabled: boolean }).disabled = !run.active;
  (byId('resume-button') as HTMLElement & { disabled: boolean }).disabled = !run.canResume;
  vscode.setState({
    config: run.config,
    outputDir:
      state.started?.output_dir ?? (vscode.getState() as { outputDir?: string } | undefined)?.outputDir ?? null,
  });
}

function renderCheckpoints(): void {
  const ul = byId('checkpoints');
  ul.replaceChildren(
    ...state.checkpoints.map((c) => {
      const li = document.createElement('li');
      li.className = 'checkpoint';
      li.dataset.step = String(c.step);
      li.title = `Reveal ${c.path}`;
      li.textContent = `step ${c.step} · ${c.path.split(/[\\/]/).pop()}${c.reason !== 'save_steps' ? ` (${c.reason})` : ''}`;
      li.addEventListener('click', () => post({ type: 'training/openCheckpoint', path: c.path }));
      return li;
    }),
  );
  if (!state.checkpoints.length) {
    const li = document.createElement('li');
    li.className = 'muted';
    li.textContent = 'none yet';
    ul.append(li);
  }
}

function renderWarnings(): void {
  byId('warnings').replaceChildren(
    ...state.warnings.slice(-50).map((w) => {
      const li = document.createElement('li');
      li.className = 'warning';
      li.textContent = w.location
        ? `${w.location.file.split(/[\\/]/).pop()}:${w.location.line}: ${w.message}`
        : w.message;
      return li;
    }),
  );
}

function renderError(): void {
  const box = byId('error-box');
  const e = state.error;
  box.hidden = !e;
  if (!e) return box.replaceChildren();
  const head = document.createElement('div');
  head.className = 'error-title';
  head.textContent = `${e.error_type}: ${e.message}`;
  const parts: HTMLElement[] = [head];
  if (e.location) {
    const loc = document.createElement('div');
    loc.textContent = `at ${e.location.file}:${e.location.line}:${e.location.col}`;
    parts.push(loc);
  }
  if (e.hint) {
    const hint = document.createElement('div');
    hint.className = 'hint';
    hint.textContent = e.hint;
    parts.push(hint);
  }
  if (e.traceback) {
    const det = document.createElement('details');
    const sum = document.createElement('summary');
    sum.textContent = 'Traceback';
    const pre = document.createElement('pre');
    pre.textContent = e.traceback;
    det.append(sum, pre);
    parts.push(det);
  }
  box.replaceChildren(...parts);
}

function appendLog(lines: string[]): void {
  const pre = byId('log');
  const all = (pre.textContent ? pre.textContent.split('\n') : []).concat(lines);
  pre.textContent = all.slice(-LOG_LINES).join('\n');
}

// ── messages ──────────────────────────────────────────────────────────────────
let scheduled = false;
function scheduleRender(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    render();
  });
}

window.addEventListener('message', (e: MessageEvent<TrainingToWebview>) => {
  const m = e.data;
  switch (m.type) {
    case 'training/reset':
      state = newRunState();
      run = m.run;
      for (const ev of m.events) applyEvent(state, ev);
      byId('log').textContent = '';
      break;
    case 'training/events':
      for (const ev of m.events) applyEvent(state, ev);
      break;
    case 'training/run':
      run = m.run;
      break;
    case 'training/log':
      appendLog(m.lines);
      return;
  }
  scheduleRender();
});

byId('stop-button').addEventListener('click', () => post({ type: 'training/stop' }));
byId('resume-button').addEventListener('click', () => post({ type: 'training/resume' }));
buildCharts();
render();
post({ type: 'training/ready' });
