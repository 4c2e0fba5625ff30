// Record boundaries in JSONL (non-blank lines) and JSON (top-level array elements), found by streaming
// passes with bounded memory. The index keeps sparse checkpoints (every CHECKPOINT-th record), so a
// 10 GB file costs a few hundred KB of index; any row is reached by re-splitting from its checkpoint.
import type { ByteSource } from './byteSource';
import { throwIfAborted } from './errors';

export const CHECKPOINT = 1000;
const CHUNK = 1 << 20;

export interface RecordSpan {
  start: number;
  /** Exclusive; excludes the newline / separator. */
  end: number;
  /** 1-based line where the record starts. */
  line: number;
}

export interface Checkpoint {
  row: number;
  /** Offset to resume splitting from, and the splitter state there. */
  offset: number;
  line: number;
}

export interface TextIndex {
  numRows: number;
  checkpoints: Checkpoint[];
  /** A problem with the framing itself (JSON array not closed …). */
  framingError?: { line: number; byteOffset: number; message: string };
}

/** A splitter consumes bytes and emits record spans. Must be restartable at a checkpoint (record start). */
interface Splitter {
  /** Feeds bytes [0, n) of `buf` that start at file offset `base`. Return false from emit to stop. */
  push(buf: Uint8Array, n: number, base: number, emit: (s: RecordSpan) => boolean): boolean;
  finish(fileSize: number, emit: (s: RecordSpan) => boolean): void;
  framingError?: TextIndex['framingError'];
}

const isWs = (b: number) => b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a;

/** JSONL: each non-blank line is a record. Uses indexOf to jump between newlines. */
class LineSplitter implements Splitter {
  private lineStart: number;
  private line: number;
  private nonBlank = false;
  constructor(start: number, line: number) {
    this.lineStart = start;
    this.line = line;
  }
  push(buf: Uint8Array, n: number, base: number, emit: (s: RecordSpan) => boolean): boolean {
    let i = 0;
    while (i < n) {
      if (!this.nonBlank) {
        // Still in the leading whitespace of a line: a line is blank iff only whitespace precedes its newline.
        while (i < n && buf[i] !== 0x0a && isWs(buf[i])) i++;
        if (i >= n) break;
        if (buf[i] !== 0x0a) this.nonBlank = true;
      }
      const nl = buf.indexOf(0x0a, i);
      if (nl < 0 || nl >= n) break;
      if (this.nonBlank) {
        let end = base + nl;
        if (nl > 0 && buf[nl - 1] === 0x0d) end--;
        if (!emit({ start: this.lineStart, end, line: this.line })) return false;
      }
      this.line++;
      this.lineStart = base + nl + 1;
      this.nonBlank = false;
      i = nl + 1;
    }
    return true;
  }
  finish(fileSize: number, emit: (s: RecordSpan) => boolean): void {
    if (this.nonBlank && fileSize > this.lineStart) emit({ start: this.lineStart, end: fileSize, line: this.line });
  }
}

