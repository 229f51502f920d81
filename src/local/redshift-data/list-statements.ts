/** ListStatements: the most recent statements, newest first. */
import { intMember, stringMember, validationError } from '../http-json.ts';
import { epochSeconds, type DataApiContext } from './common.ts';

const STATUSES = new Set(['SUBMITTED', 'PICKED', 'STARTED', 'FINISHED', 'ABORTED', 'FAILED', 'ALL']);

/**
 * Handles `RedshiftData.ListStatements` with `Status`, `StatementName` (a prefix),
 * `MaxResults` (0–100, default 100) and `NextToken`.
 *
 * @example
 * listStatements(ctx, { Status: 'FAILED' }); // → { Statements: [{ Id, Status: 'FAILED', QueryString, … }] }
 */
export function listStatements(ctx: DataApiContext, input: Record<string, unknown>) {
  const max = intMember(input, 'MaxResults', { min: 0, max: 100 }) || 100;
  const status = stringMember(input, 'Status') ?? 'ALL';
  if (!STATUSES.has(status)) throw validationError(`1 validation error detected: Value '${status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [${[...STATUSES].join(', ')}]`);
  const name = stringMember(input, 'StatementName', { max: 500 });
  const token = stringMember(input, 'NextToken');
  let offset = 0;
  if (token) {
    offset = Number.parseInt(Buffer.from(token, 'base64url').toString('utf8'), 10);
    if (!Number.isInteger(offset) || offset < 0) throw validationError('Invalid NextToken.');
  }
  const all = ctx.store.list().filter((s) => (status === 'ALL' || s.status === status) && (name === undefined || (s.statementName ?? '').startsWith(name)));
  const page = all.slice(offset, offset + max);
  const next = offset + page.length;
  return {
    Statements: page.map((s) => ({
      Id: s.id,
      Status: s.status,
      IsBatchStatement: s.isBatch,
      ...(s.isBatch ? { QueryStrings: s.subs.map((x) => x.queryString) } : { QueryString: s.subs[0]?.queryString }),
      ...(s.statementName ? { StatementName: s.statementName } : {}),
      ...(s.secretArn ? { SecretArn: s.secretArn } : {}),
      ...(s.parameters ? { QueryParameters: s.parameters } : {}),
      CreatedAt: epochSeconds(s.createdAt),
      UpdatedAt: epochSeconds(s.updatedAt),
      ResultFormat: 'JSON',
    })),
    ...(next < all.length ? { NextToken: Buffer.from(String(next), 'utf8').toString('base64url') } : {}),
  };
}
