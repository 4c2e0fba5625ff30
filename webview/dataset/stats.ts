// Whole-dataset statistics: figures and a length histogram drawn with plain DOM bars
// (no chart library: a few dozen divs are cheaper than a canvas renderer and theme for free).
import type { DatasetStats } from '../../src/core/datasets/types';
import { clear, describeError, el } from './dom';

function pct(n: number, d: number): string {
  return d > 0 ? `${((100 * n) / d).toFixed(1)}%` : '—';
}

function ratio(r: number | null): string {
  return r === null ? '—' : `${(100 * r).toFixed(1)}%`;
}

export function renderStats(
  s: DatasetStats,
  parts: { rows: HTMLElement; figures: HTMLElement; histogram: HTMLElement },
): void {
  parts.rows.textContent = String(s.rows);
  clear(parts.figures);
  const unit = s.lengthUnit;
  const figure = (label: string, value: string, id?: string): void => {
    const dt = el('dt', undefined, label);
    const dd = el('dd', undefined, value);
    if (id) dd.id = id;
    parts.figures.append(dt, dd);
  };
  figure('Length measured on', s.lengthColumn ? `${s.lengthColumn} (${unit})` : '—');
  figure('Min / mean / max length', `${s.minLength} / ${s.meanLength.toFixed(1)} / ${s.maxLength}`);
  figure(
    `At or over cutoff ${s.cutoffLen}`,
    `${s.atOrOverCutoff} rows (${pct(s.atOrOverCutoff, s.rows)})`,
    'stats-cutoff',
  );
  figure('Trained-token ratio', ratio(s.trainedTokenRatio), 'stats-trained');
  figure('Padding fraction', ratio(s.paddingFraction), 'stats-padding');
  if (s.rowsWithNoTrainedTokens !== null) figure('Rows with 0 trained tokens', String(s.rowsWithNoTrainedTokens));
  if (s.rowsWithLengthMismatch !== null)
    figure('Rows where input_ids and labels differ in length', String(s.rowsWithLengthMismatch));
  figure(
    'Rows with no EOS',
    s.rowsWithoutEos === null ? 'needs a tokenizer with an EOS token' : String(s.rowsWithoutEos),
    'stats-no-eos',
  );
  figure(
    'Rows with two BOS',
    s.rowsWithDoubleBos === null ? 'needs a tokenizer with a BOS token' : String(s.rowsWithDoubleBos),
    'stats-double-bos',
  );
  if (s.errors.length) {
    const list = el('ul', 'stats-errors');
    for (const e of s.errors.slice(0, 50)) list.append(el('li', 'error', describeError(e)));
    parts.figures.append(el('dt', undefined, 'Unreadable rows'), el('dd', undefined, String(s.errors.length)), list);
  }
  renderHistogram(s, parts.histogram);
}

function renderHistogram(s: DatasetStats, host: HTMLElement): void {
  clear(host);
  const bins = s.histogram;
  if (!bins.length) {
    host.append(el('div', 'note', 'No lengths to plot.'));
    return;
  }
  const max = Math.max(1, ...bins.map((b) => b.count));
  const yAxis = el('div', 'hist-y');
  yAxis.append(el('span', 'hist-ymax', String(max)), el('span', 'hist-ylabel', 'rows'), el('span', 'hist-ymin', '0'));
  const plot = el('div', 'hist-plot');
  for (const b of bins) {
    const bar = el('div', 'bar');
    bar.style.height = `${(100 * b.count) / max}%`;
    bar.title = `${b.binStart}–${b.binEnd} ${s.lengthUnit}: ${b.count} rows`;
    bar.dataset.count = String(b.count);
    if (b.binEnd > s.cutoffLen) bar.classList.add('over');
    plot.append(bar);
  }
  const first = bins[0]!.binStart;
  const last = bins[bins.length - 1]!.binEnd;
  if (s.cutoffLen > first && s.cutoffLen < last) {
    const marker = el('div', 'cutoff-marker');
    marker.style.left = `${(100 * (s.cutoffLen - first)) / (last - first)}%`;
    marker.title = `cutoff ${s.cutoffLen}`;
    plot.append(marker);
  }
  const xAxis = el('div', 'hist-x');
  xAxis.append(
    el('span', undefined, String(first)),
    el('span', 'hist-xlabel', `length (${s.lengthUnit})`),
    el('span', undefined, String(last)),
  );
  const body = el('div', 'hist-body');
  body.append(yAxis, plot);
  host.append(body, xAxis);
}
