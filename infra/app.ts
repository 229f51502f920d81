/**
 * The CDK app: `npx tsx infra/app.ts` writes the CloudFormation templates and the bundled
 * functions to `cdk.out/` (no AWS account, no Docker, no CDK CLI needed); deploy them with
 * `npx aws-cdk@2 deploy --app cdk.out`. Context: see `infra/context.ts` (`-c stage=prod`
 * through the CLI, or `CDK_CONTEXT_JSON`, or `cdk.json`).
 */
import { App, Validations } from 'aws-cdk-lib';
// cdk-nag is CommonJS whose exports Node's ESM loader cannot list: take the default export.
import cdkNag from 'cdk-nag';
import { readDeployContext } from './context.ts';
import { StreamMetricsStack } from './stream-metrics-stack.ts';

const { AwsSolutionsChecks } = cdkNag;

/**
 * Builds the app (one stack per stage) with the AwsSolutions checks applied.
 *
 * @example
 * const { app, stack } = buildApp({ context: { stage: 'prod', shards: '4' } });
 * app.synth();
 */
export function buildApp(options: { context?: Record<string, unknown>; outdir?: string } = {}) {
  const app = new App({ outdir: options.outdir ?? process.env.CDK_OUTDIR ?? 'cdk.out', ...(options.context ? { context: options.context } : {}) });
  const context = readDeployContext((k) => app.node.tryGetContext(k));
  const stack = new StreamMetricsStack(app, `StreamMetrics-${context.stage}`, {
    context,
    description: 'stream-metrics: Kinesis → Lambda → DynamoDB + Redshift (infra/)',
    // Env-agnostic by default (offline synth); the CLI fills these when deploying.
    ...(process.env.CDK_DEFAULT_ACCOUNT && process.env.CDK_DEFAULT_REGION
      ? { env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } }
      : {}),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack, context };
}

// Run as a script (`tsx infra/app.ts`, or `cdk --app "npx tsx infra/app.ts"`).
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const { app } = buildApp();
  const assembly = app.synth();
  console.error(`synthesized ${assembly.stacks.map((s) => s.stackName).join(', ')} to ${assembly.directory}`);
}
