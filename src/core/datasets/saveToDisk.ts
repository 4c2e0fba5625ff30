// A `save_to_disk` folder: state.json lists the shards in `_data_files` order; dataset_info.json has features.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { ArrowSource } from './arrowSource';
import { openFileSource } from './byteSource';
import { DatasetOpenError, errorMessage } from './errors';
import { MultiSource } from './multiSource';
import { indexCacheFor } from './indexCache';
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

export async function openSaveToDisk(dir: string, opts: { signal?: AbortSignal; indexCacheDir?: string } = {}): Promise<DatasetSource> {
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
  const state = (await readJson(statePath)) as { _data_files?: { filename?: string }[] };
  const files = Array.isArray(state?._data_files) ? state._data_files.map((f) => f?.filename).filter((f): f is string => typeof f === 'string') : [];
  if (!files.length) throw new DatasetOpenError(statePath, 'state.json has no `_data_files` shard list');
  let features: unknown;
  const errors: ReadError[] = [];
  if (entries.includes('dataset_info.json')) {
    try {
      features = ((await readJson(infoPath)) as { features?: unknown })?.features;
    } catch (err) {
      errors.push({ file: infoPath, message: errorMessage(err) });
    }
  }
  const shards: DatasetSource[] = [];
  try {
    for (const f of files) {
      const p = join(dir, f);
      let src;
      try {
        src = await openFileSource(p);
      } catch (err) {
        throw new DatasetOpenError(p, `shard listed in state.json cannot be opened: ${errorMessage(err)}`);
      }
      try {
        const st = await fsp.stat(p);
        shards.push(await ArrowSource.open(src, opts.signal, indexCacheFor(opts.indexCacheDir, p, st.size, st.mtimeMs, 'arrow-stream')));
      } catch (err) {
        await src.close();
        throw err instanceof DatasetOpenError ? err : new DatasetOpenError(p, errorMessage(err));
      }
    }
  } catch (err) {
    await Promise.all(shards.map((s) => s.close()));
    throw err;
  }
  const notes = [`save_to_disk folder: ${files.length} shard${files.length === 1 ? '' : 's'} (${files.join(', ')}) read as one dataset.`];
  const first = shards[0].columns.map((c) => `${c.name}:${c.type}`).join(',');
  shards.forEach((s, i) => {
    if (s.columns.map((c) => `${c.name}:${c.type}`).join(',') !== first) {
      errors.push({ file: join(dir, files[i]), message: 'shard schema differs from the first shard; columns are taken from the first' });
    }
  });
  return new MultiSource(dir, shards, features, notes, errors);
}
