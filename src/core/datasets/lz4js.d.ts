// lz4js ships no types: the one function used (ipcCodecs.ts).
declare module 'lz4js' {
  /** Decompresses an LZ4 frame. */
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array | number[];
}
