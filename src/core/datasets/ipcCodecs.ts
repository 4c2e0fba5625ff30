// Compressed Arrow IPC (pyarrow's `feather` default is LZ4; `IpcWriteOptions(compression="zstd")`):
// apache-arrow decodes compressed bodies through codecs registered here. LZ4 is the LZ4 *frame*
// format (lz4js), ZSTD a zstd frame (fzstd). Importing this module registers them once.
import { compressionRegistry } from 'apache-arrow';
import { CompressionType } from 'apache-arrow/fb/compression-type';
import { decompress as zstdDecompress } from 'fzstd';
import * as lz4 from 'lz4js';

let registered = false;

/** apache-arrow views int64 buffers as BigInt64Array: a decoded buffer must start 8-byte aligned. */
function aligned(b: Uint8Array): Uint8Array {
  return b.byteOffset % 8 === 0 ? b : b.slice();
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
  compressionRegistry.set(CompressionType.ZSTD, {
    decode: (data: Uint8Array) => aligned(zstdDecompress(data)),
  });
}

registerIpcCodecs();
