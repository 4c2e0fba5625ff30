// Whole-dataset statistics in one background pass over only the columns they need. A tokenized Arrow
// file goes through its raw buffers (arrowListScan.ts: only the buffers a statistic needs, typed-array
// loops, int64 labels read as word pairs); every other source goes row by row through scan().
import type { IntListBuffers, ListBatchHandler, ListColumnRequest } from './arrowListScan';
import { throwIfAborted } from './errors';
import { endsWithEos, eosRule, type EosRule } from './eosCheck';
import { hasListScan, isScannable, cellColumn, textChars, type ScanChunk } from './scan';
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

/** What a pass needs to know about the dataset and the tokenizer. */
interface Setup {
  hasMask: boolean;
  padId: number | undefined;
  eosId: number | undefined;
  bosId: number | undefined;
  rule: EosRule | undefined;
  cutoffLen: number;
}

class Counts {
  lengths = new LengthCounts();
  rows = 0;
  atOrOver = 0;
  labelPositions = 0;
  trained = 0;
  noTrained = 0;
  mismatch = 0;
  positions = 0;
  padding = 0;
  noEos = 0;
  doubleBos = 0;
  private readonly scratch: Scratch = { f64: new Float64Array(0), i32: new Int32Array(0) };
  constructor(private readonly s: Setup) {}

  addLength(len: number): void {
    this.lengths.add(len);
    if (len >= this.s.cutoffLen) this.atOrOver++;
  }

  /** One row from the row scan; lists are views or arrays (null: null cell or no such column). */
  row(
    idList: ArrayLike<number> | null,
    m: ArrayLike<number> | null,
    lab: ArrayLike<number> | null,
    textLen: number | null,
  ): void {
    const { padId, eosId, bosId, rule } = this.s;
    this.rows++;
    let first = 0;
    let last = idList ? idList.length - 1 : -1;
    // Real (non-padding) span: from the mask when there is one, else by the pad id (unless it doubles as EOS).
    if (idList && m && m.length === idList.length) {
      while (first <= last && m[first] === 0) first++;
      while (last >= first && m[last] === 0) last--;
      this.padding += zerosIn(m, 0, m.length);
      this.positions += m.length;
    } else if (idList && padId !== undefined) {
      [first, last] = trimPad(idList, first, last, padId, eosId);
      this.padding += idList.length - (last - first + 1);
      this.positions += idList.length;
    }
    if (idList) this.addLength(this.s.hasMask || padId !== undefined ? Math.max(0, last - first + 1) : idList.length);
    else if (textLen !== null) this.addLength(textLen);
    if (idList && rule && !endsWithEos(idList, first, last, rule)) this.noEos++;
    if (idList && bosId !== undefined && last - first >= 1 && idList[first] === bosId && idList[first + 1] === bosId)
      this.doubleBos++;
    if (lab) this.labelRow(lab.length - minus100In(lab, 0, lab.length), lab.length, idList ? idList.length : -1);
  }

  private labelRow(t: number, n: number, idLen: number): void {
    this.trained += t;
    this.labelPositions += n;
    if (t === 0) this.noTrained++;
    if (idLen >= 0 && n !== idLen) this.mismatch++;
  }

