// Adapter-side token decoding for the Variables view. The controller summarises tensors itself
// (shape, dtype, device, min/max/mean, NaN count, padding ratio) and adds `decoded` rows when it
// was given a tokenizer. When it was not (attach sessions: the tokenizer path in launch.json lives
// on this machine, not the job's), an expanded `input_ids` / `labels` tensor gets a `decoded`
// child here, built from the rows in its `values` child. vscode-free.
import type { DebugProtocol } from '@vscode/debugprotocol';
import { TokenDecoder } from './tokenDecode';

const TOKEN_TENSORS = new Set(['input_ids', 'labels']);
/** Local references live at the top of the DAP range, far from the controller's small ones. */
const LOCAL_BASE = 2 ** 31 - 2 ** 20;
const PAGE = 100;

/** Parses a row rendering like `[1, 2, -100, 4]` (also tensor(...) / nested single row). */
export function parseIds(text: string): number[] | undefined {
  const m = /^\s*(?:tensor\()?\[([-\d,\s]*)\]/.exec(text);
  if (!m) return undefined;
  const ids = m[1]
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  return ids.every(Number.isInteger) ? ids : undefined;
}

export class TokenVariables {
  /** controller ref of an expanded input_ids/labels tensor → its name */
  private readonly tensorRefs = new Map<number, string>();
  /** Local reference → children, or a thunk computing them on first expansion. */
  private readonly local = new Map<number, DebugProtocol.Variable[] | (() => Promise<DebugProtocol.Variable[]>)>();
  private next = LOCAL_BASE;

  constructor(readonly decoder: TokenDecoder) {}

  /**
   * Forgets every reference: called when all threads have continued. Not on each stop or
   * single-thread continue: with several workers stopped, another thread's stop must not take
   * away the entries the user is looking at (our local references never collide with the
   * controller's, and `decorate` re-learns the tensor references of each new listing).
   */
  reset(): void {
    this.tensorRefs.clear();
    this.local.clear();
    this.next = LOCAL_BASE;
  }

  /** Children of a local reference (paged like the controller's), or undefined if not ours. */
  async children(ref: number, start = 0, count?: number): Promise<DebugProtocol.Variable[] | undefined> {
    let all = this.local.get(ref);
    if (!all) return undefined;
    if (typeof all === 'function') {
      all = await all();
      this.local.set(ref, all);
    }
    return all.slice(start, count ? start + count : undefined);
  }

  private alloc(children: DebugProtocol.Variable[] | (() => Promise<DebugProtocol.Variable[]>)): number {
    const ref = this.next++;
    this.local.set(ref, children);
    return ref;
  }

  async decorate(
    parentRef: number,
    vars: DebugProtocol.Variable[],
    fetch: (ref: number) => Promise<DebugProtocol.Variable[]>,
  ): Promise<DebugProtocol.Variable[]> {
    // The controller reuses reference numbers from one stop to the next: each listing says anew
    // which references are token tensors (and which are no longer).
    for (const v of vars) {
      if (v.variablesReference <= 0) continue;
      if (TOKEN_TENSORS.has(v.name)) this.tensorRefs.set(v.variablesReference, v.name);
      else this.tensorRefs.delete(v.variablesReference);
    }
    const name = this.tensorRefs.get(parentRef);
    if (!name || vars.some((v) => v.name === 'decoded')) return vars;
    const values = vars.find((v) => v.name === 'values');
    if (!values) return vars;
    // Lazy: the rows are read from the controller only when the user expands `decoded`. DAP's
    // contract for a lazy variable: its reference's children are exactly ONE variable, which
    // replaces it (VS Code's evaluateLazy ignores any other count, so the entry would never
    // resolve). That one variable is the resolved `decoded`, whose own children are the rows.
    const decoded: DebugProtocol.Variable = {
      name: 'decoded',
      value: `decode with ${this.decoder.source}`,
      type: 'list[str]',
      presentationHint: { lazy: true },
      variablesReference: this.alloc(async () => [this.decodedVariable(name, await readRows(values, fetch))]),
    };
    return [...vars, decoded];
  }

  /** `decoded`: one string per row; children: the rows, each expandable to its tokens. */
  decodedVariable(name: string, rows: number[][]): DebugProtocol.Variable {
    const labels = name === 'labels';
    const rowVars = rows.map((ids, i) => {
      const text = labels ? this.decoder.decodeLabels(ids) : this.decoder.decode(ids);
      const tokens = ids.map((id, j) => ({
        name: String(j),
        value: `${id} ${JSON.stringify(this.decoder.piece(id))}${id === -100 ? ' (masked)' : ''}`,
        variablesReference: 0,
      }));
      const masked = ids.filter((id) => id === -100).length;
      return {
        name: `[${i}]`,
        value: JSON.stringify(text),
        type: labels ? `str · ${masked}/${ids.length} masked` : 'str',
        variablesReference: this.alloc(tokens),
        indexedVariables: tokens.length,
        presentationHint: tokens.length > PAGE ? { lazy: true } : undefined,
      } as DebugProtocol.Variable;
    });
    if (!rowVars.length)
      return { name: 'decoded', value: 'no token rows to decode', type: 'list[str]', variablesReference: 0 };
    return {
      name: 'decoded',
      value: rows.length === 1 ? rowVars[0].value : `${rows.length} rows (decoded by ${this.decoder.source})`,
      type: 'list[str]',
      variablesReference: this.alloc(rowVars),
      indexedVariables: rowVars.length,
    };
  }
}

/**
 * The id rows under a tensor's `values` child: a 1-D rendering `[1, 2]`, rows rendered inline
 * (`[[1, 2], [3, 4]]` children `[0]`: `[1, 2]`), or rows that are themselves expandable lists.
 */
async function readRows(
  values: DebugProtocol.Variable,
  fetch: (ref: number) => Promise<DebugProtocol.Variable[]>,
): Promise<number[][]> {
  if (values.variablesReference === 0) {
    const one = parseIds(values.value);
    return one ? [one] : [];
  }
  const rows: number[][] = [];
  const children = await fetch(values.variablesReference);
  // A 1-D tensor: the children are the ids themselves.
  if (children.length && children.every((c) => /^-?\d+$/.test(c.value.trim())))
    return [children.map((c) => Number(c.value))];
  for (const r of children) {
    const ids =
      parseIds(r.value) ??
      (r.variablesReference > 0 ? (await fetch(r.variablesReference)).map((c) => Number(c.value)) : undefined);
    if (ids && ids.every(Number.isInteger)) rows.push(ids);
  }
  return rows;
}
