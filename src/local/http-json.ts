/**
 * A tiny AWS JSON 1.1 protocol server, shared by the local Firehose and Redshift Data API
 * endpoints (modelled on kinesalite): one `http.Server` that reads a POST body, picks the
 * operation from the `X-Amz-Target` header (`<prefix>.<Operation>`), runs one handler per
 * operation, and answers `application/x-amz-json-1.1`. Errors use AWS's shape
 * `{"__type":"…Exception","message":"…"}` with the HTTP status the real service uses, which
 * is what the SDK clients parse into their exception classes (`err.name === __type`).
 *
 * Signatures are not checked: any credentials work, as with kinesalite and dynalite.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

export const AMZ_JSON_1_1 = 'application/x-amz-json-1.1';

/** An error answered as AWS does: `__type`, `message`, HTTP status, plus extra members. */
export class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = type;
  }
}

/**
 * Shorthand for the common `ValidationException` (400).
 *
 * @example
 * throw validationError('Sqls must hold 1–40 statements');
 */
export function validationError(message: string): ApiError {
  return new ApiError('ValidationException', message, 400);
}

export type OperationHandler = (input: Record<string, unknown>) => unknown;

export interface JsonServiceOptions {
  /** `X-Amz-Target` prefix, e.g. `RedshiftData` or `Firehose_20150804` */
  targetPrefix: string;
  operations: Record<string, OperationHandler>;
  port?: number;
  host?: string;
  /** request bodies above this many bytes are answered 413 (default 8 MiB) */
  maxBodyBytes?: number;
  /** `__type` and status for unexpected errors (default InternalFailure, 500) */
  internalError?: { type: string; status: number };
}

export interface JsonService {
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = body === undefined ? '{}' : JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', AMZ_JSON_1_1);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

function sendError(res: http.ServerResponse, err: ApiError): void {
  // The SDKs also read the type from this header when the body lacks `__type`.
  res.setHeader('x-amzn-ErrorType', err.type);
  send(res, err.status, { __type: err.type, message: err.message, ...err.extra });
}

/**
 * Starts a JSON 1.1 service on `host:port` (default 127.0.0.1, a free port).
 *
 * @example
 * const svc = await startJsonService({ targetPrefix: 'Firehose_20150804', operations: { ListDeliveryStreams: () => ({ DeliveryStreamNames: [], HasMoreDeliveryStreams: false }) } });
 * // … new FirehoseClient({ endpoint: svc.url, … })
 * await svc.close();
 */
export async function startJsonService(options: JsonServiceOptions): Promise<JsonService> {
  const maxBody = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const internal = options.internalError ?? { type: 'InternalFailure', status: 500 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) tooLarge = true;
      else chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      res.setHeader('x-amzn-RequestId', randomUUID());
      if (tooLarge) return sendError(res, new ApiError('SerializationException', `request body exceeds ${maxBody} bytes`, 413));
      if (req.method !== 'POST') return sendError(res, new ApiError('UnknownOperationException', `method ${req.method} is not supported`, 404));
      const target = String(req.headers['x-amz-target'] ?? '');
      const dot = target.lastIndexOf('.');
      const prefix = target.slice(0, dot);
      const op = target.slice(dot + 1);
      const handler = prefix === options.targetPrefix && Object.hasOwn(options.operations, op) ? options.operations[op] : undefined;
      if (!handler) return sendError(res, new ApiError('UnknownOperationException', `unknown operation ${JSON.stringify(target)}`, 400));
      let input: unknown;
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        input = text.trim() === '' ? {} : JSON.parse(text);
      } catch {
        return sendError(res, new ApiError('SerializationException', 'the request body is not valid JSON', 400));
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        return sendError(res, new ApiError('SerializationException', 'the request body must be a JSON object', 400));
      }
      Promise.resolve()
        .then(() => handler(input as Record<string, unknown>))
        .then(
          (out) => send(res, 200, out),
          (err: unknown) => {
            if (err instanceof ApiError) return sendError(res, err);
            sendError(res, new ApiError(internal.type, `internal error: ${(err as Error)?.message ?? String(err)}`, internal.status));
          },
        );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets of SDK clients would otherwise hold `close` open.
        server.closeAllConnections();
      }),
  };
}

// ---------------------------------------------------------------------------------------
// Input validation with AWS's wording ("1 validation error detected: Value … at '…' failed
// to satisfy constraint: …"). Member names are lower-camel in these messages, as AWS prints.

