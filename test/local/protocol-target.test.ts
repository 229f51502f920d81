/** Choosing where the protocol tests run: the local endpoints by default, AWS when named. */
import { describe, expect, it } from 'vitest';
import { firehoseTargets, redshiftDataTargets } from './protocol-target.ts';

describe('protocol targets', () => {
  it('are the local endpoints on PGlite and PostgreSQL by default', () => {
    // Act
    const names = [firehoseTargets({}).map((t) => t.name), redshiftDataTargets({}).map((t) => t.name)];
    // Assert
    expect(names).toEqual([
      ['local pglite', 'local postgres'],
      ['local pglite', 'local postgres'],
    ]);
  });

  it('are AWS alone when an endpoint is named, and say which setting is missing', async () => {
    // Prepare
    const firehose = firehoseTargets({ FIREHOSE_PROTOCOL_ENDPOINT: 'aws', AWS_REGION: 'eu-west-1' });
    const data = redshiftDataTargets({ REDSHIFT_DATA_PROTOCOL_ENDPOINT: 'https://redshift-data.eu-west-1.amazonaws.com', REDSHIFT_DATA_PROTOCOL_DATABASE: 'dev' });
    // Act
    const errors = await Promise.all([firehose[0]!.open().catch((e: unknown) => e), data[0]!.open().catch((e: unknown) => e)]);
    // Assert
    expect([firehose.map((t) => t.name), data.map((t) => t.name)]).toEqual([['aws'], ['aws']]);
    expect(firehose[0]!.timeoutMs).toBeGreaterThan(60_000);
    expect((errors[0] as Error).message).toBe('protocol tests against AWS need FIREHOSE_PROTOCOL_ROLE_ARN');
    expect((errors[1] as Error).message).toBe('protocol tests against AWS need REDSHIFT_DATA_PROTOCOL_CLUSTER');
  });

  it('point the Data API client at the named workgroup and region', async () => {
    // Prepare
    const [aws] = redshiftDataTargets({ REDSHIFT_DATA_PROTOCOL_ENDPOINT: 'aws', AWS_REGION: 'eu-west-1', REDSHIFT_DATA_PROTOCOL_DATABASE: 'dev', REDSHIFT_DATA_PROTOCOL_WORKGROUP: 'wg' });
    // Act
    const t = await aws!.open();
    const region = await t.client.config.region();
    await t.close();
    // Assert
    expect([t.aws, t.region, region, t.target]).toEqual([true, 'eu-west-1', 'eu-west-1', { Database: 'dev', WorkgroupName: 'wg' }]);
  });
});
