// Safetensors core vs the `safetensors` library + torch on the same files (same run):
// header read, per-tensor statistics of three large tensors (BF16 64 MiB, F32 64 MiB, F16 16 MiB),
// and a checkpoint compare of two 144 MiB files. Prints a table: ours, reference, ratio (ours / reference).
// Files go to bench/.data/safetensors (git-ignored), written once by bench/safetensors/reference.py.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { readSafetensorsHeader } from '../src/core/weights/header';
import { tensorStats } from '../src/core/weights/stats';
import { openSafetensorsModel } from '../src/core/weights/model';
import { compareModels } from '../src/core/weights/compare';

const DIR = resolve('bench/.data/safetensors');
const PY = process.env.BATCHSCOPE_TEST_PYTHON ?? resolve('.venv/bin/python');

async function main(): Promise<void> {
  const ref = JSON.parse(
    execFileSync(PY, ['bench/safetensors/reference.py', DIR], { encoding: 'utf8' }).trim().split('\n').pop()!,
  );
  const a = `${DIR}/a.safetensors`;
  const b = `${DIR}/b.safetensors`;

  let t0 = performance.now();
  for (let i = 0; i < 20; i++) await readSafetensorsHeader(a);
  const header = (performance.now() - t0) / 1000 / 20;

  const h = await readSafetensorsHeader(a);
  t0 = performance.now();
  for (const name of ['embed.weight', 'layers.0.mlp.weight', 'layers.0.attn.weight'])
    await tensorStats(h.tensors.find((t) => t.name === name)!);
  const stats = (performance.now() - t0) / 1000;

  t0 = performance.now();
  const rows = await compareModels(await openSafetensorsModel(a), await openSafetensorsModel(b));
  const compare = (performance.now() - t0) / 1000;
  const changed = rows.filter((r) => r.status === 'changed').map((r) => r.name);

  const fmt = (s: number) => (s < 0.01 ? `${(s * 1000).toFixed(2)} ms` : `${s.toFixed(2)} s`);
  const lines = [
    ['task', 'Batchscope (Node)', 'safetensors + torch', 'ratio'],
    ['header, 203 tensors', fmt(header), fmt(ref.header), (header / ref.header).toFixed(2)],
    ['stats of 3 tensors, 144 MiB', fmt(stats), fmt(ref.stats), (stats / ref.stats).toFixed(2)],
    ['compare 2 × 144 MiB', fmt(compare), fmt(ref.compare), (compare / ref.compare).toFixed(2)],
  ];
  const w = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  for (const l of lines) console.log(`| ${l.map((c, i) => c.padEnd(w[i])).join(' | ')} |`);
  console.log(`torch threads: ${ref.torch_threads}; changed tensors found: ${changed.join(', ')}`);
}

void main();
