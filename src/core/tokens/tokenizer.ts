// Loading a tokenizer.json once (shared per path) and rendering token ids as byte-correct chips.
import { existsSync, promises as fsp, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import type { TokenChip } from '../datasets/types';
import { byteLevelBytes, metaspaceBytes, visibleChars, visibleText, wordPieceBytes } from './byteMaps';

export class TokenizerLoadError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'TokenizerLoadError';
  }
}

export type TokenMode = 'byte-level' | 'metaspace' | 'wordpiece' | 'plain';

export interface TokenizerHandle {
  /** The tokenizer.json that was loaded. */
  readonly path: string;
  readonly mode: TokenMode;
  readonly bosId?: number;
  readonly eosId?: number;
  readonly padId?: number;
  readonly vocabSize: number;
  /** Decodes ids like `tokenizer.decode` (special tokens kept). Negative ids (−100 label padding) are dropped first. */
  decode(ids: ArrayLike<number>, opts?: { skipSpecialTokens?: boolean }): string;
  /** Encodes text to ids (no special tokens added unless asked). */
  encode(text: string, addSpecialTokens?: boolean): number[];
  idToToken(id: number): string | undefined;
  isSpecial(id: number): boolean;
  /** The bytes a (non-special) token stands for; special tokens give their content's UTF-8. */
  tokenBytes(id: number): Uint8Array;
  chips(ids: ArrayLike<number>, labels?: ArrayLike<number>, attentionMask?: ArrayLike<number>): TokenChip[];
}

type Json = Record<string, unknown>;

function specialName(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Json).content === 'string') return (v as Json).content as string;
  return undefined;
}

function hasType(node: unknown, type: string): boolean {
  if (!node || typeof node !== 'object') return false;
  const n = node as Json;
  if (n.type === type) return true;
  for (const key of ['decoders', 'pretokenizers', 'normalizers']) {
    const list = n[key];
    if (Array.isArray(list) && list.some((x) => hasType(x, type))) return true;
  }
  return false;
}

function detectMode(json: Json): TokenMode {
  if (hasType(json.decoder, 'ByteLevel') || hasType(json.pre_tokenizer, 'ByteLevel')) return 'byte-level';
  if (
    hasType(json.decoder, 'Metaspace') ||
    hasType(json.pre_tokenizer, 'Metaspace') ||
    hasType(json.decoder, 'ByteFallback')
  )
    return 'metaspace';
  if (hasType(json.decoder, 'WordPiece') || (json.model as Json | undefined)?.type === 'WordPiece') return 'wordpiece';
  return 'plain';
}

const enc = new TextEncoder();

class Handle implements TokenizerHandle {
  readonly mode: TokenMode;
  readonly bosId?: number;
  readonly eosId?: number;
  readonly padId?: number;
  readonly vocabSize: number;
  private readonly special = new Set<number>();
  private readonly added = new Map<number, string>();
  private readonly bytesCache = new Map<number, Uint8Array>();
  private readonly textCache = new Map<number, string>();

  constructor(
    readonly path: string,
    private readonly tok: Tokenizer,
    json: Json,
    config: Json,
  ) {
    this.mode = detectMode(json);
    for (const [id, t] of tok.get_added_tokens_decoder()) {
      this.added.set(id, t.content);
      if (t.special) this.special.add(id);
    }
    const idOf = (name: string | undefined) => (name === undefined ? undefined : tok.token_to_id(name));
    this.bosId = idOf(specialName(config.bos_token));
    this.eosId = idOf(specialName(config.eos_token));
    this.padId = idOf(specialName(config.pad_token));
    this.vocabSize = tok.get_vocab(true).size;
  }

  decode(ids: ArrayLike<number>, opts: { skipSpecialTokens?: boolean } = {}): string {
    // decode(Int32Array) throws and −100 would become <unk> or vanish: plain array of valid ids only.
    const list: number[] = [];
    for (let i = 0; i < ids.length; i++) if (ids[i] >= 0) list.push(Number(ids[i]));
    if (!list.length) return ''; // the library throws on an empty list
    return this.tok.decode(list, {
      skip_special_tokens: opts.skipSpecialTokens ?? false,
      clean_up_tokenization_spaces: false,
    });
  }

