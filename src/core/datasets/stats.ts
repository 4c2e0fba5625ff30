// Whole-dataset statistics in one background pass over only the columns they need.
import { throwIfAborted } from './errors';
import { endsWithEos, eosRule } from './eosCheck';
import { isScannable, cellColumn, textChars, type ScanChunk } from './scan';
import type { CellValue, DatasetSource, DatasetStats, StatsOptions } from './types';

const HIST_BINS = 40;
/** Exact per-length counts up to this length; longer rows are kept in a list (rare). */
const DENSE_MAX = 1 << 20;

/** "Nice" bin width (1, 2, 5 × 10^k) so that ~HIST_BINS bins cover [0, max]. */
function niceWidth(max: number): number {
  const raw = Math.max(1, max / HIST_BINS);
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return Math.max(1, Math.round(m * p));
  return Math.ceil(raw);
}

class LengthCounts {
  dense = new Uint32Array(1024);
  sparse: number[] = [];
  n = 0;
  sum = 0;
  min = Infinity;
  max = 0;
  add(len: number): void {
    this.n++;
    this.sum += len;
    if (len < this.min) this.min = len;
    if (len > this.max) this.max = len;
    if (len >= DENSE_MAX) {
      this.sparse.push(len);
      return;
    }
    if (len >= this.dense.length) {
      let size = this.dense.length;
      while (size <= len) size *= 2;
      const grown = new Uint32Array(Math.min(size, DENSE_MAX));
      grown.set(this.dense);
      this.dense = grown;
    }
    this.dense[len]++;
  }
  histogram(): DatasetStats['histogram'] {
    if (!this.n) return [];
    const w = niceWidth(this.max + 1);
    const bins = new Map<number, number>();
    for (let l = 0; l < this.dense.length; l++) {
      const c = this.dense[l];
      if (c) bins.set(Math.floor(l / w), (bins.get(Math.floor(l / w)) ?? 0) + c);
    }
    for (const l of this.sparse) bins.set(Math.floor(l / w), (bins.get(Math.floor(l / w)) ?? 0) + 1);
    const lo = Math.floor(this.min / w);
    const hi = Math.floor(this.max / w);
    const out: DatasetStats['histogram'] = [];
    for (let b = lo; b <= hi; b++) out.push({ binStart: b * w, binEnd: (b + 1) * w, count: bins.get(b) ?? 0 });
    return out;
  }
}

export async function computeStats(src: DatasetSource, opts: StatsOptions): Promise<DatasetStats> {
  const byRole = (role: string) => src.columns.find((c) => c.role === role)?.name;
  const ids = byRole('input_ids');
  const labels = byRole('labels');
  const mask = byRole('attention_mask');
  // Untokenized data: characters of the text column, else of every string in the conversation
  // column (sharegpt / messages), so the lengths are never an empty 0/0/0.
  const textCol = ids ? undefined : (byRole('text') ?? byRole('messages'));
  const textIsText = textCol !== undefined && textCol === byRole('text');
  const lengthColumn = ids ?? textCol ?? null;
  const { bosId, eosId, padId, cutoffLen } = opts;
  const rule =
    eosId !== undefined || opts.endOfTurnIds?.length
      ? eosRule([...(eosId !== undefined ? [eosId] : []), ...(opts.endOfTurnIds ?? [])], opts.afterEosIds)
      : undefined;
  const lengths = new LengthCounts();
  let rows = 0;
  let atOrOver = 0;
  let labelPositions = 0;
  let trained = 0;
  let noTrained = 0;
  let mismatch = 0;
  let positions = 0;
  let padding = 0;
  let noEos = 0;
  let doubleBos = 0;
  const padKnown = mask !== undefined || padId !== undefined;

  const onChunk = (c: ScanChunk) => {
    const idsCol = ids ? c.column(ids) : undefined;
    const labCol = labels ? c.column(labels) : undefined;
    const maskCol = mask ? c.column(mask) : undefined;
    const txtCol = textCol ? c.column(textCol) : undefined;
    for (let r = 0; r < c.numRows; r++) {
      rows++;
      const idList = idsCol?.list(r) ?? null;
      const m = maskCol?.list(r) ?? null;
      let first = 0;
      let last = idList ? idList.length - 1 : -1;
      // Real (non-padding) span: from the mask when there is one, else by the pad id (unless it doubles as EOS).
      if (idList && m && m.length === idList.length) {
        while (first <= last && m[first] === 0) first++;
        while (last >= first && m[last] === 0) last--;
        let pad = 0;
        for (let i = 0; i < m.length; i++) if (m[i] === 0) pad++;
        padding += pad;
        positions += m.length;
      } else if (idList && padId !== undefined) {
        if (padId !== eosId) {
          while (first <= last && idList[first] === padId) first++;
          while (last >= first && idList[last] === padId) last--;
        } else {
          // pad == eos: keep one trailing EOS as real, the rest of the run is padding.
          while (last > first && idList[last] === padId && idList[last - 1] === padId) last--;
        }
        padding += idList.length - (last - first + 1);
        positions += idList.length;
      }
      let len: number | null = null;
      if (idList) len = mask || padId !== undefined ? Math.max(0, last - first + 1) : idList.length;
      else if (txtCol) len = textIsText ? txtCol.length(r) : textChars(txtCol.cell(r));
      if (len !== null) {
        lengths.add(len);
        if (len >= cutoffLen) atOrOver++;
      }
      if (idList && rule && !endsWithEos(idList, first, last, rule)) noEos++;
      if (idList && bosId !== undefined && last - first >= 1 && idList[first] === bosId && idList[first + 1] === bosId)
        doubleBos++;
      const lab = labCol?.list(r) ?? null;
      if (lab) {
        let t = 0;
        for (let i = 0; i < lab.length; i++) if (lab[i] !== -100) t++;
        trained += t;
        labelPositions += lab.length;
        if (t === 0) noTrained++;
        if (idList && lab.length !== idList.length) mismatch++;
      }
    }
  };

  const cols = [ids, labels, mask, textCol].filter((x): x is string => x !== undefined);
  if (isScannable(src)) {
    await src.scan(cols, onChunk, { signal: opts.signal, onProgress: opts.onProgress });
  } else {
    for (let off = 0; off < src.numRows; off += 1000) {
      throwIfAborted(opts.signal);
      const page = await src.readRows(off, 1000, opts.signal);
      const good = page.filter((r) => !r.error);
      const byCol = new Map(cols.map((name) => [name, cellColumn(good.map((r) => r.values[name] as CellValue))]));
      onChunk({ rowStart: off, numRows: good.length, column: (n) => byCol.get(n) });
      opts.onProgress?.({ done: Math.min(src.numRows, off + 1000), total: src.numRows });
    }
  }

  return {
    rows,
    lengthColumn,
    lengthUnit: ids ? 'tokens' : 'characters',
    histogram: lengths.histogram(),
    minLength: lengths.n ? lengths.min : 0,
    maxLength: lengths.max,
    meanLength: lengths.n ? lengths.sum / lengths.n : 0,
    cutoffLen,
    atOrOverCutoff: atOrOver,
    trainedTokenRatio: labels ? (labelPositions ? trained / labelPositions : 0) : null,
    paddingFraction: ids && padKnown ? (positions ? padding / positions : 0) : null,
    rowsWithNoTrainedTokens: labels ? noTrained : null,
    rowsWithLengthMismatch: labels && ids ? mismatch : null,
    rowsWithoutEos: ids && rule ? noEos : null,
    rowsWithDoubleBos: ids && bosId !== undefined ? doubleBos : null,
    errors: [...src.errors],
  };
}
