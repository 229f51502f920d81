/**
 * The Data API client, the metric mirror and the read-back, through the real
 * `RedshiftDataClient` against the local Data API endpoint (`src/local/redshift-data`) over
 * PostgreSQL and PGlite.
 */
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatementFailedError } from '../../../src/errors.ts';
import { DataApi } from '../../../src/sinks/redshift/data-api.ts';
import { RedshiftMetricMirror } from '../../../src/sinks/redshift/metric-mirror.ts';
import { migrate } from '../../../src/sinks/redshift/migrations.ts';
import { readCounters, readSketches } from '../../../src/sinks/redshift/read-metrics.ts';
import type { CounterRow, SketchRow } from '../../../src/types.ts';
import { startRedshiftDataServer, type RedshiftDataServer } from '../../../src/local/redshift-data/server.ts';
import { HOSTILE, openBackend, type SqlDb } from './support.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0);
const fast = { attempts: 5, baseMs: 1, capMs: 5 };

/** Adds a middleware that throws a ThrottlingException the first `times` calls. */
function throttleFirst(client: RedshiftDataClient, times: number): { thrown: number } {
  const state = { thrown: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      if (state.thrown < times) {
        state.thrown++;
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
      }
      return next(args);
    },
    { step: 'initialize', name: 'testThrottle' },
  );
  return state;
}

