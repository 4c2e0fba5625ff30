// Errors the readers throw. Every message names the file and, where known, the line or byte offset,
// so the editor and the CLI can print it as is.
import type { ReadError } from './types';

/** Nothing at all could be read from the dataset (no schema, no valid line, unreadable folder …). */
export class DatasetOpenError extends Error {
  readonly file: string;
  readonly line?: number;
  readonly byteOffset?: number;
  constructor(file: string, message: string, where: { line?: number; byteOffset?: number } = {}) {
    super(`${file}${formatWhere(where)}: ${message}`);
    this.name = 'DatasetOpenError';
    this.file = file;
    this.line = where.line;
    this.byteOffset = where.byteOffset;
  }
}

/** Thrown when an AbortSignal fires during a read or a scan. */
export class AbortedError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'AbortError';
  }
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new AbortedError();
}

export function formatWhere(where: { line?: number; byteOffset?: number }): string {
  if (where.line !== undefined) return `:${where.line}`;
  if (where.byteOffset !== undefined) return ` (byte ${where.byteOffset})`;
  return '';
}

/** `file:line: message` / `file (byte N): message`: the one-line form used by the CLI and the UI. */
export function formatReadError(e: ReadError): string {
  return `${e.file}${formatWhere(e)}: ${e.message}`;
}

/**
 * The message of an error for the user. A TypeError / RangeError out of a decoder means it tripped over
 * inconsistent bytes ("Cannot read properties of undefined …"): that text says nothing to the user, so
 * it becomes a plain statement; the caller adds the file and byte offset.
 */
export function errorMessage(err: unknown): string {
  if (err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError) {
    return 'the data is inconsistent (sizes, offsets or counts that do not add up)';
  }
  return err instanceof Error ? err.message : String(err);
}
