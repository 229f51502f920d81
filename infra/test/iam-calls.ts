/**
 * What the code needs from IAM, derived from the calls it makes rather than from a hand
 * list: `recordCommands()` adds an SDK middleware that records every command a client sends,
 * `needsOf()` turns each into the (action, resource) pairs IAM authorises it by, and
 * `rolePolicy()` answers whether a role's synthesized policy allows a pair and lists the
 * pairs it grants. Resources are compared by key (`table/<name>`, `deliverystream/<name>`,
 * `workgroup/<name>`, `secret/<arn>`, `*`), which `resourceKeys()` derives from the template.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { resources } from './support.ts';

export type Service = 'dynamodb' | 'firehose' | 'redshift-data';

/** One command as a client sent it. */
export interface SentCommand {
  service: Service;
  /** the operation, e.g. `BatchWriteItem` */
  command: string;
  input: Record<string, any>;
}

/** One (action, resource) pair IAM must allow. */
export interface Need {
  action: string;
  resource: string;
}

type MiddlewareClient = { middlewareStack: { add: (mw: any, options: any) => void } };

/**
 * Records every command `client` sends into `into` (before it is sent, so refused and
 * failing calls count too). Add it before the client's first call: the sinks' clients
 * resolve their middleware once (`cacheMiddleware`).
 *
 * @example
 * const sent: SentCommand[] = [];
 * recordCommands(sinks.clients.dynamodb, 'dynamodb', sent);
 */
export function recordCommands(client: MiddlewareClient, service: Service, into: SentCommand[]): void {
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: { input: Record<string, any> }) => {
      into.push({ service, command: String(context.commandName).replace(/Command$/, ''), input: args.input });
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands', priority: 'high' },
  );
}

/** DynamoDB's transactions are authorised by the item actions inside them (DynamoDB developer guide, "Using IAM with DynamoDB transactions"). */
const TRANSACT_ITEM_ACTIONS: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem', Get: 'GetItem' };

/**
 * The IAM (action, resource) pairs one command needs. Throws for a command or a form it
 * does not know, so that new code paths cannot slip through unchecked.
 *
 * @example
 * needsOf({ service: 'dynamodb', command: 'BatchGetItem', input: { RequestItems: { t: {} } } }); // → [{ action: 'dynamodb:BatchGetItem', resource: 'table/t' }]
 */
export function needsOf(c: SentCommand): Need[] {
  const i = c.input;
  if (c.service === 'dynamodb') {
    if (c.command === 'BatchGetItem' || c.command === 'BatchWriteItem') return Object.keys(i.RequestItems).map((t) => ({ action: `dynamodb:${c.command}`, resource: `table/${t}` }));
    if (c.command === 'TransactWriteItems' || c.command === 'TransactGetItems') {
      return (i.TransactItems as Record<string, { TableName: string }>[]).map((item) => {
        const [kind, op] = Object.entries(item)[0]!;
        const action = TRANSACT_ITEM_ACTIONS[kind];
        if (!action) throw new Error(`unknown transaction item ${kind}`);
        return { action: `dynamodb:${action}`, resource: `table/${op.TableName}` };
      });
    }
    if (typeof i.TableName !== 'string') throw new Error(`dynamodb:${c.command} without TableName: not mapped`);
    return [{ action: `dynamodb:${c.command}`, resource: `table/${i.TableName}` }];
  }
  if (c.service === 'firehose') {
    if (typeof i.DeliveryStreamName !== 'string') throw new Error(`firehose:${c.command} without DeliveryStreamName: not mapped`);
    return [{ action: `firehose:${c.command}`, resource: `deliverystream/${i.DeliveryStreamName}` }];
  }
  if (['DescribeStatement', 'GetStatementResult', 'CancelStatement', 'ListStatements'].includes(c.command)) {
    // These take no resource ARN (Service Authorization Reference); the policy scopes them by condition.
    return [{ action: `redshift-data:${c.command}`, resource: '*' }];
  }
  if (c.command === 'ExecuteStatement' || c.command === 'BatchExecuteStatement') {
    const target = i.WorkgroupName ? `workgroup/${i.WorkgroupName}` : i.ClusterIdentifier ? `cluster/${i.ClusterIdentifier}` : undefined;
    if (!target) throw new Error(`redshift-data:${c.command} names no workgroup or cluster`);
    // Without a secret the Data API asks for temporary credentials instead: not mapped here.
    if (typeof i.SecretArn !== 'string') throw new Error(`redshift-data:${c.command} without SecretArn: IAM credentials are not mapped`);
    // The Data API reads the secret with the caller's credentials.
    return [
      { action: `redshift-data:${c.command}`, resource: target },
      { action: 'secretsmanager:GetSecretValue', resource: `secret/${i.SecretArn}` },
    ];
  }
  throw new Error(`${c.service}:${c.command} is not mapped to IAM`);
}

/** The distinct needs of many commands, sorted. */
export function needsOfAll(sent: SentCommand[]): Need[] {
  return uniqueNeeds(sent.flatMap(needsOf));
}

