/**
 * Reading `produce --file F.jsonl`: one record per line, sent as the bytes the line holds.
 * Lines are split on `\n` (a `\r` before it is dropped); blank lines are skipped. The bytes
 * are not decoded and re-encoded on the way, so a line that is not UTF-8 reaches the workers
 * as it is and is rejected `invalid_utf8` (SPEC §2), instead of arriving repaired with U+FFFD.
 */
import fs from 'node:fs';

export interface FileRecord {
  partitionKey: string;
  data: Uint8Array;
  /** 1-based line number in the file */
  line: number;
}

/** Partition by the record's own id when it has one, so one entity stays on one shard. */
const ID = /"(?:eventId|transactionId|sessionId)"\s*:\s*"([^"]{1,128})"/;

/**
 * The records of a JSON Lines byte stream.
 *
 * @example
 * for await (const r of jsonlRecords(fs.createReadStream('clicks.jsonl'))) console.log(r.partitionKey);
 */
export async function* jsonlRecords(chunks: AsyncIterable<Uint8Array>): AsyncIterable<FileRecord> {
  let rest: Buffer = Buffer.alloc(0);
  let i = 0;
  let lineNo = 0;
  const line = (bytes: Buffer): FileRecord | null => {
    lineNo++;
    const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
    const data = bytes.subarray(0, end);
    const text = data.toString('utf8');
    if (text.trim() === '') return null;
    return { partitionKey: ID.exec(text)?.[1] ?? String(i++), data, line: lineNo };
  };
  for await (const chunk of chunks) {
    let buf = rest.length === 0 ? Buffer.from(chunk) : Buffer.concat([rest, chunk]);
    let nl: number;
    while ((nl = buf.indexOf(0x0a)) >= 0) {
      const r = line(Buffer.from(buf.subarray(0, nl)));
      if (r) yield r;
      buf = buf.subarray(nl + 1);
    }
    rest = Buffer.from(buf);
  }
  if (rest.length > 0) {
    const r = line(rest);
    if (r) yield r;
  }
}

/** {@link jsonlRecords} of a file. */
export function fileRecords(file: string): AsyncIterable<FileRecord> {
  return jsonlRecords(fs.createReadStream(file));
}
