// Type names of Parquet columns: pyarrow's stored Arrow schema (`ARROW:schema`, read with the one IPC
// message parser in arrowIndex.ts) when the file has it, else names derived from the Parquet schema.
import type { DataType } from 'apache-arrow';
import type { parquetSchema } from 'hyparquet';
import { decodeSchemaMessage } from './arrowIndex';

type Tree = ReturnType<typeof parquetSchema>;

function leafType(el: Tree['element']): string {
  const lt = el.logical_type as { type?: string; bitWidth?: number; isSigned?: boolean } | undefined;
  const ct = el.converted_type;
  if (lt?.type === 'STRING' || ct === 'UTF8' || ct === 'JSON' || ct === 'ENUM') return 'string';
  if (lt?.type === 'INTEGER') return `${lt.isSigned === false ? 'u' : ''}int${lt.bitWidth}`;
  if (ct && /^U?INT_(8|16|32|64)$/.test(ct)) return ct.toLowerCase().replace('_', '');
  switch (el.type) {
    case 'BOOLEAN':
      return 'bool';
    case 'INT32':
      return 'int32';
    case 'INT64':
      return 'int64';
    case 'INT96':
      return 'timestamp[ns]';
    case 'FLOAT':
      return 'float';
    case 'DOUBLE':
      return 'double';
    case 'BYTE_ARRAY':
      return 'binary';
    case 'FIXED_LEN_BYTE_ARRAY':
      return `fixed_size_binary[${el.type_length}]`;
    default:
      return String(el.type ?? 'null').toLowerCase();
  }
}

/** pyarrow-like type name for a parquet schema node (LIST groups → list<…>, other groups → struct<…>). */
export function parquetTypeName(node: Tree): string {
  const el = node.element;
  if (!node.children.length) return el.repetition_type === 'REPEATED' ? `list<${leafType(el)}>` : leafType(el);
  const isList = el.converted_type === 'LIST' || (el.logical_type as { type?: string } | undefined)?.type === 'LIST';
  if (isList && node.children.length === 1) {
    const rep = node.children[0];
    const elem = rep.children.length === 1 ? rep.children[0] : rep;
    return `list<${parquetTypeName(elem)}>`;
  }
  return `struct<${node.children.map((c) => `${c.element.name}: ${parquetTypeName(c)}`).join(', ')}>`;
}

/** pyarrow stores the exact Arrow schema (base64 IPC message) under `ARROW:schema`: the truest types. */
export function arrowSchemaTypes(b64: string | undefined): Map<string, DataType> | undefined {
  if (!b64) return undefined;
  try {
    if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new Error('invalid base64');
    const schema = decodeSchemaMessage(Buffer.from(b64, 'base64'));
    return new Map(schema.fields.map((f) => [f.name, f.type]));
  } catch {
    // pyarrow refuses a file whose stored Arrow schema does not decode: so do we (the caller names the footer).
    throw new Error('the stored Arrow schema (ARROW:schema) is corrupt');
  }
}
