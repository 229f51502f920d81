/**
 * `TransactWriteItems` for the local DynamoDB endpoint: dynalite has no transactions, and
 * the exact de-duplication claims up to 100 keys per request with it (one conditional
 * `PutItem` per record costs ~0.7 ms of CPU locally; docs/e2e-performance.md).
 *
 * Semantics as DynamoDB documents them, for `Put`, `Delete` and `ConditionCheck` (`Update`
 * is answered with a ValidationException naming the gap): all conditions are checked and
 * either every write is applied or none is. A failed condition cancels the transaction with
 * `TransactionCanceledException` and one `CancellationReasons` entry per item, in order
 * (`ConditionalCheckFailed` with the item when `ReturnValuesOnConditionCheckFailure` is
 * `ALL_OLD`, `None` for the others). Isolation comes from dynalite's own per-key locks,
 * which its `PutItem`, `UpdateItem` and `DeleteItem` take too: every key of the transaction
 * is queued in one synchronous step, and the queues are first-in first-out, so two
 * transactions can never wait on each other. `ClientRequestToken` is accepted but not
 * remembered (a retried transaction is checked again).
 */
import {
  deleteItemValidation,
  dynaliteDb,
  putItemValidation,
  validations,
  type ActionValidation,
  type AttributeMap,
  type DynaliteError,
  type ItemDb,
  type Store,
  type TableDescription,
} from './dynalite-internals.ts';

const PREFIX = 'com.amazonaws.dynamodb.v20120810#';
const MAX_ITEMS = 100;

/** An AWS error answer: HTTP status and body. */
export class DynamoApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message ?? body.Message ?? body.__type));
  }
}

function validation(message: string): DynamoApiError {
  return new DynamoApiError(400, { __type: 'com.amazon.coral.validate#ValidationException', message });
}

type Kind = 'Put' | 'Delete' | 'ConditionCheck';

interface Operation {
  kind: Kind;
  /** the operation's request, as dynalite validated it (`_condition` parsed) */
  data: Record<string, unknown> & { TableName: string };
  /** when `_condition` is a shared parse: its value slots and this operation's values */
  slots?: { slots: Record<string, Record<string, unknown>>; values: Record<string, Record<string, unknown>> };
  returnOld: boolean;
  table: TableDescription;
  itemDb: ItemDb;
  key: string;
  item?: AttributeMap;
}

