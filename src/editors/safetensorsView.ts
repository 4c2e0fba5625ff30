// Model → what the safetensors panel shows (plain JSON for postMessage). No vscode import.
import { basename } from 'node:path';
import type { SafetensorsModelView } from '../../webview/messages';
import type { SafetensorsModel } from '../data/safetensorsModel';

export function modelView(model: SafetensorsModel): SafetensorsModelView {
  return {
    title: basename(model.path),
    path: model.path,
    kind: model.kind,
    tensors: model.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, bytes: t.byteLength, offset: t.offset, file: basename(t.file), ...(t.error ? { error: t.error } : {}) })),
    metadata: model.metadata,
    totalBytes: model.totalBytes,
    shards: model.shards.map((s) => ({ file: basename(s.file), size: s.fileSize, headerLength: s.headerLength, tensors: s.tensors.length })),
    problems: model.problems,
  };
}