export function uniqueNeeds(needs: Need[]): Need[] {
  const byKey = new Map(needs.map((n) => [`${n.action} ${n.resource}`, n]));
  return [...byKey.keys()].sort().map((k) => byKey.get(k)!);
}

/** The ARN a test gives a secret of the template (its real one exists only after deployment). */
export const fakeSecretArn = (logicalId: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${logicalId}-AbCdEf`;

/**
 * The physical value a function or custom resource sees for a template value: literals as
 * they are, `Ref`s of tables, delivery streams, Kinesis streams and secrets resolved to the
 * names they get (secrets: `fakeSecretArn`).
 */
export function physicalValue(template: Template, value: unknown): string {
  if (typeof value === 'string') return value;
  const ref = (value as { Ref?: string } | null)?.Ref;
  if (ref) {
    const all = template.toJSON().Resources as Record<string, { Type: string; Properties?: Record<string, any> }>;
    const r = all[ref];
    if (r?.Type === 'AWS::DynamoDB::Table') return r.Properties!.TableName;
    if (r?.Type === 'AWS::KinesisFirehose::DeliveryStream') return r.Properties!.DeliveryStreamName;
    if (r?.Type === 'AWS::Kinesis::Stream') return r.Properties!.Name;
    if (r?.Type === 'AWS::SecretsManager::Secret') return fakeSecretArn(ref);
  }
  throw new Error(`no physical value for ${JSON.stringify(value)}`);
}

/** Template resource expressions (JSON) → resource keys, for the resources IAM statements name. */
export function resourceKeys(template: Template): Map<string, string> {
  const keys = new Map<string, string>([['"*"', '*']]);
  const getAtt = (id: string, attr: string) => JSON.stringify({ 'Fn::GetAtt': [id, attr] });
  for (const [id, r] of Object.entries(resources(template, 'AWS::DynamoDB::Table'))) keys.set(getAtt(id, 'Arn'), `table/${r.Properties!.TableName}`);
  for (const [id, r] of Object.entries(resources(template, 'AWS::KinesisFirehose::DeliveryStream'))) keys.set(getAtt(id, 'Arn'), `deliverystream/${r.Properties!.DeliveryStreamName}`);
  for (const [id, r] of Object.entries(resources(template, 'AWS::RedshiftServerless::Workgroup'))) keys.set(getAtt(id, 'Workgroup.WorkgroupArn'), `workgroup/${r.Properties!.WorkgroupName}`);
  for (const id of Object.keys(resources(template, 'AWS::SecretsManager::Secret'))) keys.set(JSON.stringify({ Ref: id }), `secret/${fakeSecretArn(id)}`);
  for (const [id, r] of Object.entries(resources(template, 'AWS::Kinesis::Stream'))) keys.set(getAtt(id, 'Arn'), `stream/${r.Properties!.Name}`);
  for (const id of Object.keys(resources(template, 'AWS::SQS::Queue'))) keys.set(getAtt(id, 'Arn'), `queue/${id}`);
  for (const id of Object.keys(resources(template, 'AWS::Logs::LogGroup'))) keys.set(getAtt(id, 'Arn'), `loggroup/${id}`);
  for (const id of Object.keys(resources(template, 'AWS::S3::Bucket'))) {
    keys.set(getAtt(id, 'Arn'), `bucket/${id}`);
    keys.set(JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, '/*']] }), `bucket/${id}/*`);
  }
  return keys;
}

export interface PolicyStatement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** The statements of every inline policy attached to a role. */
export function roleStatements(template: Template, roleLogicalId: string): PolicyStatement[] {
  return Object.values(resources(template, 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties!.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId })))
    .flatMap((p) => p.Properties!.PolicyDocument.Statement as PolicyStatement[]);
}

const list = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);
const globMatches = (pattern: string, value: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(value);

/**
 * A role's synthesized policy: `allows(need)` as IAM would decide it for an Allow-only
 * policy (action patterns, resources by key, `*` for any); `granted()` every (action,
 * resource key) pair it names.
 */
export function rolePolicy(template: Template, roleLogicalId: string) {
  const keys = resourceKeys(template);
  const keyOf = (r: unknown) => keys.get(JSON.stringify(r)) ?? `?${JSON.stringify(r)}`;
  const statements = roleStatements(template, roleLogicalId);
  if (statements.some((s) => s.Effect !== 'Allow')) throw new Error('rolePolicy: Deny statements are not evaluated here');
  return {
    statements,
    allows(need: Need): boolean {
      return statements.some((s) => list(s.Action).some((a) => globMatches(a, need.action)) && list(s.Resource).some((r) => r === '*' || keyOf(r) === need.resource));
    },
    granted(): Need[] {
      return uniqueNeeds(statements.flatMap((s) => list(s.Action).flatMap((action) => list(s.Resource).map((r) => ({ action, resource: keyOf(r) })))));
    },
  };
}
