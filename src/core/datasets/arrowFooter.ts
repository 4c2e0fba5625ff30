// The Arrow IPC *file* footer: pyarrow reads record batches through its block list, not by walking
// the stream inside. So a file whose footer is missing, or whose blocks do not point at the messages
// the walk found, is one pyarrow refuses (zeroed messages: "Unexpected empty message"). We keep the
// batches the two agree on and report the first disagreement with its byte offset.
import { ByteBuffer } from 'flatbuffers';
import { Footer } from 'apache-arrow/fb/footer';
import type { ByteSource } from './byteSource';
import { errorMessage } from './errors';
import type { IpcMessage } from './arrowIndex';
import type { ReadError } from './types';

const TAIL = 10; // int32 footer length + "ARROW1"

interface Block {
  offset: number;
  metaLength: number;
  bodyLength: number;
}

function readBlocks(footer: Uint8Array): { batches: Block[]; dictionaries: Block[] } {
  if (footer.length < 8) throw new Error(`footer of ${footer.length} bytes`);
  const bb = new ByteBuffer(footer);
  const root = bb.readInt32(0);
  if (root < 4 || root + 4 > footer.length) throw new Error(`footer root offset ${root} in ${footer.length} bytes`);
  const f = Footer.getRootAsFooter(bb);
  const list = (n: number, at: (i: number) => ReturnType<Footer['recordBatches']>): Block[] => {
    if (!Number.isInteger(n) || n < 0 || n * 24 > footer.length)
      throw new Error(`footer lists ${n} blocks in ${footer.length} bytes`);
    const out: Block[] = [];
    for (let i = 0; i < n; i++) {
      const b = at(i);
      if (!b) throw new Error(`footer block ${i} missing`);
      out.push({ offset: Number(b.offset()), metaLength: b.metaDataLength(), bodyLength: Number(b.bodyLength()) });
    }
    return out;
  };
  return {
    batches: list(f.recordBatchesLength(), (i) => f.recordBatches(i)),
    dictionaries: list(f.dictionariesLength(), (i) => f.dictionaries(i)),
  };
}

/**
 * Checks the footer against the walked messages. Returns how many of `batches` the footer confirms
 * (all of them when it agrees) and the error to report when it does not.
 */
export async function checkFileFooter(
  src: ByteSource,
  batches: IpcMessage[],
  dictionaries: IpcMessage[],
  walkEnd: number,
): Promise<{ keep: number; error?: ReadError }> {
  const file = src.name;
  const fail = (byteOffset: number, message: string, keep: number) => ({ keep, error: { file, byteOffset, message } });
  if (src.size < walkEnd + TAIL) {
    return fail(
      Math.min(walkEnd, src.size),
      'Arrow file footer missing (the file ends before it: truncated?)',
      batches.length,
    );
  }
  const tail = await src.read(src.size - TAIL, TAIL);
  const magic = String.fromCharCode(...tail.subarray(4));
  if (magic !== 'ARROW1')
    return fail(src.size - 6, 'Arrow file footer missing (no ARROW1 magic at the end: truncated?)', batches.length);
  const len = new DataView(tail.buffer, tail.byteOffset, 4).getInt32(0, true);
  const start = src.size - TAIL - len;
  if (len <= 0 || start < 8) return fail(src.size - TAIL, `corrupt Arrow file footer length ${len}`, batches.length);
  let blocks: { batches: Block[]; dictionaries: Block[] };
  try {
    blocks = readBlocks(await src.read(start, len));
  } catch (err) {
    return fail(start, `corrupt Arrow file footer: ${errorMessage(err)}`, batches.length);
  }
  const same = (b: Block, m: IpcMessage) =>
    b.offset === m.offset && b.bodyLength === m.bodyLength && b.metaLength === m.bodyOffset - m.offset;
  if (
    blocks.dictionaries.length !== dictionaries.length ||
    !blocks.dictionaries.every((b, i) => same(b, dictionaries[i]))
  ) {
    return fail(start, 'the Arrow file footer lists other dictionary batches than the file holds', 0);
  }
  const n = Math.min(blocks.batches.length, batches.length);
  for (let i = 0; i < n; i++) {
    if (!same(blocks.batches[i], batches[i])) {
      return fail(
        blocks.batches[i].offset >= 0 && blocks.batches[i].offset < src.size ? blocks.batches[i].offset : start,
        `record batch ${i} listed in the Arrow file footer (byte ${blocks.batches[i].offset}) is not the message found there`,
        i,
      );
    }
  }
  if (blocks.batches.length > batches.length) {
    const b = blocks.batches[batches.length];
    return fail(
      Math.max(0, Math.min(b.offset, src.size)),
      `record batch ${batches.length} listed in the Arrow file footer (byte ${b.offset}) is unreadable: the messages stop at byte ${walkEnd}`,
      batches.length,
    );
  }
  if (blocks.batches.length < batches.length) {
    return fail(
      start,
      `the Arrow file footer lists ${blocks.batches.length} record batches, the file holds ${batches.length}`,
      blocks.batches.length,
    );
  }
  return { keep: batches.length };
}
