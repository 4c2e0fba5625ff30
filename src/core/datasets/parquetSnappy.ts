// Snappy decoding for the pages decoded in the extension host (parquetFastLists.HOST_CODECS). Same
// format rules and the same accept/reject as hyparquet's decoder (hyparquet/src/snappy.js), which copies
// byte by byte: on a cold first page that loop was a fifth of the decode time. Here literals and
// non-overlapping back references are single native copies (set / copyWithin).
//
// Stricter than hyparquet where hyparquet goes wrong: a 4-byte literal length or copy offset with its
// top bit set is read as a large unsigned number (and rejected), not as a negative one, which in
// hyparquet moves the input position backwards (a loop) or copies from past the output (zeros).
// Everything is bounded by the page: output never grows, and every step consumes input.

/**
 * Decompresses `input` into exactly `outputLength` bytes, or throws. With `prefix` < outputLength, returns
 * only the first `prefix` bytes (the rest of the input unchecked): the repetition levels at the start of
 * a page that lies wholly before the rows wanted.
 */
export function snappyDecode(input: Uint8Array, outputLength: number, prefix = outputLength): Uint8Array {
  const out = new Uint8Array(Math.min(prefix, outputLength));
  const cap = out.length; // = outputLength unless a prefix is asked for: writes past it are dropped
  const inLen = input.length;
  let pos = 0;
  let outPos = 0;
  // The preamble holds the uncompressed length as a varint; like hyparquet, the page header's is used.
  while (pos < inLen) if (input[pos++] < 128) break;
  if (outputLength && pos >= inLen) throw new Error('invalid snappy length header');
  while (pos < inLen) {
    if (outPos >= prefix && prefix < outputLength) return out;
    const c = input[pos++];
    if (pos >= inLen) throw new Error('snappy: missing end of stream');
    const tag = c & 3;
    if (tag === 0) {
      let len = (c >>> 2) + 1;
      if (len > 60) {
        if (pos + 3 >= inLen) throw new Error('snappy: literal length runs past the input');
        const lengthSize = len - 60;
        len = 0;
        for (let k = lengthSize - 1; k >= 0; k--) len = len * 256 + input[pos + k];
        len += 1;
        pos += lengthSize;
      }
      if (pos + len > inLen) throw new Error('snappy: literal runs past the input');
      // Writing past the page's size is an error whatever follows (the output only grows).
      if (outPos + len > outputLength) throw new Error('snappy: output longer than the page');
      const n = Math.min(len, cap - outPos);
      if (n > 32) out.set(input.subarray(pos, pos + n), outPos);
      else for (let k = 0; k < n; k++) out[outPos + k] = input[pos + k];
      pos += len;
      outPos += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (tag === 1) {
      len = ((c >>> 2) & 7) + 4;
      offset = input[pos] + ((c >>> 5) << 8);
      pos += 1;
    } else if (tag === 2) {
      if (inLen <= pos + 1) throw new Error('snappy: copy runs past the input');
      len = (c >>> 2) + 1;
      offset = input[pos] + input[pos + 1] * 256;
      pos += 2;
    } else {
      if (inLen <= pos + 3) throw new Error('snappy: copy runs past the input');
      len = (c >>> 2) + 1;
      offset = input[pos] + input[pos + 1] * 256 + input[pos + 2] * 65536 + input[pos + 3] * 16777216;
      pos += 4;
    }
    if (offset === 0 || offset > outPos) throw new Error(`snappy: invalid copy offset ${offset}`);
    if (outPos + len > outputLength) throw new Error('snappy: output longer than the page');
    const from = outPos - offset;
    // Short copies (most of them: 4-12 bytes) cost less as a loop than as a call; an overlapping one
    // (offset < len) must go byte by byte anyway, as it repeats the pattern.
    const n = Math.min(len, cap - outPos);
    if (n > 32 && offset >= n) out.copyWithin(outPos, from, from + n);
    else for (let k = 0; k < n; k++) out[outPos + k] = out[from + k];
    outPos += len;
  }
  if (outPos !== outputLength) throw new Error('snappy: premature end of input');
  return out;
}
