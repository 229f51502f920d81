/**
 * The local DynamoDB endpoint: dynalite, plus the operations stream-metrics needs that
 * dynalite lacks (`TransactWriteItems`), served on the same port and the same data. One
 * `http.Server` dispatching on `X-Amz-Target`, one module per added operation, AWS's error
 * shapes (JSON 1.0); every other target goes to dynalite unchanged.
 */
import type http from 'node:http';
import { createDynalite, type Store } from './dynalite-internals.ts';
import { DynamoApiError, transactWriteItems } from './transact-write-items.ts';

const TARGET_PREFIX = 'DynamoDB_20120810.';
const MAX_BODY_BYTES = 16 * 1024 * 1024;

type Operation = (store: Store, input: Record<string, unknown>) => Promise<Record<string, unknown>>;

/** The operations served here rather than by dynalite. */
const OPERATIONS: Record<string, Operation> = {
  TransactWriteItems: transactWriteItems,
};

export interface LocalDynamoOptions {
  /** keep the tables under this directory (LevelDB); in memory when absent */
  path?: string;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/x-amz-json-1.0');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

function serve(store: Store, operation: Operation, req: http.IncomingMessage, res: http.ServerResponse): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= MAX_BODY_BYTES) chunks.push(c);
  });
  req.on('end', () => {
    if (size > MAX_BODY_BYTES) return send(res, 413, { __type: 'com.amazon.coral.service#RequestEntityTooLargeException', message: 'Request body too large' });
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      return send(res, 400, { __type: 'com.amazon.coral.service#SerializationException' });
    }
    operation(store, input).then(
      (out) => send(res, 200, out),
      (err: unknown) => {
        if (err instanceof DynamoApiError) send(res, err.statusCode, err.body);
        else send(res, 500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String((err as Error)?.message ?? err) });
      },
    );
  });
}

/**
 * Creates (does not start) the local DynamoDB endpoint.
 *
 * @example
 * const server = createLocalDynamo({});
 * server.listen(4568, '127.0.0.1');
 * // new DynamoDBClient({ endpoint: 'http://127.0.0.1:4568', … }).send(new TransactWriteItemsCommand(…))
 */
export function createLocalDynamo(options: LocalDynamoOptions = {}): http.Server {
  const { server, store } = createDynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.path ? { path: options.path } : {}) });
  const [dynalite] = server.listeners('request') as ((req: http.IncomingMessage, res: http.ServerResponse) => void)[];
  if (!dynalite) throw new Error('dynalite registered no request listener');
  server.removeAllListeners('request');
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(TARGET_PREFIX) ? OPERATIONS[target.slice(TARGET_PREFIX.length)] : undefined;
    if (operation && req.method === 'POST') serve(store, operation, req, res);
    else dynalite(req, res);
  });
  return server;
}
