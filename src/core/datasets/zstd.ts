// ZSTD decompression through libzstd itself: zstd's own decoder (build/single_file_libs, the library's
// decompression sources) compiled to WebAssembly, the build the `zstddec` package ships (zstdWasm.ts).
// pyarrow decodes with libzstd too, so a damaged frame fails, or decodes, as it does there (a pure-JS
// port disagreed both ways). Wasm runs on every Node a VS Code extension host has; zlib's
// zstdDecompressSync only exists from Node 22.15, and streams (it stops after the first frame).
//
// All synchronous, as the codec registries of apache-arrow and hyparquet need: the 54 kB module is
// compiled on the first ZSTD frame (a few ms), so files without ZSTD pay nothing.
import { ZSTD_WASM_BASE64 } from './zstdWasm';

interface ZstdExports {
  memory: WebAssembly.Memory;
  malloc(size: number): number;
  free(ptr: number): void;
  ZSTD_decompress(dst: number, dstCapacity: number, src: number, srcSize: number): number;
  ZSTD_isError(code: number): number;
  ZSTD_findDecompressedSize(src: number, srcSize: number): bigint;
}

/** A frame libzstd rejects, or one that does not decode to the size its container says. */
export class ZstdError extends Error {
  override name = 'ZstdError';
}

/** Largest output we allocate for one frame (wasm32 memory; Arrow and Parquet buffers are far below). */
export const MAX_FRAME_OUTPUT = 1024 * 1024 * 1024;
/**
 * A decode that grew the wasm memory past this drops the instance afterwards (wasm memory never
 * shrinks): a single 500 MB Arrow buffer must not stay resident in the extension host. The next
 * decode instantiates the compiled module again, synchronously, at its initial 16 MB.
 */
export const KEEP_MEMORY_BYTES = 64 * 1024 * 1024;

// ZSTD_getErrorString's texts (zstd_errors.h codes), for the codes a decoder returns.
const ERROR_TEXT: Record<number, string> = {
  1: 'Error (generic)',
  10: 'Unknown frame descriptor',
  12: 'Version not supported',
  14: 'Unsupported frame parameter',
  16: 'Frame requires too much memory for decoding',
  20: 'Data corruption detected',
  22: "Restored data doesn't match checksum",
  24: "Header of Literals' block doesn't respect format specification",
  30: 'Dictionary is corrupted',
  32: 'Dictionary mismatch',
  44: 'tableLog requires too much memory : unsupported',
  46: 'Unsupported max Symbol Value : too large',
  48: 'Specified maxSymbolValue is too small',
  64: 'Allocation error : not enough memory',
  70: 'Destination buffer is too small',
  72: 'Src size is incorrect',
  74: 'Operation on NULL destination buffer',
};

let compiled: WebAssembly.Module | undefined;
let live: ZstdExports | undefined;

function instance(): ZstdExports {
  if (live) return live;
  compiled ??= new WebAssembly.Module(Buffer.from(ZSTD_WASM_BASE64, 'base64'));
  // The one import: emscripten tells of memory growth; we take a fresh view of memory on each use.
  const inst = new WebAssembly.Instance(compiled, { env: { emscripten_notify_memory_growth: () => {} } });
  live = inst.exports as unknown as ZstdExports;
  return live;
}

/** libzstd's name for an error return (zstddec's own decode() would hide it). */
function errorText(code: number): string {
  const n = 2 ** 32 - code; // size_t error codes are (size_t)-n
  return ERROR_TEXT[n] ?? `error code ${n}`;
}

/**
 * Decompresses `src` (one or more zstd frames, as ZSTD_decompress takes them). `expectedSize` is what
 * the container says the data holds (the Parquet page header, the Arrow buffer's length prefix): the
 * output must be exactly that long, and libzstd checks it against each frame's declared content size.
 * Without it the frames must declare their size. Throws ZstdError otherwise.
 */
export function zstdDecompress(src: Uint8Array, expectedSize?: number): Uint8Array {
  const z = instance();
  const srcPtr = z.malloc(Math.max(1, src.length));
  if (!srcPtr) throw new ZstdError(`no memory for a ${src.length}-byte ZSTD frame`);
  let dstPtr = 0;
  try {
    new Uint8Array(z.memory.buffer, srcPtr, src.length).set(src);
    let size = expectedSize;
    if (size === undefined) {
      const declared = z.ZSTD_findDecompressedSize(srcPtr, src.length);
      if (declared === -1n) throw new ZstdError('ZSTD frame does not declare its decompressed size');
      if (declared < 0n) throw new ZstdError('ZSTD decompression failed: not a valid zstd frame');
      if (declared > BigInt(MAX_FRAME_OUTPUT))
        throw new ZstdError(`ZSTD frame declares ${declared} bytes, more than ${MAX_FRAME_OUTPUT}`);
      size = Number(declared);
    } else if (!(Number.isSafeInteger(size) && size >= 0 && size <= MAX_FRAME_OUTPUT)) {
      throw new ZstdError(`ZSTD data said to decompress to ${size} bytes`);
    }
    dstPtr = z.malloc(Math.max(1, size));
    if (!dstPtr) throw new ZstdError(`no memory for ${size} bytes of ZSTD output`);
    const got = z.ZSTD_decompress(dstPtr, size, srcPtr, src.length) >>> 0;
    if (z.ZSTD_isError(got)) throw new ZstdError(`ZSTD decompression failed: ${errorText(got)}`);
    if (got !== size) throw new ZstdError(`ZSTD data decompressed to ${got} bytes, expected ${size}`);
    return new Uint8Array(z.memory.buffer, dstPtr, got).slice();
  } finally {
    if (dstPtr) z.free(dstPtr);
    z.free(srcPtr);
    if (z.memory.buffer.byteLength > KEEP_MEMORY_BYTES) live = undefined;
  }
}

/** Bytes the live decoder instance holds now (0 when none): for tests of the memory bound. */
export function zstdMemoryBytes(): number {
  return live ? live.memory.buffer.byteLength : 0;
}
