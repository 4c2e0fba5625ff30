// Entry point of the readers: picks a reader by extension / folder shape. No Python involved.
import { promises as fsp } from 'node:fs';
import { basename, extname } from 'node:path';
import { ArrowSource } from './arrowSource';
import { openFileSource, type ByteSource } from './byteSource';
import { DatasetOpenError, errorMessage } from './errors';
import { indexCacheFor, type IndexCache } from './indexCache';
import { openJsonSource } from './jsonSource';
import { openJsonlSource } from './jsonlSource';
import { ParquetSource } from './parquetSource';
import { openSaveToDisk } from './saveToDisk';
import type { DatasetFormat, DatasetSource } from './types';

export { DatasetOpenError } from './errors';

export interface OpenOptions {
  signal?: AbortSignal;
  /** Folder for cached line/batch indexes (the extension passes workspace storage). Never beside user data. */
  indexCacheDir?: string;
  /** JSONL/JSON: lines over this many bytes are reported instead of parsed (default 32 MiB). */
  maxLineBytes?: number;
}

export function formatForPath(path: string): Exclude<DatasetFormat, 'save_to_disk'> | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.arrow' || ext === '.ipc' || ext === '.feather') return 'arrow-stream';
  if (ext === '.parquet') return 'parquet';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.json') return 'json';
  return undefined;
}

export async function openDataset(path: string, opts: OpenOptions = {}): Promise<DatasetSource> {
  let stat;
  try {
    stat = await fsp.stat(path);
  } catch (err) {
    throw new DatasetOpenError(path, `cannot open: ${errorMessage(err)}`);
  }
  if (stat.isDirectory()) return openSaveToDisk(path, opts);
  const format = formatForPath(path);
  if (!format) {
    throw new DatasetOpenError(
      path,
      `unsupported file type "${extname(path) || basename(path)}" (expected .arrow, .parquet, .jsonl or .json)`,
    );
  }
  let src: ByteSource;
  try {
    src = await openFileSource(path, stat.size);
  } catch (err) {
    throw new DatasetOpenError(path, `cannot open: ${errorMessage(err)}`);
  }
  try {
    const cache = indexCacheFor(opts.indexCacheDir, path, stat.size, stat.mtimeMs, format);
    return await openByteSource(src, format, opts, cache);
  } catch (err) {
    await src.close().catch(() => undefined);
    throw err;
  }
}

/** Opens any byte source as the given format (files, and in-memory bytes for tests and fuzzing). */
export async function openByteSource(
  src: ByteSource,
  format: Exclude<DatasetFormat, 'save_to_disk'>,
  opts: OpenOptions = {},
  cache?: IndexCache,
): Promise<DatasetSource> {
  try {
    switch (format) {
      case 'arrow-stream':
      case 'arrow-file':
        return await ArrowSource.open(src, opts.signal, cache);
      case 'parquet':
        return await ParquetSource.open(src, opts.signal);
      case 'jsonl':
        return await openJsonlSource(src, { ...opts, cache });
      case 'json':
        return await openJsonSource(src, { ...opts, cache });
    }
  } catch (err) {
    if (err instanceof DatasetOpenError || (err instanceof Error && err.name === 'AbortError')) throw err;
    // Anything else out of a third-party decoder still becomes an error that names the file.
    throw new DatasetOpenError(src.name, errorMessage(err), { byteOffset: 0 });
  }
}
