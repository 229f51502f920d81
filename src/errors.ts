/**
 * Every error class of stream-metrics lives here, so callers can tell them apart with
 * `instanceof` and the command line can print them without a stack trace.
 */

/** Base class: an error whose message is meant for the user as it is. */
export class StreamMetricsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A setting (environment variable or flag) is missing or invalid; names the setting. */
export class ConfigError extends StreamMetricsError {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
  }
}

/**
 * The `ConfigError` for a local port that another process holds: names `--port-base` and
 * the way out.
 *
 * @example
 * server.once('error', (err) => reject(err.code === 'EADDRINUSE' ? portInUseError(4567) : err));
 */
export function portInUseError(port: number): ConfigError {
  return new ConfigError('--port-base', `port ${port} is in use; pass --port-base 0 for any free ports`);
}

/** A sink write failed after its retries; `firstPosKey` is the lowest position not durable. */
export class SinkError extends StreamMetricsError {
  constructor(
    readonly sink: string,
    message: string,
    readonly firstPosKey?: string,
    options?: { cause?: unknown },
  ) {
    super(`${sink}: ${message}`, options);
  }
}

/** A Redshift Data API statement ended FAILED or ABORTED. */
export class StatementFailedError extends StreamMetricsError {
  constructor(
    readonly statementId: string,
    readonly status: string,
    readonly error: string,
  ) {
    super(`statement ${statementId} ${status}: ${error}`);
  }
}

/** A command-line usage error (bad flag, unknown metric): printed as one line, exit 2. */
export class UsageError extends StreamMetricsError {}

/** A KPL aggregate that cannot be read (bad protobuf, MD5 mismatch). */
export class KplFormatError extends StreamMetricsError {}

/** Thrown by an injected crash (`--chaos`); the local runner treats it as a function error. */
export class ChaosCrashError extends StreamMetricsError {
  constructor(readonly step: string) {
    super(`chaos: injected crash after ${step}`);
  }
}
