// Compressed Arrow IPC (pyarrow's `feather` default is LZ4; `IpcWriteOptions(compression="zstd")`):
// apache-arrow decodes compressed bodies through codecs registered here. LZ4 is the LZ4 *frame*
// format (lz4js), ZSTD a zstd frame (fzstd). Importing this module registers them once.
import { compressionRegistry } from 'apache-arrow';
import { CompressionType } from 'apache-arrow/fb/compression-type';
import { decompress as zstdDecompress } from 'fzstd';
import * as lz4 from 'lz4js';

let registered = false;

export function registerIpcCodecs(): void {
  if (registered) return;
  registered = true;
  compressionRegistry.set(CompressionType.LZ4_FRAME, {
    decode: (data: Uint8Array) => Uint8Array.from(lz4.decompress(data)),
  });
  compressionRegistry.set(CompressionType.ZSTD, {
    decode: (data: Uint8Array) => zstdDecompress(data),
  });
}

registerIpcCodecs();