  encode(text: string, addSpecialTokens = false): number[] {
    return this.tok.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  idToToken(id: number): string | undefined {
    return this.tok.id_to_token(id);
  }

  isSpecial(id: number): boolean {
    return this.special.has(id);
  }

  tokenBytes(id: number): Uint8Array {
    let b = this.bytesCache.get(id);
    if (b) return b;
    const addedContent = this.added.get(id);
    const tok = this.tok.id_to_token(id);
    if (addedContent !== undefined) b = enc.encode(addedContent);
    else if (tok === undefined) b = new Uint8Array(0);
    else if (this.mode === 'byte-level') b = byteLevelBytes(tok);
    else if (this.mode === 'metaspace') b = metaspaceBytes(tok);
    else if (this.mode === 'wordpiece') b = wordPieceBytes(tok);
    else b = enc.encode(tok);
    this.bytesCache.set(id, b);
    return b;
  }

  private chipText(id: number): string {
    let t = this.textCache.get(id);
    if (t !== undefined) return t;
    if (this.special.has(id)) t = this.added.get(id) ?? '';
    else if (this.tok.id_to_token(id) === undefined) t = `<unknown id ${id}>`;
    else if (this.added.has(id)) t = visibleChars(this.added.get(id)!);
    else t = visibleText(this.tokenBytes(id));
    this.textCache.set(id, t);
    return t;
  }

  chips(ids: ArrayLike<number>, labels?: ArrayLike<number>, attentionMask?: ArrayLike<number>): TokenChip[] {
    const out: TokenChip[] = new Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = Number(ids[i]);
      const chip: TokenChip = { id, text: this.chipText(id), special: this.special.has(id) };
      if (labels) chip.trained = i < labels.length ? Number(labels[i]) !== -100 : false;
      if (attentionMask && i < attentionMask.length && Number(attentionMask[i]) === 0) chip.padding = true;
      out[i] = chip;
    }
    return out;
  }
}

const cache = new Map<string, { mtimeMs: number; handle: Promise<TokenizerHandle> }>();

/** tokenizer.json path for a folder or a file path. */
export function tokenizerJsonPath(pathToDirOrJson: string): string {
  const p = resolve(pathToDirOrJson);
  try {
    if (statSync(p).isDirectory()) return join(p, 'tokenizer.json');
  } catch {
    // missing: reported by the loader with the path
  }
  return p;
}

async function readJsonFile(file: string, what: string): Promise<Json> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TokenizerLoadError(
      file,
      code === 'ENOENT' ? `${what} not found` : `cannot read ${what}: ${(err as Error).message}`,
    );
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Json;
  } catch (err) {
    throw new TokenizerLoadError(file, `corrupt ${what}: ${(err as Error).message}`);
  }
}

async function load(file: string): Promise<TokenizerHandle> {
  const json = await readJsonFile(file, 'tokenizer.json');
  if (!json.model || typeof json.model !== 'object')
    throw new TokenizerLoadError(file, 'corrupt tokenizer.json: no "model" section');
  const cfgPath = join(dirname(file), 'tokenizer_config.json');
  let config: Json = {};
  if (existsSync(cfgPath)) config = await readJsonFile(cfgPath, 'tokenizer_config.json');
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(json, config);
  } catch (err) {
    throw new TokenizerLoadError(file, `corrupt tokenizer.json: ${(err as Error).message}`);
  }
  return new Handle(file, tok, json, config);
}

/** Loads (once per path and mtime) a tokenizer from a folder holding tokenizer.json, or from the file itself. */
export function loadTokenizer(pathToDirOrJson: string): Promise<TokenizerHandle> {
  const file = tokenizerJsonPath(pathToDirOrJson);
  let mtimeMs = -1;
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    return Promise.reject(new TokenizerLoadError(file, `${basename(file)} not found`));
  }
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === mtimeMs) return hit.handle;
  const handle = load(file);
  cache.set(file, { mtimeMs, handle });
  handle.catch(() => cache.delete(file));
  return handle;
}

/** The folder holding tokenizer.json next to the dataset or in one of its parents, if any. */
export function findTokenizerFor(datasetPath: string): string | undefined {
  let dir = resolve(datasetPath);
  try {
    if (!statSync(dir).isDirectory()) dir = dirname(dir);
  } catch {
    dir = dirname(dir);
  }
  for (;;) {
    if (existsSync(join(dir, 'tokenizer.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}
