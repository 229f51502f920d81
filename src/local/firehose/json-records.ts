/**
 * Reads what Firehose hands to Redshift's `COPY … FORMAT AS JSON 'auto'`: the concatenated
 * records of one delivery, i.e. a sequence of JSON objects with any (or no) whitespace
 * between them. Each object becomes one row. Values keep their source text, so a 20-digit
 * integer or a decimal loses no precision on its way into a BIGINT or DECIMAL column:
 * strings → their value; numbers and booleans → their literal text; `null` → null; nested
 * objects and arrays → their JSON text (what COPY loads into a VARCHAR column).
 */

export class JsonRecordError extends Error {}

/** One object: lower-cased key → value text (null for JSON null). Keys match columns case-insensitively. */
export type JsonRow = Map<string, string | null>;

const WS = new Set([' ', '\t', '\n', '\r']);
/** A number, `true`, `false` or `null`, matched in place (sticky: no slice of the text). */
const SCALAR = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/**
 * Where each object is in the text, and whether PostgreSQL would read its text exactly as
 * `parseJsonObjects` reads it (`json_populate_recordset`): keys already lower case, no
 * repeated key, no escape that PostgreSQL's JSON refuses (a lone surrogate) or that hides
 * a key's case. A loader can then hand such objects to PostgreSQL as they are.
 */
export interface ObjectSpans {
  start: number[];
  end: number[];
  plain: boolean[];
}

/**
 * Parses concatenated JSON objects; with `spans`, also records where each one is.
 *
 * @example
 * parseJsonObjects('{"a":1}\n{"A":"x","b":null}');
 * // → [Map{'a' → '1'}, Map{'a' → 'x', 'b' → null}]
 */
export function parseJsonObjects(text: string, spans?: ObjectSpans): JsonRow[] {
  const rows: JsonRow[] = [];
  // Whether the object being read is plain (see `ObjectSpans`).
  let plain = true;
  let i = 0;
  const n = text.length;
  const fail = (what: string): never => {
    throw new JsonRecordError(`Invalid JSON at character ${i}: ${what} (near ${JSON.stringify(text.slice(Math.max(0, i - 20), i + 20))})`);
  };
  const skipWs = () => {
    while (i < n && WS.has(text[i]!)) i++;
  };
  // Whether the last string `stringEnd` passed over needs JSON.parse (escapes, or control
  // characters, which JSON.parse rejects); most strings are plain and are sliced out.
  let escaped = false;
  const stringEnd = (start: number): number => {
    // `start` is at the opening quote; returns the index after the closing quote.
    let j = start + 1;
    escaped = false;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === 0x5c) {
        escaped = true;
        j += 2;
      } else if (c === 0x22) return j + 1;
      else {
        if (c < 0x20) escaped = true;
        j++;
      }
    }
    i = start;
    return fail('unterminated string');
  };
  const readString = (): string => {
    const end = stringEnd(i);
    if (!escaped) {
      const value = text.slice(i + 1, end - 1);
      i = end;
      return value;
    }
    let value: string;
    try {
      value = JSON.parse(text.slice(i, end)) as string;
    } catch {
      return fail('bad string');
    }
    i = end;
    return value;
  };
  const compositeEnd = (start: number): number => {
    // Skips a nested object or array, respecting strings.
    let depth = 0;
    let j = start;
    while (j < n) {
      const c = text[j]!;
      if (c === '"') {
        j = stringEnd(j);
        continue;
      }
      if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    i = start;
    return fail('unterminated object or array');
  };
  const readValue = (): string | null => {
    const c = text[i];
    if (c === '"') {
      const value = readString();
      if (escaped && !value.isWellFormed()) plain = false;
      return value;
    }
    if (c === '{' || c === '[') {
      const start = i;
      const end = compositeEnd(i);
      const raw = text.slice(start, end);
      try {
        JSON.parse(raw);
      } catch {
        return fail('bad nested value');
      }
      i = end;
      if (raw.includes('\\')) plain = false;
      return raw;
    }
    SCALAR.lastIndex = i;
    const m = SCALAR.exec(text);
    if (!m) return fail('unexpected token');
    i += m[0].length;
    return m[0] === 'null' ? null : m[0];
  };

  for (skipWs(); i < n; skipWs()) {
    if (text[i] !== '{') fail('expected a JSON object');
    const start = i;
    plain = true;
    i++;
    const row: JsonRow = new Map();
    skipWs();
    if (text[i] === '}') i++;
    else {
      for (;;) {
        skipWs();
        if (text[i] !== '"') fail('expected a member name');
        const name = readString();
        const key = name.toLowerCase();
        if (escaped || key !== name || row.has(key)) plain = false;
        skipWs();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        skipWs();
        const value = readValue();
        if (!row.has(key)) row.set(key, value);
        skipWs();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          break;
        }
        fail("expected ',' or '}'");
      }
    }
    rows.push(row);
    if (spans) {
      spans.start.push(start);
      spans.end.push(i);
      spans.plain.push(plain);
    }
  }
  return rows;
}
