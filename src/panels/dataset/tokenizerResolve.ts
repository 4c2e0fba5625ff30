// Which tokenizer decodes a dataset's ids, in the documented order:
//   1. the `batchscope.tokenizerPath` setting (a folder with tokenizer.json, or the file itself);
//   2. a tokenizer.json in the dataset's folder or any parent folder;
//   3. nothing: the panel offers the picker (`batchscope.selectTokenizer`).
// A tokenizer the user picked for this panel wins over all of them.
// Pure: file existence comes in as a function, so the order is unit-tested without a file system.
import { dirname, isAbsolute, join, resolve } from 'node:path';

export type TokenizerSource = 'setting' | 'nearby' | 'picked' | 'none';

export interface TokenizerResolution {
  /** tokenizer.json to load, or null. */
  path: string | null;
  source: TokenizerSource;
  /** Why the setting was not used, when it was set but is unusable. */
  error?: string;
}

export interface ResolveInput {
  /** Dataset file, or the save_to_disk folder. */
  datasetPath: string;
  datasetIsFolder: boolean;
  /** Raw setting value; relative paths are taken from `workspaceRoot`. */
  setting: string | undefined;
  workspaceRoot?: string;
  picked?: string;
  isFile(path: string): boolean;
}

/** A folder or a .json file → the tokenizer.json it designates, if it exists. */
export function tokenizerJsonAt(path: string, isFile: (p: string) => boolean): string | null {
  if (path.endsWith('.json')) return isFile(path) ? path : null;
  const inside = join(path, 'tokenizer.json');
  return isFile(inside) ? inside : null;
}

export function resolveTokenizer(input: ResolveInput): TokenizerResolution {
  const { isFile } = input;
  if (input.picked) {
    const p = tokenizerJsonAt(input.picked, isFile);
    if (p) return { path: p, source: 'picked' };
  }
  let error: string | undefined;
  const setting = input.setting?.trim();
  if (setting) {
    const abs = isAbsolute(setting) ? setting : resolve(input.workspaceRoot ?? dirname(input.datasetPath), setting);
    const p = tokenizerJsonAt(abs, isFile);
    if (p) return { path: p, source: 'setting' };
    error = `batchscope.tokenizerPath is "${setting}", but ${abs.endsWith('.json') ? abs : join(abs, 'tokenizer.json')} does not exist`;
  }
  let dir = input.datasetIsFolder ? input.datasetPath : dirname(input.datasetPath);
  for (;;) {
    const candidate = join(dir, 'tokenizer.json');
    if (isFile(candidate)) return { path: candidate, source: 'nearby', ...(error ? { error } : {}) };
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return { path: null, source: 'none', ...(error ? { error } : {}) };
}
