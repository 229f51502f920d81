/**
 * Output formats of `stream-metrics query` (SPEC §7): an aligned table for people, JSON
 * rows for programs, CSV for spreadsheets.
 */
import type { QueryRow } from '../query/rollup.ts';

export type Format = 'table' | 'json' | 'csv';

function columns(rows: QueryRow[]): { dims: string[]; quantiles: boolean } {
  const dims = new Set<string>();
  let quantiles = false;
  for (const r of rows) {
    Object.keys(r.dims).forEach((d) => dims.add(d));
    if (typeof r.value === 'object') quantiles = true;
  }
  return { dims: [...dims], quantiles };
}

function cellsOf(r: QueryRow, dims: string[], quantiles: boolean): string[] {
  const v = r.value;
  const values = quantiles && typeof v === 'object' ? [String(v.p50), String(v.p90), String(v.p99)] : [String(v)];
  return [r.metric, r.windowStart, ...dims.map((d) => r.dims[d] ?? ''), ...values];
}

const csvField = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/**
 * Renders rows in a format.
 *
 * @example
 * process.stdout.write(formatRows(rows, 'csv'));
 */
export function formatRows(rows: QueryRow[], format: Format): string {
  if (format === 'json') return `${JSON.stringify(rows)}\n`;
  const { dims, quantiles } = columns(rows);
  const header = ['metric', 'windowStart', ...dims, ...(quantiles ? ['p50', 'p90', 'p99'] : ['value'])];
  const body = rows.map((r) => cellsOf(r, dims, quantiles));
  if (format === 'csv') return [header, ...body].map((line) => line.map(csvField).join(',')).join('\n') + '\n';
  if (rows.length === 0) return '(no rows)\n';
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const numeric = header.map((_, i) => i >= 2 + dims.length);
  const line = (cells: string[]) => cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}
