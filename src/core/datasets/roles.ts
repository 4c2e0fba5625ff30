// Column role detection for the token view: by name first (HF conventions), confirmed by type and features.
import type { ColumnInfo, ColumnRole } from './types';

const INT_LIST = /^(large_)?list<u?int(8|16|32|64)>$|^fixed_size_list<u?int(8|16|32|64)>/;
const STRINGISH = /^(large_)?string$|^string_view$/;

export function detectRole(name: string, type: string, feature?: unknown): ColumnRole {
  const f = feature as { _type?: string } | undefined;
  const lname = name.toLowerCase();
  if (f?._type === 'Image' || /^struct<bytes: (large_)?binary, path: (large_)?string>$/.test(type)) return 'image';
  if (lname === 'indices' && /^u?int(32|64)$/.test(type)) return 'indices';
  if (INT_LIST.test(type)) {
    if (lname === 'input_ids') return 'input_ids';
    if (lname === 'labels' || lname === 'label_ids') return 'labels';
    if (lname === 'attention_mask') return 'attention_mask';
  }
  if (
    (lname === 'messages' || lname === 'conversations' || lname === 'conversation') &&
    /^(large_)?list<struct</.test(type)
  ) {
    return 'messages';
  }
  if (STRINGISH.test(type)) return 'text';
  return 'other';
}

export function makeColumns(fields: { name: string; type: string }[], features?: unknown): ColumnInfo[] {
  const feats =
    features && typeof features === 'object' && !Array.isArray(features)
      ? (features as Record<string, unknown>)
      : undefined;
  return fields.map(({ name, type }) => {
    const feature = feats?.[name];
    const col: ColumnInfo = { name, type, role: detectRole(name, type, feature) };
    if (feature !== undefined) col.feature = feature;
    return col;
  });
}

/** HF `features` out of the `huggingface` schema metadata value ({"info": {"features": …}}), if parseable. */
export function featuresFromHfMetadata(json: string | undefined | null): unknown {
  if (!json) return undefined;
  try {
    const meta = JSON.parse(json) as { info?: { features?: unknown } };
    return meta?.info?.features;
  } catch {
    return undefined;
  }
}

export const INDICES_NOTE =
  'This cache file holds only an `indices` column, written by shuffle()/select()/sort()/train_test_split(): ' +
  'each row is a row number into another Arrow table of the same dataset, not data. Open the data file ' +
  '(the other cache-*.arrow or data-*.arrow) to see the rows.';
