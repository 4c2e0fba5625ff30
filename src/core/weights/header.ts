// Safetensors header reader: 8-byte little-endian header length, then that many bytes of JSON.
// Reads only those bytes, so a 10 GB shard costs two small reads. No vscode imports.
import { open } from 'node:fs/promises';
import type { ReadError } from '../datasets/types';

/** Bytes per element. F4/F6 packed formats are listed with 0: shown in the table, no stats. */
export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  F8_E8M0: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
  C64: 8,
};

/** The safetensors library refuses headers over 100 MB; so do we (a corrupt length must not allocate GBs). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  numel: number;
  /** Absolute byte offset of the tensor's first byte in `file`. */
  offset: number;
  byteLength: number;
  /** `data_offsets` as written: relative to the end of the header. */
  dataOffsets: [number, number];
  file: string;
  /** Why this tensor's bytes cannot be read (past the end of the file, size mismatch …). */
  error?: string;
}

export interface SafetensorsHeader {
  file: string;
  fileSize: number;
  headerLength: number;
  /** Absolute offset where the data buffer starts (8 + headerLength). */
  dataStart: number;
  metadata: Record<string, string>;
  /** In file order (by offset). */
  tensors: TensorInfo[];
  /** Non-fatal problems: tensors whose bytes lie past the end of the file, holes, overlaps. */
  problems: ReadError[];
}

/** A header that cannot be read at all. The message names the file and the byte offset. */
export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    readonly byteOffset: number,
    readonly detail: string,
  ) {
    super(`${file}: byte ${byteOffset}: ${detail}`);
    this.name = 'SafetensorsError';
  }
  toReadError(): ReadError {
    return { file: this.file, byteOffset: this.byteOffset, message: this.detail };
  }
}

export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    if (size < 8) throw new SafetensorsError(file, 0, `file is ${size} bytes, too short for the 8-byte header length`);
    const lenBuf = new Uint8Array(8);
    await fh.read(lenBuf, 0, 8, 0);
    const headerLength = checkHeaderLength(file, size, new DataView(lenBuf.buffer).getBigUint64(0, true));
    const headerBytes = new Uint8Array(headerLength);
    const { bytesRead } = await fh.read(headerBytes, 0, headerLength, 8);
    if (bytesRead !== headerLength)
      throw new SafetensorsError(file, 8 + bytesRead, `file ended while reading the ${headerLength}-byte header`);
    return parseSafetensorsHeader(file, size, headerBytes);
  } finally {
    await fh.close();
  }
}

function checkHeaderLength(file: string, size: number, n: bigint): number {
  if (n > BigInt(MAX_HEADER_BYTES)) {
    const past = n > BigInt(size - 8) ? ` and runs past the end of the file (${size} bytes)` : '';
    throw new SafetensorsError(
      file,
      0,
      `header length ${n} is over the 100 MB limit${past}: not a safetensors file, or a corrupt one`,
    );
  }
  if (n > BigInt(size - 8))
    throw new SafetensorsError(file, 0, `header length ${n} runs past the end of the file (${size} bytes)`);
  if (n < 2n) throw new SafetensorsError(file, 0, `header length ${n} is too small for a JSON object`);
  return Number(n);
}

