/**
 * Stand-in HTTP endpoints that speak the Redshift Data API and Firehose wire protocols
 * (JSON 1.1) over a `SqlDb`, for this folder's tests while the project's local servers
 * (`src/local/redshift-data`, `src/local/firehose`) are being built. They implement just
 * the operations the sinks use, with the same fault hooks the local servers offer
 * (`failStatement`, `failRecord`). The clients under test are the real AWS SDK clients.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SqlDb } from './support.ts';

interface Endpoint {
  url: string;
  close(): Promise<void>;
}

async function serve(handler: (target: string, body: any) => Promise<unknown>): Promise<Endpoint> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        body = {};
      }
      handler(target, body).then(
        (out) => {
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify(out ?? {}));
        },
        (err: { type?: string; message?: string }) => {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify({ __type: err.type ?? 'ValidationException', message: err.message ?? String(err) }));
        },
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const apiError = (type: string, message: string) => Object.assign(new Error(message), { type });

function toField(v: unknown): Record<string, unknown> {
  if (v === null || v === undefined) return { isNull: true };
  if (typeof v === 'boolean') return { booleanValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { longValue: v } : { doubleValue: v };
  if (v instanceof Date) return { stringValue: v.toISOString().replace('T', ' ').replace('Z', '') };
  return { stringValue: String(v) };
}

export interface DataApiFaults {
  /** return an error text to make a statement end FAILED */
  failStatement?: (sql: string) => string | null;
}

/** A Redshift Data API endpoint over `db`. */
export async function startDataApiEndpoint(db: SqlDb, faults: DataApiFaults = {}): Promise<Endpoint & { faults: DataApiFaults }> {
  const statements = new Map<string, { status: string; error?: string; result?: { columns: string[]; rows: unknown[][] }; hasResultSet: boolean }>();
  const run = async (sqls: string[], params?: { name: string; value: string }[]) => {
    const id = randomUUID();
    try {
      for (const s of sqls) {
        const e = faults.failStatement?.(s);
        if (e) throw new Error(e);
      }
      if (sqls.length === 1) {
        // `:name` → `$n` (skipping `::` casts): the Data API's named parameters on PostgreSQL.
        const names: string[] = [];
        const text = sqls[0]!.replace(/(?<!:):([A-Za-z_][A-Za-z0-9_]*)/g, (_, n: string) => {
          const p = params?.find((x) => x.name === n);
          if (!p) throw new Error(`parameter :${n} has no value`);
          names.push(p.value);
          return `$${names.length}`;
        });
        const r = await db.query(text, names);
        const hasResultSet = /^\s*(SELECT|WITH)/i.test(text);
        statements.set(id, { status: 'FINISHED', hasResultSet, result: { columns: [], rows: r.rows } });
      } else {
        await db.transaction(sqls);
        statements.set(id, { status: 'FINISHED', hasResultSet: false });
      }
    } catch (err) {
      statements.set(id, { status: 'FAILED', error: (err as Error).message, hasResultSet: false });
    }
    return { Id: id };
  };
  const ep = await serve(async (target, body) => {
    switch (target.replace(/^RedshiftData\./, '')) {
      case 'ExecuteStatement':
        if (body.Parameters?.some((p: { value: string }) => p.value === '')) throw apiError('ValidationException', 'parameter values must not be empty');
        return run([body.Sql], body.Parameters);
      case 'BatchExecuteStatement':
        if (!Array.isArray(body.Sqls) || body.Sqls.length < 1 || body.Sqls.length > 40) throw apiError('ValidationException', '1-40 statements');
        return run(body.Sqls);
      case 'DescribeStatement': {
        const s = statements.get(body.Id);
        if (!s) throw apiError('ResourceNotFoundException', 'no such statement');
        return { Id: body.Id, Status: s.status, Error: s.error, HasResultSet: s.hasResultSet, ResultRows: s.result?.rows.length ?? 0 };
      }
      case 'GetStatementResult': {
        const s = statements.get(body.Id);
        if (!s?.result) throw apiError('ResourceNotFoundException', 'no result');
        const pageSize = 2;
        const start = body.NextToken ? Number(body.NextToken) : 0;
        const rows = s.result.rows.slice(start, start + pageSize);
        const next = start + pageSize < s.result.rows.length ? String(start + pageSize) : undefined;
        return { Records: rows.map((r) => r.map(toField)), TotalNumRows: s.result.rows.length, ...(next ? { NextToken: next } : {}), ColumnMetadata: [] };
      }
      default:
        throw apiError('UnknownOperationException', target);
    }
  });
  return { ...ep, faults };
}

export interface FirehoseFaults {
  /** true to answer this entry with ServiceUnavailableException (a partial failure) */
  failRecord?: (data: string, index: number) => boolean;
}

/** A Firehose endpoint over `db`: buffers PutRecordBatch data, `flush()` COPYs it (json 'auto') into the tables. */
export async function startFirehoseEndpoint(db: SqlDb, faults: FirehoseFaults = {}): Promise<Endpoint & { faults: FirehoseFaults; flush(): Promise<void> }> {
  const streams = new Map<string, { table: string; columns: string[]; buffer: string }>();
  const ep = await serve(async (target, body) => {
    switch (target.replace(/^Firehose_20150804\./, '')) {
      case 'CreateDeliveryStream': {
        const copy = body.RedshiftDestinationConfiguration.CopyCommand;
        streams.set(body.DeliveryStreamName, { table: copy.DataTableName, columns: String(copy.DataTableColumns).split(','), buffer: '' });
        return { DeliveryStreamARN: `arn:aws:firehose:us-east-1:000000000000:deliverystream/${body.DeliveryStreamName}` };
      }
      case 'PutRecordBatch': {
        const s = streams.get(body.DeliveryStreamName);
        if (!s) throw apiError('ResourceNotFoundException', 'no such stream');
        let failed = 0;
        const responses = (body.Records as { Data: string }[]).map((r, i) => {
          const data = Buffer.from(r.Data, 'base64').toString('utf8');
          if (faults.failRecord?.(data, i)) {
            failed++;
            return { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'injected' };
          }
          s.buffer += data;
          return { RecordId: randomUUID() };
        });
        return { FailedPutCount: failed, Encrypted: false, RequestResponses: responses };
      }
      default:
        throw apiError('UnknownOperationException', target);
    }
  });
  return {
    ...ep,
    faults,
    async flush() {
      for (const s of streams.values()) {
        const lines = s.buffer.split('\n').filter((l) => l.length > 0);
        s.buffer = '';
        for (const line of lines) {
          const obj = JSON.parse(line) as Record<string, unknown>;
          const placeholders = s.columns.map((_, i) => `$${i + 1}`).join(', ');
          await db.query(`INSERT INTO ${s.table} (${s.columns.join(', ')}) VALUES (${placeholders})`, s.columns.map((c) => obj[c] ?? null));
        }
      }
    },
  };
}
