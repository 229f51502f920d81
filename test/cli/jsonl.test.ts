/**
 * `produce --file`: each line of the file is one record, sent as the bytes it holds (SPEC
 * §2: a record that is not UTF-8 must reach the workers as it is, to be rejected
 * `invalid_utf8`, not repaired on the way).
 */
import { describe, expect, it } from 'vitest';
import { jsonlRecords } from '../../src/cli/jsonl.ts';

async function collect(chunks: Uint8Array[]): Promise<{ partitionKey: string; data: Uint8Array }[]> {
  const out: { partitionKey: string; data: Uint8Array }[] = [];
  for await (const r of jsonlRecords((async function* () { yield* chunks; })())) out.push(r);
  return out;
}

describe('jsonlRecords', () => {
  it('sends a line that is not UTF-8 byte for byte', async () => {
    // Arrange
    const bad = Buffer.concat([Buffer.from('{"eventId":"e1","x":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    // Act
    const records = await collect([Buffer.concat([bad, Buffer.from('\n')])]);
    // Assert
    expect(records).toHaveLength(1);
    expect(Buffer.from(records[0]!.data).equals(bad)).toBe(true);
    expect(records[0]!.partitionKey).toBe('e1');
  });

  it('keeps a multi-byte character split across chunks, a leading BOM, CRLF line ends and a last line without newline', async () => {
    // Arrange
    const text = '\uFEFF{"eventId":"a","t":"é"}\r\n\n   \r\n{"eventId":"b"}';
    const bytes = Buffer.from(text, 'utf8');
    const cut = bytes.indexOf(0xc3) + 1; // inside "é"
    // Act
    const records = await collect([bytes.subarray(0, cut), bytes.subarray(cut)]);
    // Assert
    expect(records.map((r) => Buffer.from(r.data).toString('utf8'))).toEqual(['\uFEFF{"eventId":"a","t":"é"}', '{"eventId":"b"}']);
    expect(records.map((r) => r.partitionKey)).toEqual(['a', 'b']);
  });

  it('partitions a record without an id by its line number among the records', async () => {
    // Act
    const records = await collect([Buffer.from('[1]\nnull\n')]);
    // Assert
    expect(records.map((r) => r.partitionKey)).toEqual(['0', '1']);
  });
});