function memberPath(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function constraint(value: unknown, name: string, text: string): ApiError {
  const shown = value === undefined || value === null ? 'null' : `'${typeof value === 'string' ? value : JSON.stringify(value)}'`;
  return validationError(`1 validation error detected: Value ${shown} at '${memberPath(name)}' failed to satisfy constraint: ${text}`);
}

/**
 * A required (or optional) string member with length bounds (in UTF-16 units, like AWS's models).
 *
 * @example
 * const sql = stringMember(input, 'Sql', { required: true, min: 1 });
 */
export function stringMember(input: Record<string, unknown>, name: string, o: { required: true; min?: number; max?: number; pattern?: RegExp }): string;
export function stringMember(input: Record<string, unknown>, name: string, o?: { required?: false; min?: number; max?: number; pattern?: RegExp }): string | undefined;
export function stringMember(input: Record<string, unknown>, name: string, o: { required?: boolean; min?: number; max?: number; pattern?: RegExp } = {}): string | undefined {
  const v = input[name];
  if (v === undefined || v === null) {
    if (o.required) throw constraint(v, name, 'Member must not be null');
    return undefined;
  }
  if (typeof v !== 'string') throw new ApiError('SerializationException', `${name} must be a string`, 400);
  if (o.min !== undefined && v.length < o.min) throw constraint(v, name, `Member must have length greater than or equal to ${o.min}`);
  if (o.max !== undefined && v.length > o.max) throw constraint(v.length > 200 ? `${v.slice(0, 200)}…` : v, name, `Member must have length less than or equal to ${o.max}`);
  if (o.pattern && !o.pattern.test(v)) throw constraint(v, name, `Member must satisfy regular expression pattern: ${o.pattern.source}`);
  return v;
}

/**
 * An optional integer member within bounds.
 *
 * @example
 * const limit = intMember(input, 'Limit', { min: 1, max: 10_000 }) ?? 10;
 */
export function intMember(input: Record<string, unknown>, name: string, o: { min?: number; max?: number; path?: string } = {}): number | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ApiError('SerializationException', `${name} must be an integer`, 400);
  // A nested member is named by its whole path, as AWS prints it (`a.b.c`).
  const at = o.path ?? name;
  if (o.min !== undefined && v < o.min) throw constraint(v, at, `Member must have value greater than or equal to ${o.min}`);
  if (o.max !== undefined && v > o.max) throw constraint(v, at, `Member must have value less than or equal to ${o.max}`);
  return v;
}

/**
 * An optional boolean member.
 *
 * @example
 * const withEvent = boolMember(input, 'WithEvent') ?? false;
 */
export function boolMember(input: Record<string, unknown>, name: string): boolean | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new ApiError('SerializationException', `${name} must be a boolean`, 400);
  return v;
}

/**
 * A list member with length bounds.
 *
 * @example
 * const records = listMember(input, 'Records', { required: true, min: 1, max: 500 })!;
 */
export function listMember(input: Record<string, unknown>, name: string, o: { required?: boolean; min?: number; max?: number } = {}): unknown[] | undefined {
  const v = input[name];
  if (v === undefined || v === null) {
    if (o.required) throw constraint(v, name, 'Member must not be null');
    return undefined;
  }
  if (!Array.isArray(v)) throw new ApiError('SerializationException', `${name} must be a list`, 400);
  const shown = `[${v.length} item(s)]`;
  if (o.min !== undefined && v.length < o.min) throw constraint(shown, name, `Member must have length greater than or equal to ${o.min}`);
  if (o.max !== undefined && v.length > o.max) throw constraint(shown, name, `Member must have length less than or equal to ${o.max}`);
  return v;
}

/**
 * A structure member (a plain object).
 *
 * @example
 * const copy = structMember(rs, 'CopyCommand', { required: true })!;
 */
export function structMember(input: Record<string, unknown>, name: string, o: { required?: boolean } = {}): Record<string, unknown> | undefined {
  const v = input[name];
  if (v === undefined || v === null) {
    if (o.required) throw constraint(v, name, 'Member must not be null');
    return undefined;
  }
  if (typeof v !== 'object' || Array.isArray(v)) throw new ApiError('SerializationException', `${name} must be a structure`, 400);
  return v as Record<string, unknown>;
}
