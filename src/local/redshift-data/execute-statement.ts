/** ExecuteStatement: queue one SQL statement with named parameters. */
import { validationError } from '../http-json.ts';
import { checkSql, parseStatementOptions, submittedOutput, type DataApiContext } from './common.ts';
import { bindNamedParams, parseParameters } from './named-params.ts';

/**
 * Handles `RedshiftData.ExecuteStatement`. A repeated `ClientToken` returns the statement of
 * the first request instead of running the SQL again.
 *
 * @example
 * executeStatement(ctx, { Sql: 'SELECT :n::int', Database: 'dev', Parameters: [{ name: 'n', value: '1' }] }); // → { Id, CreatedAt, … }
 */
export function executeStatement(ctx: DataApiContext, input: Record<string, unknown>) {
  const sql = checkSql(input.Sql, 'sql');
  const options = parseStatementOptions(input);
  const parameters = parseParameters(input.Parameters);
  if (options.clientToken) {
    const earlier = ctx.store.byClientToken(options.clientToken);
    if (earlier) return submittedOutput(earlier);
  }
  const bound = bindNamedParams(sql, parameters ?? []);
  const unused = (parameters ?? []).filter((p) => !bound.used.has(p.name)).map((p) => p.name);
  if (unused.length > 0) throw validationError(`Parameters list contains unused parameters. Unused parameters: [${unused.join(', ')}]`);
  const st = ctx.store.submit({
    ...options,
    isBatch: false,
    ...(parameters ? { parameters } : {}),
    sqls: [{ queryString: sql, sql: bound.sql, values: bound.values }],
  });
  return submittedOutput(st);
}
