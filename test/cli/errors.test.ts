/**
 * Issue 4: "a bad flag, an unreachable --pg-url, a port in use — each a one-line message
 * that says what to do, exit code non-zero, nothing half started left behind."
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { run } from '../support/cli.ts';
import { startBackend } from '../sinks/dynamodb/backends.ts';

const oneLine = (stderr: string) => stderr.trim().split('\n').filter((l) => !/^(starting|connecting|creating)/.test(l));

describe('command-line errors', () => {
  it('a bad flag: usage error, exit 2, one line, no stack trace', async () => {
    // Act
    const r = await run(['up', '--bogus']);
    // Assert
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toEqual(["stream-metrics: Unknown option '--bogus'; run \"stream-metrics help\""]);
  });

  it('an unreachable --pg-url: names the flag, says what to do, exits (nothing left running)', async () => {
    // Act
    const r = await run(['up', '--pg-url', 'postgres://nobody@127.0.0.1:1/x', '--port-base', '0'], process.env, 60_000);
    // Assert: run() resolving at all means the process exited with its servers.
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/--pg-url: cannot use PostgreSQL at .*leave --pg-url out to use the embedded one/);
  });

  it('a port in use: names it and the way out', async () => {
    // Prepare
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    // Act
    const r = await run(['up', '--port-base', String(port)]);
    blocker.close();
    // Assert
    expect(r.code).not.toBe(0);
    expect(oneLine(r.stderr)).toEqual([`stream-metrics: --port-base: port ${port} is in use (another "stream-metrics up"?); stop it or pass --port-base 0 for any free ports`]);
  });

  it('query: an unknown metric or dimension is a usage error naming it', async () => {
    const a = await run(['query', 'nope', '--from', '2026-11-23T10:00Z', '--to', '2026-11-23T11:00Z']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/unknown metric "nope"/);
    const b = await run(['query', 'page_views', '--from', '2026-11-23T10:00Z', '--to', 'soon']);
    expect(b.code).toBe(2);
    expect(b.stderr.trim()).toBe('stream-metrics: --to: "soon" is not an ISO time (e.g. 2026-11-23T10:00:00Z)');
  });

  it('query: --from/--to must be ISO times (no lenient Date.parse), one METRIC, one-line errors', async () => {
    const a = await run(['query', 'orders', '--from', '1', '--to', '2']);
    expect(a.code).toBe(2);
    expect(a.stderr.trim()).toBe('stream-metrics: --from: "1" is not an ISO time (e.g. 2026-11-23T10:00:00Z)');
    const b = await run(['query', 'orders', 'revenue', '--from', '2026-11-23T10:00Z', '--to', '2026-11-23T11:00Z']);
    expect(b.code).toBe(2);
    expect(b.stderr.trim()).toBe('stream-metrics: query takes one METRIC, got also "revenue"');
    const c = await run(['query', 'orders', '--from', '2026-11-23T10:00Z', '--to', '2026-11-23T11:00Z', '--top', '-1']);
    expect(c.code).toBe(2);
    expect(c.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('query: repeated --by flags add up instead of the last one silently winning', async () => {
    // page_views has no page×country breakdown: the usage error shows both were read.
    const r = await run(['query', 'page_views', '--from', '2026-11-23T10:00Z', '--to', '2026-11-23T11:00Z', '--by', 'page', '--by', 'country']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^stream-metrics: metric "page_views" cannot be broken down by page,country;/);
  });

  it('bad-records: an unknown --stream or --reason is a usage error, not "no bad records"', async () => {
    const s = await run(['bad-records', 'list', '--stream', 'nosuch']);
    expect(s.code).toBe(2);
    expect(s.stderr.trim()).toBe('stream-metrics: --stream: unknown stream "nosuch"; streams: clickstream, transactions');
    const r = await run(['bad-records', 'replay', '--reason', 'too_old']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^stream-metrics: --reason: unknown reason code "too_old"; codes: invalid_base64, .*too_late$/);
  });

  it('--version prints the package version', async () => {
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^stream-metrics \d+\.\d+\.\d+$/);
  });

  it('produce: needs exactly one source', async () => {
    const r = await run(['produce', '--stream', 'clickstream']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('stream-metrics: give exactly one of --file F.jsonl or --generate N');
  });
});

describe('command-line errors about the AWS setup', () => {
  const QUERY = ['query', 'page_views', '--from', '2026-11-23T10:00Z', '--to', '2026-11-23T11:00Z'];
  const bare = { PATH: process.env.PATH, HOME: '/nonexistent', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

  it('no credentials at all: says how to point the CLI at the local stack or at AWS', async () => {
    // Act
    const r = await run(QUERY, bare);
    // Assert
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('stream-metrics: no AWS credentials found; for the local stack, run the "export" lines that "stream-metrics up" prints (any credentials work there), or configure credentials for your AWS account (AWS_PROFILE, aws configure)');
  });

  it('an endpoint host that does not resolve: names the host and the local way', async () => {
    // Act: `.invalid` never resolves (RFC 6761), as an AWS host does not without a network
    const r = await run(['produce', '--stream', 'clickstream', '--generate', '1'], { ...bare, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_KINESIS: 'http://kinesis.invalid:4567' });
    // Assert
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('stream-metrics: cannot resolve kinesis.invalid (no network, or AWS_ENDPOINT_URL_* not set to the local stack); for the local stack, run the "export" lines that "stream-metrics up" prints');
  });

  it('a DynamoDB without the tables: says the stack is not there, not the SDK\'s words', async () => {
    // Prepare: a bare dynalite, none of the stack's tables
    const backend = await startBackend('dynalite');
    try {
      // Act
      const r = await run(QUERY, { ...bare, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_DYNAMODB: backend.endpoint });
      // Assert
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^stream-metrics: .*not found.*; is the stack running \("stream-metrics up"\) or deployed \("npm run deploy"\), and are AWS_REGION and AWS_ENDPOINT_URL_\* set for it\?/);
    } finally {
      await backend.stop();
    }
  });
});
