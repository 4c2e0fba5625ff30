// ZSTD through libzstd's wasm build (src/core/datasets/zstd.ts) against pyarrow's libzstd: the same bytes
// for frames pyarrow writes, the same outcome (bytes or libzstd's error text) for truncated, flipped and
// zeroed frames, the container's size enforced, the wasm memory bounded, and compressed Arrow IPC through
// apache-arrow's codec registry (ipcCodecs.ts) reading like pyarrow, damaged or not.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openDataset } from '../../src/core/datasets/open';
import { declaredLength } from '../../src/core/datasets/ipcCodecs';
import { zstdDecompress, zstdMemoryBytes, KEEP_MEMORY_BYTES, ZstdError } from '../../src/core/datasets/zstd';
import { normalize } from './fixtures';

const PY = process.env.BATCHSCOPE_TEST_PYTHON ?? resolve(__dirname, '../../.venv/bin/python');
const dir = mkdtempSync(join(tmpdir(), 'bs-zstd-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const WRITER = `
import base64, json, random, sys
import pyarrow as pa, pyarrow.ipc as ipc
out = sys.argv[1]
random.seed(11)
b64 = lambda b: base64.b64encode(b).decode()
codec = pa.Codec("zstd")
def frame(data, level=3):
    return pa.Codec("zstd", compression_level=level).compress(data, asbytes=True)
def outcome(buf, n):
    try:
        return {"ok": b64(codec.decompress(buf, decompressed_size=n, asbytes=True))}
    except Exception as e:
        return {"error": str(e)}
words = [b"token", b"the", b"assistant", b"user", b"<|im_start|>", b"\\n", b"42", b"labels"]
def text(n):
    return b"".join(random.choice(words) + b" " for _ in range(n // 4 + 1))[:n]
valid = [{"data": b64(d), "frame": b64(frame(d))} for d in [text(n) for n in (0, 1, 17, 1000, 65536, 300000)] + [random.randbytes(5000)]]
a, b = text(3000), text(5000)
two = frame(a) + frame(b, 19)
base = text(4000)
f = frame(base)
cases = [("truncated to %d" % cut, f[:cut]) for cut in (1, 4, 5, 6, 9, len(f) // 2, len(f) - 4, len(f) - 1)]
for at in range(4, len(f), max(1, len(f) // 40)):
    g = bytearray(f); g[at] ^= 1 << (at % 8); cases.append(("bit flipped at %d" % at, bytes(g)))
for at in range(6, len(f) - 16, max(1, len(f) // 12)):
    g = bytearray(f); g[at:at + 16] = bytes(16); cases.append(("16 bytes zeroed at %d" % at, bytes(g)))
cases.append(("junk after the frame", f + bytes(range(1, 7))))
damaged = [{"name": name, "frame": b64(buf), **outcome(buf, len(base))} for name, buf in cases]
big = 80 * 1024 * 1024
json.dump({"valid": valid, "damaged": damaged, "damagedSize": len(base),
           "two": {"frame": b64(two), "data": b64(a + b), "pyarrow": outcome(two, len(a) + len(b))},
           "big": {"frame": b64(frame(bytes(big))), "n": big}}, open(f"{out}/zstd.json", "w"))

# Compressed Arrow IPC: whole, and with 16 bytes zeroed inside its largest ZSTD buffer.
t = pa.table({"id": pa.array(range(3000), pa.int64()),
              "input_ids": pa.array([[random.randrange(50000) for _ in range(i % 40)] for i in range(3000)], pa.list_(pa.int32()))})
with ipc.new_stream(f"{out}/ok.arrow", t.schema, options=ipc.IpcWriteOptions(compression="zstd")) as w:
    for batch in t.to_batches(max_chunksize=1000):
        w.write_batch(batch)
raw = open(f"{out}/ok.arrow", "rb").read()
starts = [i for i in range(len(raw) - 4) if raw[i:i + 4] == b"\\x28\\xb5\\x2f\\xfd"]
at = max(zip([s2 - s1 for s1, s2 in zip(starts, starts[1:] + [len(raw)])], starts))[1] + 40
open(f"{out}/bad.arrow", "wb").write(raw[:at] + bytes(16) + raw[at + 16:])
def read(p):
    try:
        return {"rows": ipc.open_stream(p).read_all().to_pylist()}
    except Exception as e:
        return {"error": str(e)}
json.dump({"ok": read(f"{out}/ok.arrow"), "bad": read(f"{out}/bad.arrow"), "zeroedAt": at}, open(f"{out}/arrow.json", "w"))
`;
const r = spawnSync(PY, ['-c', WRITER, dir], { encoding: 'utf8', maxBuffer: 1 << 26 });
if (r.status !== 0) throw new Error(r.stderr);
interface Outcome {
  ok?: string;
  error?: string;
}
const J = JSON.parse(readFileSync(join(dir, 'zstd.json'), 'utf8')) as {
  valid: { data: string; frame: string }[];
  damaged: ({ name: string; frame: string } & Outcome)[];
  damagedSize: number;
  two: { frame: string; data: string; pyarrow: Outcome };
  big: { frame: string; n: number };
};
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));
const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

function outcome(frame: Uint8Array, size?: number): Outcome {
  try {
    return { ok: b64(zstdDecompress(frame, size)) };
  } catch (e) {
    assert.ok(e instanceof ZstdError, `not a ZstdError: ${String(e)}`);
    return { error: e.message };
  }
}

test('frames pyarrow writes decode to its bytes, with and without the size given', () => {
  for (const v of J.valid) {
    const frame = bytes(v.frame);
    const n = bytes(v.data).length;
    assert.equal(b64(zstdDecompress(frame, n)), v.data, `${n} bytes, size given`);
    assert.equal(b64(zstdDecompress(frame)), v.data, `${n} bytes, size from the frame`);
  }
});

test('two frames back to back decode as one, as ZSTD_decompress (and so pyarrow) does', () => {
  assert.equal(J.two.pyarrow.ok, J.two.data);
  assert.equal(b64(zstdDecompress(bytes(J.two.frame), bytes(J.two.data).length)), J.two.data);
  assert.equal(b64(zstdDecompress(bytes(J.two.frame))), J.two.data);
});

test("damaged frames: pyarrow's bytes or pyarrow's error, case by case", (t) => {
  let decoded = 0;
  for (const d of J.damaged) {
    const ours = outcome(bytes(d.frame), J.damagedSize);
    if (d.error !== undefined) {
      // pyarrow: "ZSTD decompression failed: <libzstd's error>", the text we give too.
      assert.equal(ours.error, d.error, `${d.name}: pyarrow raises`);
    } else if (ours.error === 'ZSTD decompression failed: Data corruption detected') {
      // libzstd built 32-bit (as wasm32 is) reports some damage that its 64-bit build (pyarrow's) decodes
      // to garbage: an error there, never other bytes.
      t.diagnostic(`${d.name}: 32-bit libzstd reports corruption that 64-bit libzstd decodes`);
    } else {
      assert.equal(ours.ok, d.ok, `${d.name}: pyarrow decodes it`);
      decoded++;
    }
  }
  assert.ok(decoded > 5 && J.damaged.some((d) => d.error), 'the cases cover both outcomes');
});

test('the size the container states is enforced', () => {
  const v = J.valid[3]; // 1000 bytes
  const frame = bytes(v.frame);
  assert.throws(() => zstdDecompress(frame, 999), /ZSTD decompression failed: Destination buffer is too small/);
  assert.throws(() => zstdDecompress(frame, 1001), /ZSTD data decompressed to 1000 bytes, expected 1001/);
  assert.throws(() => zstdDecompress(frame, -1), ZstdError);
  assert.throws(() => zstdDecompress(frame, 2 ** 40), /said to decompress to/);
  assert.throws(() => zstdDecompress(new Uint8Array(0), 10), /ZSTD data decompressed to 0 bytes, expected 10/);
  // A frame that does not declare its size (a streamed one: one raw block "abc") needs the size given.
  const streamed = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00, 0x19, 0x00, 0x00, 0x61, 0x62, 0x63]);
  assert.equal(Buffer.from(zstdDecompress(streamed, 3)).toString(), 'abc');
  assert.throws(() => zstdDecompress(streamed), /does not declare its decompressed size/);
});

test('wasm memory stays bounded: steady across many pages, released after a huge frame', () => {
  const page = J.valid[5]; // 300 kB
  const frame = bytes(page.frame);
  const n = bytes(page.data).length;
  zstdDecompress(frame, n);
  const steady = zstdMemoryBytes();
  assert.ok(steady > 0 && steady <= KEEP_MEMORY_BYTES, `one instance of ${steady} bytes`);
  for (let i = 0; i < 100; i++) zstdDecompress(frame, n);
  assert.equal(zstdMemoryBytes(), steady, '100 pages later the memory has not grown');
  const big = zstdDecompress(bytes(J.big.frame), J.big.n);
  assert.equal(big.length, J.big.n);
  assert.ok(Buffer.from(big.buffer, big.byteOffset, big.length).equals(Buffer.alloc(J.big.n)));
  assert.equal(zstdMemoryBytes(), 0, 'the instance that grew past the bound was dropped');
  assert.equal(b64(zstdDecompress(frame, n)), page.data, 'and a fresh one decodes the next frame');
  assert.equal(zstdMemoryBytes(), steady);
});

test('declaredLength reads the int64 Arrow writes before a compressed buffer', () => {
  const buf = new Uint8Array(24);
  new DataView(buf.buffer).setBigInt64(8, 1234n, true);
  assert.equal(declaredLength(buf.subarray(16)), 1234);
  assert.equal(declaredLength(buf.subarray(4)), undefined, 'no room for a prefix: undefined');
});

test('compressed Arrow IPC reads like pyarrow, and a damaged ZSTD buffer is reported with its offset', async () => {
  const A = JSON.parse(readFileSync(join(dir, 'arrow.json'), 'utf8')) as {
    ok: { rows: Record<string, unknown>[] };
    bad: { rows?: Record<string, unknown>[]; error?: string };
  };
  const src = await openDataset(join(dir, 'ok.arrow'));
  try {
    const rows = await src.readRows(0, src.numRows);
    assert.equal(rows.length, A.ok.rows.length);
    rows.forEach((row, i) => {
      assert.equal(row.error, undefined);
      assert.deepEqual(normalize(row.values.input_ids), A.ok.rows[i].input_ids, `row ${i}`);
      assert.equal(normalize(row.values.id), i);
    });
  } finally {
    await src.close();
  }
  assert.ok(A.bad.error, 'pyarrow raises on the damaged file');
  const bad = await openDataset(join(dir, 'bad.arrow'));
  try {
    const rows = await bad.readRows(0, bad.numRows);
    const errors = [...rows.filter((x) => x.error).map((x) => x.error!), ...bad.errors];
    assert.ok(errors.length > 0, `pyarrow raises (${A.bad.error}) but we report nothing`);
    for (const e of errors) {
      assert.ok(e.file && Number.isFinite(e.byteOffset), `error names its file and byte offset: ${e.message}`);
      assert.match(e.message, /ZSTD/);
    }
  } finally {
    await bad.close();
  }
});

test("the wasm in zstdWasm.ts is the pinned zstddec's, byte for byte", () => {
  const c = spawnSync(process.execPath, ['scripts/zstd-wasm.mjs', '--check'], {
    cwd: resolve(__dirname, '../..'),
    encoding: 'utf8',
  });
  assert.equal(c.status, 0, c.stdout + c.stderr);
});