function promisify<T>(fn: (cb: (err: DynaliteError | null | undefined, value?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

/** dynalite signals a missing item with a NotFoundError. */
async function getItem(itemDb: ItemDb, key: string): Promise<AttributeMap | undefined> {
  try {
    return await promisify<AttributeMap>((cb) => itemDb.get(key, cb));
  } catch (err) {
    if ((err as Error).name === 'NotFoundError') return undefined;
    throw err;
  }
}

function asApiError(err: DynaliteError): DynamoApiError {
  if (err.statusCode && err.body) return new DynamoApiError(err.statusCode, err.body);
  throw err;
}

async function prepare(store: Store, entry: unknown, index: number, tables: Map<string, Promise<TableDescription | undefined>>): Promise<Operation> {
  const e = (entry ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const kinds = (['Put', 'Delete', 'ConditionCheck', 'Update'] as const).filter((k) => e[k] != null);
  if (kinds.length !== 1) throw validation(`TransactItems[${index}] must contain exactly one of ConditionCheck, Put, Update or Delete`);
  const kind = kinds[0]!;
  if (kind === 'Update') {
    throw validation('Update in TransactWriteItems is not supported by the local DynamoDB endpoint (stream-metrics uses Put, Delete and ConditionCheck); use one of those');
  }
  const raw = { ...e[kind]! };
  const returnOld = raw.ReturnValuesOnConditionCheckFailure === 'ALL_OLD';
  delete raw.ReturnValuesOnConditionCheckFailure;
  if (kind === 'ConditionCheck' && typeof raw.ConditionExpression !== 'string') {
    throw validation(`TransactItems[${index}].ConditionCheck needs a ConditionExpression`);
  }
  const rules: ActionValidation = kind === 'Put' ? putItemValidation : deleteItemValidation;
  let data: Record<string, unknown>;
  let slots: Operation['slots'];
  try {
    data = validations.checkTypes(raw, rules.types);
    slots = validateWithSharedCondition(data, rules, store);
  } catch (err) {
    throw asApiError(err as DynaliteError);
  }
  const tableName = data.TableName as string;
  // One read of a table's description per request, not per item: dynalite keeps it in its
  // LevelDB and decodes it on every read (the claims' 100 items all name the same table).
  let described = tables.get(tableName);
  if (!described) tables.set(tableName, (described = promisify<TableDescription>((cb) => store.getTable(tableName, cb))));
  const table = await described.catch((err: DynaliteError) => {
    throw asApiError(err);
  });
  if (!table) throw validation(`table ${tableName} not found`);
  const keyed = (kind === 'Put' ? data.Item : data.Key) as AttributeMap;
  const invalid = kind === 'Put' ? dynaliteDb.validateItem(keyed, table) : dynaliteDb.validateKey(keyed, table);
  if (invalid) throw asApiError(invalid);
  return {
    kind,
    data: data as Operation['data'],
    returnOld,
    table,
    itemDb: store.getItemDb(tableName),
    key: dynaliteDb.createKey(keyed, table),
    ...(kind === 'Put' ? { item: data.Item as AttributeMap } : {}),
    ...(slots ? { slots } : {}),
  };
}

interface SharedCondition {
  condition: unknown;
  slots: Record<string, Record<string, unknown>>;
}

/**
 * Parsed condition expressions, by expression, names and value names and types. dynalite
 * parses the condition of every item (a PEG parser: most of its CPU per item), and the
 * 100 claims of a de-duplication transaction all carry the same expression with different
 * values. The parse holds the value objects it was given by reference, so each entry is
 * parsed against *slots*, which are filled with an operation's own values right before its
 * condition is evaluated (synchronously, so no other evaluation sees them).
 */
const conditions = new Map<string, SharedCondition>();
const MAX_CONDITIONS = 1_000;

function conditionKey(data: Record<string, unknown>): string | undefined {
  if (typeof data.ConditionExpression !== 'string') return undefined;
  const values = (data.ExpressionAttributeValues ?? {}) as Record<string, Record<string, unknown>>;
  const shapes = Object.keys(values)
    .sort()
    .map((k) => `${k}=${Object.keys(values[k] ?? {}).join(',')}`);
  return JSON.stringify([data.ConditionExpression, data.ExpressionAttributeNames ?? null, shapes]);
}

/**
 * dynalite's validation of one operation, with the condition parsed once per shape (see
 * `conditions`); every other rule (types, item size, attribute values) runs for each.
 */
function validateWithSharedCondition(data: Record<string, unknown>, rules: ActionValidation, store: Store): Operation['slots'] {
  const key = conditionKey(data);
  const shared = key === undefined ? undefined : conditions.get(key);
  if (key === undefined || !shared) {
    const values = data.ExpressionAttributeValues as Record<string, Record<string, unknown>> | undefined;
    const slots = values ? structuredClone(values) : undefined;
    if (slots) data.ExpressionAttributeValues = slots;
    validations.checkValidations(data, rules.types, rules.custom, store);
    if (key === undefined || !slots) return undefined;
    if (conditions.size >= MAX_CONDITIONS) conditions.clear();
    conditions.set(key, { condition: data._condition, slots });
    return { slots, values: values! };
  }
  const values = data.ExpressionAttributeValues as Record<string, Record<string, unknown>>;
  const rest = { ...data };
  delete rest.ConditionExpression;
  delete rest.ExpressionAttributeNames;
  delete rest.ExpressionAttributeValues;
  validations.checkValidations(rest, rules.types, rules.custom, store);
  for (const [name, value] of Object.entries(values)) {
    const msg = validations.validateAttributeValue(value);
    if (msg) throw validation(`ExpressionAttributeValues contains invalid value: ${msg} for key ${name}`);
  }
  data._condition = shared.condition;
  return { slots: shared.slots, values };
}

/** dynalite's condition check, with a shared parse's slots holding this operation's values. */
function checkCondition(op: Operation, existing: AttributeMap | undefined): DynaliteError | null | undefined {
  if (op.slots) {
    for (const [name, slot] of Object.entries(op.slots.slots)) {
      for (const k of Object.keys(slot)) delete slot[k];
      Object.assign(slot, op.slots.values[name]);
    }
  }
  return dynaliteDb.checkConditional(op.data, existing);
}

/** Locks every key of every table at once; resolves with one release for all of them. */
function lockAll(ops: Operation[]): Promise<() => void> {
  const byDb = new Map<ItemDb, string[]>();
  for (const op of ops) {
    const keys = byDb.get(op.itemDb) ?? [];
    keys.push(op.key);
    byDb.set(op.itemDb, keys);
  }
  return new Promise((resolve) => {
    const releases: (() => void)[] = [];
    let waiting = byDb.size;
    // All `lock` calls happen in this synchronous loop: see the module comment.
    for (const [itemDb, keys] of byDb) {
      itemDb.lock(keys, (release) => {
        releases.push(release(() => {}));
        if (--waiting === 0) resolve(() => releases.forEach((r) => r()));
      });
    }
  });
}

function capacity(ops: Operation[], mode: unknown): Record<string, unknown> {
  if (mode !== 'TOTAL' && mode !== 'INDEXES') return {};
  const perTable = new Map<string, number>();
  for (const op of ops) {
    // Transactional writes cost two write units per started KB of the item.
    const units = 2 * Math.max(1, Math.ceil((op.item ? dynaliteDb.itemSize(op.item) : 1) / 1024));
    perTable.set(op.data.TableName, (perTable.get(op.data.TableName) ?? 0) + units);
  }
  return { ConsumedCapacity: [...perTable].map(([TableName, units]) => ({ TableName, CapacityUnits: units, WriteCapacityUnits: units })) };
}

/**
 * Runs one `TransactWriteItems` request against dynalite's store. Resolves with the
 * response body; rejects with a `DynamoApiError` carrying AWS's error shape.
 *
 * @example
 * await transactWriteItems(store, { TransactItems: [{ Put: { TableName: 't', Item: { pk: { S: 'a' } }, ConditionExpression: 'attribute_not_exists(pk)' } }] });
 */
export async function transactWriteItems(store: Store, input: Record<string, unknown>): Promise<Record<string, unknown>> {
  const items = input.TransactItems;
  if (!Array.isArray(items)) throw validation("1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must not be null");
  if (items.length < 1 || items.length > MAX_ITEMS) {
    throw validation(`1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length ${items.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ITEMS}`}`);
  }
  const tables = new Map<string, Promise<TableDescription | undefined>>();
  const ops = await Promise.all(items.map((entry, i) => prepare(store, entry, i, tables)));
  const seen = new Set<string>();
  for (const op of ops) {
    const id = `${op.data.TableName}\u0000${op.key}`;
    if (seen.has(id)) throw validation('Transaction request cannot include multiple operations on one item');
    seen.add(id);
  }

  const release = await lockAll(ops);
  try {
    const existing = await Promise.all(ops.map((op) => getItem(op.itemDb, op.key)));
    const reasons = ops.map((op, i) => {
      const failed = checkCondition(op, existing[i]);
      if (!failed) return { Code: 'None' };
      return { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', ...(op.returnOld && existing[i] ? { Item: existing[i] } : {}) };
    });
    if (reasons.some((r) => r.Code !== 'None')) {
      throw new DynamoApiError(400, {
        __type: `${PREFIX}TransactionCanceledException`,
        Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
        CancellationReasons: reasons,
      });
    }
    await Promise.all(
      ops.map(async (op, i) => {
        if (op.kind === 'ConditionCheck') return;
        const item = op.kind === 'Put' ? op.item! : null;
        await promisify<void>((cb) => dynaliteDb.updateIndexes(store, op.table, existing[i], item, cb));
        if (item) await promisify<void>((cb) => op.itemDb.put(op.key, item, cb));
        else if (existing[i]) await promisify<void>((cb) => op.itemDb.del(op.key, cb));
      }),
    );
    return capacity(ops, input.ReturnConsumedCapacity);
  } finally {
    release();
  }
}
