// A `save_to_disk` folder: state.json lists the shards in `_data_files` order; dataset_info.json has features.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { ArrowSource } from './arrowSource';
import { openFileSource } from './byteSource';
import { DatasetOpenError, errorMessage } from './errors';
import { MultiSource } from './multiSource';
import { indexCacheFor } from './indexCache';
import { PaddedShard, expectedShardSizes } from './shardGaps';
import type { DatasetSource, ReadError } from './types';

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    throw new DatasetOpenError(file, `cannot read: ${errorMessage(err)}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DatasetOpenError(file, `invalid JSON: ${errorMessage(err)}`);
  }
}

export async function openSaveToDisk(
  dir: string,
  opts: { signal?: AbortSignal; indexCacheDir?: string } = {},
): Promise<DatasetSource> {
  const statePath = join(dir, 'state.json');
  const infoPath = join(dir, 'dataset_info.json');
  const entries = await fsp.readdir(dir).catch((err) => {
    throw new DatasetOpenError(dir, `cannot list folder: ${errorMessage(err)}`);
  });
  if (!entries.includes('state.json')) {
    const hint = entries.includes('dataset_dict.json')
      ? ' This is a DatasetDict folder: open one of its split folders (e.g. train/).'
      : ' Expected a datasets.save_to_disk() folder (state.json, dataset_info.json, data-*.arrow).';
    throw new DatasetOpenError(dir, `no state.json.${hint}`);
  }
  const state = (await readJson(statePath)) as { _data_files?: { filename?: string }[]; _split?: string };
  const files = Array.isArray(state?._data_files)
    ? state._data_files.map((f) => f?.filename).filter((f): f is string => typeof f === 'string')
    : [];
  if (!files.length) throw new DatasetOpenError(statePath, 'state.json has no `_data_files` shard list');
  let features: unknown;
  let total: number | undefined;
  const errors: ReadError[] = [];
  if (entries.includes('dataset_info.json')) {
    try {
      const info = (await readJson(infoPath)) as {
        features?: unknown;
        splits?: Record<string, { num_examples?: number }>;
      };
      features = info?.features;
      const split =
        info?.splits?.[state._split ?? 'train'] ??
        (info?.splits && Object.values(info.splits).length === 1 ? Object.values(info.splits)[0] : undefined);
      if (typeof split?.num_examples === 'number') total = split.num_examples;
    } catch (err) {
      errors.push({ file: infoPath, message: errorMessage(err) });
    }
  }
  // Every shard is opened; one that cannot be is a gap, not the end of the dataset.
  const opened: { src?: DatasetSource; error?: ReadError }[] = [];
  for (const f of files) {
    const p = join(dir, f);
    try {
      const st = await fsp.stat(p);
      const src = await openFileSource(p, st.size);
      try {
        opened.push({
          src: await ArrowSource.open(
            src,
            opts.signal,
            indexCacheFor(opts.indexCacheDir, p, st.size, st.mtimeMs, 'arrow-stream'),
          ),
        });
      } catch (err) {
        await src.close();
        throw err;
      }
    } catch (err) {
      if (err instanceof Error && err.name === 'AbortError') {
        await Promise.all(opened.map((o) => o.src?.close()));
        throw err;
      }
      const e = err instanceof DatasetOpenError ? err : undefined;
      opened.push({
        error: {
          file: p,
          byteOffset: e?.byteOffset ?? 0,
          message: `shard listed in state.json is unreadable: ${e ? e.message.replace(`${p}${e.byteOffset !== undefined ? ` (byte ${e.byteOffset})` : ''}: `, '') : errorMessage(err)}`,
        },
      });
    }
  }
  const template = opened.find((o) => o.src)?.src;
  if (!template) {
    const first = opened[0].error!;
    throw new DatasetOpenError(first.file, first.message, { byteOffset: first.byteOffset });
  }
  const damaged = opened.map((o) => !o.src || o.src.errors.length > 0);
  const sizes = expectedShardSizes(
    total,
    opened.map((o) => o.src?.numRows),
    damaged,
  );
  const shards: DatasetSource[] = opened.map((o, i) => {
    const p = join(dir, files[i]);
    if (!damaged[i]) return o.src!;
    const have = o.src?.numRows ?? 0;
    const cause = o.error ?? o.src!.errors[0];
    const size = sizes[i];
    if (size === undefined) {
      errors.push({
        file: p,
        byteOffset: cause.byteOffset ?? 0,
        message: `shard damaged; its row count is unknown, so the rows after it may be numbered too low: ${cause.message}`,
      });
      return o.src ?? new PaddedShard(undefined, p, 0, cause, template);
    }
    const gap: ReadError = {
      file: p,
      byteOffset: cause.byteOffset ?? 0,
      message: `unreadable from row ${have} of this shard (${size - have} rows missing): ${cause.message}`,
    };
    return new PaddedShard(o.src, p, size, gap, template);
  });
  const notes = [
    `save_to_disk folder: ${files.length} shard${files.length === 1 ? '' : 's'} (${files.join(', ')}) read as one dataset.`,
  ];
  const first = shards[0].columns.map((c) => `${c.name}:${c.type}`).join(',');
  shards.forEach((s, i) => {
    if (s.columns.map((c) => `${c.name}:${c.type}`).join(',') !== first) {
      errors.push({
        file: join(dir, files[i]),
        message: 'shard schema differs from the first shard; columns are taken from the first',
      });
    }
  });
  return new MultiSource(dir, shards, features, notes, errors);
}
