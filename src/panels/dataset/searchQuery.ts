// The search box syntax of the dataset panel → SearchQuery (src/core/datasets/types.ts).
//   hello world          case-insensitive substring over text columns
//   ids: 151644 872      contiguous token-id subsequence over id columns (commas allowed)
//   @text hello          either form, restricted to one column
// No vscode import: unit-tested with node:test.
import type { SearchQuery } from '../../core/datasets/types';

export type ParsedSearch = { query: SearchQuery } | { error: string };

export function parseSearchQuery(input: string, columnNames: string[]): ParsedSearch {
  let rest = input.trim();
  let column: string | undefined;
  const at = /^@(\S+)\s*/.exec(rest);
  if (at) {
    column = at[1]!;
    if (!columnNames.includes(column))
      return { error: `no column named "${column}" (columns: ${columnNames.join(', ')})` };
    rest = rest.slice(at[0].length);
  }
  const ids = /^ids\s*:\s*/i.exec(rest);
  if (ids) {
    const parts = rest
      .slice(ids[0].length)
      .split(/[\s,]+/)
      .filter(Boolean);
    if (!parts.length) return { error: 'give at least one token id after "ids:"' };
    const tokenIds: number[] = [];
    for (const p of parts) {
      if (!/^-?\d+$/.test(p)) return { error: `"${p}" is not a token id (whole numbers only after "ids:")` };
      tokenIds.push(Number(p));
    }
    return { query: column ? { tokenIds, column } : { tokenIds } };
  }
  if (!rest) return { error: 'type some text, or "ids: 1 2 3" for token ids' };
  return { query: column ? { text: rest, column } : { text: rest } };
}