  /**
   * One record batch from raw buffers: the same rules as row(), with absolute indexes into the
   * batch's value buffers instead of per-row views.
   */
  batch(rows: number, ids: IntListBuffers, mask: IntListBuffers | undefined, labels: IntListBuffers | undefined): void {
    const { padId, eosId, bosId, rule } = this.s;
    const io = ids.offsets;
    const iv = idNumbers(ids, this.scratch);
    const mo = mask?.offsets;
    const mv = mask && maskNumbers(mask, this.scratch);
    // 8-bit masks (the usual int8) are counted four bytes at a time when their buffer is 4-aligned.
    const m8 = (mv instanceof Int8Array || mv instanceof Uint8Array) && mv.byteOffset % 4 === 0 ? mv : undefined;
    const m32 = m8 && new Int32Array(m8.buffer, m8.byteOffset, m8.length >> 2);
    const lo = labels?.offsets;
    const lv = labels?.values;
    const lw = labels && !labels.unsigned ? labels.words : null;
    const lu = labels !== undefined && labels.unsigned && labels.words !== null;
    this.rows += rows;
    for (let r = 0; r < rows; r++) {
      if (!isValid(ids, r)) {
        if (labels && lo && isValid(labels, r)) {
          const ln = lo[r + 1] - lo[r];
          this.labelRow(ln - (lu ? 0 : untrainedIn(lv, lw, lo[r], lo[r + 1])), ln, -1);
        }
        continue;
      }
      const is = io[r];
      const n = io[r + 1] - is;
      let first = is;
      let last = is + n - 1;
      if (mask && mo && mv && isValid(mask, r) && mo[r + 1] - mo[r] === n) {
        const ms = mo[r];
        let f = 0;
        let l = n - 1;
        while (f <= l && mv[ms + f] === 0) f++;
        while (l >= f && mv[ms + l] === 0) l--;
        first = is + f;
        last = is + l;
        this.padding += m8 ? zeroBytes(m8, m32!, ms, ms + n) : zerosIn(mv, ms, ms + n);
        this.positions += n;
      } else if (padId !== undefined && iv) {
        [first, last] = trimPad(iv, first, last, padId, eosId);
        this.padding += n - (last - first + 1);
        this.positions += n;
      }
      this.addLength(this.s.hasMask || padId !== undefined ? Math.max(0, last - first + 1) : n);
      if (iv && rule && !endsWithEos(iv, first, last, rule)) this.noEos++;
      if (iv && bosId !== undefined && last - first >= 1 && iv[first] === bosId && iv[first + 1] === bosId)
        this.doubleBos++;
      if (labels && lo && isValid(labels, r)) {
        const ln = lo[r + 1] - lo[r];
        this.labelRow(ln - (lu ? 0 : untrainedIn(lv, lw, lo[r], lo[r + 1])), ln, n);
      }
    }
  }
}

function isValid(l: IntListBuffers, r: number): boolean {
  return l.valid === null || ((l.valid[r >> 3] >> (r & 7)) & 1) === 1;
}

function zerosIn(m: ArrayLike<number>, s: number, e: number): number {
  let z = 0;
  for (let i = s; i < e; i++) z += m[i] === 0 ? 1 : 0;
  return z;
}

/**
 * Zero bytes of an 8-bit mask in [s, e), four at a time through an Int32 view of the same bytes: a word
 * of four 1s (no padding, the usual case) costs one compare, any other word a branch-free zero-byte count.
 */
function zeroBytes(m: Int8Array | Uint8Array, w: Int32Array, s: number, e: number): number {
  let z = 0;
  let i = s;
  for (; i < e && (i & 3) !== 0; i++) z += m[i] === 0 ? 1 : 0;
  const we = e >> 2;
  for (let j = i >> 2; j < we; j++) {
    const x = w[j];
    if (x !== 0x01010101) {
      // High bit of each byte of y is set exactly where that byte of x is 0.
      const y = ~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x | 0x7f7f7f7f);
      z += Math.imul((y >>> 7) & 0x01010101, 0x01010101) >>> 24;
    }
  }
  for (i = Math.max(i, we << 2); i < e; i++) z += m[i] === 0 ? 1 : 0;
  return z;
}

function minus100In(v: ArrayLike<number>, s: number, e: number): number {
  let k = 0;
  for (let i = s; i < e; i++) k += v[i] === -100 ? 1 : 0;
  return k;
}

/** Label values of [s, e) that are −100 (not trained); int64 as (low, high) word pairs, no BigInt. */
function untrainedIn(
  v: IntListBuffers['values'] | undefined,
  w: Int32Array | null | undefined,
  s: number,
  e: number,
): number {
  if (!w) return v ? minus100In(v, s, e) : 0;
  // −100 as int64 is the words (−100, −1); as uint64 it is 2^64 − 100, which is not −100, so unsigned
  // labels never match (pyarrow's `!= -100` agrees).
  // Four labels a step: V8 does not unroll, and this loop is most of a tokenized file's scan.
  let k = 0;
  let j = 2 * s;
  const end = 2 * e;
  for (; j + 8 <= end; j += 8) {
    const a = w[j] === -100 && w[j + 1] === -1 ? 1 : 0;
    const b = w[j + 2] === -100 && w[j + 3] === -1 ? 1 : 0;
    const c = w[j + 4] === -100 && w[j + 5] === -1 ? 1 : 0;
    const d = w[j + 6] === -100 && w[j + 7] === -1 ? 1 : 0;
    k += a + b + c + d;
  }
  for (; j < end; j += 2) if (w[j] === -100) k += w[j + 1] === -1 ? 1 : 0;
  return k;
}

