// PLACEHOLDER: replaced by the owner of this subcommand.
export const summary = 'not implemented yet';
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('not implemented yet\n');
  return 2;
}
