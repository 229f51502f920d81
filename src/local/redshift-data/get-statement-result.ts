/** GetStatementResult: the rows of a FINISHED statement, page by page. */
import { validationError } from '../http-json.ts';
import { checkId, notFound, type DataApiContext } from './common.ts';
import { columnMetadata, toField } from './fields.ts';
import { STATEMENT_ID } from './statements.ts';

function encodeToken(id: string, offset: number): string {
  return Buffer.from(JSON.stringify({ id, offset }), 'utf8').toString('base64url');
}

function decodeToken(token: string, id: string): number {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { id?: unknown; offset?: unknown };
    if (t.id === id && typeof t.offset === 'number' && Number.isInteger(t.offset) && t.offset >= 0) return t.offset;
  } catch {
    // fall through
  }
  throw validationError('Invalid NextToken.');
}

/**
 * Handles `RedshiftData.GetStatementResult`: `Records` of `Field` unions, `ColumnMetadata`,
 * `TotalNumRows`, and a `NextToken` while rows remain. A batch's results are read per
 * sub-statement (`<Id>:n`).
 *
 * @example
 * getStatementResult(ctx, { Id }); // → { Records: [[{ longValue: 1 }]], ColumnMetadata: [...], TotalNumRows: 1 }
 */
export function getStatementResult(ctx: DataApiContext, input: Record<string, unknown>) {
  const id = checkId(input, STATEMENT_ID);
  const found = ctx.store.find(id);
  if (!found) throw notFound(id);
  const sub = found.sub ?? (found.statement.isBatch ? undefined : found.statement.subs[0]);
  const noResult = 'Query does not have result. Please check query status with DescribeStatement.';
  if (!sub || sub.status !== 'FINISHED' || found.statement.status !== 'FINISHED' || !sub.hasResultSet || !sub.result) throw validationError(noResult);
  const token = typeof input.NextToken === 'string' && input.NextToken !== '' ? input.NextToken : undefined;
  const offset = token ? decodeToken(token, id) : 0;
  const { rows, columns } = sub.result;
  const page = rows.slice(offset, offset + ctx.pageSize);
  const next = offset + page.length;
  return {
    Records: page.map((row) => row.map((v, i) => toField(v, columns[i]))),
    ColumnMetadata: columns.map(columnMetadata),
    TotalNumRows: rows.length,
    ...(next < rows.length ? { NextToken: encodeToken(id, next) } : {}),
  };
}
