/**
 * Runs a query against a source: DynamoDB (real-time, the metric store's minute items) or
 * Redshift (history, the mirrored tables through the Data API). Both feed the same roll-up.
 */
import { decodeCell, groupOf } from '../metrics/catalog.ts';
import type { DynamoMetricStore } from '../sinks/dynamodb/metric-store.ts';
import type { DataApi } from '../sinks/redshift/data-api.ts';
import { readCounters, readSketches } from '../sinks/redshift/read-metrics.ts';
import { deriveRows, findDerived, planDerived } from './derived.ts';
import { planQuery, rollup, type QueryPlan, type QueryRequest, type QueryRow, type StoredCell } from './rollup.ts';

const sameDims = (names: readonly string[], combo: readonly string[]) => names.length === combo.length && names.every((n, i) => n === combo[i]);

async function* fromDynamo(store: DynamoMetricStore, plan: QueryPlan, req: QueryRequest): AsyncIterable<StoredCell> {
  const group = groupOf(plan.def.name, plan.combo);
  if (plan.def.kind === 'counter') {
    for await (const item of store.readCounters(group, req.fromMs, req.toMs)) {
      for (const [cell, value] of item.cells) {
        const c = decodeCell(cell);
        if (c.metric === plan.def.name && sameDims(c.dimNames, plan.combo)) yield { windowStart: item.windowStart, dims: c.dims, value };
      }
    }
  } else {
    for await (const item of store.readSketches(group, req.fromMs, req.toMs)) {
      for (const [cell, sketch] of item.cells) {
        const c = decodeCell(cell);
        if (c.metric === plan.def.name && sameDims(c.dimNames, plan.combo)) yield { windowStart: item.windowStart, dims: c.dims, sketch };
      }
    }
  }
}

async function fromRedshift(api: DataApi, plan: QueryPlan, req: QueryRequest): Promise<StoredCell[]> {
  const matches = (dims: Record<string, string>) => sameDims(Object.keys(dims).sort(), [...plan.combo].sort());
  if (plan.def.kind === 'counter') {
    const rows = await readCounters(api, plan.def.name, req.fromMs, req.toMs);
    return rows.filter((r) => matches(r.dims)).map((r) => ({ windowStart: r.windowStart, dims: r.dims, value: r.value }));
  }
  const rows = await readSketches(api, plan.def.name, req.fromMs, req.toMs);
  return rows.filter((r) => matches(r.dims)).map((r) => ({ windowStart: r.windowStart, dims: r.dims, sketch: new Uint8Array(Buffer.from(r.sketch, 'base64')) }));
}

/**
 * Checks a query's metric and dimensions without running it (`UsageError` when wrong), for
 * the command line to fail before touching the network.
 *
 * @example
 * validateQuery({ metric: 'conversion', by: ['country'], fromMs, toMs }); // throws: no such breakdown
 */
export function validateQuery(req: QueryRequest): void {
  const derived = findDerived(req.metric);
  if (derived) planDerived(derived, req);
  else planQuery(req);
}

/**
 * Plans and runs a query (a stored metric, or one SPEC §4 derives from two).
 *
 * @example
 * const rows = await runQuery({ metric: 'revenue', by: ['currency'], fromMs, toMs }, { kind: 'dynamodb', store });
 */
export async function runQuery(req: QueryRequest, source: { kind: 'dynamodb'; store: DynamoMetricStore } | { kind: 'redshift'; api: DataApi }): Promise<QueryRow[]> {
  const derived = findDerived(req.metric);
  if (derived) {
    // SPEC §4's derived metrics: two stored metrics over the same range, grain and dims.
    const parts = planDerived(derived, req);
    const [numerator, denominator] = await Promise.all([runQuery(parts.numerator, source), runQuery(parts.denominator, source)]);
    return deriveRows(derived, req, numerator, denominator);
  }
  const plan = planQuery(req);
  const cells: StoredCell[] = [];
  if (source.kind === 'dynamodb') for await (const c of fromDynamo(source.store, plan, req)) cells.push(c);
  else cells.push(...(await fromRedshift(source.api, plan, req)));
  return rollup(plan, req, cells);
}
