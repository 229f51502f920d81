/**
 * The synthesised CloudFormation of the stack (`aws-cdk-lib/assertions`): every setting the
 * guarantees depend on is present with the value of `src/settings.ts`, resources are
 * encrypted and protected as intended, alarms exist, IAM names only the resources each
 * principal needs, and the AwsSolutions checks find nothing unacknowledged — for the
 * default stage and its variants (prod, on-demand streams, an existing Redshift).
 */
import { Validations, aws_iam as iam } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE } from '../../src/emf.ts';
import { ConfigError } from '../../src/errors.ts';
import { COPY_OPTIONS } from '../../src/sinks/firehose-sink.ts';
import { EVENT_TABLES } from '../../src/sinks/redshift/tables.ts';
import { FUNCTIONS, RESOURCE_NAMES } from '../../src/settings.ts';
import { readDeployContext } from '../context.ts';
import { buildApp } from '../app.ts';
import { ALARM_THRESHOLDS } from '../stream-metrics-stack.ts';
import { roleStatements } from './iam-calls.ts';
import { logicalId, nagFindings, removeTempDirs, resources, synth, tempDir, type Synthesized } from './support.ts';

afterAll(removeTempDirs);

const STREAMS = ['clickstream', 'transactions'] as const;
const WORKGROUP_ARN = 'arn:aws:redshift-serverless:eu-west-1:123456789012:workgroup/0f0e0d0c-1111-2222-3333-444455556666';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:analytics-admin-AbCdEf';

/** Every IAM statement of the template, with the logical id of its policy. */
function statements(template: Template): { policy: string; Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown }[] {
  return Object.entries(resources(template, 'AWS::IAM::Policy')).flatMap(([id, r]) =>
    (r.Properties!.PolicyDocument.Statement as any[]).map((s) => ({ policy: id, ...s })),
  );
}
const actionsOf = (s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: { Resource: unknown }) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

type AnyStatement = { Effect: string; Action: string | string[]; Resource?: unknown; Principal?: unknown; Condition?: unknown };

/** The actions of Allow statements that contain a wildcard anywhere (`*`, `logs:*`, `s3:Get*`, `kms:GenerateDataKey*`). */
function wildcardActions(sts: AnyStatement[]): string[] {
  return sts.filter((s) => s.Effect === 'Allow').flatMap((s) => actionsOf(s).filter((a) => a.includes('*')));
}

/** The statements of every resource policy (key, bucket, queue and topic policies), with the id of their resource. */
function resourcePolicyStatements(template: Template): (AnyStatement & { owner: string })[] {
  const docs: [string, { Statement: AnyStatement[] }][] = [
    ...Object.entries(resources(template, 'AWS::KMS::Key')).map(([id, r]) => [id, r.Properties!.KeyPolicy] as [string, { Statement: AnyStatement[] }]),
    ...['AWS::S3::BucketPolicy', 'AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy'].flatMap((type) =>
      Object.entries(resources(template, type)).map(([id, r]) => [id, r.Properties!.PolicyDocument] as [string, { Statement: AnyStatement[] }]),
    ),
  ];
  return docs.flatMap(([owner, doc]) => doc.Statement.map((st) => ({ owner, ...st })));
}

/** Every cdk-nag acknowledgement in the construct tree: where, which finding, why. */
function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason }))),
  );
}

