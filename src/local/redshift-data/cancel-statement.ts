/** CancelStatement: stop a queued statement, or roll back a running batch. */
import { checkId, notFound, type DataApiContext } from './common.ts';

const TOP_LEVEL_ID = /^[a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}$/;

/**
 * Handles `RedshiftData.CancelStatement`: `{ Status: true }` when the statement will end
 * ABORTED; a statement already done is a ValidationException.
 *
 * @example
 * cancelStatement(ctx, { Id }); // → { Status: true }
 */
export function cancelStatement(ctx: DataApiContext, input: Record<string, unknown>) {
  const id = checkId(input, TOP_LEVEL_ID);
  const found = ctx.store.find(id);
  if (!found) throw notFound(id);
  return { Status: ctx.store.cancel(found.statement) };
}
