/**
 * Sortable record positions. Kinesis sequence numbers are decimal strings of up to 129
 * digits: too long for JavaScript or DynamoDB numbers, and not comparable as plain strings.
 * A position key prefixes the digits with their length (3 digits) and appends the KPL
 * sub-sequence index (6 digits), so that string order equals position order.
 *
 * @example
 * positionKey('49590338271490256608559692538361571095921575989136588898', 0)
 * // → '05649590338271490256608559692538361571095921575989136588898.000000'
 */
export function positionKey(sequenceNumber: string, subSequence = 0): string {
  const digits = sequenceNumber.replace(/^0+(?=\d)/, '');
  if (!/^\d{1,999}$/.test(digits)) throw new RangeError(`not a sequence number: ${JSON.stringify(sequenceNumber)}`);
  if (!Number.isInteger(subSequence) || subSequence < 0 || subSequence > 999_999) throw new RangeError(`sub-sequence index out of range: ${subSequence}`);
  return `${String(digits.length).padStart(3, '0')}${digits}.${String(subSequence).padStart(6, '0')}`;
}

/** Inverse of `positionKey`. */
export function parsePositionKey(key: string): { sequenceNumber: string; subSequence: number } {
  const m = /^(\d{3})(\d+)\.(\d{6})$/.exec(key);
  if (!m || Number(m[1]) !== m[2]!.length) throw new RangeError(`not a position key: ${JSON.stringify(key)}`);
  return { sequenceNumber: m[2]!, subSequence: Number(m[3]) };
}

/** Compares two sequence numbers numerically (-1, 0, 1). */
export function compareSequenceNumbers(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
