// `batchscope` CLI: the same pure cores as the editor, for CI pre-flight checks and scripting.
// Each subcommand lives in src/cli/<name>.ts and exports `run(argv): Promise<number>` (the exit code).
type Sub = { run(argv: string[]): Promise<number>; summary: string };

const subcommands: Record<string, () => Promise<Sub>> = {
  rows: () => import('./cli/rows'),
  stats: () => import('./cli/stats'),
  render: () => import('./cli/render'),
  'lint-template': () => import('./cli/lintTemplate'),
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || !(name in subcommands)) {
    const lines = await Promise.all(
      Object.entries(subcommands).map(async ([n, load]) => `  ${n.padEnd(14)} ${(await load()).summary}`),
    );
    process.stderr.write(`usage: batchscope <command> [options]\n\ncommands:\n${lines.join('\n')}\n`);
    return name && name !== '--help' && name !== '-h' ? 2 : 0;
  }
  return (await subcommands[name]()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`batchscope: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
