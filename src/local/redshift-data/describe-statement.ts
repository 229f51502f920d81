/** DescribeStatement: the status, timing and result size of a statement (or sub-statement). */
import { checkId, epochSeconds, notFound, type DataApiContext } from './common.ts';
import { STATEMENT_ID, type Statement, type SubStatement } from './statements.ts';

function subDescription(sub: SubStatement) {
  return {
    Id: sub.id,
    Status: sub.status,
    ...(sub.error !== undefined ? { Error: sub.error } : {}),
    CreatedAt: epochSeconds(sub.createdAt),
    UpdatedAt: epochSeconds(sub.updatedAt),
    Duration: sub.durationNs,
    QueryString: sub.queryString,
    HasResultSet: sub.hasResultSet,
    ResultRows: sub.resultRows,
    ResultSize: sub.resultSize,
    RedshiftQueryId: sub.queryId,
  };
}

/**
 * Handles `RedshiftData.DescribeStatement`. For a batch, `SubStatements` lists every
 * statement; a sub-statement id (`<Id>:n`) describes that statement alone.
 *
 * @example
 * describeStatement(ctx, { Id }); // → { Id, Status: 'FINISHED', HasResultSet: true, ResultRows: 1, … }
 */
export function describeStatement(ctx: DataApiContext, input: Record<string, unknown>) {
  const id = checkId(input, STATEMENT_ID);
  const found = ctx.store.find(id);
  if (!found) throw notFound(id);
  const st: Statement = found.statement;
  const common = {
    ...(st.database ? { Database: st.database } : {}),
    ...(st.clusterIdentifier ? { ClusterIdentifier: st.clusterIdentifier } : {}),
    ...(st.workgroupName ? { WorkgroupName: st.workgroupName } : {}),
    ...(st.secretArn ? { SecretArn: st.secretArn } : {}),
    ...(st.dbUser ? { DbUser: st.dbUser } : {}),
    RedshiftPid: st.pid,
    ResultFormat: 'JSON',
    ...(st.parameters ? { QueryParameters: st.parameters } : {}),
  };
  if (found.sub) return { ...common, ...subDescription(found.sub) };
  if (!st.isBatch) {
    const sub = st.subs[0]!;
    return { ...common, ...subDescription(sub), Id: st.id, Status: st.status, ...(st.error !== undefined ? { Error: st.error } : {}), Duration: st.durationNs };
  }
  const done = st.subs.filter((s) => s.resultRows >= 0);
  return {
    ...common,
    Id: st.id,
    Status: st.status,
    ...(st.error !== undefined ? { Error: st.error } : {}),
    CreatedAt: epochSeconds(st.createdAt),
    UpdatedAt: epochSeconds(st.updatedAt),
    Duration: st.durationNs,
    HasResultSet: st.subs.some((s) => s.hasResultSet),
    ResultRows: done.length === 0 ? -1 : done.reduce((a, s) => a + s.resultRows, 0),
    ResultSize: done.length === 0 ? -1 : done.reduce((a, s) => a + Math.max(0, s.resultSize), 0),
    SubStatements: st.subs.map(subDescription),
  };
}