const OWNER_CONDITION = { StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' } };

describe('StreamMetricsStack (dev, Redshift Serverless)', () => {
  let dev: Synthesized;
  let t: Template;
  beforeAll(() => {
    // Prepare: synthesise once for the whole file section
    dev = synth();
    t = dev.template;
  });

  it('has no unacknowledged AwsSolutions finding', () => {
    // Act
    const findings = nagFindings(dev.app);
    // Assert
    expect(findings).toEqual([]);
  });

  it('maps each stream to its function with the event source settings of src/settings.ts', () => {
    for (const s of STREAMS) {
      // Prepare
      const es = FUNCTIONS[s].eventSource;
      // Assert
      t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [logicalId(dev.stack, dev.stack.streams[s]), 'Arn'] },
        FunctionName: { Ref: logicalId(dev.stack, dev.stack.functions[s]) },
        BatchSize: es.batchSize,
        MaximumBatchingWindowInSeconds: es.maximumBatchingWindowInSeconds,
        StartingPosition: es.startingPosition,
        BisectBatchOnFunctionError: es.bisectBatchOnFunctionError,
        MaximumRetryAttempts: es.maximumRetryAttempts,
        MaximumRecordAgeInSeconds: es.maximumRecordAgeInSeconds,
        ParallelizationFactor: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(dev.stack, dev.stack.onFailureQueues[s]), 'Arn'] } } },
      });
    }
    t.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    // bounded, as the issue asks (−1 would mean "forever")
    for (const s of STREAMS) {
      expect(FUNCTIONS[s].eventSource.maximumRetryAttempts).toBeGreaterThanOrEqual(0);
      expect(FUNCTIONS[s].eventSource.maximumRecordAgeInSeconds).toBeGreaterThanOrEqual(60);
    }
  });

  it('runs the workers on the current Node.js runtime, arm64, with the limits of src/settings.ts and JSON logs', () => {
    for (const s of STREAMS) {
      t.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp(`${s} worker`),
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: FUNCTIONS[s].memoryMb,
        Timeout: FUNCTIONS[s].timeoutSeconds,
        LoggingConfig: Match.objectLike({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO' }),
      });
    }
  });

  it('runs the migrations function on the same runtime and architecture as the workers', () => {
    // Act
    const fn = resources(t, 'AWS::Lambda::Function')[logicalId(dev.stack, dev.stack.node.findChild('ApplyMigrationsFunction'))]!.Properties!;
    // Assert: 15 minutes, so that it can answer CloudFormation before Lambda ends it
    expect(fn).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler', MemorySize: 256, Timeout: 900, LoggingConfig: { LogFormat: 'JSON' } });
  });

  it('gives each worker the environment src/config.ts reads, with its own delivery stream only', () => {
    const fns = resources(t, 'AWS::Lambda::Function');
    for (const s of STREAMS) {
      // Prepare
      const env = fns[logicalId(dev.stack, dev.stack.functions[s])]!.Properties!.Environment.Variables;
      const other = s === 'clickstream' ? 'transactions' : 'clickstream';
      // Assert
      expect(env.METRICS_TABLE).toEqual({ Ref: logicalId(dev.stack, dev.stack.tables.metrics) });
      expect(env.DEDUPE_TABLE).toEqual({ Ref: logicalId(dev.stack, dev.stack.tables.dedupe) });
      expect(env.BAD_RECORDS_TABLE).toEqual({ Ref: logicalId(dev.stack, dev.stack.tables.badRecords) });
      expect(env[`FIREHOSE_${s.toUpperCase()}`]).toEqual({ Ref: dev.stack.getLogicalId(dev.stack.deliveryStreams[s]) });
      expect(env[`FIREHOSE_${other.toUpperCase()}`]).toBe('');
      expect(env).toMatchObject({ REDSHIFT_MIRROR: 'on', REDSHIFT_DIALECT: 'redshift', REDSHIFT_DATABASE: RESOURCE_NAMES.redshiftDatabase });
      expect(env.REDSHIFT_WORKGROUP).toBe('dev-stream-metrics');
      expect(env.REDSHIFT_SECRET_ARN).toEqual({ Ref: expect.stringMatching(/^RedshiftAdminSecret/) });
    }
  });

  it('creates encrypted provisioned streams named after RESOURCE_NAMES (prefixed by stage)', () => {
    for (const s of STREAMS) {
      t.hasResourceProperties('AWS::Kinesis::Stream', {
        Name: `dev-${RESOURCE_NAMES.streams[s]}`,
        ShardCount: 1,
        StreamModeDetails: { StreamMode: 'PROVISIONED' },
        StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
      });
    }
  });

  it('creates the three tables on demand with their keys, TTL and point-in-time recovery, deletable outside prod', () => {
    const expected = [
      [RESOURCE_NAMES.metricsTable, [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }]],
      [RESOURCE_NAMES.dedupeTable, [{ AttributeName: 'pk', KeyType: 'HASH' }]],
      [RESOURCE_NAMES.badRecordsTable, [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }]],
    ] as const;
    for (const [name, keys] of expected) {
      t.hasResource('AWS::DynamoDB::Table', {
        Properties: {
          TableName: `dev-${name}`,
          KeySchema: keys,
          AttributeDefinitions: keys.map((k) => ({ AttributeName: k.AttributeName, AttributeType: 'S' })),
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
          SSESpecification: { SSEEnabled: true },
          DeletionProtectionEnabled: false,
        },
        DeletionPolicy: 'Delete',
      });
    }
    t.resourceCountIs('AWS::DynamoDB::Table', 3);
  });

  it('stages Firehose data in an encrypted, private, SSL-only bucket with lifecycle rules and access logs', () => {
    // Prepare
    const bucketId = logicalId(dev.stack, dev.stack.stagingBucket);
    const bucket = resources(t, 'AWS::S3::Bucket')[bucketId]!;
    // Assert
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: { DestinationBucketName: expect.anything() },
    });
    const rules = bucket.Properties!.LifecycleConfiguration.Rules as any[];
    expect(rules.map((r) => [r.Id, r.ExpirationInDays, r.Status])).toEqual([
      ['expire-staged-objects', 7, 'Enabled'],
      ['expire-errors', 30, 'Enabled'],
    ]);
    expect(rules[0].AbortIncompleteMultipartUpload).toEqual({ DaysAfterInitiation: 1 });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('delivers cleaned events with Firehose to the Redshift tables the migrations create, COPY json auto', () => {
    for (const s of STREAMS) {
      const table = EVENT_TABLES[s];
      t.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
        DeliveryStreamName: `dev-${RESOURCE_NAMES.firehose[s]}`,
        DeliveryStreamType: 'DirectPut',
        DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
        RedshiftDestinationConfiguration: Match.objectLike({
          CopyCommand: { DataTableName: table.table, DataTableColumns: table.columns.map((c) => c.name).join(','), CopyOptions: COPY_OPTIONS },
          SecretsManagerConfiguration: { Enabled: true, SecretARN: Match.anyValue(), RoleARN: Match.anyValue() },
          S3Configuration: Match.objectLike({
            BucketARN: { 'Fn::GetAtt': [logicalId(dev.stack, dev.stack.stagingBucket), 'Arn'] },
            Prefix: `${table.table}/`,
            ErrorOutputPrefix: `errors/${table.table}/`,
          }),
          CloudWatchLoggingOptions: Match.objectLike({ Enabled: true }),
        }),
      });
    }
    expect(COPY_OPTIONS).toMatch(/json 'auto'/i);
  });

  it('creates a Redshift Serverless namespace and workgroup with the admin credentials in Secrets Manager', () => {
    t.hasResourceProperties('AWS::RedshiftServerless::Namespace', {
      NamespaceName: 'dev-stream-metrics',
      DbName: RESOURCE_NAMES.redshiftDatabase,
      AdminUsername: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
    });
    const ns = JSON.stringify(resources(t, 'AWS::RedshiftServerless::Namespace'));
    expect(ns).toContain('resolve:secretsmanager:'); // a dynamic reference, never the password
    t.hasResourceProperties('AWS::RedshiftServerless::Workgroup', { WorkgroupName: 'dev-stream-metrics', NamespaceName: 'dev-stream-metrics', BaseCapacity: 8 });
    t.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: Match.objectLike({ GenerateStringKey: 'password' }) });
    // only Firehose's range may reach the workgroup, on 5439
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [Match.objectLike({ FromPort: 5439, ToPort: 5439, IpProtocol: 'tcp', CidrIp: { 'Fn::FindInMap': ['FirehoseCidrs', { Ref: 'AWS::Region' }, 'cidr'] } })],
    });
  });

  it('applies the schema migrations with a custom resource before the workers and Firehose start', () => {
    // Prepare
    const cr = Object.entries(resources(t, 'Custom::RedshiftMigrations'));
    // Assert
    expect(cr).toHaveLength(1);
    const [crId, r] = cr[0]!;
    expect(r.Properties).toMatchObject({ Database: 'dev', WorkgroupName: 'dev-stream-metrics', Dialect: 'redshift', MigrationsHash: expect.stringMatching(/^[0-9a-f]{16}$/) });
    const fns = resources(t, 'AWS::Lambda::Function');
    for (const s of STREAMS) expect(fns[logicalId(dev.stack, dev.stack.functions[s])]!.DependsOn).toContain(crId);
    for (const s of STREAMS) expect(resources(t, 'AWS::KinesisFirehose::DeliveryStream')[dev.stack.getLogicalId(dev.stack.deliveryStreams[s])]!.DependsOn).toContain(crId);
  });

  it('encrypts the on-failure queues, gives them a DLQ and alarms on both', () => {
    for (const s of STREAMS) {
      const q = resources(t, 'AWS::SQS::Queue')[logicalId(dev.stack, dev.stack.onFailureQueues[s])]!;
      expect(q.Properties).toMatchObject({ SqsManagedSseEnabled: true, RedrivePolicy: { maxReceiveCount: 5 } });
    }
    const queues = Object.values(resources(t, 'AWS::SQS::Queue'));
    expect(queues).toHaveLength(4);
    for (const q of queues) expect(q.Properties!.SqsManagedSseEnabled).toBe(true);
  });

  it('alarms on iterator age, errors, throttles, on-failure depth and Firehose delivery, all to the alarm topic', () => {
    // Prepare
    const alarms = Object.values(resources(t, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties!);
    const topic = { Ref: logicalId(dev.stack, dev.stack.alarmTopic) };
    const find = (ns: string, metric: string, dim: unknown) =>
      alarms.filter((a) => a.Namespace === ns && a.MetricName === metric && JSON.stringify(a.Dimensions).includes(JSON.stringify(dim)));
    // Assert
    for (const s of STREAMS) {
      const fn = { Ref: logicalId(dev.stack, dev.stack.functions[s]) };
      expect(find('AWS/Lambda', 'IteratorAge', fn)).toEqual([expect.objectContaining({ Threshold: ALARM_THRESHOLDS.iteratorAgeMs, Statistic: 'Maximum' })]);
      expect(find('AWS/Lambda', 'Errors', fn)).toHaveLength(1);
      expect(find('AWS/Lambda', 'Throttles', fn)).toHaveLength(1);
      expect(find('AWS/Kinesis', 'GetRecords.IteratorAgeMilliseconds', { Ref: logicalId(dev.stack, dev.stack.streams[s]) })).toHaveLength(1);
      expect(find('AWS/SQS', 'ApproximateNumberOfMessagesVisible', { 'Fn::GetAtt': [logicalId(dev.stack, dev.stack.onFailureQueues[s]), 'QueueName'] })).toHaveLength(1);
      expect(find('AWS/Firehose', 'DeliveryToRedshift.Success', { Ref: dev.stack.getLogicalId(dev.stack.deliveryStreams[s]) })).toEqual([
        expect.objectContaining({ Threshold: 1, ComparisonOperator: 'LessThanThreshold' }),
      ]);
    }
    for (const a of alarms) expect(a.AlarmActions).toEqual([topic]);
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  it('alarms on the workers\' own metrics: the share of rejected records and sink failures, per stream', () => {
    // Prepare
    const alarms = Object.values(resources(t, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties!);
    const stat = (a: Record<string, any>, name: string) =>
      (a.Metrics ?? []).find((m: any) => m.MetricStat?.Metric?.MetricName === name && m.MetricStat.Metric.Namespace === METRICS_NAMESPACE)?.MetricStat.Metric.Dimensions;
    // Assert
    for (const s of STREAMS) {
      const share = alarms.filter((a) => JSON.stringify(stat(a, 'rejected')) === JSON.stringify([{ Name: 'stream', Value: s }]));
      expect(share).toHaveLength(1);
      expect(share[0]).toMatchObject({ Threshold: ALARM_THRESHOLDS.rejectedPercent, EvaluationPeriods: 3, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      expect(JSON.stringify(share[0]!.Metrics)).toContain('100 * rejected / records');
      expect(stat(share[0]!, 'records')).toEqual([{ Name: 'stream', Value: s }]);
      const failures = alarms.filter((a) => a.Namespace === METRICS_NAMESPACE && a.MetricName === 'failedBatches' && JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'stream', Value: s }]));
      expect(failures).toEqual([expect.objectContaining({ Threshold: 1, Statistic: 'Sum', ComparisonOperator: 'GreaterThanOrEqualToThreshold' })]);
    }
  });

  it('finds partial wildcard actions of any service, not only whole ones', () => {
    // Act
    const found = wildcardActions([
      { Effect: 'Allow', Action: ['s3:Get*', 'logs:*', 'dynamodb:GetItem'] },
      { Effect: 'Allow', Action: 'kms:*' },
      { Effect: 'Allow', Action: 'kms:GenerateDataKey*' },
      { Effect: 'Deny', Action: 's3:*' },
    ]);
    // Assert
    expect(found).toEqual(['s3:Get*', 'logs:*', 'kms:*', 'kms:GenerateDataKey*']);
  });

  it('grants no wildcard action (whole or partial, any service) in any role policy', () => {
    // Act
    const found = statements(t).flatMap((st) => wildcardActions([st]).map((a) => `${st.policy}: ${a}`));
    // Assert
    expect(found).toEqual([]);
  });

  it('allows wildcard actions in resource policies only in the alarm key policy, as KMS and CloudWatch require', () => {
    // Act
    const found = resourcePolicyStatements(t).flatMap((st) => wildcardActions([st]).map((a) => ({ owner: st.owner, action: a, principal: st.Principal })));
    // Assert: the account's administration of its own key (the default key policy, without
    // which the key could become unmanageable) and CloudWatch encrypting alarm notifications
    // for the topic; every other wildcard is in a Deny (TLS only)
    const key = logicalId(dev.stack, dev.stack.node.findChild('AlarmTopicKey'));
    expect(found).toEqual([
      { owner: key, action: 'kms:*', principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] } } },
      { owner: key, action: 'kms:GenerateDataKey*', principal: { Service: 'cloudwatch.amazonaws.com' } },
    ]);
  });

  it('names a wildcard resource only for the owner-scoped Data API reads and the objects of the staging bucket', () => {
    for (const st of statements(t)) {
      for (const r of resourcesOf(st)) {
        if (!JSON.stringify(r).includes('*')) continue;
        if (r === '*') {
          // Assert: statements that take no resource ARN, limited to the caller's own
          expect(actionsOf(st).every((a) => a === 'redshift-data:DescribeStatement' || a === 'redshift-data:GetStatementResult'), st.policy).toBe(true);
          expect(st.Condition, st.policy).toEqual(OWNER_CONDITION);
        } else {
          expect(r, st.policy).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(dev.stack, dev.stack.stagingBucket), 'Arn'] }, '/*']] });
          expect(st.policy).toMatch(/^FirehoseRoleDefaultPolicy/);
        }
      }
    }
  });

  it('lets the Firehose delivery role touch exactly its staging bucket, its log group and the Redshift secret', () => {
    // Prepare
    const role = dev.stack.node.findChild('FirehoseRole');
    const bucketArn = { 'Fn::GetAtt': [logicalId(dev.stack, dev.stack.stagingBucket), 'Arn'] };
    // Act
    const sts = roleStatements(t, logicalId(dev.stack, role));
    // Assert
    expect(sts).toEqual([
      {
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:GetBucketLocation', 's3:GetObject', 's3:ListBucket', 's3:ListBucketMultipartUploads', 's3:PutObject'],
        Resource: [bucketArn, { 'Fn::Join': ['', [bucketArn, '/*']] }],
      },
      { Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: { 'Fn::GetAtt': [logicalId(dev.stack, dev.stack.node.findChild('FirehoseLogs')), 'Arn'] } },
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: logicalId(dev.stack, dev.stack.node.findChild('RedshiftAdminSecret')) } },
    ]);
    // only Firehose of this account may assume it, and no managed policy widens it
    const r = resources(t, 'AWS::IAM::Role')[logicalId(dev.stack, role)]!.Properties!;
    expect(r.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'firehose.amazonaws.com' }, Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'AWS::AccountId' } } } },
    ]);
    expect(r.ManagedPolicyArns).toBeUndefined();
  });

  it('lets the ApplyMigrations role touch exactly its log group, the workgroup (ExecuteStatement), its own statements and the secret', () => {
    // Prepare
    const role = dev.stack.node.findChild('ApplyMigrationsRole');
    const workgroup = dev.stack.getLogicalId(dev.stack.node.findChild('RedshiftWorkgroup') as never);
    // Act
    const sts = roleStatements(t, logicalId(dev.stack, role));
    // Assert
    expect(sts).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logicalId(dev.stack, dev.stack.node.findChild('ApplyMigrationsLogs')), 'Arn'] } },
      { Effect: 'Allow', Action: 'redshift-data:ExecuteStatement', Resource: { 'Fn::GetAtt': [workgroup, 'Workgroup.WorkgroupArn'] } },
      { Effect: 'Allow', Action: ['redshift-data:DescribeStatement', 'redshift-data:GetStatementResult'], Resource: '*', Condition: OWNER_CONDITION },
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: logicalId(dev.stack, dev.stack.node.findChild('RedshiftAdminSecret')) } },
    ]);
    const r = resources(t, 'AWS::IAM::Role')[logicalId(dev.stack, role)]!.Properties!;
    expect(r.AssumeRolePolicyDocument.Statement).toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }]);
    expect(r.ManagedPolicyArns).toBeUndefined();
  });

  it('acknowledges AwsSolutions-IAM5 only on the policies that need it, each finding by name and with a reason', () => {
    // Act
    const acks = acknowledgements(dev.app);
    // Assert: no acknowledgement on the app or the stack, IAM5 on four policies only
    const stackPath = dev.stack.node.path;
    expect(acks.filter((a) => a.path === stackPath || a.path === '')).toEqual([]);
    const bucket = logicalId(dev.stack, dev.stack.stagingBucket);
    expect(acks.filter((a) => a.id.startsWith('AwsSolutions-IAM5')).map((a) => [a.path, a.id]).sort()).toEqual(
      [
        [`${stackPath}/ApplyMigrationsRole/DefaultPolicy`, 'AwsSolutions-IAM5[Resource::*]'],
        [`${stackPath}/ClickstreamFunctionRole/DefaultPolicy`, 'AwsSolutions-IAM5[Resource::*]'],
        [`${stackPath}/FirehoseRole/DefaultPolicy`, `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/*]`],
        [`${stackPath}/TransactionsFunctionRole/DefaultPolicy`, 'AwsSolutions-IAM5[Resource::*]'],
      ].sort(),
    );
    for (const a of acks) expect(a.reason.length, `${a.path} ${a.id}`).toBeGreaterThan(30);
  });

  it('still reports a new Resource: * on any other policy (the acknowledgements do not cover it)', () => {
    // Prepare: a fresh app; a new role, and the Firehose role, each given a Resource: * statement
    const { app, stack } = buildApp({ outdir: tempDir('stream-metrics-cdk-'), context: { 'aws:cdk:bundling-stacks': [] } });
    const intruder = new iam.Role(stack, 'Intruder', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    intruder.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: ['*'] }));
    (stack.node.findChild('FirehoseRole') as iam.Role).addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    // Act
    const findings = nagFindings(app);
    // Assert
    expect(findings).toEqual([
      { rule: 'AwsSolutions-IAM5[Resource::*]', severity: 'error', paths: [`${stack.node.path}/FirehoseRole/DefaultPolicy/Resource`, `${stack.node.path}/Intruder/DefaultPolicy/Resource`].sort() },
    ]);
  });

  it('grants each worker only its own stream, queue and delivery stream, and per table only what the stores do', () => {
    for (const s of STREAMS) {
      // Prepare
      const other = s === 'clickstream' ? 'transactions' : 'clickstream';
      const roleId = dev.stack.getLogicalId(dev.stack.functions[s].role!.node.defaultChild as never);
      const policy = Object.values(resources(t, 'AWS::IAM::Policy')).find((p) => JSON.stringify(p.Properties!.Roles) === JSON.stringify([{ Ref: roleId }]))!;
      const sts = policy.Properties!.PolicyDocument.Statement as any[];
      const text = JSON.stringify(sts);
      const arnOf = (c: { node: { defaultChild?: unknown } }) => ({ 'Fn::GetAtt': [logicalId(dev.stack, c), 'Arn'] });
      const byResource = (r: unknown) => sts.filter((x) => JSON.stringify(x.Resource).includes(JSON.stringify(r)));
      // Assert: its own, never the other's
      expect(text).toContain(logicalId(dev.stack, dev.stack.streams[s]));
      expect(text).not.toContain(logicalId(dev.stack, dev.stack.streams[other]));
      expect(text).not.toContain(logicalId(dev.stack, dev.stack.onFailureQueues[other]));
      expect(text).not.toContain(dev.stack.getLogicalId(dev.stack.deliveryStreams[other]));
      expect(byResource({ 'Fn::GetAtt': [dev.stack.getLogicalId(dev.stack.deliveryStreams[s]), 'Arn'] })).toEqual([
        expect.objectContaining({ Action: 'firehose:PutRecordBatch' }),
      ]);
      expect(byResource(arnOf(dev.stack.tables.metrics)).flatMap(actionsOf).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
      expect(byResource(arnOf(dev.stack.tables.dedupe)).flatMap(actionsOf).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
      expect(byResource(arnOf(dev.stack.tables.badRecords)).flatMap(actionsOf)).toEqual(['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem']);
      // the metric mirror's Data API calls: a batch on the workgroup, then its description
      const workgroup = dev.stack.getLogicalId(dev.stack.node.findChild('RedshiftWorkgroup') as never);
      expect(byResource({ 'Fn::GetAtt': [workgroup, 'Workgroup.WorkgroupArn'] })).toEqual([expect.objectContaining({ Action: 'redshift-data:BatchExecuteStatement' })]);
      expect(sts.filter((x) => x.Resource === '*')).toEqual([{ Effect: 'Allow', Action: 'redshift-data:DescribeStatement', Resource: '*', Condition: OWNER_CONDITION }]);
      expect(sts.filter((x) => actionsOf(x).some((a: string) => a.startsWith('secretsmanager:')))).toEqual([
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: logicalId(dev.stack, dev.stack.node.findChild('RedshiftAdminSecret')) } },
      ]);
      // every DynamoDB statement names exactly one table
      for (const x of sts.filter((x) => actionsOf(x).some((a: string) => a.startsWith('dynamodb:')))) expect(x.Resource).toHaveLength(1);
      // no AWS managed policy on the role (its logs permission is its own log group only)
      const role = resources(t, 'AWS::IAM::Role')[roleId]!;
      expect(role.Properties!.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('StreamMetricsStack variants', () => {
  it('prod: deletion protection and RETAIN on tables and streams, no name prefix, still nag-clean', () => {
    // Act
    const prod = synth({ stage: 'prod', shards: '4' });
    // Assert
    const tables = Object.values(resources(prod.template, 'AWS::DynamoDB::Table'));
    expect(tables).toHaveLength(3);
    for (const tb of tables) {
      expect(tb.Properties!.DeletionProtectionEnabled).toBe(true);
      expect(tb.DeletionPolicy).toBe('Retain');
      expect(tb.UpdateReplacePolicy).toBe('Retain');
    }
    expect(tables.map((x) => x.Properties!.TableName).sort()).toEqual([RESOURCE_NAMES.badRecordsTable, RESOURCE_NAMES.dedupeTable, RESOURCE_NAMES.metricsTable]);
    for (const st of Object.values(resources(prod.template, 'AWS::Kinesis::Stream'))) {
      expect(st.Properties!.ShardCount).toBe(4);
      expect(st.DeletionPolicy).toBe('Retain');
    }
    expect(prod.stack.stackName).toBe('StreamMetrics-prod');
    expect(nagFindings(prod.app)).toEqual([]);
  });

  it('on-demand streams: no shard count, still encrypted', () => {
    // Act
    const od = synth({ shards: 'on-demand' });
    // Assert
    for (const st of Object.values(resources(od.template, 'AWS::Kinesis::Stream'))) {
      expect(st.Properties!.StreamModeDetails).toEqual({ StreamMode: 'ON_DEMAND' });
      expect(st.Properties!.ShardCount).toBeUndefined();
      expect(st.Properties!.StreamEncryption).toEqual({ EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' });
    }
  });

  it('existing workgroup: no Redshift resources created, the workers and migrations target it, grants name its ARN', () => {
    // Act
    const ex = synth({
      redshift: 'existing',
      redshiftWorkgroupName: 'analytics',
      redshiftWorkgroupArn: WORKGROUP_ARN,
      redshiftSecretArn: SECRET_ARN,
      redshiftJdbcUrl: 'jdbc:redshift://analytics.123456789012.eu-west-1.redshift-serverless.amazonaws.com:5439/dev',
    });
    // Assert
    const t = ex.template;
    t.resourceCountIs('AWS::RedshiftServerless::Namespace', 0);
    t.resourceCountIs('AWS::RedshiftServerless::Workgroup', 0);
    t.resourceCountIs('AWS::EC2::VPC', 0);
    t.resourceCountIs('AWS::SecretsManager::Secret', 0);
    t.hasResourceProperties('Custom::RedshiftMigrations', { WorkgroupName: 'analytics', SecretArn: SECRET_ARN });
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ REDSHIFT_WORKGROUP: 'analytics', REDSHIFT_SECRET_ARN: SECRET_ARN }) } });
    const execute = statements(t).filter((s) => actionsOf(s).some((a) => a === 'redshift-data:ExecuteStatement' || a === 'redshift-data:BatchExecuteStatement'));
    expect(execute).toHaveLength(3); // two workers (BatchExecuteStatement) + migrations (ExecuteStatement)
    for (const s of execute) expect(s.Resource).toBe(WORKGROUP_ARN);
    const secretReads = statements(t).filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    expect(secretReads).toHaveLength(4); // the two workers, migrations and Firehose
    for (const s of secretReads) expect(s).toMatchObject({ Action: 'secretsmanager:GetSecretValue', Resource: SECRET_ARN });
    t.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      RedshiftDestinationConfiguration: Match.objectLike({ ClusterJDBCURL: Match.stringLikeRegexp('^jdbc:redshift://analytics\\.') }),
    });
    expect(nagFindings(ex.app)).toEqual([]);
  });

  it('existing cluster: Data API grants name the cluster ARN', () => {
    // Act
    const ex = synth({ redshift: 'existing', redshiftClusterId: 'analytics-1', redshiftSecretArn: SECRET_ARN, redshiftJdbcUrl: 'jdbc:redshift://analytics-1.abc123xyz.eu-west-1.redshift.amazonaws.com:5439/dev' });
    // Assert
    const execute = statements(ex.template).filter((s) => actionsOf(s).some((a) => a === 'redshift-data:ExecuteStatement' || a === 'redshift-data:BatchExecuteStatement'));
    expect(execute).toHaveLength(3);
    for (const s of execute) expect(JSON.stringify(s.Resource)).toContain(':cluster:analytics-1');
    ex.template.hasResourceProperties('Custom::RedshiftMigrations', { ClusterIdentifier: 'analytics-1' });
  });
});