/** JSON: elements of a top-level array. Tracks strings/escapes/depth byte by byte. */
class ArraySplitter implements Splitter {
  private depth: number;
  private inString = false;
  private escape = false;
  private elemStart = -1;
  private elemLine = 0;
  private line: number;
  private scalar = false;
  private done = false;
  framingError?: TextIndex['framingError'];
  /** `inArray`: start is just inside the top-level array (a checkpoint) rather than the file start. */
  constructor(start: number, line: number, inArray: boolean) {
    this.depth = inArray ? 1 : 0;
    this.line = line;
    void start;
  }
  push(buf: Uint8Array, n: number, base: number, emit: (s: RecordSpan) => boolean): boolean {
    if (this.done) return false;
    for (let i = 0; i < n; i++) {
      const b = buf[i];
      if (b === 0x0a) this.line++;
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (b === 0x5c) this.escape = true;
        else if (b === 0x22) {
          this.inString = false;
          if (this.depth === 1 && this.scalar) {
            if (!emit({ start: this.elemStart, end: base + i + 1, line: this.elemLine })) return false;
            this.elemStart = -1;
            this.scalar = false;
          }
        }
        continue;
      }
      if (this.depth === 0) {
        if (isWs(b) || b === 0xef || b === 0xbb || b === 0xbf) continue; // whitespace, UTF-8 BOM
        if (b === 0x5b) {
          this.depth = 1;
          continue;
        }
        this.framingError = {
          line: this.line,
          byteOffset: base + i,
          message: 'expected a JSON list of records (`[`) at the top level',
        };
        this.done = true;
        return false;
      }
      if (this.depth === 1) {
        if (this.elemStart < 0) {
          if (isWs(b) || b === 0x2c) continue;
          if (b === 0x5d) {
            this.depth = 0;
            this.done = true;
            return false;
          }
          this.elemStart = base + i;
          this.elemLine = this.line;
          if (b === 0x7b || b === 0x5b) {
            this.depth++;
            this.scalar = false;
          } else {
            this.scalar = true;
            if (b === 0x22) this.inString = true;
          }
          continue;
        }
        // A scalar element (number, true, null) runs to the next separator.
        if (this.scalar && (b === 0x2c || b === 0x5d || isWs(b))) {
          if (!emit({ start: this.elemStart, end: base + i, line: this.elemLine })) return false;
          this.elemStart = -1;
          this.scalar = false;
          if (b === 0x5d) {
            this.depth = 0;
            this.done = true;
            return false;
          }
        }
        continue;
      }
      if (b === 0x22) this.inString = true;
      else if (b === 0x7b || b === 0x5b) this.depth++;
      else if (b === 0x7d || b === 0x5d) {
        this.depth--;
        if (this.depth === 1) {
          if (!emit({ start: this.elemStart, end: base + i + 1, line: this.elemLine })) return false;
          this.elemStart = -1;
        }
      }
    }
    return true;
  }
  finish(fileSize: number, emit: (s: RecordSpan) => boolean): void {
    if (this.done) return;
    if (this.elemStart >= 0) {
      // Truncated inside an element: hand it out so the parser reports the exact problem.
      emit({ start: this.elemStart, end: fileSize, line: this.elemLine });
    }
    this.framingError ??= {
      line: this.line,
      byteOffset: fileSize,
      message: this.depth === 0 ? 'no JSON list found' : 'the JSON list is not closed (file truncated?)',
    };
  }
}

export type TextKind = 'jsonl' | 'json';

function makeSplitter(kind: TextKind, cp: Checkpoint, atFileStart: boolean): Splitter {
  return kind === 'jsonl' ? new LineSplitter(cp.offset, cp.line) : new ArraySplitter(cp.offset, cp.line, !atFileStart);
}

/** Streams from `from` (a checkpoint) calling emit for each record until emit returns false or the file ends. */
export async function walkRecords(
  src: ByteSource,
  kind: TextKind,
  from: Checkpoint,
  emit: (s: RecordSpan) => boolean,
  signal?: AbortSignal,
  atFileStart = from.offset === 0 && from.row === 0,
): Promise<Splitter> {
  const splitter = makeSplitter(kind, from, atFileStart);
  const buf = new Uint8Array(CHUNK);
  let pos = from.offset;
  let go = true;
  while (go && pos < src.size) {
    throwIfAborted(signal);
    const n = await src.readInto(buf, 0, pos, CHUNK);
    if (n <= 0) break;
    go = splitter.push(buf, n, pos, emit);
    pos += n;
  }
  if (go) splitter.finish(src.size, emit);
  return splitter;
}

/** The indexing pass: counts records and keeps a checkpoint every CHECKPOINT records. */
export async function buildTextIndex(
  src: ByteSource,
  kind: TextKind,
  signal?: AbortSignal,
  onProgress?: (done: number, total: number) => void,
): Promise<TextIndex> {
  const checkpoints: Checkpoint[] = [];
  let rows = 0;
  let lastReport = 0;
  const splitter = await walkRecords(
    src,
    kind,
    { row: 0, offset: 0, line: 1 },
    (s) => {
      if (rows % CHECKPOINT === 0) checkpoints.push({ row: rows, offset: s.start, line: s.line });
      rows++;
      if (onProgress && s.end - lastReport > 64 << 20) {
        lastReport = s.end;
        onProgress(s.end, src.size);
      }
      return true;
    },
    signal,
  );
  return { numRows: rows, checkpoints, framingError: splitter.framingError };
}
