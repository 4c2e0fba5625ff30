// `.json` files: a list of records (alpaca / sharegpt exports), or JSON Lines saved under .json
// (common with HF `to_json`, whose default is lines=True). Sniffed from the first non-space byte.
import type { ByteSource } from './byteSource';
import { DatasetOpenError } from './errors';
import { parseJsonExact } from './jsonValues';
import { openTextSource, type TextOpenOptions } from './jsonlSource';
import { MemorySource } from './memorySource';
import type { ScannableSource } from './scan';
import type { CellValue } from './types';

export async function openJsonSource(src: ByteSource, opts: TextOpenOptions): Promise<ScannableSource> {
  const head = await src.read(0, 4096);
  let i = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  if (i >= head.length && src.size <= head.length) throw new DatasetOpenError(src.name, 'empty file');
  if (head[i] === 0x5b) return openTextSource(src, 'json', 'json', opts);
  if (head[i] === 0x7b) {
    // One pretty-printed object vs JSON Lines: a file that parses whole and spans several lines is the
    // former, which `datasets` loads as one row (an object of lists becomes one row of list columns).
    if (src.size <= 64 * 1024 * 1024) {
      let text = new TextDecoder().decode(await src.read(0, src.size));
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      let whole: unknown;
      try {
        whole = parseJsonExact(text);
      } catch {
        whole = undefined;
      }
      if (whole && typeof whole === 'object' && !Array.isArray(whole) && text.trim().includes('\n')) {
        return new MemorySource(src.name, 'json', [whole as Record<string, CellValue>]);
      }
    }
    return openTextSource(src, 'jsonl', 'json', opts);
  }
  throw new DatasetOpenError(
    src.name,
    'expected a JSON list of records or JSON Lines (first character is neither `[` nor `{`)',
    {
      byteOffset: i,
    },
  );
}
