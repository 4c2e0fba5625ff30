// `.json` files: a list of records (alpaca / sharegpt exports), or JSON Lines saved under .json
// (common with HF `to_json`, whose default is lines=True). Sniffed from the first non-space byte.
import type { ByteSource } from './byteSource';
import { DatasetOpenError } from './errors';
import { openTextSource, type TextOpenOptions, type TextSource } from './jsonlSource';

export async function openJsonSource(src: ByteSource, opts: TextOpenOptions): Promise<TextSource> {
  const head = await src.read(0, 4096);
  let i = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  if (i >= head.length && src.size <= head.length) throw new DatasetOpenError(src.name, 'empty file');
  if (head[i] === 0x5b) return openTextSource(src, 'json', 'json', opts);
  if (head[i] === 0x7b) {
    // One pretty-printed object (a config, not data) vs JSON Lines: a small file that parses whole is the former.
    if (src.size <= 64 * 1024 * 1024) {
      const text = new TextDecoder().decode(await src.read(0, src.size));
      let whole: unknown;
      try {
        whole = JSON.parse(text);
      } catch {
        whole = undefined;
      }
      if (whole && typeof whole === 'object' && !Array.isArray(whole) && text.trim().includes('\n')) {
        throw new DatasetOpenError(src.name, 'the file holds one JSON object spread over several lines, not a list of records or JSON Lines', { line: 1 });
      }
    }
    return openTextSource(src, 'jsonl', 'json', opts);
  }
  throw new DatasetOpenError(src.name, 'expected a JSON list of records or JSON Lines (first character is neither `[` nor `{`)', {
    byteOffset: i,
  });
}
