// The argv parsing shared by the CLI subcommands: positional args plus --flag / --key value /
// --key=value, on node:util parseArgs (its tokens), with our own usage errors.
import { parseArgs as nodeParseArgs } from 'node:util';

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

export class UsageError extends Error {}

/**
 * `valued` options take a value (`--key v` or `--key=v`), `booleans` take none, any other `--name`
 * is an unknown option. Arguments with a single dash are positional; `--` ends the options.
 */
export function parseArgs(argv: string[], valued: string[], booleans: string[]): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const k of valued) options[k] = { type: 'string' };
  for (const k of booleans) options[k] = { type: 'boolean' };
  // strict: false so that the checks below word the errors (and `--key -x` takes -x as the value).
  const { tokens } = nodeParseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  /** Skips the tokens parseArgs made of argv[index] (`-abc` is three). */
  const skipArg = (i: number, index: number) => {
    while (tokens[i + 1]?.index === index) i++;
    return i;
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'positional') positional.push(t.value);
    else if (t.kind === 'option' && !t.rawName.startsWith('--')) {
      // A single dash is not an option here (`-` or a file name such as `-data.jsonl`).
      positional.push(argv[t.index]);
      i = skipArg(i, t.index);
    } else if (t.kind === 'option') {
      if (!(t.name in options)) throw new UsageError(`unknown option ${t.rawName}`);
      if (options[t.name].type === 'boolean') {
        if (t.inlineValue) throw new UsageError(`--${t.name} takes no value`);
        flags.set(t.name, true);
      } else {
        let v = t.value;
        // parseArgs leaves a value that looks like an option (`--offset -5`) as the next token.
        if (v === undefined && !t.inlineValue) {
          const next = tokens[i + 1];
          if (next && next.kind === 'option') {
            v = argv[next.index];
            i = skipArg(i + 1, next.index);
          }
        }
        if (v === undefined) throw new UsageError(`--${t.name} needs a value`);
        flags.set(t.name, v);
      }
    }
  }
  return { positional, flags };
}

export function intFlag(args: ParsedArgs, key: string, def: number, min = 0): number {
  const v = args.flags.get(key);
  if (v === undefined) return def;
  const n = Number(v);
  if (v === true || !Number.isInteger(n) || n < min)
    throw new UsageError(`--${key} must be an integer ≥ ${min}, got ${String(v)}`);
  return n;
}
