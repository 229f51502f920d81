/**
 * The parts of dynalite's internals the local DynamoDB endpoint builds on, typed as far as
 * we use them. dynalite (4.x) exports only its server factory; its store, per-table item
 * databases with per-key locks, request validation and condition evaluation live in
 * `dynalite/db` and `dynalite/validations`, which are plain CommonJS modules.
 */
import { createRequire } from 'node:module';
import type http from 'node:http';

const require = createRequire(import.meta.url);

/** An item or key in DynamoDB's JSON form: attribute name → `{ S: … }`, `{ N: … }`, … */
export type AttributeMap = Record<string, Record<string, unknown>>;

/** A dynalite validation or condition failure: HTTP status and AWS error body. */
export interface DynaliteError extends Error {
  statusCode?: number;
  body?: { __type: string; message: string };
}

type Callback<T> = (err: DynaliteError | null | undefined, value?: T) => void;

export interface ItemDb {
  get(key: string, cb: Callback<AttributeMap>): void;
  put(key: string, value: AttributeMap, cb: Callback<void>): void;
  del(key: string, cb: Callback<void>): void;
  /** dynalite's per-key lock (npm `lock`): queues are FIFO, an array locks every key */
  lock(keys: string | string[], exec: (release: <F extends (...args: never[]) => void>(done: F) => F) => void): void;
}

export interface TableDescription {
  TableName: string;
  KeySchema: { AttributeName: string; KeyType: string }[];
  [k: string]: unknown;
}

export interface Store {
  options: { maxItemSize: number };
  getTable(name: string, cb: Callback<TableDescription>): void;
  getItemDb(name: string): ItemDb;
}

export interface DynaliteDb {
  create(options: object): Store;
  createKey(item: AttributeMap, table: TableDescription): string;
  validateItem(item: AttributeMap, table: TableDescription): DynaliteError | null | undefined;
  validateKey(key: AttributeMap, table: TableDescription): DynaliteError | null | undefined;
  checkConditional(data: object, existing: AttributeMap | undefined): DynaliteError | null | undefined;
  updateIndexes(store: Store, table: TableDescription, existing: AttributeMap | undefined, item: AttributeMap | null, cb: Callback<void>): void;
  itemSize(item: AttributeMap): number;
}

export interface ActionValidation {
  types: object;
  custom?: (data: object, store: Store) => string | undefined;
}

export interface Validations {
  checkTypes(data: object, types: object): Record<string, unknown>;
  /** a message when the attribute value is not valid, else undefined */
  validateAttributeValue(value: unknown): string | undefined;
  checkValidations(data: object, types: object, custom: ActionValidation['custom'], store: Store): void;
}

export const dynaliteDb = require('dynalite/db') as DynaliteDb;
export const validations = require('dynalite/validations') as Validations;
export const putItemValidation = require('dynalite/validations/putItem') as ActionValidation;
export const deleteItemValidation = require('dynalite/validations/deleteItem') as ActionValidation;

/**
 * Creates a dynalite server and hands back the store it serves, so that operations dynalite
 * lacks can work on the same data under the same per-key locks.
 *
 * @example
 * const { server, store } = createDynalite({ createTableMs: 0 });
 */
export function createDynalite(options: object): { server: http.Server; store: Store } {
  const dynalite = require('dynalite') as (opts: object) => http.Server;
  const create = dynaliteDb.create;
  let store: Store | undefined;
  // dynalite calls `db.create` once, synchronously, inside its factory.
  dynaliteDb.create = (opts: object) => (store = create(opts));
  try {
    const server = dynalite(options);
    if (!store) throw new Error('dynalite did not create its store through dynalite/db');
    return { server, store };
  } finally {
    dynaliteDb.create = create;
  }
}
