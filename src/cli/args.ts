// Tiny argv parser shared by the data subcommands: positional args plus --flag / --key value / --key=value.
export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], valued: string[], booleans: string[]): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--') || a === '--') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const key = a.slice(2, eq < 0 ? undefined : eq);
    if (booleans.includes(key)) {
      if (eq >= 0) throw new UsageError(`--${key} takes no value`);
      flags.set(key, true);
    } else if (valued.includes(key)) {
      const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`--${key} needs a value`);
      flags.set(key, v);
    } else {
      throw new UsageError(`unknown option --${key}`);
    }
  }
  return { positional, flags };
}

export function intFlag(args: ParsedArgs, key: string, def: number, min = 0): number {
  const v = args.flags.get(key);
  if (v === undefined) return def;
  const n = Number(v);
  if (v === true || !Number.isInteger(n) || n < min) throw new UsageError(`--${key} must be an integer ≥ ${min}, got ${String(v)}`);
  return n;
}
