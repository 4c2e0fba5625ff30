// Exact Parquet values: hyparquet turns timestamps into millisecond Dates and decimals into doubles.
// So the decoder gets a schema with those logical types removed (it hands out the physical integers
// and bytes as they are) plus a ValueSpec per column that turns them into the exact forms of
// valueForms.ts. Units and decimal scales come from the Parquet schema (what pyarrow reads back);
// time zone names from pyarrow's stored Arrow schema (`ARROW:schema`), else UTC for adjusted timestamps.
import type { FileMetaData, SchemaElement } from 'hyparquet';
import { PLAIN, type TimeUnit, type ValueSpec } from './valueForms';

export interface SchemaNode {
  element: SchemaElement;
  children: SchemaNode[];
}

const UNIT: Record<string, TimeUnit> = { MILLIS: 'ms', MICROS: 'us', NANOS: 'ns' };

type Logical = { type?: string; unit?: string; isAdjustedToUTC?: boolean; scale?: number };

function leafSpec(el: SchemaElement): ValueSpec & { adjusted?: boolean } {
  const lt = el.logical_type as Logical | undefined;
  const ct = el.converted_type;
  if (lt?.type === 'TIMESTAMP')
    return { kind: 'timestamp', unit: UNIT[lt.unit ?? 'MILLIS'] ?? 'ms', tz: null, adjusted: !!lt.isAdjustedToUTC };
  if (ct === 'TIMESTAMP_MILLIS') return { kind: 'timestamp', unit: 'ms', tz: null, adjusted: true };
  if (ct === 'TIMESTAMP_MICROS') return { kind: 'timestamp', unit: 'us', tz: null, adjusted: true };
  if (lt?.type === 'DATE' || ct === 'DATE') return { kind: 'date', unit: 'day' };
  if (lt?.type === 'TIME') return { kind: 'time', unit: UNIT[lt.unit ?? 'MILLIS'] ?? 'ms' };
  if (ct === 'TIME_MILLIS') return { kind: 'time', unit: 'ms' };
  if (ct === 'TIME_MICROS') return { kind: 'time', unit: 'us' };
  if (lt?.type === 'DECIMAL' || ct === 'DECIMAL') return { kind: 'decimal', scale: Number(el.scale ?? lt?.scale ?? 0) };
  if (el.type === 'INT96' && !ct && !lt) return { kind: 'timestamp', unit: 'ns', tz: null };
  return PLAIN;
}

function isListGroup(el: SchemaElement): boolean {
  return el.converted_type === 'LIST' || (el.logical_type as Logical | undefined)?.type === 'LIST';
}

function isMapGroup(el: SchemaElement): boolean {
  const t = (el.logical_type as Logical | undefined)?.type;
  return el.converted_type === 'MAP' || el.converted_type === 'MAP_KEY_VALUE' || t === 'MAP';
}

/** The spec of one schema node, following `arrow` (the stored Arrow schema's spec) for time zones. */
export function nodeSpec(node: SchemaNode, arrow: ValueSpec = PLAIN): ValueSpec {
  const el = node.element;
  let spec: ValueSpec;
  if (!node.children.length) {
    const leaf = leafSpec(el);
    if (leaf.kind === 'timestamp') {
      const tz = arrow.kind === 'timestamp' ? arrow.tz : leaf.adjusted ? 'UTC' : null;
      spec = { kind: 'timestamp', unit: leaf.unit, tz };
    } else spec = leaf;
    if (el.repetition_type === 'REPEATED' && spec.kind !== 'plain') spec = { kind: 'list', item: spec };
    return spec;
  }
  if (isMapGroup(el)) return PLAIN;
  if (isListGroup(el) && node.children.length === 1) {
    const rep = node.children[0];
    const elem = rep.children.length === 1 ? rep.children[0] : rep;
    const item = nodeSpec(elem, arrow.kind === 'list' ? arrow.item : PLAIN);
    return item.kind === 'plain' ? PLAIN : { kind: 'list', item };
  }
  const fields: Record<string, ValueSpec> = {};
  let any = false;
  for (const c of node.children) {
    const name = c.element.name;
    fields[name] = nodeSpec(c, arrow.kind === 'struct' ? (arrow.fields[name] ?? PLAIN) : PLAIN);
    if (fields[name].kind !== 'plain') any = true;
  }
  spec = any ? { kind: 'struct', fields } : PLAIN;
  if (el.repetition_type === 'REPEATED' && spec.kind !== 'plain') spec = { kind: 'list', item: spec };
  return spec;
}

/** A signed 64-bit integer leaf with no other meaning (token ids, labels): see withPhysicalLeaves. */
function isPlainInt64(el: SchemaElement): boolean {
  if (el.type !== 'INT64') return false;
  const lt = el.logical_type as { type?: string; isSigned?: boolean; bitWidth?: number } | undefined;
  if (lt) return lt.type === 'INTEGER' && lt.isSigned !== false && lt.bitWidth === 64;
  return !el.converted_type || el.converted_type === 'INT_64';
}

/** The logical type that routes a column's values through the decoder's nanosecond parser. */
const THROUGH_PARSER = { type: 'TIMESTAMP', unit: 'NANOS', isAdjustedToUTC: false } as SchemaElement['logical_type'];

/**
 * The file's metadata with the logical types the decoder would convert lossily taken off its leaves.
 * Plain signed int64 leaves (labels) get the one logical type whose values pass through a parser the
 * decoder supplies: it turns each value into a number where that is exact (a bigint only beyond 2^53),
 * so list columns of int64 are not built as arrays of BigInts (several times slower to decode and pack).
 */
export function withPhysicalLeaves(meta: FileMetaData): FileMetaData {
  const schema = meta.schema.map((el) => {
    if (el.num_children) return el;
    if (isPlainInt64(el)) {
      const tagged = { ...el, logical_type: THROUGH_PARSER };
      delete tagged.converted_type;
      return tagged;
    }
    const spec = leafSpec(el);
    if (spec.kind === 'plain') return el;
    const copy = { ...el };
    delete copy.converted_type;
    delete copy.logical_type;
    return copy;
  });
  return { ...meta, schema };
}