for (const kind of ['postgres', 'pglite'] as const) {
  describe(`DataApi + mirror through the SDK on ${kind}`, () => {
    let db: SqlDb;
    let endpoint: RedshiftDataServer;
    // the server takes its fault hook at start; tests swap what it calls
    const faults: { failStatement?: ((sql: string) => string | null) | undefined; delayStatement?: ((sql: string) => number) | undefined } = {};
    const clients: RedshiftDataClient[] = [];
    const newClient = () => {
      const c = new RedshiftDataClient({
        region: 'us-east-1',
        endpoint: endpoint.url,
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
        requestHandler: new NodeHttpHandler(),
        maxAttempts: 1,
      });
      clients.push(c);
      return c;
    };
    const newApi = (client = newClient()) => new DataApi(client, { database: 'dev', workgroupName: 'local' }, { pollMs: 10, retry: fast });

    beforeAll(async () => {
      const opened = await openBackend(kind);
      db = opened.db;
      endpoint = await startRedshiftDataServer({ backend: opened.backend, pageSize: 2, faults: { failStatement: (sql) => faults.failStatement?.(sql) ?? null, delayStatement: (sql) => faults.delayStatement?.(sql) ?? 0 } });
      await migrate((sql) => newApi().execute(sql), 'postgres');
    });
    afterAll(async () => {
      for (const c of clients) c.destroy();
      await endpoint?.close();
      await db?.close();
    });

    describe('DataApi.execute', () => {
      it('binds named parameters, inlines null and empty strings, and reads every result page', async () => {
        // Prepare
        const api = newApi();
        // Act
        const { rows } = await api.execute(
          `SELECT CAST(:s AS VARCHAR) AS s, CAST(:n AS BIGINT) AS n, CAST(:b AS BOOLEAN) AS b, :nothing AS nothing, CAST(:empty AS VARCHAR) AS e, 'x::y' AS lit, 1::INT AS cast
           UNION ALL SELECT 'a', 2, false, NULL, 'z', 'x', 2 UNION ALL SELECT 'b', 3, false, NULL, 'z', 'x', 3`,
          { s: "O'Brien \\ ;--", n: 42, b: true, nothing: null, empty: '' },
        );
        // Assert: three rows over two result pages
        expect(rows.map((r) => [r[0], Number(r[1]), r[2], r[3], r[4], r[5], Number(r[6])])).toEqual([
          ["O'Brien \\ ;--", 42, true, null, '', 'x::y', 1],
          ['a', 2, false, null, 'z', 'x', 2],
          ['b', 3, false, null, 'z', 'x', 3],
        ]);
        expect(api.stats.calls).toBe(4); // execute, describe, 2 result pages
      });

      it('migrate() through the Data API a second time applies nothing', async () => {
        await expect(migrate((sql) => newApi().execute(sql), 'postgres')).resolves.toEqual([]);
      });

      it('surfaces a FAILED statement as StatementFailedError, without retrying it', async () => {
        // Prepare
        const api = newApi();
        faults.failStatement = (sql) => (sql.includes('boom') ? 'ERROR: injected failure' : null);
        try {
          // Act / Assert
          const err = await api.execute("SELECT 'boom'").catch((e: unknown) => e);
          expect(err).toBeInstanceOf(StatementFailedError);
          expect((err as StatementFailedError).status).toBe('FAILED');
          expect((err as StatementFailedError).error).toContain('injected failure');
          await expect(api.batch(['SELECT 1', "SELECT 'boom'"])).rejects.toBeInstanceOf(StatementFailedError);
          await expect(api.execute('SELECT * FROM no_such_table')).rejects.toBeInstanceOf(StatementFailedError);
          expect(api.stats.calls).toBe(6);
        } finally {
          faults.failStatement = undefined;
        }
      });

      it('retries throttled API calls with back-off and counts every attempt', async () => {
        // Prepare
        const client = newClient();
        const throttle = throttleFirst(client, 3);
        const api = newApi(client);
        // Act
        const { rows } = await api.execute('SELECT 7');
        // Assert
        expect(rows.map((r) => Number(r[0]))).toEqual([7]);
        expect(throttle.thrown).toBe(3);
        // 3 throttled + ExecuteStatement + DescribeStatement (one more if the first poll is early) + GetStatementResult
        expect(api.stats.calls).toBeGreaterThanOrEqual(3 + 3);
        expect(api.stats.calls).toBeLessThanOrEqual(3 + 4);
      });

      it('gives up after the configured attempts', async () => {
        const client = newClient();
        throttleFirst(client, 100);
        const api = new DataApi(client, { database: 'dev' }, { retry: { attempts: 2, baseMs: 1 } });
        await expect(api.execute('SELECT 1')).rejects.toMatchObject({ name: 'ThrottlingException' });
        expect(api.stats.calls).toBe(2);
      });
    });

    describe('RedshiftMetricMirror', () => {
      const c = (value: number, version: number, dims: Record<string, string> = {}, metric = 'orders', w = T0): CounterRow => ({ metric, dims, windowStart: w, value, version });
      const s = (shardId: string, sketch: string, version: number, w = T0): SketchRow => ({ metric: 'unique_visitors', dims: { country: 'FR' }, windowStart: w, shardId, kind: 'hll', sketch, version });
      const snapshot = async () => {
        const a = (await db.query('SELECT metric, dims, window_start, value, version FROM metric_counters ORDER BY 1, 2, 3')).rows;
        const b = (await db.query('SELECT metric, dims, window_start, shard_id, sketch, version FROM metric_sketches ORDER BY 1, 2, 3, 4')).rows;
        return JSON.stringify([a, b], (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
      };

      it('load v2 then v1 keeps v2; a replayed load changes nothing', async () => {
        // Prepare
        await db.query('DELETE FROM metric_counters');
        await db.query('DELETE FROM metric_sketches');
        const mirror = new RedshiftMetricMirror(newApi(), 'postgres');
        // Act
        await mirror.load([c(20, 2), c(5, 2, { currency: 'USD' })], [s('cs/shard-1', 'v2', 2)]);
        const afterV2 = await snapshot();
        await mirror.load([c(10, 1), c(3, 1, { currency: 'USD' })], [s('cs/shard-1', 'v1', 1)]);
        await mirror.load([c(20, 2), c(5, 2, { currency: 'USD' })], [s('cs/shard-1', 'v2', 2)]);
        // Assert
        expect(await snapshot()).toBe(afterV2);
        const back = await readCounters(newApi(), 'orders', T0, T0 + 60_000);
        expect(back).toEqual([
          { metric: 'orders', dims: { currency: 'USD' }, windowStart: T0, value: 5, version: 2 },
          { metric: 'orders', dims: {}, windowStart: T0, value: 20, version: 2 },
        ]);
      });

      it('interleaved loads of several shards, in any order and repeated, end in the latest state', async () => {
        // Prepare: three shards each writing versions 1..4 of their own partial and of a shared counter
        await db.query('DELETE FROM metric_counters');
        await db.query('DELETE FROM metric_sketches');
        const loads: [CounterRow[], SketchRow[]][] = [];
        let shared = 0;
        for (let v = 1; v <= 4; v++) {
          for (const shard of ['a', 'b', 'c']) {
            shared++;
            loads.push([[c(shared * 10, shared, {}, 'events_total')], [s(`cs/${shard}`, `${shard}${v}`, v)]]);
          }
        }
        // a deterministic shuffle with every load twice
        const order = [...loads, ...loads].map((l, i) => [((i * 7919) % 97) + i / 1000, l] as const).sort((x, y) => x[0] - y[0]);
        const mirror = new RedshiftMetricMirror(newApi(), 'postgres');
        // Act
        await Promise.all([0, 1, 2].map(async (lane) => {
          for (let i = lane; i < order.length; i += 3) await mirror.load(...order[i]![1]);
        }));
        // Assert
        const counters = await readCounters(newApi(), 'events_total', T0, T0 + 1);
        expect(counters).toEqual([{ metric: 'events_total', dims: {}, windowStart: T0, value: 120, version: 12 }]);
        const sketches = await readSketches(newApi(), 'unique_visitors', T0, T0 + 1);
        expect(sketches.map((r) => [r.shardId, r.sketch, r.version])).toEqual([
          ['cs/a', 'a4', 4],
          ['cs/b', 'b4', 4],
          ['cs/c', 'c4', 4],
        ]);
      });

      it('hostile dimension values and shard ids round-trip through load and read-back', async () => {
        // Prepare
        await db.query('DELETE FROM metric_counters');
        await db.query('DELETE FROM metric_sketches');
        const mirror = new RedshiftMetricMirror(newApi(), 'postgres');
        const counters = HOSTILE.map((h, i) => c(i + 1, 1, { sku: h }, 'units_sold', T0 + i * 60_000));
        const sketches = HOSTILE.map((h, i) => ({ ...s(h, Buffer.from(h).toString('base64'), 1), dims: { currency: h }, metric: 'order_value', kind: 'ddsketch' as const }));
        // Act
        await mirror.load(counters, sketches);
        const back = await readCounters(newApi(), 'units_sold', T0, T0 + HOSTILE.length * 60_000);
        const backSk = await readSketches(newApi(), 'order_value', T0, T0 + 1);
        // Assert
        expect(back).toEqual(counters);
        expect(new Set(backSk.map((r) => JSON.stringify(r)))).toEqual(new Set(sketches.map((r) => JSON.stringify(r))));
      });

      it('retries a load after a throttled BatchExecuteStatement', async () => {
        // Prepare
        await db.query('DELETE FROM metric_counters');
        const client = newClient();
        throttleFirst(client, 2);
        const mirror = new RedshiftMetricMirror(newApi(client), 'postgres');
        // Act
        await mirror.load([c(1, 1)], []);
        // Assert
        expect(await readCounters(newApi(), 'orders', T0, T0 + 1)).toHaveLength(1);
      });

      it('a failed load is a StatementFailedError and leaves nothing behind (one transaction)', async () => {
        // Prepare
        await db.query('DELETE FROM metric_counters');
        faults.failStatement = (sql) => (sql.startsWith('DELETE FROM metric_counters USING') ? 'ERROR: injected' : null);
        const mirror = new RedshiftMetricMirror(newApi(), 'postgres', { retry: { attempts: 1 } });
        try {
          // Act / Assert
          await expect(mirror.load([c(1, 1)], [])).rejects.toBeInstanceOf(StatementFailedError);
          expect(await readCounters(newApi(), 'orders', T0, T0 + 1)).toEqual([]);
        } finally {
          faults.failStatement = undefined;
        }
      });

      /** Records every Data API call a client makes, with DescribeStatement's status. */
      function recordCalls(client: RedshiftDataClient): { command: string; status?: string }[] {
        const calls: { command: string; status?: string }[] = [];
        client.middlewareStack.add(
          (next, context) => async (args) => {
            const out = await next(args);
            calls.push({ command: String((context as { commandName?: string }).commandName).replace(/Command$/, ''), ...((out.output as { Status?: string }).Status ? { status: (out.output as { Status?: string }).Status } : {}) });
            return out;
          },
          { step: 'initialize', name: 'recordCalls' },
        );
        return calls;
      }
      const typicalLoad = () => ({
        counters: Array.from({ length: 40 }, (_, i) => c(i, 100 + i, { country: `C${i}` }, 'page_views')),
        sketches: [s('cs/a', 'x', 100), s('cs/b', 'y', 100)],
      });

      it('a load is exactly 2 Data API calls — 1 BatchExecuteStatement, 1 DescribeStatement — when it is done by the first poll', async () => {
        // Prepare: a typical batch (~40 counter cells, 2 sketches); the first poll after
        // 300 ms, as long as a small load takes on Redshift, so every local load (a few ms)
        // is done by then whatever the machine's load
        const client = newClient();
        const calls = recordCalls(client);
        const api = new DataApi(client, { database: 'dev', workgroupName: 'local' }, { pollMs: 300 });
        const mirror = new RedshiftMetricMirror(api, 'postgres');
        const { counters, sketches } = typicalLoad();
        const perLoad: string[][] = [];
        // Act
        for (let i = 0; i < 6; i++) {
          const before = calls.length;
          await mirror.load(counters.map((r) => ({ ...r, version: r.version + i })), sketches.map((r) => ({ ...r, version: r.version + i })));
          perLoad.push(calls.slice(before).map((x) => `${x.command}${x.status ? `:${x.status}` : ''}`));
        }
        // Assert
        for (const load of perLoad) expect(load).toEqual(['BatchExecuteStatement', 'DescribeStatement:FINISHED']);
        expect(api.stats.calls).toBe(12);
      });

      it('at the default polling, a load costs more than 2 calls only for polls that found it still running', async () => {
        // Prepare: default polling (first poll after 25 ms, then as long as loads lately took)
        const client = newClient();
        const calls = recordCalls(client);
        const api = new DataApi(client, { database: 'dev', workgroupName: 'local' });
        const mirror = new RedshiftMetricMirror(api, 'postgres');
        const { counters, sketches } = typicalLoad();
        const perLoad: { command: string; status?: string }[][] = [];
        // Act
        for (let i = 0; i < 20; i++) {
          const before = calls.length;
          await mirror.load(counters.map((r) => ({ ...r, version: r.version + i })), sketches.map((r) => ({ ...r, version: r.version + i })));
          perLoad.push(calls.slice(before));
        }
        // Assert: one BatchExecuteStatement, then polls until FINISHED, none after; every
        // call past the second is a poll that saw the load unfinished (a loaded machine)
        for (const load of perLoad) {
          expect(load.map((x) => x.command)).toEqual(['BatchExecuteStatement', ...load.slice(1).map(() => 'DescribeStatement')]);
          expect(load.at(-1)?.status).toBe('FINISHED');
          for (const early of load.slice(1, -1)) expect(['SUBMITTED', 'PICKED', 'STARTED']).toContain(early.status);
        }
        const extra = perLoad.reduce((n, load) => n + load.length - 2, 0);
        console.info(`[report] ${kind}: Data API calls per mirror load: ${api.stats.calls / 20} (20 loads of 42 rows; ${extra} poll(s) found a load still running)`);
        expect(api.stats.calls).toBe(40 + extra);
      });

      it('waits about as long as statements take before the first poll (Redshift-like 300 ms statements)', async () => {
        // Prepare: statements carrying a marker take 300 ms, as small loads do on Redshift
        faults.delayStatement = (sql) => (sql.includes('slow_marker') ? 300 : 0);
        const api = new DataApi(newClient(), { database: 'dev', workgroupName: 'local' });
        const callsPerStatement: number[] = [];
        try {
          // Act
          for (let i = 0; i < 8; i++) {
            const before = api.stats.calls;
            await api.batch([`SELECT ${i} AS slow_marker`]);
            callsPerStatement.push(api.stats.calls - before);
          }
        } finally {
          faults.delayStatement = undefined;
        }
        // Assert: the first, untimed statement polls at 25, 50, 100, 200 ms…; once timed, one
        // BatchExecuteStatement and one or two DescribeStatement calls
        console.info(`[report] ${kind}: Data API calls per 300 ms statement: ${callsPerStatement.join(', ')}`);
        expect(callsPerStatement[0]).toBeGreaterThanOrEqual(5);
        for (const calls of callsPerStatement.slice(3)) expect(calls).toBeLessThanOrEqual(3);
      });
    });
  });
}