describe('readDeployContext', () => {
  const read = (ctx: Record<string, unknown>) => readDeployContext((k) => ctx[k]);

  it('defaults: dev stage, one provisioned shard, Serverless with 8 RPUs', () => {
    expect(read({})).toEqual({
      stage: 'dev',
      production: false,
      namePrefix: 'dev-',
      streams: { mode: 'provisioned', shardCount: 1 },
      database: 'dev',
      redshift: { kind: 'serverless', baseCapacityRpu: 8 },
    });
  });

  it('names the bad setting', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ shards: 'many' }, 'shards'],
      [{ shards: '0' }, 'shards'],
      [{ stage: 'Prod!' }, 'stage'],
      [{ redshift: 'cluster' }, 'redshift'],
      [{ redshift: 'existing', redshiftWorkgroupName: 'a' }, 'redshift'],
      [{ redshift: 'existing', redshiftClusterId: 'c', redshiftSecretArn: 'nope', redshiftJdbcUrl: 'jdbc:redshift://h:5439/dev' }, 'redshiftSecretArn'],
      [{ redshift: 'existing', redshiftClusterId: 'c', redshiftSecretArn: SECRET_ARN, redshiftJdbcUrl: 'postgres://h' }, 'redshiftJdbcUrl'],
      [{ firehoseCidr: 'everywhere' }, 'firehoseCidr'],
      [{ alarmEmail: 'ops' }, 'alarmEmail'],
    ];
    for (const [ctx, setting] of cases) {
      let caught: unknown;
      try {
        read(ctx);
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(ctx)).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).setting).toBe(setting);
    }
  });
});
