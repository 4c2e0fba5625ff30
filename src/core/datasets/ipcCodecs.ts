// Compressed Arrow IPC (pyarrow's `feather` default is LZ4; `IpcWriteOptions(compression="zstd")`):
// apache-arrow decodes compressed bodies through codecs registered here. LZ4 is the LZ4 *frame*
// format (lz4js), ZSTD a zstd frame decoded by libzstd (zstd.ts), as pyarrow does. Importing this module
// registers them once.
import { compressionRegistry } from 'apache-arrow';
import { CompressionType } from 'apache-arrow/fb/compression-type';
import * as lz4 from 'lz4js';
import { zstdDecompress } from './zstd';

let registered = false;

/** apache-arrow views int64 buffers as BigInt64Array: a decoded buffer must start 8-byte aligned. */
function aligned(b: Uint8Array): Uint8Array {
  return b.byteOffset % 8 === 0 ? b : b.slice();
}

/**
 * The uncompressed length Arrow writes before each compressed buffer (int64 LE). apache-arrow's
 * codec interface passes only the bytes after it, but as a view of the same memory, so it sits in
 * the 8 bytes before. Undefined where it cannot be read: then the frame's own declared size counts.
 */
export function declaredLength(data: Uint8Array): number | undefined {
  if (data.byteOffset < 8) return undefined;
  const n = new DataView(data.buffer, data.byteOffset - 8, 8).getBigInt64(0, true);
  return n >= 0n && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : undefined;
}

export function registerIpcCodecs(): void {
  if (registered) return;
  registered = true;
  compressionRegistry.set(CompressionType.LZ4_FRAME, {
    decode: (data: Uint8Array) => {
      const out = lz4.decompress(data);
      return out instanceof Uint8Array ? aligned(out) : Uint8Array.from(out);
    },
  });
  // A fresh copy out of the wasm memory: always 8-byte aligned.
  compressionRegistry.set(CompressionType.ZSTD, {
    decode: (data: Uint8Array) => zstdDecompress(data, declaredLength(data)),
  });
}

registerIpcCodecs();
