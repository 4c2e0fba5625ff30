// Random access to bytes, from a file (never loaded whole) or from memory (tests, fuzzing).
import { promises as fsp, readSync } from 'node:fs';

export interface ByteSource {
  /** Name used in error messages (the file path). */
  readonly name: string;
  readonly size: number;
  /** Reads up to `length` bytes at `offset`; shorter only at the end of the source. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Reads into `target` at `targetOffset`; returns the bytes read. Lets callers avoid a copy. */
  readInto(target: Uint8Array, targetOffset: number, offset: number, length: number): Promise<number>;
  /**
   * Blocking read, for many tiny reads in a row (the index walk): from the page cache it costs
   * microseconds where an async read costs a thread-pool round trip. Callers must time it and fall back
   * to `read` when it is slow (cold disk, network drive), so the event loop is never held for long.
   */
  readSync?(offset: number, length: number): Uint8Array;
  close(): Promise<void>;
}

/** `knownSize`: the size from a stat the caller just made (saves a second one on the way to a first page). */
export async function openFileSource(path: string, knownSize?: number): Promise<ByteSource> {
  const fh = await fsp.open(path, 'r');
  const size = knownSize ?? (await fh.stat()).size;
  let closed = false;
  const readInto = async (target: Uint8Array, targetOffset: number, offset: number, length: number) => {
    if (closed) throw new Error(`${path}: file already closed`);
    const want = Math.max(0, Math.min(length, size - offset));
    let done = 0;
    while (done < want) {
      const { bytesRead } = await fh.read(target, targetOffset + done, want - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  };
  return {
    name: path,
    size,
    readInto,
    async read(offset, length) {
      const buf = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      const n = await readInto(buf, 0, offset, buf.length);
      return n === buf.length ? buf : buf.subarray(0, n);
    },
    readSync(offset, length) {
      if (closed) throw new Error(`${path}: file already closed`);
      const buf = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      let done = 0;
      while (done < buf.length) {
        const n = readSync(fh.fd, buf, done, buf.length - done, offset + done);
        if (n === 0) break;
        done += n;
      }
      return done === buf.length ? buf : buf.subarray(0, done);
    },
    async close() {
      if (closed) return;
      closed = true;
      await fh.close();
    },
  };
}

export function memorySource(name: string, bytes: Uint8Array): ByteSource {
  return {
    name,
    size: bytes.length,
    async read(offset, length) {
      return bytes.slice(Math.max(0, offset), Math.max(0, Math.min(bytes.length, offset + length)));
    },
    async readInto(target, targetOffset, offset, length) {
      const part = bytes.subarray(Math.max(0, offset), Math.max(0, Math.min(bytes.length, offset + length)));
      target.set(part, targetOffset);
      return part.length;
    },
    async close() {},
  };
}
