// Element decoding for safetensors dtypes into float64, and chunked reading of one tensor's bytes.
// Data is little-endian; typed arrays are used directly (every host VS Code runs on is little-endian).
import { open } from 'node:fs/promises';
import { DTYPE_BYTES, type TensorInfo } from './header';

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1)
  throw new Error('Batchscope safetensors decoding needs a little-endian host');

export const STATS_DTYPES = [
  'F64',
  'F32',
  'F16',
  'BF16',
  'F8_E4M3',
  'F8_E5M2',
  'I64',
  'I32',
  'I16',
  'I8',
  'U64',
  'U32',
  'U16',
  'U8',
  'BOOL',
] as const;

export function canDecode(dtype: string): boolean {
  return (STATS_DTYPES as readonly string[]).includes(dtype);
}

let f16Table: Float64Array | undefined;
let e4m3Table: Float64Array | undefined;
let e5m2Table: Float64Array | undefined;

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Small float formats by table: 65536 entries for F16, 256 for the F8 ones. */
function tableF16(): Float64Array {
  if (!f16Table) {
    f16Table = new Float64Array(65536);
    for (let i = 0; i < 65536; i++) f16Table[i] = halfToFloat(i);
  }
  return f16Table;
}

/** float8_e4m3fn: bias 7, no infinities, S.1111.111 is NaN. */
function tableE4M3(): Float64Array {
  if (!e4m3Table) {
    e4m3Table = new Float64Array(256);
    for (let i = 0; i < 256; i++) {
      const s = i & 0x80 ? -1 : 1;
      const e = (i >> 3) & 0xf;
      const m = i & 0x7;
      e4m3Table[i] = e === 0xf && m === 0x7 ? NaN : e === 0 ? s * (m / 8) * 2 ** -6 : s * (1 + m / 8) * 2 ** (e - 7);
    }
  }
  return e4m3Table;
}

/** float8_e5m2: IEEE-like, bias 15, with infinities and NaNs. */
function tableE5M2(): Float64Array {
  if (!e5m2Table) {
    e5m2Table = new Float64Array(256);
    for (let i = 0; i < 256; i++) e5m2Table[i] = halfToFloat(i << 8);
  }
  return e5m2Table;
}

/**
 * Decodes `bytes` (whole elements, 8-byte aligned start) of `dtype` into `out[0..n)`. Returns n.
 * `out` must hold bytes.length / width elements.
 */
export function decodeInto(dtype: string, bytes: Uint8Array, out: Float64Array): number {
  const buf = bytes.buffer;
  const off = bytes.byteOffset;
  const width = DTYPE_BYTES[dtype];
  const n = bytes.length / width;
  switch (dtype) {
    case 'F64':
      out.set(new Float64Array(buf, off, n));
      break;
    case 'F32':
      out.set(new Float32Array(buf, off, n));
      break;
    case 'I32':
      out.set(new Int32Array(buf, off, n));
      break;
    case 'U32':
      out.set(new Uint32Array(buf, off, n));
      break;
    case 'I16':
      out.set(new Int16Array(buf, off, n));
      break;
    case 'U16':
      out.set(new Uint16Array(buf, off, n));
      break;
    case 'I8':
      out.set(new Int8Array(buf, off, n));
      break;
    case 'U8':
    case 'BOOL':
      out.set(new Uint8Array(buf, off, n));
      break;
    case 'I64': {
      const a = new BigInt64Array(buf, off, n);
      for (let i = 0; i < n; i++) out[i] = Number(a[i]);
      break;
    }
    case 'U64': {
      const a = new BigUint64Array(buf, off, n);
      for (let i = 0; i < n; i++) out[i] = Number(a[i]);
      break;
    }
    case 'F16': {
      const t = tableF16();
      const a = new Uint16Array(buf, off, n);
      for (let i = 0; i < n; i++) out[i] = t[a[i]];
      break;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32: widen through a scratch Uint32Array.
      const a = new Uint16Array(buf, off, n);
      const wide = scratch32(n);
      for (let i = 0; i < n; i++) wide[i] = a[i] << 16;
      out.set(new Float32Array(wide.buffer, 0, n));
      break;
    }
    case 'F8_E4M3': {
      const t = tableE4M3();
      for (let i = 0; i < n; i++) out[i] = t[bytes[i]];
      break;
    }
    case 'F8_E5M2': {
      const t = tableE5M2();
      for (let i = 0; i < n; i++) out[i] = t[bytes[i]];
      break;
    }
    default:
      throw new Error(`dtype ${dtype} cannot be decoded`);
  }
  return n;
}

let scratch: Uint32Array = new Uint32Array(0);
function scratch32(n: number): Uint32Array {
  if (scratch.length < n) scratch = new Uint32Array(n);
  return scratch;
}

export const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;

export interface ChunkOptions {
  /** Bytes per read; rounded down to whole elements. Default 8 MiB. */
  chunkBytes?: number;
  signal?: AbortSignal;
  /** Fraction of this tensor's bytes read so far. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Reads `tensor`'s byte range in chunks and hands each decoded chunk to `visit`. Only that range is read.
 * The Float64Array passed to `visit` is reused: copy what you keep.
 */
export async function forEachChunk(
  tensor: TensorInfo,
  visit: (values: Float64Array, raw: Uint8Array) => void,
  opts: ChunkOptions = {},
): Promise<void> {
  if (tensor.error) throw new Error(`${tensor.file}: tensor "${tensor.name}": ${tensor.error}`);
  if (!canDecode(tensor.dtype))
    throw new Error(`${tensor.file}: tensor "${tensor.name}": dtype ${tensor.dtype} is not supported for statistics`);
  const width = DTYPE_BYTES[tensor.dtype];
  const chunk = Math.max(width, Math.floor((opts.chunkBytes ?? DEFAULT_CHUNK_BYTES) / 8) * 8);
  const raw = new Uint8Array(Math.min(chunk, Math.max(tensor.byteLength, 8)));
  const values = new Float64Array(raw.length / width);
  const fh = await open(tensor.file, 'r');
  try {
    for (let done = 0; done < tensor.byteLength;) {
      if (opts.signal?.aborted) throw new Error('cancelled');
      const want = Math.min(raw.length, tensor.byteLength - done);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await fh.read(raw, got, want - got, tensor.offset + done + got);
        if (bytesRead === 0)
          throw new Error(
            `${tensor.file}: byte ${tensor.offset + done + got}: file ended inside tensor "${tensor.name}"`,
          );
        got += bytesRead;
      }
      const bytes = raw.subarray(0, want);
      const n = decodeInto(tensor.dtype, bytes, values);
      visit(values.subarray(0, n), bytes);
      done += want;
      opts.onProgress?.(done, tensor.byteLength);
    }
  } finally {
    await fh.close();
  }
}
