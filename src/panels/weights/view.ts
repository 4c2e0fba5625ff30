// Model → what the safetensors panel shows (plain JSON for postMessage). No vscode import.
import { basename, dirname } from 'node:path';
import type { SafetensorsModelView } from '../../../protocol/webview';
import type { SafetensorsModel } from '../../core/weights/model';

export function modelView(model: SafetensorsModel): SafetensorsModelView {
  return {
    title: basename(model.path),
    path: model.path,
    kind: model.kind,
    tensors: model.tensors.map((t) => ({
      name: t.name,
      dtype: t.dtype,
      shape: t.shape,
      bytes: t.byteLength,
      offset: t.offset,
      file: basename(t.file),
      ...(t.error ? { error: t.error } : {}),
    })),
    metadata: model.metadata,
    totalBytes: model.totalBytes,
    shards: model.shards.map((s) => ({
      file: basename(s.file),
      size: s.fileSize,
      headerLength: s.headerLength,
      tensors: s.tensors.length,
    })),
    problems: model.problems,
  };
}

/** Quick-pick order of checkpoint folders: checkpoint-10 before checkpoint-9 (newest first), others by path. */
export function compareCheckpointDirs(x: string, y: string): number {
  const n = (p: string) => Number(/checkpoint-(\d+)$/.exec(p)?.[1] ?? NaN);
  const nx = n(x);
  const ny = n(y);
  if (!Number.isNaN(nx) && !Number.isNaN(ny) && dirname(x) === dirname(y)) return ny - nx;
  return x.localeCompare(y);
}