/** Trims padding ids from both ends of [first, last]; pad == eos keeps one trailing EOS as real. */
function trimPad(
  ids: ArrayLike<number>,
  first: number,
  last: number,
  padId: number,
  eosId: number | undefined,
): [number, number] {
  if (padId !== eosId) {
    while (first <= last && ids[first] === padId) first++;
    while (last >= first && ids[last] === padId) last--;
  } else {
    while (last > first && ids[last] === padId && ids[last - 1] === padId) last--;
  }
  return [first, last];
}

/** Reused per pass: 64-bit ids and masks are converted once per batch into these. */
interface Scratch {
  f64: Float64Array;
  i32: Int32Array;
}

/** Token ids as numbers (int64 words converted exactly; values over 2^53 are not token ids). */
function idNumbers(l: IntListBuffers, scratch: Scratch): ArrayLike<number> | null {
  if (l.values) return l.values;
  const w = l.words;
  if (!w) return null;
  if (scratch.f64.length < w.length / 2) scratch.f64 = new Float64Array(Math.ceil(w.length * 0.625));
  const out = scratch.f64.subarray(0, w.length / 2);
  for (let i = 0; i < out.length; i++)
    out[i] = (l.unsigned ? w[2 * i + 1] >>> 0 : w[2 * i + 1]) * 4294967296 + (w[2 * i] >>> 0);
  return out;
}

/** Mask values where only "is it 0" matters: int64 folded to one word that is 0 exactly when both are. */
function maskNumbers(l: IntListBuffers, scratch: Scratch): ArrayLike<number> | null {
  if (l.values || !l.words) return l.values;
  const w = l.words;
  if (scratch.i32.length < w.length / 2) scratch.i32 = new Int32Array(Math.ceil(w.length * 0.625));
  const out = scratch.i32.subarray(0, w.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = w[2 * i] | w[2 * i + 1];
  return out;
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
  const k = new Counts({ hasMask: mask !== undefined, padId, eosId, bosId, rule, cutoffLen });
  const padKnown = mask !== undefined || padId !== undefined;

  const onChunk = (c: ScanChunk) => {
    const idsCol = ids ? c.column(ids) : undefined;
    const labCol = labels ? c.column(labels) : undefined;
    const maskCol = mask ? c.column(mask) : undefined;
    const txtCol = textCol ? c.column(textCol) : undefined;
    for (let r = 0; r < c.numRows; r++) {
      const textLen = txtCol ? (textIsText ? txtCol.length(r) : textChars(txtCol.cell(r))) : null;
      k.row(idsCol?.list(r) ?? null, maskCol?.list(r) ?? null, labCol?.list(r) ?? null, textLen);
    }
  };

  const cols = [ids, labels, mask, textCol].filter((x): x is string => x !== undefined);
  // Raw buffers: the ids' values only for EOS / BOS / pad-id checks, the mask's and labels' always.
  const listReq: ListColumnRequest[] | undefined = ids
    ? [
        { name: ids, values: rule !== undefined || bosId !== undefined || padId !== undefined },
        ...(mask ? [{ name: mask, values: true }] : []),
        ...(labels ? [{ name: labels, values: true }] : []),
      ]
    : undefined;
  const onBatch: ListBatchHandler = (_start, rows, c) =>
    k.batch(rows, c.get(ids!)!, mask ? c.get(mask) : undefined, labels ? c.get(labels) : undefined);
  const scanOpts = { signal: opts.signal, onProgress: opts.onProgress };
  if (listReq && hasListScan(src) && (await src.scanLists(listReq, onBatch, scanOpts))) {
    // done from raw buffers
  } else if (isScannable(src)) {
    await src.scan(cols, onChunk, scanOpts);
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

  const L = k.lengths;
  return {
    rows: k.rows,
    lengthColumn,
    lengthUnit: ids ? 'tokens' : 'characters',
    histogram: L.histogram(),
    minLength: L.n ? L.min : 0,
    maxLength: L.max,
    meanLength: L.n ? L.sum / L.n : 0,
    cutoffLen,
    atOrOverCutoff: k.atOrOver,
    trainedTokenRatio: labels ? (k.labelPositions ? k.trained / k.labelPositions : 0) : null,
    paddingFraction: ids && padKnown ? (k.positions ? k.padding / k.positions : 0) : null,
    rowsWithNoTrainedTokens: labels ? k.noTrained : null,
    rowsWithLengthMismatch: labels && ids ? k.mismatch : null,
    rowsWithoutEos: ids && rule ? k.noEos : null,
    rowsWithDoubleBos: ids && bosId !== undefined ? k.doubleBos : null,
    errors: [...src.errors],
  };
}
