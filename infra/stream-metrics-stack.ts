/**
 * The AWS deployment of stream-metrics: Kinesis streams → the two Lambda handlers of
 * `handlers/` (Kinesis event source mappings) → DynamoDB (metrics, de-duplication, bad
 * records) and Redshift (metric mirror through the Data API, cleaned events through
 * Firehose), with alarms.
 *
 * Every setting our guarantees depend on — batch size, batching window, retries, record
 * age, bisect, ParallelizationFactor 1, function memory and timeout, table and stream names
 * — is read from `src/settings.ts`, the object the local poller reads too, so the two
 * cannot drift. The stack synthesises offline: no lookups, no account, handlers bundled by
 * the local esbuild.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ArnFormat,
  CfnMapping,
  CfnOutput,
  CustomResource,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  Validations,
  type StackProps,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cwActions,
  aws_dynamodb as dynamodb,
  aws_ec2 as ec2,
  aws_iam as iam,
  aws_kinesis as kinesis,
  aws_kinesisfirehose as firehose,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_lambda_event_sources as sources,
  aws_lambda_nodejs as nodejs,
  aws_logs as logs,
  aws_redshiftserverless as rss,
  aws_s3 as s3,
  aws_secretsmanager as secretsmanager,
  aws_sns as sns,
  aws_sns_subscriptions as subs,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { deliveryStreamConfig } from '../src/sinks/firehose-sink.ts';
import { TABLE_KEYS, TTL_ATTRIBUTE } from '../src/sinks/dynamodb/tables.ts';
import { migrationScript } from '../src/sinks/redshift/migrations.ts';
import { METRICS_NAMESPACE } from '../src/emf.ts';
import { FUNCTIONS, RESOURCE_NAMES } from '../src/settings.ts';
import type { DeployContext } from './context.ts';
import { FIREHOSE_REDSHIFT_CIDRS, toCfnRedshiftDestination } from './firehose.ts';

/** Repository root (bundling and entries are resolved from here, not from the cwd). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The Lambda runtime of every function: the newest Node.js the installed aws-cdk-lib knows. */
export const RUNTIME = lambda.Runtime.NODEJS_24_X;

/** Alarm thresholds (documented in docs/deploy.md). */
export const ALARM_THRESHOLDS = {
  /** a shard more than this behind its tip means the function does not keep up */
  iteratorAgeMs: 5 * 60_000,
  /** DynamoDB-free signal that Firehose stopped loading Redshift */
  firehoseSuccessBelow: 1,
  /** share of a stream's records rejected (bad input), in %, over three 5-minute periods */
  rejectedPercent: 5,
} as const;

export interface StreamMetricsStackProps extends StackProps {
  context: DeployContext;
}

type Stream = keyof typeof FUNCTIONS;
const STREAMS = Object.keys(FUNCTIONS) as Stream[];
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** What a worker does to each table (see `src/sinks/dynamodb/*`): nothing more is granted. */
const TABLE_ACTIONS = {
  // applyCounters / applySketches: conditional UpdateItem and PutItem, GetItem on replays
  metrics: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  // claim(): conditional PutItem, GetItem to read where an id was first seen
  dedupe: ['dynamodb:GetItem', 'dynamodb:PutItem'],
  // put(): a consistent BatchGetItem of the batch's positions (so a Lambda retry does not
  // overwrite what a replay recorded), then BatchWriteItem of the new ones
  badRecords: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'],
} as const;

/**
 * What each principal calls on the Redshift Data API (`src/sinks/redshift/data-api.ts`):
 * `onTarget` needs the workgroup (or cluster) ARN; `onStatements` take no resource ARN.
 * With a secret, the Data API reads it with the caller's credentials: GetSecretValue.
 */
const DATA_API_ACTIONS = {
  // the metric mirror: one BatchExecuteStatement per batch, DescribeStatement until it ends
  worker: { onTarget: ['redshift-data:BatchExecuteStatement'], onStatements: ['redshift-data:DescribeStatement'] },
  // migrate(): ExecuteStatement per statement, DescribeStatement, GetStatementResult for
  // the ids already applied
  migrations: { onTarget: ['redshift-data:ExecuteStatement'], onStatements: ['redshift-data:DescribeStatement', 'redshift-data:GetStatementResult'] },
} as const;

