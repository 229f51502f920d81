/**
 * The Firehose API as the local endpoint answers it, through the SDK only — no flush, fault
 * or database hooks — so that the same tests can be pointed at Amazon Data Firehose (see
 * `test/local/protocol-target.ts` for the variables). Delivery into tables, failed entries
 * and restarts need the local endpoint's hooks: `server.test.ts`.
 */
import {
  CreateDeliveryStreamCommand,
  DeleteDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  ListDeliveryStreamsCommand,
  PutRecordBatchCommand,
  PutRecordCommand,
  type CreateDeliveryStreamCommandInput,
  type DeliveryStreamDescription,
} from '@aws-sdk/client-firehose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firehoseTargets, RUN_ID, type FirehoseTarget } from '../protocol-target.ts';
import { rejection } from '../redshift-data/support.ts';

const enc = (s: string) => new TextEncoder().encode(s);

describe.each(firehoseTargets())('Firehose protocol on $name', ({ open, timeoutMs }) => {
  let t: FirehoseTarget;
  const created: string[] = [];
  const name = (base: string) => `${base}-${RUN_ID}`;

  beforeAll(async () => {
    t = await open();
  });
  afterAll(async () => {
    for (const n of created) await t?.client.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: n })).catch(() => {});
    await t?.close();
  });

  /** A Redshift destination as a producer would configure it. */
  function streamInput(stream: string, table: string, columns?: string, hints = { SizeInMBs: 5, IntervalInSeconds: 60 }): CreateDeliveryStreamCommandInput {
    const d = t.destination;
    return {
      DeliveryStreamName: stream,
      DeliveryStreamType: 'DirectPut',
      RedshiftDestinationConfiguration: {
        RoleARN: d.RoleARN,
        ClusterJDBCURL: d.ClusterJDBCURL,
        CopyCommand: { DataTableName: table, ...(columns ? { DataTableColumns: columns } : {}), CopyOptions: "FORMAT AS JSON 'auto' TRUNCATECOLUMNS" },
        Username: d.Username,
        Password: d.Password,
        S3Configuration: { RoleARN: d.RoleARN, BucketARN: d.BucketARN, BufferingHints: hints, CompressionFormat: 'UNCOMPRESSED' },
      },
    };
  }

  /** Creates a stream and waits until it is ACTIVE (at once locally, minutes on AWS). */
  async function createActive(input: CreateDeliveryStreamCommandInput): Promise<{ arn: string; description: DeliveryStreamDescription }> {
    const out = await t.client.send(new CreateDeliveryStreamCommand(input));
    created.push(input.DeliveryStreamName!);
    for (;;) {
      const d = (await t.client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: input.DeliveryStreamName! }))).DeliveryStreamDescription!;
      if (d.DeliveryStreamStatus === 'ACTIVE') return { arn: out.DeliveryStreamARN!, description: d };
      if (d.DeliveryStreamStatus !== 'CREATING') throw new Error(`${input.DeliveryStreamName} is ${d.DeliveryStreamStatus}: ${JSON.stringify(d.FailureDescription)}`);
      await new Promise((r) => setTimeout(r, t.pollMs));
    }
  }

  /** Deletes a stream and waits until it is gone; resolves with the error that says so. */
  async function deleteGone(stream: string): Promise<Error> {
    await t.client.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: stream }));
    for (;;) {
      const err = await rejection(t.client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: stream }))).catch(() => null);
      if (err) return err;
      await new Promise((r) => setTimeout(r, t.pollMs));
    }
  }

  it(
    'creates, describes, lists and deletes delivery streams',
    async () => {
      // Prepare
      const stream = name('crud-stream');
      const input = streamInput(stream, 'crud_events', 'id,body');

      // Act
      const { arn, description } = await createActive(input);
      const again = await rejection(t.client.send(new CreateDeliveryStreamCommand(input)));
      const listed = await t.client.send(new ListDeliveryStreamsCommand({ Limit: 100 }));
      const gone = await deleteGone(stream);

      // Assert
      expect(arn).toMatch(new RegExp(`^arn:aws:firehose:${t.region}:\\d{12}:deliverystream/${stream}$`));
      expect(again.name).toBe('ResourceInUseException');
      expect(description).toMatchObject({ DeliveryStreamName: stream, DeliveryStreamARN: arn, DeliveryStreamStatus: 'ACTIVE', DeliveryStreamType: 'DirectPut', HasMoreDestinations: false });
      const rs = description.Destinations?.[0]?.RedshiftDestinationDescription;
      expect(rs?.CopyCommand).toEqual({ DataTableName: 'crud_events', DataTableColumns: 'id,body', CopyOptions: "FORMAT AS JSON 'auto' TRUNCATECOLUMNS" });
      expect(rs?.Username).toBe(t.destination.Username);
      expect(JSON.stringify(description)).not.toContain(t.destination.Password);
      expect(rs?.S3DestinationDescription?.BufferingHints).toEqual({ SizeInMBs: 5, IntervalInSeconds: 60 });
      expect(listed.DeliveryStreamNames).toContain(stream);
      expect(gone.name).toBe('ResourceNotFoundException');
    },
    timeoutMs,
  );

  it(
    'validates CreateDeliveryStream as AWS does',
    async () => {
      // Prepare
      const base = streamInput(name('bad-stream'), 't');
      const rs = base.RedshiftDestinationConfiguration!;

      // Act
      const noCopy = await rejection(t.client.send(new CreateDeliveryStreamCommand({ ...base, RedshiftDestinationConfiguration: { ...rs, CopyCommand: undefined } })));
      const noCredentials = await rejection(
        t.client.send(new CreateDeliveryStreamCommand({ ...base, RedshiftDestinationConfiguration: { ...rs, Username: undefined, Password: undefined } })),
      );
      const gzip = await rejection(
        t.client.send(new CreateDeliveryStreamCommand({ ...base, RedshiftDestinationConfiguration: { ...rs, S3Configuration: { ...rs.S3Configuration!, CompressionFormat: 'GZIP' } } })),
      );
      const noDestination = await rejection(t.client.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: name('bad-stream') })));
      const badName = await rejection(t.client.send(new CreateDeliveryStreamCommand({ ...base, DeliveryStreamName: 'bad name!' })));

      // Assert
      expect(noCopy.name).toBe('ValidationException');
      expect(noCredentials.name).toBe('InvalidArgumentException');
      expect(gzip.name).toBe('InvalidArgumentException');
      expect(noDestination.name).toBe('InvalidArgumentException');
      expect(badName.name).toBe('ValidationException');
    },
    timeoutMs,
  );

  it(
    'refuses buffering hints outside AWS’s ranges (IntervalInSeconds 0–900, SizeInMBs 1–128) with its ValidationException',
    async () => {
      // Prepare
      const withHints = (SizeInMBs: number, IntervalInSeconds: number) => new CreateDeliveryStreamCommand(streamInput(name('hint-stream'), 'hint_events', undefined, { SizeInMBs, IntervalInSeconds }));

      // Act
      const longInterval = await rejection(t.client.send(withHints(5, 901)));
      const negative = await rejection(t.client.send(withHints(5, -1)));
      const noSize = await rejection(t.client.send(withHints(0, 60)));
      const bigSize = await rejection(t.client.send(withHints(129, 60)));
      const edges = await createActive(streamInput(name('hint-stream'), 'hint_events', undefined, { SizeInMBs: 128, IntervalInSeconds: 900 }));
      await deleteGone(name('hint-stream'));

      // Assert
      for (const err of [longInterval, negative, noSize, bigSize]) expect(err.name).toBe('ValidationException');
      expect(longInterval.message).toBe(
        "1 validation error detected: Value '901' at 'redshiftDestinationConfiguration.s3Configuration.bufferingHints.intervalInSeconds' failed to satisfy constraint: Member must have value less than or equal to 900",
      );
      expect(negative.message).toMatch(/Value '-1' at '.*bufferingHints\.intervalInSeconds'.*greater than or equal to 0/);
      expect(noSize.message).toMatch(/Value '0' at '.*bufferingHints\.sizeInMBs'.*greater than or equal to 1/);
      expect(bigSize.message).toMatch(/Value '129' at '.*bufferingHints\.sizeInMBs'.*less than or equal to 128/);
      expect(edges.description.Destinations?.[0]?.RedshiftDestinationDescription?.S3DestinationDescription?.BufferingHints).toEqual({ SizeInMBs: 128, IntervalInSeconds: 900 });
    },
    timeoutMs,
  );

  it(
    'enforces PutRecordBatch limits: 500 records, 1,000 KiB per record, 4 MiB per call',
    async () => {
      // Prepare
      const stream = name('limits-stream');
      await createActive(streamInput(stream, 'limits_events'));

      // Act
      const tooMany = await rejection(t.client.send(new PutRecordBatchCommand({ DeliveryStreamName: stream, Records: Array.from({ length: 501 }, () => ({ Data: enc('{}') })) })));
      const oversized = await rejection(t.client.send(new PutRecordBatchCommand({ DeliveryStreamName: stream, Records: [{ Data: enc('{}') }, { Data: new Uint8Array(1_024_001) }] })));
      const oversizedOne = await rejection(t.client.send(new PutRecordCommand({ DeliveryStreamName: stream, Record: { Data: new Uint8Array(1_024_001) } })));
      const callTooBig = await rejection(
        t.client.send(new PutRecordBatchCommand({ DeliveryStreamName: stream, Records: Array.from({ length: 5 }, () => ({ Data: new Uint8Array(1_000_000) })) })),
      );
      const empty = await rejection(t.client.send(new PutRecordBatchCommand({ DeliveryStreamName: stream, Records: [] })));
      const unknown = await rejection(t.client.send(new PutRecordBatchCommand({ DeliveryStreamName: name('no-such-stream'), Records: [{ Data: enc('{}') }] })));
      const max = await t.client.send(new PutRecordBatchCommand({ DeliveryStreamName: stream, Records: Array.from({ length: 500 }, () => ({ Data: enc('') })) }));
      const biggest = await t.client.send(new PutRecordCommand({ DeliveryStreamName: stream, Record: { Data: new Uint8Array(1_024_000) } }));
      // These records are not JSON objects of a real table: drop them with the stream.
      await deleteGone(stream);

      // Assert
      expect(tooMany.name).toBe('ValidationException');
      expect(tooMany.message).toMatch(/less than or equal to 500/);
      expect(oversized.name).toBe('ValidationException');
      expect(oversized.message).toMatch(/records\.2\.member\.data.*less than or equal to 1024000/);
      expect(oversizedOne.name).toBe('ValidationException');
      expect(callTooBig.name).toBe('InvalidArgumentException');
      expect(empty.name).toBe('ValidationException');
      expect(unknown.name).toBe('ResourceNotFoundException');
      expect(max.FailedPutCount).toBe(0);
      expect(max.RequestResponses).toHaveLength(500);
      expect(biggest.RecordId).toBeTruthy();
    },
    timeoutMs,
  );
});
