// A model as the viewer and the compare see it: one .safetensors file, a sharded
// `*.safetensors.index.json` (all shards as one table), or a folder holding either.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ReadError } from '../datasets/types';
import { readSafetensorsHeader, SafetensorsError, type SafetensorsHeader, type TensorInfo } from './header';

export interface SafetensorsModel {
  /** What was opened (file, index or folder). */
  path: string;
  kind: 'file' | 'index' | 'folder';
  shards: SafetensorsHeader[];
  /** All tensors of all shards, in shard order then file order. */
  tensors: TensorInfo[];
  metadata: Record<string, string>;
  totalBytes: number;
  problems: ReadError[];
}

export function isIndexFile(path: string): boolean {
  return path.endsWith('.safetensors.index.json');
}

export async function openSafetensorsModel(path: string): Promise<SafetensorsModel> {
  const st = await stat(path);
  if (st.isDirectory()) return openFolder(path);
  if (isIndexFile(path)) return openIndex(path, 'index');
  return fromShards(path, 'file', [await readSafetensorsHeader(path)], []);
}

async function openFolder(dir: string): Promise<SafetensorsModel> {
  const names = (await readdir(dir)).sort();
  const index = names.find((n) => n === 'model.safetensors.index.json') ?? names.find(isIndexFile);
  if (index) return { ...(await openIndex(join(dir, index), 'folder')), path: dir };
  const files = names.filter((n) => n.endsWith('.safetensors'));
  if (!files.length) throw new Error(`${dir}: no .safetensors file or *.safetensors.index.json in this folder`);
  const shards = await Promise.all(files.map((f) => readSafetensorsHeader(join(dir, f))));
  return fromShards(dir, 'folder', shards, []);
}

async function openIndex(indexPath: string, kind: 'index' | 'folder'): Promise<SafetensorsModel> {
  const text = await readFile(indexPath, 'utf8');
  let json: { weight_map?: unknown; metadata?: unknown };
  try {
    json = JSON.parse(text);
  } catch (err) {
    const m = /position (\d+)/.exec((err as Error).message);
    const pos = m ? Number(m[1]) : text.length;
    const line = text.slice(0, pos).split('\n').length;
    throw new Error(`${indexPath}:${line}: not valid JSON: ${(err as Error).message}`);
  }
  const map = json.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map))
    throw new Error(`${indexPath}: no "weight_map" object`);
  const byShard = new Map<string, string[]>();
  for (const [tensor, shard] of Object.entries(map as Record<string, unknown>)) {
    if (typeof shard !== 'string') throw new Error(`${indexPath}: weight_map["${tensor}"] is not a file name`);
    if (!byShard.has(shard)) byShard.set(shard, []);
    byShard.get(shard)!.push(tensor);
  }
  const dir = dirname(indexPath);
  const problems: ReadError[] = [];
  const shards: SafetensorsHeader[] = [];
  for (const shard of [...byShard.keys()].sort()) {
    const file = join(dir, shard);
    try {
      shards.push(await readSafetensorsHeader(file));
    } catch (err) {
      // One bad or missing shard must not hide the others.
      if (err instanceof SafetensorsError) problems.push(err.toReadError());
      else
        problems.push({
          file,
          message:
            (err as NodeJS.ErrnoException).code === 'ENOENT'
              ? `shard listed in ${basename(indexPath)} does not exist`
              : (err as Error).message,
        });
      continue;
    }
    const have = new Set(shards[shards.length - 1].tensors.map((t) => t.name));
    for (const name of byShard.get(shard)!)
      if (!have.has(name))
        problems.push({
          file,
          message: `${basename(indexPath)} maps "${name}" to this shard, but the shard has no such tensor`,
        });
  }
  const metadata: Record<string, string> = {};
  if (json.metadata && typeof json.metadata === 'object')
    for (const [k, v] of Object.entries(json.metadata)) metadata[k] = String(v);
  return fromShards(indexPath, kind, shards, problems, metadata);
}

function fromShards(
  path: string,
  kind: SafetensorsModel['kind'],
  shards: SafetensorsHeader[],
  problems: ReadError[],
  extraMeta: Record<string, string> = {},
): SafetensorsModel {
  const tensors = shards.flatMap((s) => s.tensors);
  const metadata = { ...Object.assign({}, ...shards.map((s) => s.metadata)), ...extraMeta };
  return {
    path,
    kind,
    shards,
    tensors,
    metadata,
    totalBytes: tensors.reduce((a, t) => a + t.byteLength, 0),
    problems: [...problems, ...shards.flatMap((s) => s.problems)],
  };
}