export class StreamMetricsStack extends Stack {
  readonly streams: Record<Stream, kinesis.Stream>;
  readonly functions: Record<Stream, nodejs.NodejsFunction>;
  readonly tables: { metrics: dynamodb.Table; dedupe: dynamodb.Table; badRecords: dynamodb.Table };
  readonly onFailureQueues: Record<Stream, sqs.Queue>;
  readonly deliveryStreams: Record<Stream, firehose.CfnDeliveryStream>;
  readonly stagingBucket: s3.Bucket;
  readonly alarmTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: StreamMetricsStackProps) {
    super(scope, id, props);
    const ctx = props.context;
    const name = (n: string) => `${ctx.namePrefix}${n}`;
    const dataRemoval = ctx.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    // ---- alarms go to one topic (encrypted with a key CloudWatch may use) ----------------
    const alarmKey = new kms.Key(this, 'AlarmTopicKey', {
      description: 'stream-metrics alarm topic encryption',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    alarmKey.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { masterKey: alarmKey, enforceSSL: true, displayName: 'stream-metrics alarms' });
    if (ctx.alarmEmail) this.alarmTopic.addSubscription(new subs.EmailSubscription(ctx.alarmEmail));
    const alarmAction = new cwActions.SnsAction(this.alarmTopic);
    const alarm = (id: string, props: cloudwatch.AlarmProps) => {
      const a = new cloudwatch.Alarm(this, id, { treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, ...props });
      a.addAlarmAction(alarmAction);
      return a;
    };

    // ---- Kinesis streams ------------------------------------------------------------------
    this.streams = {} as Record<Stream, kinesis.Stream>;
    for (const s of STREAMS) {
      this.streams[s] = new kinesis.Stream(this, `${cap(s)}Stream`, {
        streamName: name(RESOURCE_NAMES.streams[s]),
        ...(ctx.streams.mode === 'on-demand' ? { streamMode: kinesis.StreamMode.ON_DEMAND } : { streamMode: kinesis.StreamMode.PROVISIONED, shardCount: ctx.streams.shardCount }),
        encryption: kinesis.StreamEncryption.MANAGED,
        // Records older than the event source mapping's MaximumRecordAge are skipped anyway.
        retentionPeriod: Duration.hours(24),
        removalPolicy: dataRemoval,
      });
    }

    // ---- DynamoDB tables (keys from the same module that creates them locally) -------------
    const table = (id: string, tableName: string, keys: { hash: string; range: string | undefined }) =>
      new dynamodb.Table(this, id, {
        tableName,
        partitionKey: { name: keys.hash, type: dynamodb.AttributeType.STRING },
        ...(keys.range ? { sortKey: { name: keys.range, type: dynamodb.AttributeType.STRING } } : {}),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        timeToLiveAttribute: TTL_ATTRIBUTE,
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        deletionProtection: ctx.production,
        removalPolicy: dataRemoval,
      });
    this.tables = {
      metrics: table('MetricsTable', name(RESOURCE_NAMES.metricsTable), TABLE_KEYS.metrics),
      dedupe: table('DedupeTable', name(RESOURCE_NAMES.dedupeTable), TABLE_KEYS.dedupe),
      badRecords: table('BadRecordsTable', name(RESOURCE_NAMES.badRecordsTable), TABLE_KEYS.badRecords),
    };

    // ---- Redshift: a Serverless namespace + workgroup, or an existing one -----------------
    const redshift = this.redshift(ctx, name);

    // ---- Firehose: S3 staging bucket (with access logs), role, delivery streams -----------
    const accessLogs = new s3.Bucket(this, 'AccessLogsBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(accessLogs, [
      { id: 'AwsSolutions-S1', reason: 'This is the server access log bucket of the staging bucket; logging it to itself would loop.' },
    ]);
    this.stagingBucket = new s3.Bucket(this, 'FirehoseStagingBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'firehose-staging/',
      lifecycleRules: [
        // Firehose COPYs a staged object within minutes; keep a week for investigations.
        { id: 'expire-staged-objects', expiration: Duration.days(7), abortIncompleteMultipartUploadAfter: Duration.days(1) },
        // Objects Firehose could not load (manifests of failed COPYs) stay longer.
        { id: 'expire-errors', prefix: 'errors/', expiration: Duration.days(30) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const firehoseLogs = new logs.LogGroup(this, 'FirehoseLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const firehoseRole = new iam.Role(this, 'FirehoseRole', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', { conditions: { StringEquals: { 'sts:ExternalId': this.account } } }),
      description: 'Firehose: stage cleaned events in S3 and COPY them into Redshift',
    });
    firehoseRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:AbortMultipartUpload', 's3:GetBucketLocation', 's3:GetObject', 's3:ListBucket', 's3:ListBucketMultipartUploads', 's3:PutObject'],
        resources: [this.stagingBucket.bucketArn, this.stagingBucket.arnForObjects('*')],
      }),
    );
    firehoseRole.addToPolicy(new iam.PolicyStatement({ actions: ['logs:PutLogEvents'], resources: [firehoseLogs.logGroupArn] }));
    // COPY's credentials (SecretsManagerConfiguration): Firehose only reads the secret.
    firehoseRole.addToPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [redshift.secret.secretArn] }));
    acknowledge(defaultPolicyOf(firehoseRole), [
      {
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(this.stagingBucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
        reason: 'Firehose writes objects under generated time-based keys in its own staging bucket; the bucket is the scope.',
      },
    ]);

    this.deliveryStreams = {} as Record<Stream, firehose.CfnDeliveryStream>;
    for (const s of STREAMS) {
      const redshiftStream = new logs.LogStream(this, `${cap(s)}FirehoseRedshiftLog`, { logGroup: firehoseLogs, logStreamName: `${s}-redshift` });
      const s3Stream = new logs.LogStream(this, `${cap(s)}FirehoseS3Log`, { logGroup: firehoseLogs, logStreamName: `${s}-s3` });
      const sdk = deliveryStreamConfig(s, name(RESOURCE_NAMES.firehose[s]), {
        database: ctx.database,
        roleArn: firehoseRole.roleArn,
        bucketArn: this.stagingBucket.bucketArn,
        clusterJdbcUrl: redshift.jdbcUrl,
        secretArn: redshift.secret.secretArn,
      });
      const ds = new firehose.CfnDeliveryStream(this, `${cap(s)}DeliveryStream`, {
        deliveryStreamName: sdk.DeliveryStreamName!,
        deliveryStreamType: 'DirectPut',
        deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
        redshiftDestinationConfiguration: toCfnRedshiftDestination(sdk.RedshiftDestinationConfiguration!, {
          logGroupName: firehoseLogs.logGroupName,
          redshiftStream: redshiftStream.logStreamName,
          s3Stream: s3Stream.logStreamName,
        }),
      });
      // The role's policy must exist before Firehose validates access; the schema before COPY.
      ds.node.addDependency(firehoseRole);
      ds.node.addDependency(redshift.migrations);
      this.deliveryStreams[s] = ds;
      alarm(`${cap(s)}FirehoseDeliveryAlarm`, {
        alarmDescription: `Firehose ${s}: deliveries to Redshift are failing (DeliveryToRedshift.Success < 1)`,
        metric: new cloudwatch.Metric({
          namespace: 'AWS/Firehose',
          metricName: 'DeliveryToRedshift.Success',
          dimensionsMap: { DeliveryStreamName: ds.ref },
          statistic: 'Minimum',
          period: Duration.minutes(5),
        }),
        threshold: ALARM_THRESHOLDS.firehoseSuccessBelow,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 3,
      });
    }

    // ---- the two workers -------------------------------------------------------------------
    this.functions = {} as Record<Stream, nodejs.NodejsFunction>;
    this.onFailureQueues = {} as Record<Stream, sqs.Queue>;
    for (const s of STREAMS) {
      const f = FUNCTIONS[s];
      const es = f.eventSource;
      const Id = cap(s);

      const dlq = new sqs.Queue(this, `${Id}OnFailureDlq`, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      acknowledge(dlq, [{ id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the on-failure queue.' }]);
      const onFailure = new sqs.Queue(this, `${Id}OnFailureQueue`, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        // Lambda writes a description of a batch it gave up on (shard, sequence range); keep
        // it as long as SQS allows so an operator can replay the range from the stream.
        retentionPeriod: Duration.days(14),
        deadLetterQueue: { queue: dlq, maxReceiveCount: 5 },
      });
      this.onFailureQueues[s] = onFailure;

      const logGroup = new logs.LogGroup(this, `${Id}FunctionLogs`, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
      const fn = new nodejs.NodejsFunction(this, `${Id}Function`, {
        role: functionRole(this, `${Id}FunctionRole`, logGroup),
        description: `stream-metrics ${s} worker (Kinesis → DynamoDB + Redshift)`,
        entry: path.join(PROJECT_ROOT, f.entry),
        handler: 'handler',
        ...bundlingDefaults(),
        memorySize: f.memoryMb,
        timeout: Duration.seconds(f.timeoutSeconds),
        logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
        applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
        systemLogLevelV2: lambda.SystemLogLevel.WARN,
        environment: {
          CLICKSTREAM_STREAM: this.streams.clickstream.streamName,
          TRANSACTIONS_STREAM: this.streams.transactions.streamName,
          METRICS_TABLE: this.tables.metrics.tableName,
          DEDUPE_TABLE: this.tables.dedupe.tableName,
          BAD_RECORDS_TABLE: this.tables.badRecords.tableName,
          // Each worker delivers only its own stream's events; the other is switched off
          // (empty), which also keeps its grant to its own delivery stream.
          FIREHOSE_CLICKSTREAM: s === 'clickstream' ? this.deliveryStreams.clickstream.ref : '',
          FIREHOSE_TRANSACTIONS: s === 'transactions' ? this.deliveryStreams.transactions.ref : '',
          REDSHIFT_MIRROR: 'on',
          REDSHIFT_DIALECT: 'redshift',
          REDSHIFT_DATABASE: ctx.database,
          ...redshift.targetEnv,
          NODE_OPTIONS: '--enable-source-maps',
        },
      });
      this.functions[s] = fn;

      // Least privilege: the actions each store performs, on its table only.
      for (const t of ['metrics', 'dedupe', 'badRecords'] as const) {
        this.tables[t].grant(fn, ...TABLE_ACTIONS[t]);
      }
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['firehose:PutRecordBatch'], resources: [this.deliveryStreams[s].attrArn] }));
      redshift.grantDataApi(fn, DATA_API_ACTIONS.worker);

      fn.addEventSource(
        new sources.KinesisEventSource(this.streams[s], {
          batchSize: es.batchSize,
          maxBatchingWindow: Duration.seconds(es.maximumBatchingWindowInSeconds),
          startingPosition: lambda.StartingPosition[es.startingPosition],
          bisectBatchOnError: es.bisectBatchOnFunctionError,
          retryAttempts: es.maximumRetryAttempts,
          maxRecordAge: Duration.seconds(es.maximumRecordAgeInSeconds),
          parallelizationFactor: es.parallelizationFactor,
          reportBatchItemFailures: es.reportBatchItemFailures,
          onFailure: new sources.SqsDlq(onFailure),
        }),
      );
      // Do not start consuming before the Redshift tables exist.
      fn.node.addDependency(redshift.migrations);

      alarm(`${Id}IteratorAgeAlarm`, {
        alarmDescription: `${s}: the function falls behind the stream (Lambda IteratorAge)`,
        metric: fn.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
        threshold: ALARM_THRESHOLDS.iteratorAgeMs,
        evaluationPeriods: 5,
      });
      alarm(`${Id}StreamIteratorAgeAlarm`, {
        alarmDescription: `${s}: records wait in the stream (GetRecords.IteratorAgeMilliseconds)`,
        metric: this.streams[s].metricGetRecordsIteratorAgeMilliseconds({ statistic: 'Maximum', period: Duration.minutes(1) }),
        threshold: ALARM_THRESHOLDS.iteratorAgeMs,
        evaluationPeriods: 5,
      });
      alarm(`${Id}ErrorsAlarm`, {
        alarmDescription: `${s}: function errors (whole-batch failures, crashes, timeouts)`,
        metric: fn.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
      });
      alarm(`${Id}ThrottlesAlarm`, {
        alarmDescription: `${s}: function throttled (account concurrency exhausted)`,
        metric: fn.metricThrottles({ statistic: 'Sum', period: Duration.minutes(5) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
      });
      // The workers' own metrics (Embedded Metric Format lines, `src/emf.ts`, per stream).
      const emf = (metricName: string) => new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { stream: s }, statistic: 'Sum', period: Duration.minutes(5) });
      alarm(`${Id}RejectedShareAlarm`, {
        alarmDescription: `${s}: ${ALARM_THRESHOLDS.rejectedPercent} % or more of the records are rejected (bad input): see "stream-metrics bad-records list"`,
        metric: new cloudwatch.MathExpression({ expression: '100 * rejected / records', usingMetrics: { rejected: emf('rejected'), records: emf('records') }, period: Duration.minutes(5), label: 'rejected %' }),
        threshold: ALARM_THRESHOLDS.rejectedPercent,
        evaluationPeriods: 3,
      });
      alarm(`${Id}SinkFailuresAlarm`, {
        alarmDescription: `${s}: sink writes failed after their retries (batches reported as item failures and retried by Lambda)`,
        metric: emf('failedBatches'),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
      });
      for (const [qid, q, what] of [
        ['OnFailure', onFailure, 'a batch was given up on (retries or record age exhausted): replay its range'],
        ['OnFailureDlq', dlq, 'an on-failure message was received 5 times without being handled'],
      ] as const) {
        alarm(`${Id}${qid}DepthAlarm`, {
          alarmDescription: `${s}: ${what}`,
          metric: q.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(1) }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
        });
      }
    }

    // ---- outputs ---------------------------------------------------------------------------
    for (const s of STREAMS) new CfnOutput(this, `${cap(s)}StreamName`, { value: this.streams[s].streamName });
    new CfnOutput(this, 'MetricsTableName', { value: this.tables.metrics.tableName });
    new CfnOutput(this, 'BadRecordsTableName', { value: this.tables.badRecords.tableName });
    new CfnOutput(this, 'RedshiftSecretArn', { value: redshift.secret.secretArn });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
    for (const [k, v] of Object.entries(redshift.targetEnv)) if (k !== 'REDSHIFT_SECRET_ARN') new CfnOutput(this, k.replace(/_/g, ''), { value: v });
  }

  /**
   * Env-agnostic stacks get two AZs by default; a Redshift Serverless workgroup wants
   * subnets in three. Selecting from `Fn::GetAZs` keeps synth offline (no lookup).
   */
  override get availabilityZones(): string[] {
    return [0, 1, 2].map((i) => Fn.select(i, Fn.getAzs()));
  }

  /** The Redshift side: what to create, the workers' environment and their grants. */
  private redshift(ctx: DeployContext, name: (n: string) => string) {
    let secret: secretsmanager.ISecret;
    let jdbcUrl: string;
    let targetEnv: Record<string, string>;
    let dataApiResources: string[];
    let dependsOn: Construct | undefined;
    let crTarget: Record<string, string>;

    if (ctx.redshift.kind === 'serverless') {
      const adminSecret = new secretsmanager.Secret(this, 'RedshiftAdminSecret', {
        description: 'stream-metrics Redshift Serverless admin credentials (Data API, Firehose COPY)',
        generateSecretString: {
          secretStringTemplate: JSON.stringify({ username: 'stream_metrics_admin' }),
          generateStringKey: 'password',
          // Redshift refuses ' " \ / @ and spaces in passwords.
          excludeCharacters: `'"\\/@ `,
          passwordLength: 32,
          requireEachIncludedType: true,
        },
        removalPolicy: ctx.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
      acknowledge(adminSecret, [
        {
          id: 'AwsSolutions-SMG4',
          reason: 'The namespace admin password is read by CloudFormation at creation; rotating it needs a rotation function that updates the namespace. Documented in docs/deploy.md as a production step.',
        },
      ]);
      secret = adminSecret;

      const vpc = new ec2.Vpc(this, 'RedshiftVpc', {
        maxAzs: 3,
        natGateways: 0,
        subnetConfiguration: [{ name: 'redshift', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
      });
      acknowledge(vpc, [
        { id: 'AwsSolutions-VPC7', reason: 'The VPC holds only the Redshift workgroup endpoint; Redshift connection and user-activity logs are exported instead of flow logs.' },
      ]);
      const sg = new ec2.SecurityGroup(this, 'RedshiftSecurityGroup', { vpc, description: 'Redshift Serverless: Firehose COPY only', allowAllOutbound: false });
      const cidrs = new CfnMapping(this, 'FirehoseCidrs', { mapping: Object.fromEntries(Object.entries(FIREHOSE_REDSHIFT_CIDRS).map(([r, c]) => [r, { cidr: c }])) });
      const firehoseCidr = ctx.redshift.firehoseCidr ?? cidrs.findInMap(this.region, 'cidr');
      // Firehose reaches Redshift over the public endpoint from its published range only.
      sg.addIngressRule(ec2.Peer.ipv4(firehoseCidr), ec2.Port.tcp(5439), 'Amazon Data Firehose (COPY)');
      acknowledge(sg, [
        {
          id: 'AwsSolutions-EC23',
          reason: "The only ingress is Firehose's published /27 for the region (a Fn::FindInMap the rule cannot evaluate), on port 5439.",
        },
      ]);

      const namespace = new rss.CfnNamespace(this, 'RedshiftNamespace', {
        namespaceName: name('stream-metrics'),
        dbName: ctx.database,
        adminUsername: adminSecret.secretValueFromJson('username').unsafeUnwrap(),
        adminUserPassword: adminSecret.secretValueFromJson('password').unsafeUnwrap(),
        logExports: ['connectionlog', 'userlog', 'useractivitylog'],
      });
      namespace.applyRemovalPolicy(ctx.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);
      const workgroup = new rss.CfnWorkgroup(this, 'RedshiftWorkgroup', {
        workgroupName: name('stream-metrics'),
        namespaceName: namespace.namespaceName,
        baseCapacity: ctx.redshift.baseCapacityRpu,
        publiclyAccessible: true,
        subnetIds: vpc.publicSubnets.map((s) => s.subnetId),
        securityGroupIds: [sg.securityGroupId],
        configParameters: [
          { parameterKey: 'require_ssl', parameterValue: 'true' },
          // needed for the useractivitylog export of the namespace
          { parameterKey: 'enable_user_activity_logging', parameterValue: 'true' },
        ],
      });
      workgroup.node.addDependency(namespace);
      dependsOn = workgroup;
      jdbcUrl = `jdbc:redshift://${workgroup.attrWorkgroupEndpointAddress}:${workgroup.attrWorkgroupEndpointPort}/${ctx.database}`;
      targetEnv = { REDSHIFT_WORKGROUP: workgroup.workgroupName, REDSHIFT_SECRET_ARN: adminSecret.secretArn };
      crTarget = { WorkgroupName: workgroup.workgroupName };
      dataApiResources = [workgroup.attrWorkgroupWorkgroupArn];
    } else {
      const r = ctx.redshift;
      secret = secretsmanager.Secret.fromSecretCompleteArn(this, 'RedshiftSecret', r.secretArn);
      jdbcUrl = r.jdbcUrl;
      if (r.clusterId) {
        targetEnv = { REDSHIFT_CLUSTER_ID: r.clusterId, REDSHIFT_SECRET_ARN: r.secretArn };
        crTarget = { ClusterIdentifier: r.clusterId };
        dataApiResources = [this.formatArn({ service: 'redshift', resource: 'cluster', resourceName: r.clusterId, arnFormat: ArnFormat.COLON_RESOURCE_NAME })];
      } else {
        targetEnv = { REDSHIFT_WORKGROUP: r.workgroupName!, REDSHIFT_SECRET_ARN: r.secretArn };
        crTarget = { WorkgroupName: r.workgroupName! };
        dataApiResources = [r.workgroupArn!];
      }
    }

    /** Grants a function its Data API calls and the secret they run with; nothing else. */
    const grantDataApi = (fn: lambda.Function, actions: { onTarget: readonly string[]; onStatements: readonly string[] }) => {
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: [...actions.onTarget], resources: dataApiResources }));
      // These take no resource ARN; the condition limits them to the caller's own statements.
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: [...actions.onStatements],
          resources: ['*'],
          conditions: { StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' } },
        }),
      );
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }));
      // Acknowledged on this function's policy only, so that a `Resource: *` anywhere else
      // is still a finding.
      acknowledge(defaultPolicyOf(fn.role!), [
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason: `Redshift Data API ${actions.onStatements.map((a) => a.replace('redshift-data:', '')).join('/')} take no resource ARN; the statement-owner condition limits them to this function's own statements.`,
        },
      ]);
    };

    // Schema migrations through the Data API (custom resource; re-runs when they change).
    const migrationsLogs = new logs.LogGroup(this, 'ApplyMigrationsLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const migrationsFn = new nodejs.NodejsFunction(this, 'ApplyMigrationsFunction', {
      role: functionRole(this, 'ApplyMigrationsRole', migrationsLogs),
      description: 'stream-metrics: applies the Redshift schema migrations through the Data API',
      entry: path.join(PROJECT_ROOT, 'infra/functions/apply-migrations.ts'),
      handler: 'handler',
      ...bundlingDefaults(),
      memorySize: 256,
      timeout: Duration.minutes(15),
      logGroup: migrationsLogs,
      loggingFormat: lambda.LoggingFormat.JSON,
    });
    grantDataApi(migrationsFn, DATA_API_ACTIONS.migrations);
    const migrationsHash = createHash('sha256').update(migrationScript('redshift', 0).join(';\n')).digest('hex').slice(0, 16);
    const migrations = new CustomResource(this, 'RedshiftMigrations', {
      serviceToken: migrationsFn.functionArn,
      resourceType: 'Custom::RedshiftMigrations',
      properties: { Database: ctx.database, SecretArn: secret.secretArn, Dialect: 'redshift', MigrationsHash: migrationsHash, ...crTarget },
    });
    if (dependsOn) migrations.node.addDependency(dependsOn);
    // The grants must be in place before the function runs.
    migrations.node.addDependency(migrationsFn);

    return { secret, jdbcUrl, targetEnv, grantDataApi, migrations, migrationsFunction: migrationsFn };
  }

}

