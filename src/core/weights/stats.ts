// Per-tensor statistics, read on demand in chunks.
// Convention (same as the fixture's torch ground truth): min, max, mean and std are over the finite
// values only; std is the population std (ddof = 0); everything accumulates in float64.
// Chunks are merged with Chan's parallel formula so std stays exact when |mean| >> std.
import { forEachChunk, type ChunkOptions } from './decode';
import type { TensorInfo } from './header';

export interface TensorStats {
  count: number;
  nan: number;
  inf: number;
  zeros: number;
  /** null when no finite value exists (empty tensor, all NaN). */
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
}

/** Running moments over finite values. */
export class Moments {
  n = 0;
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;
  nan = 0;
  inf = 0;
  zeros = 0;
  count = 0;

  add(values: Float64Array): void {
    this.count += values.length;
    // Pass 1: min/max/sum over finite values, counting NaN/Inf.
    let n = 0;
    let sum = 0;
    let min = this.min;
    let max = this.max;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v !== v) this.nan++;
      else if (v === Infinity || v === -Infinity) this.inf++;
      else {
        n++;
        sum += v;
        if (v < min) min = v;
        if (v > max) max = v;
        if (v === 0) this.zeros++;
      }
    }
    if (n === 0) return;
    this.min = min;
    this.max = max;
    // Pass 2: squared deviations from this chunk's own mean.
    const mean = sum / n;
    let m2 = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v - v === 0) {
        const d = v - mean;
        m2 += d * d;
      }
    }
    const total = this.n + n;
    const delta = mean - this.mean;
    this.mean += (delta * n) / total;
    this.m2 += m2 + (delta * delta * this.n * n) / total;
    this.n = total;
  }

  result(): TensorStats {
    const has = this.n > 0;
    return {
      count: this.count,
      nan: this.nan,
      inf: this.inf,
      zeros: this.zeros,
      min: has ? this.min : null,
      max: has ? this.max : null,
      mean: has ? this.mean : null,
      std: has ? Math.sqrt(this.m2 / this.n) : null,
    };
  }
}

/** Reads only `tensor`'s byte range, in chunks, and returns its statistics. */
export async function tensorStats(tensor: TensorInfo, opts: ChunkOptions = {}): Promise<TensorStats> {
  const m = new Moments();
  await forEachChunk(tensor, (values) => m.add(values), opts);
  return m.result();
}
