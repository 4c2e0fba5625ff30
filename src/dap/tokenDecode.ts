// Decodes input_ids / labels rows through the launch configuration's tokenizer for the Variables
// view. Masked label positions (-100, the ignore index of torch's cross entropy) are shown as
// `[masked ×N]` runs so the user sees what the loss is computed on. vscode-free.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';

export const IGNORE_INDEX = -100;

export class TokenDecoder {
  private constructor(
    private readonly tok: Tokenizer,
    readonly source: string,
  ) {}

  /** `where` is a folder holding tokenizer.json (+ tokenizer_config.json) or the tokenizer.json file. */
  static load(where: string): TokenDecoder {
    const file = fs.existsSync(where) && fs.statSync(where).isDirectory() ? path.join(where, 'tokenizer.json') : where;
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`tokenizer: cannot read ${file}: ${(err as Error).message}`);
    }
    const cfgFile = path.join(path.dirname(file), 'tokenizer_config.json');
    let cfg: Record<string, unknown> = {};
    if (fs.existsSync(cfgFile)) {
      try {
        cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
      } catch (err) {
        throw new Error(`tokenizer: cannot parse ${cfgFile}: ${(err as Error).message}`);
      }
    }
    return new TokenDecoder(new Tokenizer(json as object, cfg as object), file);
  }

  /** Text of the ids, special tokens kept (they matter when checking a chat template). */
  decode(ids: number[]): string {
    return this.tok.decode(
      ids.filter((i) => i >= 0),
      { skip_special_tokens: false },
    );
  }

  /** The vocabulary entry of one id (e.g. `Ġhello`), or `<id N>` if unknown. */
  piece(id: number): string {
    if (id === IGNORE_INDEX) return '[masked]';
    return this.tok.id_to_token(id) ?? `<id ${id}>`;
  }

  /** Decodes a labels row: runs of -100 become `[masked ×N]`, the rest is decoded text. */
  decodeLabels(ids: number[]): string {
    let out = '';
    let run: number[] = [];
    let masked = 0;
    const flush = () => {
      if (run.length) out += this.decode(run);
      run = [];
      if (masked) out += `[masked ×${masked}]`;
      masked = 0;
    };
    for (const id of ids) {
      if (id === IGNORE_INDEX) {
        if (run.length) {
          out += this.decode(run);
          run = [];
        }
        masked++;
      } else {
        if (masked) {
          out += `[masked ×${masked}]`;
          masked = 0;
        }
        run.push(id);
      }
    }
    flush();
    return out;
  }
}
