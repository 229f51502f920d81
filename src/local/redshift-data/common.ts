/**
 * Validation shared by the Data API operations: the connection target, the statement
 * options and the SQL size limit.
 */
import { ApiError, boolMember, stringMember, validationError } from '../http-json.ts';
import type { Statement, StatementStore } from './statements.ts';

/** What every operation handler gets. */
export interface DataApiContext {
  store: StatementStore;
  /** rows per GetStatementResult page */
  pageSize: number;
}

/** The Data API's limit on one SQL statement: 100 KB. */
export const MAX_SQL_BYTES = 100 * 1024;
/** Statements per BatchExecuteStatement. */
export const MAX_BATCH_SQLS = 40;

/**
 * Checks one SQL text: present, non-empty, at most 100 KB.
 *
 * @example
 * checkSql(input.Sql, 'sql'); // → the SQL, or throws ValidationException
 */
export function checkSql(sql: unknown, at: string): string {
  if (sql === undefined || sql === null) throw validationError(`1 validation error detected: Value null at '${at}' failed to satisfy constraint: Member must not be null`);
  if (typeof sql !== 'string') throw new ApiError('SerializationException', `${at} must be a string`, 400);
  if (sql.trim() === '') throw validationError(`1 validation error detected: Value '' at '${at}' failed to satisfy constraint: Member must have length greater than or equal to 1`);
  const bytes = Buffer.byteLength(sql, 'utf8');
  if (bytes > MAX_SQL_BYTES) throw validationError(`Query statement size ${bytes} bytes exceeds the ${MAX_SQL_BYTES / 1024} KB limit.`);
  return sql;
}

/**
 * The target and options of ExecuteStatement / BatchExecuteStatement. Cluster, workgroup,
 * secret and user are accepted and kept (the local endpoint has one database), but the
 * rules AWS applies to them hold: `Database` is required without a session, and a cluster
 * and a workgroup exclude each other.
 *
 * @example
 * const { database, clientToken } = parseStatementOptions({ Database: 'dev', WorkgroupName: 'local' });
 */
export function parseStatementOptions(input: Record<string, unknown>) {
  const database = stringMember(input, 'Database');
  const clusterIdentifier = stringMember(input, 'ClusterIdentifier');
  const workgroupName = stringMember(input, 'WorkgroupName', { min: 3, max: 64 });
  const secretArn = stringMember(input, 'SecretArn');
  const dbUser = stringMember(input, 'DbUser');
  const statementName = stringMember(input, 'StatementName', { max: 500 });
  const clientToken = stringMember(input, 'ClientToken', { min: 1, max: 64 });
  const withEvent = boolMember(input, 'WithEvent');
  const resultFormat = stringMember(input, 'ResultFormat');
  if (input.SessionId !== undefined || input.SessionKeepAliveSeconds !== undefined) {
    throw validationError('Sessions (SessionId, SessionKeepAliveSeconds) are not supported by the local Redshift Data API.');
  }
  if (!database) throw validationError('Database is required when SessionId is not provided.');
  if (clusterIdentifier && workgroupName) throw validationError('Specify either ClusterIdentifier or WorkgroupName, not both.');
  if (resultFormat !== undefined && resultFormat !== 'JSON') {
    throw validationError(`ResultFormat ${resultFormat} is not supported by the local Redshift Data API (only JSON).`);
  }
  return { database, clusterIdentifier, workgroupName, secretArn, dbUser, statementName, clientToken, withEvent };
}

const secs = (ms: number) => ms / 1000;

/**
 * The response of ExecuteStatement / BatchExecuteStatement for a statement.
 *
 * @example
 * submittedOutput(statement); // → { Id, CreatedAt, Database, WorkgroupName }
 */
export function submittedOutput(st: Statement) {
  return {
    Id: st.id,
    CreatedAt: secs(st.createdAt),
    Database: st.database,
    ...(st.clusterIdentifier ? { ClusterIdentifier: st.clusterIdentifier } : {}),
    ...(st.workgroupName ? { WorkgroupName: st.workgroupName } : {}),
    ...(st.secretArn ? { SecretArn: st.secretArn } : {}),
    ...(st.dbUser ? { DbUser: st.dbUser } : {}),
  };
}

/** Epoch seconds, as the AWS JSON protocol sends timestamps. */
export { secs as epochSeconds };

/**
 * Looks a statement id up; a malformed id is a ValidationException, an unknown one ResourceNotFoundException.
 *
 * @example
 * const id = checkId(input, STATEMENT_ID);
 */
export function checkId(input: Record<string, unknown>, pattern: RegExp): string {
  const id = stringMember(input, 'Id', { required: true });
  if (!pattern.test(id)) throw validationError(`1 validation error detected: Value '${id}' at 'id' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern.source}`);
  return id;
}

/**
 * The error of an unknown statement id (400, with `ResourceId`).
 *
 * @example
 * throw notFound(id);
 */
export function notFound(id: string): ApiError {
  return new ApiError('ResourceNotFoundException', 'Query does not exist.', 400, { ResourceId: id });
}
