/** BatchExecuteStatement: 1–40 SQL statements run in order as one transaction. */
import { ApiError, validationError } from '../http-json.ts';
import { MAX_BATCH_SQLS, checkSql, parseStatementOptions, submittedOutput, type DataApiContext } from './common.ts';
import { bindNamedParams, parseParameters } from './named-params.ts';

/**
 * Handles `RedshiftData.BatchExecuteStatement`. The sub-statements get the ids `<Id>:1` …
 * `<Id>:n`; when one fails, the whole transaction is rolled back and the batch is FAILED.
 *
 * @example
 * batchExecuteStatement(ctx, { Sqls: ['CREATE TEMP TABLE s (x int)', 'INSERT INTO s VALUES (1)'], Database: 'dev' });
 */
export function batchExecuteStatement(ctx: DataApiContext, input: Record<string, unknown>) {
  const raw = input.Sqls;
  if (raw === undefined || raw === null) throw validationError("1 validation error detected: Value null at 'sqls' failed to satisfy constraint: Member must not be null");
  if (!Array.isArray(raw)) throw new ApiError('SerializationException', 'Sqls must be a list', 400);
  if (raw.length < 1) throw validationError("1 validation error detected: Value '[]' at 'sqls' failed to satisfy constraint: Member must have length greater than or equal to 1");
  if (raw.length > MAX_BATCH_SQLS) {
    throw validationError(`1 validation error detected: Value at 'sqls' failed to satisfy constraint: Member must have length less than or equal to ${MAX_BATCH_SQLS}`);
  }
  const sqls = raw.map((s, i) => checkSql(s, `sqls.${i + 1}.member`));
  const options = parseStatementOptions(input);
  const parameters = parseParameters(input.Parameters);
  if (options.clientToken) {
    const earlier = ctx.store.byClientToken(options.clientToken);
    if (earlier) return submittedOutput(earlier);
  }
  const used = new Set<string>();
  const bound = sqls.map((sql) => {
    const b = bindNamedParams(sql, parameters ?? []);
    for (const n of b.used) used.add(n);
    return { queryString: sql, sql: b.sql, values: b.values };
  });
  const unused = (parameters ?? []).filter((p) => !used.has(p.name)).map((p) => p.name);
  if (unused.length > 0) throw validationError(`Parameters list contains unused parameters. Unused parameters: [${unused.join(', ')}]`);
  const st = ctx.store.submit({ ...options, isBatch: true, ...(parameters ? { parameters } : {}), sqls: bound });
  return submittedOutput(st);
}
