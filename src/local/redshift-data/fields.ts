/**
 * Result values → the Data API's `Field` unions and `ColumnMetadata`, as Redshift returns
 * them: integers as `longValue`, floating point as `doubleValue`, `bool` as `booleanValue`,
 * NULL as `isNull`, and everything else — `numeric`/`decimal` included, so no precision is
 * lost — as `stringValue` (timestamps in `YYYY-MM-DD HH:MM:SS[.ffffff]`).
 */
import type { SqlColumn } from '../sql-backend.ts';

export type FieldJson =
  | { isNull: true }
  | { booleanValue: boolean }
  | { longValue: number }
  | { doubleValue: number | string }
  | { stringValue: string }
  | { blobValue: string };

const INTEGER_TYPES = new Set(['int2', 'int4', 'int8', 'oid']);
const FLOAT_TYPES = new Set(['float4', 'float8']);
const SIGNED_TYPES = new Set(['int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'money']);
const TEXT_TYPES = new Set(['text', 'varchar', 'bpchar', 'char', 'name', 'json', 'jsonb']);

/**
 * One value as a Data API field (JSON form; non-finite doubles as the strings the AWS JSON
 * protocol uses for them).
 *
 * @example
 * toField(42, { name: 'n', typeName: 'int4' }); // → { longValue: 42 }
 */
export function toField(value: unknown, column: SqlColumn | undefined): FieldJson {
  if (value === null || value === undefined) return { isNull: true };
  if (typeof value === 'boolean') return { booleanValue: value };
  if (value instanceof Uint8Array) return { blobValue: Buffer.from(value).toString('base64') };
  const type = column?.typeName ?? '';
  if (INTEGER_TYPES.has(type)) return { longValue: Number(value) };
  if (FLOAT_TYPES.has(type)) {
    const n = Number(value);
    if (Number.isNaN(n)) return { doubleValue: 'NaN' };
    if (!Number.isFinite(n)) return { doubleValue: n > 0 ? 'Infinity' : '-Infinity' };
    return { doubleValue: n };
  }
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { longValue: value } : { doubleValue: value };
  return { stringValue: typeof value === 'object' ? JSON.stringify(value) : String(value) };
}

/**
 * The `ColumnMetadata` of one result column.
 *
 * @example
 * columnMetadata({ name: 'n', typeName: 'int8' }); // → { name: 'n', label: 'n', typeName: 'int8', isSigned: true, … }
 */
export function columnMetadata(column: SqlColumn) {
  return {
    name: column.name,
    label: column.name,
    typeName: column.typeName,
    isSigned: SIGNED_TYPES.has(column.typeName),
    isCurrency: column.typeName === 'money',
    isCaseSensitive: TEXT_TYPES.has(column.typeName),
    // 1 = nullable: result columns of expressions carry no NOT NULL information.
    nullable: 1,
    precision: 0,
    scale: 0,
    length: 0,
    schemaName: '',
    tableName: '',
  };
}