/** Parses the JSON header bytes (those after the 8-byte length) of a file of `fileSize` bytes. */
export function parseSafetensorsHeader(file: string, fileSize: number, headerBytes: Uint8Array): SafetensorsHeader {
  const headerLength = headerBytes.length;
  const dataStart = 8 + headerLength;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError(file, 8 + firstBadUtf8(headerBytes), 'header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    // V8's own "at position N (line 1 column M)" counts characters of the header, not file bytes: drop it.
    const reason = (err as Error).message.replace(/\s*(?:in JSON )?at position \d+.*$/, '');
    throw new SafetensorsError(file, 8 + jsonErrorByte(text, err as Error), `header is not valid JSON (${reason})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new SafetensorsError(file, 8, 'header is not a JSON object');

  const metadata: Record<string, string> = {};
  const tensors: TensorInfo[] = [];
  const problems: ReadError[] = [];
  const dataSize = fileSize - dataStart;
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    // Only computed for an error: it scans the header text, which is large for big models.
    const at = (): number => 8 + byteIndexOfKey(text, name);
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null)
        throw new SafetensorsError(file, at(), '__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw)) metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null || typeof e.dtype !== 'string')
      throw new SafetensorsError(file, at(), `tensor "${name}" has no dtype`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw new SafetensorsError(file, at(), `tensor "${name}" has a bad shape ${JSON.stringify(e.shape)}`);
    const off = e.data_offsets;
    if (
      !Array.isArray(off) ||
      off.length !== 2 ||
      !off.every((d) => Number.isSafeInteger(d) && d >= 0) ||
      off[1] < off[0]
    ) {
      throw new SafetensorsError(file, at(), `tensor "${name}" has bad data_offsets ${JSON.stringify(off)}`);
    }
    const shape = e.shape as number[];
    const numel = shape.reduce((a, b) => a * b, 1);
    const [begin, end] = off as [number, number];
    const info: TensorInfo = {
      name,
      dtype: e.dtype,
      shape,
      numel,
      offset: dataStart + begin,
      byteLength: end - begin,
      dataOffsets: [begin, end],
      file,
    };
    const width = DTYPE_BYTES[e.dtype];
    if (width === undefined) info.error = `dtype ${e.dtype} is not supported for statistics`;
    else if (width > 0 && numel * width !== end - begin)
      info.error = `shape ${JSON.stringify(shape)} × ${e.dtype} is ${numel * width} bytes but data_offsets span ${end - begin}`;
    if (end > dataSize) {
      info.error = `data ends at byte ${dataStart + end}, past the end of the file (${fileSize} bytes)`;
      problems.push({ file, byteOffset: dataStart + end, message: `tensor "${name}": ${info.error}` });
    } else if (info.error && width !== undefined) {
      problems.push({ file, byteOffset: dataStart + begin, message: `tensor "${name}": ${info.error}` });
    }
    tensors.push(info);
  }
  tensors.sort((a, b) => a.offset - b.offset || a.name.localeCompare(b.name));
  // Overlapping ranges mean two tensors share bytes: a corrupt (or hand-made) file.
  for (let i = 1; i < tensors.length; i++) {
    const prev = tensors[i - 1];
    const cur = tensors[i];
    if (cur.byteLength > 0 && prev.offset + prev.byteLength > cur.offset) {
      problems.push({ file, byteOffset: cur.offset, message: `tensor "${cur.name}" overlaps "${prev.name}"` });
    }
  }
  return { file, fileSize, headerLength, dataStart, metadata, tensors, problems };
}

function firstBadUtf8(bytes: Uint8Array): number {
  const dec = new TextDecoder('utf-8', { fatal: true });
  let lo = 0;
  let hi = bytes.length;
  // Binary search for the shortest prefix that fails (a prefix cut mid-character also fails, hence stream: true).
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    try {
      dec.decode(bytes.subarray(0, mid + 1), { stream: true });
      dec.decode();
      lo = mid + 1;
    } catch {
      hi = mid;
    }
  }
  return lo;
}

/** V8 says "… at position N" (a UTF-16 index) or "Unexpected end of JSON input". Turn it into a byte index. */
function jsonErrorByte(text: string, err: Error): number {
  const m = /position (\d+)/.exec(err.message);
  // Padding spaces after a cut-off header push V8's position to the very end; the fault is where content stops.
  const end = text.trimEnd().length;
  const charIndex = m ? Math.min(Number(m[1]), end) : end;
  return new TextEncoder().encode(text.slice(0, charIndex)).length;
}

function byteIndexOfKey(text: string, key: string): number {
  const i = text.indexOf(JSON.stringify(key));
  return i < 0 ? 0 : new TextEncoder().encode(text.slice(0, i)).length;
}

/** "1.2 GB" style sizes for the table. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)} ${units[u]}`;
}
