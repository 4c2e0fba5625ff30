// Bounds checks on an Arrow message's flatbuffer before apache-arrow decodes it. The library trusts
// vector lengths, so a flipped bit in `fields` or `children` (e.g. 2^31) makes it loop for minutes
// building objects. Every vector must fit in the metadata it lives in, and nesting must be sane.
import { ByteBuffer } from 'flatbuffers';
import { Message as FbMessage } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { Schema as FbSchema } from 'apache-arrow/fb/schema';
import { Field as FbField } from 'apache-arrow/fb/field';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { DictionaryBatch as FbDictionaryBatch } from 'apache-arrow/fb/dictionary-batch';

const MAX_DEPTH = 64;

export interface MessageInfo {
  headerType: MessageHeader;
  bodyLength: number;
  /** Rows of a record batch (its `length`); 0 for other messages. */
  rows: number;
}

/**
 * Checks the flatbuffer and returns what the index walk needs, read straight from it: a record batch's
 * rows and body length come without apache-arrow building its node and buffer objects (the walk of a
 * 10 GB file visits hundreds of batches before the first page).
 */
export function checkMessageMetadata(meta: Uint8Array): MessageInfo {
  const cap = meta.length;
  let budget = Math.max(64, cap); // total vector elements visited: bounded by the metadata size
  const vec = (len: number, elemSize: number, what: string) => {
    if (!Number.isInteger(len) || len < 0 || len * elemSize > cap)
      throw new Error(`corrupt flatbuffer: ${what} claims ${len} entries in ${cap} bytes`);
    budget -= len;
    if (budget < 0) throw new Error('corrupt flatbuffer: more entries than the metadata can hold');
  };
  const field = (f: FbField, depth: number) => {
    if (depth > MAX_DEPTH) throw new Error('corrupt flatbuffer: fields nested too deep');
    vec(f.childrenLength(), 4, 'field children');
    vec(f.customMetadataLength(), 4, 'field metadata');
    for (let i = 0; i < f.childrenLength(); i++) {
      const c = f.children(i);
      if (!c) throw new Error('corrupt flatbuffer: missing child field');
      field(c, depth + 1);
    }
  };
  const batch = (rb: FbRecordBatch) => {
    vec(rb.nodesLength(), 16, 'record batch nodes');
    vec(rb.buffersLength(), 16, 'record batch buffers');
    vec(rb.variadicBufferCountsLength(), 8, 'variadic buffer counts');
  };
  const bb = new ByteBuffer(meta);
  if (cap < 8) throw new Error(`corrupt flatbuffer: ${cap} bytes of metadata`);
  const root = bb.readInt32(0);
  if (root < 4 || root + 4 > cap) throw new Error(`corrupt flatbuffer: root offset ${root} in ${cap} bytes`);
  const msg = FbMessage.getRootAsMessage(bb);
  vec(msg.customMetadataLength(), 4, 'message metadata');
  const info: MessageInfo = { headerType: msg.headerType(), bodyLength: Number(msg.bodyLength()), rows: 0 };
  switch (msg.headerType()) {
    case MessageHeader.Schema: {
      const s = msg.header(new FbSchema()) as FbSchema | null;
      if (!s) throw new Error('corrupt flatbuffer: schema message without a schema');
      vec(s.fieldsLength(), 4, 'schema fields');
      vec(s.customMetadataLength(), 4, 'schema metadata');
      vec(s.featuresLength(), 8, 'schema features');
      for (let i = 0; i < s.fieldsLength(); i++) {
        const f = s.fields(i);
        if (!f) throw new Error('corrupt flatbuffer: missing field');
        field(f, 0);
      }
      break;
    }
    case MessageHeader.RecordBatch: {
      const rb = msg.header(new FbRecordBatch()) as FbRecordBatch | null;
      if (!rb) throw new Error('corrupt flatbuffer: record batch message without a header');
      batch(rb);
      info.rows = Number(rb.length());
      break;
    }
    case MessageHeader.DictionaryBatch: {
      const db = msg.header(new FbDictionaryBatch()) as FbDictionaryBatch | null;
      const rb = db?.data();
      if (!rb) throw new Error('corrupt flatbuffer: dictionary batch without data');
      batch(rb);
      break;
    }
    default:
      break;
  }
  return info;
}
