// The weights panel's message flow, host side: the real SafetensorsSession on files written by the
// real `safetensors` library (test/.fixtures/safetensors, ground truth from torch in expected.json),
// driven through onMessage exactly as the webview drives it, with `post` collecting the answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SafetensorsToWebview } from '../../../protocol/webview';
import { SafetensorsSession, type SessionMode } from '../../../src/panels/weights/session';

const DIR = resolve(process.env.BATCHSCOPE_FIXTURES ?? 'test/.fixtures', 'safetensors');
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8'));

function open(mode: SessionMode): { session: SafetensorsSession; posted: SafetensorsToWebview[] } {
  const posted: SafetensorsToWebview[] = [];
  const session = new SafetensorsSession({ mode, post: (m) => posted.push(JSON.parse(JSON.stringify(m))) });
  return { session, posted };
}

function near(actual: number | null | undefined, want: number, what: string): void {
  assert.ok(
    typeof actual === 'number' && Math.abs(actual - want) <= 1e-9 * Math.max(1, Math.abs(want)),
    `${what}: got ${actual}, want ${want}`,
  );
}

test('model: ready → the model view; requestStats → the stats torch computes; a wrong name → an error', async () => {
  const { session, posted } = open({ kind: 'model', path: join(DIR, 'dtypes.safetensors') });
  assert.equal(session.title, 'Model weights');
  await session.onMessage({ type: 'safetensors/ready' });
  const model = posted.find((m) => m.type === 'safetensors/model');
  assert.ok(model && model.type === 'safetensors/model', JSON.stringify(posted));
  const want = expected['dtypes.safetensors'];
  const names = Object.keys(want.header).filter((k) => k !== '__metadata__');
  assert.deepEqual(model.model.tensors.map((t) => t.name).sort(), [...names].sort());

  posted.length = 0;
  await session.onMessage({ type: 'safetensors/requestStats', name: 'f32.weight' });
  await session.onMessage({ type: 'safetensors/requestStats', name: 'no.such.tensor' });
  const stats = posted.filter((m) => m.type === 'safetensors/stats');
  assert.equal(stats.length, 2);
  const [good, bad] = stats as Extract<SafetensorsToWebview, { type: 'safetensors/stats' }>[];
  assert.equal(good.name, 'f32.weight');
  const w = want.stats['f32.weight'];
  assert.equal(good.stats!.count, w.count);
  assert.equal(good.stats!.nan, w.nan);
  near(good.stats!.mean, w.mean, 'mean');
  near(good.stats!.std, w.std, 'std');
  near(good.stats!.min, w.min, 'min');
  near(good.stats!.max, w.max, 'max');
  assert.match(bad.error ?? '', /no tensor named "no.such.tensor"/);

  // A second ready (the webview reloaded after being hidden) gets the model again.
  posted.length = 0;
  await session.onMessage({ type: 'safetensors/ready' });
  assert.deepEqual(
    posted.map((m) => m.type),
    ['safetensors/model'],
  );
  session.dispose();
});

test('model: a corrupt header is one fatal message naming the file; nothing is posted after dispose', async () => {
  const { session, posted } = open({ kind: 'model', path: join(DIR, 'corrupt_header.safetensors') });
  await session.onMessage({ type: 'safetensors/ready' });
  assert.equal(posted.length, 1);
  assert.equal(posted[0].type, 'safetensors/fatal');
  assert.match((posted[0] as { message: string }).message, /corrupt_header\.safetensors/);

  const live = open({ kind: 'model', path: join(DIR, 'dtypes.safetensors') });
  live.session.dispose();
  await live.session.onMessage({ type: 'safetensors/ready' });
  assert.deepEqual(live.posted, []);
});

test('compare: start, progress, then exactly the changed tensor with the norms torch computes; a reload replays it', async () => {
  const { session, posted } = open({
    kind: 'compare',
    a: join(DIR, 'ckpt_a'),
    b: join(DIR, 'ckpt_b', 'model.safetensors'),
  });
  assert.equal(session.title, 'Compare checkpoints');
  await session.onMessage({ type: 'safetensors/ready' });
  const types = posted.map((m) => m.type);
  assert.equal(types[0], 'safetensors/compareStart');
  assert.equal(types.at(-1), 'safetensors/compare');
  assert.ok(types.includes('safetensors/compareProgress'));
  const want = expected.compare as Record<string, { diff_norm: number; norm_a: number; rel: number }>;
  const start = posted[0] as Extract<SafetensorsToWebview, { type: 'safetensors/compareStart' }>;
  assert.equal(start.total, Object.keys(want).length);
  const done = posted.at(-1) as Extract<SafetensorsToWebview, { type: 'safetensors/compare' }>;
  assert.equal(done.cancelled, false);
  assert.equal(done.rows.length, Object.keys(want).length);
  assert.equal(done.rows[0].name, 'layers.0.weight');
  for (const r of done.rows) {
    const w = want[r.name];
    assert.equal(r.status, w.diff_norm === 0 ? 'unchanged' : 'changed', r.name);
    near(r.diffNorm, w.diff_norm, `${r.name} diff`);
    near(r.relChange, w.rel, `${r.name} rel`);
  }

  posted.length = 0;
  await session.onMessage({ type: 'safetensors/ready' });
  assert.deepEqual(posted, [done]);
  session.dispose();
});
