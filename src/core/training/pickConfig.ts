// Which YAML config "Start Training" uses, in the order: the URI it was invoked on (Explorer
// context menu, editor title), else the active editor when it is YAML, else a quick pick of the
// workspace's YAML files (likely training configs first). Pure: the glue passes what it sees.

export interface ConfigChoiceInput {
  /** First argument of the command (a file path), when invoked from a menu. */
  argPath?: string;
  /** File path of the active text editor, if any. */
  activePath?: string;
  /** YAML files found in the workspace (for the quick pick). */
  workspaceYaml?: string[];
}

export type ConfigChoice =
  { kind: 'arg' | 'active'; path: string } | { kind: 'pick'; candidates: string[] } | { kind: 'none' };

export function isYamlPath(p: string | undefined): p is string {
  return !!p && /\.ya?ml$/i.test(p);
}

export function chooseConfig(input: ConfigChoiceInput): ConfigChoice {
  if (isYamlPath(input.argPath)) return { kind: 'arg', path: input.argPath };
  if (isYamlPath(input.activePath)) return { kind: 'active', path: input.activePath };
  const candidates = rankConfigCandidates((input.workspaceYaml ?? []).filter(isYamlPath));
  return candidates.length ? { kind: 'pick', candidates } : { kind: 'none' };
}

/** Files that look like training configs first (train*.yaml, *.batchscope.yaml, under batchscope/), then by path. */
export function rankConfigCandidates(paths: string[]): string[] {
  const score = (p: string): number => {
    const base = p.split(/[\\/]/).pop() ?? p;
    if (/\.batchscope\.ya?ml$/i.test(base) || /[\\/]batchscope[\\/][^\\/]+$/.test(p)) return 0;
    if (/^train/i.test(base)) return 1;
    if (/(sft|lora|train|finetune|config)/i.test(base)) return 2;
    return 3;
  };
  return [...new Set(paths)].sort((a, b) => score(a) - score(b) || a.localeCompare(b));
}
