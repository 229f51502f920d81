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

/** East Asian Wide and Fullwidth characters and emoji: two terminal columns. */
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}]|\p{Emoji_Presentation}/u;
/** Combining marks and zero-width characters: no column of their own. */
const ZERO = /[\p{Mn}\p{Me}\u200b-\u200f\u2060\ufeff]/u;

/**
 * The columns a string takes on a terminal, so that table columns line up with dimension
 * values such as `日本語SKU` or a decomposed `é` (`.length` counts UTF-16 code units).
 *
 * @example
 * displayWidth('日本語SKU'); // 9
 */
export function displayWidth(s: string): number {
  let w = 0;
  for (const c of s) w += ZERO.test(c) ? 0 : WIDE.test(c) ? 2 : 1;
  return w;
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
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...body.map((b) => displayWidth(b[i]!))));
  const numeric = header.map((_, i) => i >= 2 + dims.length);
  const pad = (c: string, i: number) => ' '.repeat(widths[i]! - displayWidth(c));
  const line = (cells: string[]) => cells.map((c, i) => (numeric[i] ? pad(c, i) + c : c + pad(c, i))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}
