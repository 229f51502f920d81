/**
 * Named Data API parameters (`:name`) → PostgreSQL positional parameters (`$1`, …).
 *
 * The Data API binds `:name` placeholders outside string literals; it does not look inside
 * quoted text (`':x'` stays text), quoted identifiers, comments or dollar-quoted bodies, and
 * `::type` is a cast, not a placeholder. Values are always strings (the Data API has no typed
 * parameters), so they are bound as untyped text and PostgreSQL infers their type from
 * context, as Redshift casts them.
 */
import { validationError } from '../http-json.ts';

export interface SqlParameter {
  name: string;
  value: string;
}

export interface BoundSql {
  sql: string;
  values: string[];
  /** names of the parameters the SQL uses */
  used: Set<string>;
}

/**
 * Rewrites `:name` placeholders of the given parameters into `$n` (one number per name).
 * Placeholders whose name has no parameter are left as they are (the SQL then fails as it
 * would on Redshift).
 *
 * @example
 * bindNamedParams("SELECT :a, ':a', :a::int", [{ name: 'a', value: '1' }]);
 * // → { sql: "SELECT $1, ':a', $1::int", values: ['1'], used: Set{'a'} }
 */
export function bindNamedParams(sql: string, params: readonly SqlParameter[]): BoundSql {
  const byName = new Map(params.map((p) => [p.name, p.value]));
  const index = new Map<string, number>();
  const values: string[] = [];
  const used = new Set<string>();
  if (byName.size === 0) return { sql, values, used };
  let out = '';
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    // Quoted text, quoted identifiers: copy to the closing quote (a doubled quote escapes it;
    // E'' strings also escape with a backslash).
    if (ch === "'" || ch === '"') {
      const escapeString = ch === "'" && i > 0 && /[eE]/.test(sql[i - 1]!) && !/[A-Za-z0-9_]/.test(sql[i - 2] ?? ' ');
      let j = i + 1;
      while (j < n) {
        if (escapeString && sql[j] === '\\') j += 2;
        else if (sql[j] === ch) {
          if (sql[j + 1] === ch) j += 2;
          else break;
        } else j++;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      const j = end < 0 ? n : end;
      out += sql.slice(i, j);
      i = j;
      continue;
    }
    if (ch === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      const j = end < 0 ? n : end + 2;
      out += sql.slice(i, j);
      i = j;
      continue;
    }
    if (ch === '$') {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (m && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? ' ')) {
        const tag = m[0];
        const end = sql.indexOf(tag, i + tag.length);
        const j = end < 0 ? n : end + tag.length;
        out += sql.slice(i, j);
        i = j;
        continue;
      }
    }
    if (ch === ':' && next === ':') {
      out += '::';
      i += 2;
      continue;
    }
    if (ch === ':') {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1, i + 130));
      if (m && byName.has(m[0])) {
        const name = m[0];
        let k = index.get(name);
        if (k === undefined) {
          values.push(byName.get(name)!);
          k = values.length;
          index.set(name, k);
        }
        used.add(name);
        out += `$${k}`;
        i += 1 + name.length;
        continue;
      }
    }
    out += ch;
    i++;
  }
  return { sql: out, values, used };
}

/**
 * Validates a `Parameters` list as the Data API does: a non-empty list of `{name, value}`
 * with non-empty string values and unique names.
 *
 * @example
 * parseParameters([{ name: 'id', value: '7' }]); // → [{ name: 'id', value: '7' }]
 * parseParameters([{ name: 'id', value: '' }]); // throws ValidationException
 */
export function parseParameters(raw: unknown): SqlParameter[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw validationError('Parameters must be a list');
  if (raw.length === 0) throw validationError("1 validation error detected: Value '[]' at 'parameters' failed to satisfy constraint: Member must have length greater than or equal to 1");
  const seen = new Set<string>();
  return raw.map((p, i) => {
    const item = (p ?? {}) as Record<string, unknown>;
    const at = `parameters.${i + 1}.member`;
    if (typeof item.name !== 'string' || item.name === '') throw validationError(`1 validation error detected: Value null at '${at}.name' failed to satisfy constraint: Member must not be null`);
    if (typeof item.value !== 'string') throw validationError(`1 validation error detected: Value null at '${at}.value' failed to satisfy constraint: Member must not be null`);
    if (item.value.length < 1) throw validationError(`1 validation error detected: Value '' at '${at}.value' failed to satisfy constraint: Member must have length greater than or equal to 1`);
    if (seen.has(item.name)) throw validationError(`Parameters list contains duplicate parameter: ${item.name}`);
    seen.add(item.name);
    return { name: item.name, value: item.value };
  });
}
