/**
 * CloudWatch Embedded Metric Format: a structured log line that CloudWatch Logs also turns
 * into metrics, with no API call from the function (what Powertools' Metrics utility
 * writes). The worker's one `batch` log line per invocation carries the batch's counts this
 * way, so records in, counted, filtered, duplicate, rejected, failed batches and the time a
 * batch took are metrics per stream.
 */

/** The CloudWatch namespace of the workers' metrics. */
export const METRICS_NAMESPACE = 'StreamMetrics';

export type EmfUnit = 'Count' | 'Milliseconds';

/**
 * Adds the `_aws` metadata that makes `fields` an EMF document: each metric named in
 * `metrics` must be a number in `fields`, each dimension a string.
 *
 * @example
 * console.log(JSON.stringify(withEmf({ message: 'batch', stream: 'clickstream', records: 500 }, ['stream'], { records: 'Count' })));
 * // {"message":"batch","stream":"clickstream","records":500,"_aws":{"Timestamp":…,"CloudWatchMetrics":[{"Namespace":"StreamMetrics","Dimensions":[["stream"]],"Metrics":[{"Name":"records","Unit":"Count"}]}]}}
 */
export function withEmf<T extends Record<string, unknown>>(fields: T, dimensions: (keyof T & string)[], metrics: Partial<Record<keyof T & string, EmfUnit>>, timestamp = Date.now()): T & { _aws: object } {
  return {
    ...fields,
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [dimensions],
          Metrics: Object.entries(metrics).map(([Name, Unit]) => ({ Name, Unit })),
        },
      ],
    },
  };
}

/**
 * Writes one structured log line straight to standard output. Not `console.log`: with
 * Lambda's JSON log format the runtime wraps console output in its own JSON object, and
 * CloudWatch then no longer finds the EMF document (the reason the EMF client library
 * for Node.js writes to stdout itself since 4.1.1).
 *
 * @example
 * writeLogLine({ level: 'info', message: 'batch', records: 500 });
 */
export function writeLogLine(entry: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(entry)}\n`);
}
