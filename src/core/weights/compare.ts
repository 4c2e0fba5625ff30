// Compares two checkpoints tensor by tensor: which tensors training touched, and how much
// (relative change ‖a−b‖ / ‖a‖). Both tensors stream through in chunks side by side, so memory stays
// at two chunks whatever the model size.
import { open } from 'node:fs/promises';
import { canDecode, decodeInto, DEFAULT_CHUNK_BYTES } from './decode';
import { DTYPE_BYTES, type TensorInfo } from './header';
import type { SafetensorsModel } from './model';

export type CompareStatus = 'changed' | 'unchanged' | 'only-a' | 'only-b' | 'shape-differs' | 'error';

export interface CompareRow {
  name: string;
  status: CompareStatus;
  dtypeA?: string;
  dtypeB?: string;
  shapeA?: number[];
  shapeB?: number[];
  /** ‖a−b‖₂ in float64. */
  diffNorm?: number;
  normA?: number;
  /** ‖a−b‖ / ‖a‖ (Infinity when a is all zeros and b is not). */
  relChange?: number;
  maxAbsDiff?: number;
  error?: string;
}

export interface CompareOptions {
  chunkBytes?: number;
  signal?: AbortSignal;
  /** Called after each tensor: (tensors done, total, bytes done, total bytes). */
  onProgress?: (done: number, total: number) => void;
}

export async function compareModels(
  a: SafetensorsModel,
  b: SafetensorsModel,
  opts: CompareOptions = {},
): Promise<CompareRow[]> {
  const bByName = new Map(b.tensors.map((t) => [t.name, t]));
  const aNames = new Set(a.tensors.map((t) => t.name));
  const rows: CompareRow[] = [];
  const pairs = a.tensors.filter((t) => bByName.has(t.name));
  let done = 0;
  for (const ta of a.tensors) {
    const tb = bByName.get(ta.name);
    if (!tb) {
      rows.push({ name: ta.name, status: 'only-a', dtypeA: ta.dtype, shapeA: ta.shape });
      continue;
    }
    if (opts.signal?.aborted) throw new Error('cancelled');
    rows.push(await compareTensors(ta, tb, opts));
    opts.onProgress?.(++done, pairs.length);
  }
  for (const tb of b.tensors)
    if (!aNames.has(tb.name)) rows.push({ name: tb.name, status: 'only-b', dtypeB: tb.dtype, shapeB: tb.shape });
  return rows;
}

export async function compareTensors(ta: TensorInfo, tb: TensorInfo, opts: CompareOptions = {}): Promise<CompareRow> {
  const row: CompareRow = {
    name: ta.name,
    status: 'changed',
    dtypeA: ta.dtype,
    dtypeB: tb.dtype,
    shapeA: ta.shape,
    shapeB: tb.shape,
  };
  if (ta.shape.length !== tb.shape.length || ta.shape.some((d, i) => d !== tb.shape[i]))
    return { ...row, status: 'shape-differs' };
  const bad =
    ta.error ??
    tb.error ??
    (!canDecode(ta.dtype)
      ? `dtype ${ta.dtype} not supported`
      : !canDecode(tb.dtype)
        ? `dtype ${tb.dtype} not supported`
        : undefined);
  if (bad) return { ...row, status: 'error', error: bad };
  try {
    const r = await streamDiff(ta, tb, opts);
    const relChange = r.diffSq === 0 ? 0 : r.normSq === 0 ? Infinity : Math.sqrt(r.diffSq) / Math.sqrt(r.normSq);
    // Byte-identical tensors are unchanged even when they hold NaN (NaN − NaN would say otherwise).
    const unchanged = r.identical || r.diffSq === 0;
    return {
      ...row,
      status: unchanged ? 'unchanged' : 'changed',
      diffNorm: unchanged ? 0 : Math.sqrt(r.diffSq),
      normA: Math.sqrt(r.normSq),
      relChange: unchanged ? 0 : relChange,
      maxAbsDiff: unchanged ? 0 : r.maxAbs,
    };
  } catch (err) {
    return { ...row, status: 'error', error: (err as Error).message };
  }
}

async function streamDiff(ta: TensorInfo, tb: TensorInfo, opts: CompareOptions) {
  const wa = DTYPE_BYTES[ta.dtype];
  const wb = DTYPE_BYTES[tb.dtype];
  const elems = Math.max(1, Math.floor((opts.chunkBytes ?? DEFAULT_CHUNK_BYTES) / Math.max(wa, wb) / 8) * 8);
  const rawA = new Uint8Array(elems * wa);
  const rawB = new Uint8Array(elems * wb);
  const va = new Float64Array(elems);
  const vb = new Float64Array(elems);
  const sameBytes = ta.dtype === tb.dtype;
  let identical = sameBytes;
  let diffSq = 0;
  let normSq = 0;
  let maxAbs = 0;
  const fa = await open(ta.file, 'r');
  const fb = ta.file === tb.file ? fa : await open(tb.file, 'r');
  try {
    for (let i = 0; i < ta.numel; i += elems) {
      if (opts.signal?.aborted) throw new Error('cancelled');
      const n = Math.min(elems, ta.numel - i);
      const ba = rawA.subarray(0, n * wa);
      const bb = rawB.subarray(0, n * wb);
      await readFully(fa, ba, ta.offset + i * wa, ta);
      await readFully(fb, bb, tb.offset + i * wb, tb);
      const sameChunk = sameBytes && bytesEqual(ba, bb);
      if (!sameChunk) identical = false;
      decodeInto(ta.dtype, ba, va);
      if (sameChunk) {
        // Equal bytes (a frozen layer): no difference to add, only ‖a‖. Skips decoding b.
        for (let k = 0; k < n; k++) normSq += va[k] * va[k];
        continue;
      }
      decodeInto(tb.dtype, bb, vb);
      for (let k = 0; k < n; k++) {
        const x = va[k];
        const d = x - vb[k];
        diffSq += d * d;
        normSq += x * x;
        const ad = d < 0 ? -d : d;
        if (ad > maxAbs) maxAbs = ad;
      }
    }
  } finally {
    await fa.close();
    if (fb !== fa) await fb.close();
  }
  return { identical, diffSq, normSq, maxAbs };
}

async function readFully(
  fh: Awaited<ReturnType<typeof open>>,
  buf: Uint8Array,
  pos: number,
  t: TensorInfo,
): Promise<void> {
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await fh.read(buf, got, buf.length - got, pos + got);
    if (bytesRead === 0) throw new Error(`${t.file}: byte ${pos + got}: file ended inside tensor "${t.name}"`);
    got += bytesRead;
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return Buffer.compare(a, b) === 0;
}

/** Order for the table: most-changed first, then unchanged, then one-sided and errors. */
export function sortCompareRows(rows: CompareRow[]): CompareRow[] {
  const rank: Record<CompareStatus, number> = {
    changed: 0,
    'shape-differs': 1,
    error: 2,
    'only-a': 3,
    'only-b': 4,
    unchanged: 5,
  };
  return [...rows].sort(
    (x, y) =>
      rank[x.status] - rank[y.status] || (y.relChange ?? 0) - (x.relChange ?? 0) || x.name.localeCompare(y.name),
  );
}
