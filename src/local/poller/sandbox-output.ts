/**
 * How the local runner shows what a sandbox prints: line by line, with the Embedded Metric
 * Format metadata (`_aws`) of a structured line left out. In Lambda that block turns the
 * workers' batch lines into CloudWatch metrics (`src/emf.ts`); on a terminal it only
 * doubles the length of every line.
 */

/**
 * A line as the terminal shows it: a JSON object without its `_aws` member; anything else
 * as it is.
 *
 * @example
 * compactEmf('{"message":"batch","records":5,"_aws":{"Timestamp":1}}'); // '{"message":"batch","records":5}'
 */
export function compactEmf(line: string): string {
  if (!line.startsWith('{') || !line.includes('"_aws"')) return line;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    delete entry._aws;
    return JSON.stringify(entry);
  } catch {
    return line;
  }
}

/**
 * A writer for a sandbox's output chunks that passes on whole lines through `compactEmf`
 * (chunks may end mid-line; the rest waits for the next chunk).
 *
 * @example
 * worker.stdout.on('data', sandboxOutput((text) => process.stderr.write(text)));
 */
export function sandboxOutput(write: (text: string) => void): (chunk: string) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk;
    const end = pending.lastIndexOf('\n');
    if (end < 0) return;
    const lines = pending.slice(0, end).split('\n');
    pending = pending.slice(end + 1);
    write(`${lines.map(compactEmf).join('\n')}\n`);
  };
}
