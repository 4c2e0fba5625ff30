// The page codecs of the Parquet decoder: hyparquet-compressors' codecs, except ZSTD, which is libzstd
// (zstd.ts) as in pyarrow, each checked against the page's uncompressed size.
import { compressors } from 'hyparquet-compressors';
import { zstdDecompress } from './zstd';

export type PageCodec = (input: Uint8Array, outputLength: number) => Uint8Array;

/**
 * Every codec's output must be exactly the page's uncompressed size (pyarrow checks; a damaged frame
 * otherwise decodes to a shorter or longer page of garbage). And an all-null column chunk compresses
 * its empty values section to a zero-length LZ4 block (a lone token byte): nothing to decode, while
 * hyparquet's block decoder reads a match offset past its end.
 */
function checked(name: string, codec: PageCodec | undefined): PageCodec | undefined {
  if (!codec) return undefined;
  return (input: Uint8Array, outputLength: number): Uint8Array => {
    if (outputLength === 0 && (name === 'LZ4' || name === 'LZ4_RAW')) return new Uint8Array(0);
    const out = codec(input, outputLength);
    if (out.length !== outputLength)
      throw new Error(`${name} page decompressed to ${out.length} bytes, the page header says ${outputLength}`);
    return out;
  };
}

const codecs: Record<string, PageCodec | undefined> = {
  ...(compressors as Record<string, PageCodec | undefined>),
  // libzstd checks the frame against the page size itself (and names what is wrong).
  ZSTD: (input, outputLength) => zstdDecompress(input, outputLength),
};

/** Codec name → checked codec, in the shape hyparquet's `compressors` option takes. */
export const parquetCompressors = Object.fromEntries(
  Object.entries(codecs).map(([name, codec]) => [name, checked(name, codec)]),
) as typeof compressors;
