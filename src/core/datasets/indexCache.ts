// Optional on-disk cache of the batch / line indexes, in a folder the caller owns (the extension passes
// its workspace storage; never a folder beside the user's data). Keyed by path, size and mtime, so an
// edited or replaced file is indexed afresh. Any problem with the cache just means "not cached".
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const VERSION = 1;

export interface IndexCache {
  load<T>(): T | undefined;
  save(value: unknown): void;
}

export function indexCacheFor(
  dir: string | undefined,
  path: string,
  size: number,
  mtimeMs: number,
  kind: string,
): IndexCache | undefined {
  if (!dir) return undefined;
  const key = createHash('sha256')
    .update(JSON.stringify([VERSION, kind, resolve(path), size, mtimeMs]))
    .digest('hex')
    .slice(0, 32);
  const file = join(dir, `batchscope-index-${key}.json`);
  return {
    load<T>() {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as T;
      } catch {
        return undefined;
      }
    },
    save(value) {
      try {
        mkdirSync(dir, { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify(value));
        renameSync(tmp, file); // atomic: a reader never sees half a file
      } catch {
        // read-only or full disk: work without the cache
      }
    },
  };
}
