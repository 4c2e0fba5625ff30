// Template vs tokenized dataset: re-render a row's source conversation, tokenize it, and compare with the
// stored input_ids and labels. Reports the first differing token, which is where the training data
// stopped matching what the template produces (wrong template, changed EOS, extra newline …).

export interface TokenizedRow {
  inputIds: ArrayLike<number>;
  /** −100 where the loss is masked. */
  labels?: ArrayLike<number>;
}

export interface RenderedTokens {
  ids: ArrayLike<number>;
  /** 1 where transformers' assistant mask is set (the tokens a template trains). */
  assistantMask?: ArrayLike<number>;
}

export type RowDiff =
  | { match: true; compared: number; note?: string }
  | {
      match: false;
      field: 'input_ids' | 'labels';
      /** Token position of the first difference. */
      index: number;
      /** What the template gives at `index` (id, or trained/masked for labels); undefined past its end. */
      expected?: number | 'trained' | 'masked';
      actual?: number | 'trained' | 'masked';
      message: string;
    };

export const IGNORE_INDEX = -100;

/** Compares a stored tokenized row with the template's rendering of its source row. Pure. */
export function compareTokenizedRow(
  stored: TokenizedRow,
  rendered: RenderedTokens,
  describe: (id: number) => string = String,
): RowDiff {
  const a = stored.inputIds;
  const b = rendered.ids;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i])
      return {
        match: false,
        field: 'input_ids',
        index: i,
        expected: b[i],
        actual: a[i],
        message: `input_ids differ at token ${i}: the template gives ${describe(b[i])}, the dataset has ${describe(a[i])}`,
      };
  }
  if (a.length > b.length)
    return {
      match: false,
      field: 'input_ids',
      index: n,
      actual: a[n],
      message: `the dataset row has ${a.length - n} more token(s) than the template renders, from token ${n} (${describe(a[n])})`,
    };
  if (stored.labels && rendered.assistantMask) {
    const labels = stored.labels;
    const mask = rendered.assistantMask;
    for (let i = 0; i < Math.min(labels.length, n); i++) {
      const trained = labels[i] !== IGNORE_INDEX;
      if (trained !== (mask[i] === 1))
        return {
          match: false,
          field: 'labels',
          index: i,
          expected: mask[i] === 1 ? 'trained' : 'masked',
          actual: trained ? 'trained' : 'masked',
          message: `labels differ at token ${i} (${describe(a[i])}): the template's assistant mask says ${mask[i] === 1 ? 'trained' : 'masked'}, the dataset has it ${trained ? 'trained' : 'masked (−100)'}`,
        };
    }
  }
  return {
    match: true,
    compared: n,
    note: a.length < b.length ? `the dataset row is truncated at ${a.length} of ${b.length} tokens` : undefined,
  };
}