/**
 * A function's role with nothing but writing to its own log group (instead of the AWS
 * managed AWSLambdaBasicExecutionRole, which allows every log group); data grants are added
 * per resource by the caller.
 */
function functionRole(scope: Construct, id: string, logGroup: logs.LogGroup): iam.Role {
  const role = new iam.Role(scope, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
  return role;
}

/** The inline policy a role's grants go to (it exists once a statement was added). */
function defaultPolicyOf(role: iam.IRole): Construct {
  const policy = role.node.tryFindChild('DefaultPolicy');
  if (!policy) throw new Error(`${role.node.path} has no DefaultPolicy yet: acknowledge after granting`);
  return policy;
}

/** Acknowledges cdk-nag findings on a construct (and its children); every one with its reason. */
export function acknowledge(scope: Construct, findings: { id: string; reason: string }[]): void {
  for (const f of findings) Validations.of(scope).acknowledge(f);
}

/** Bundling shared by every function: local esbuild (never Docker), arm64, one file. */
function bundlingDefaults(): Pick<nodejs.NodejsFunctionProps, 'runtime' | 'architecture' | 'bundling' | 'projectRoot' | 'depsLockFilePath'> {
  return {
    runtime: RUNTIME,
    architecture: lambda.Architecture.ARM_64,
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
    bundling: {
      forceDockerBundling: false,
      format: nodejs.OutputFormat.CJS,
      target: 'node24',
      minify: true,
      sourceMap: true,
      // Bundle the AWS SDK too: the functions run the SDK version the tests ran, not
      // whatever the runtime ships.
      externalModules: [],
    },
  };
}
