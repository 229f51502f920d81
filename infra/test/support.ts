/**
 * Test helpers for the CDK app: synthesise a stage offline, read its template, and run the
 * AwsSolutions checks directly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import cdkNag from 'cdk-nag';
import { buildApp } from '../app.ts';
import type { StreamMetricsStack } from '../stream-metrics-stack.ts';

// cdk-nag is CommonJS whose named exports Node's ESM loader cannot list.
const { AwsSolutionsChecks } = cdkNag;

const made: string[] = [];

/** Creates a temporary directory that `removeTempDirs()` deletes. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Deletes every directory `synth()` and `tempDir()` created (call in `afterAll`). */
export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface Synthesized {
  app: App;
  stack: StreamMetricsStack;
  template: Template;
  outdir: string;
}

/**
 * Builds and synthesises the app with the given context into a temporary directory.
 * Without `bundle`, functions are not bundled (CDK's `aws:cdk:bundling-stacks` set to none),
 * which keeps template tests fast; the bundle itself is tested on its own.
 */
export function synth(context: Record<string, unknown> = {}, options: { bundle?: boolean } = {}): Synthesized {
  const outdir = tempDir('stream-metrics-cdk-');
  const { app, stack } = buildApp({ outdir, context: { ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }), ...context } });
  const template = Template.fromStack(stack);
  return { app, stack, template, outdir };
}

/** The AwsSolutions findings (errors and warnings) left after acknowledgements. */
export function nagFindings(app: App): { rule: string; severity: string; paths: string[] }[] {
  const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(app);
  return report.violations.map((v) => ({ rule: v.ruleName, severity: String(v.severity), paths: v.violatingResources.map((r) => String(r.constructPath)) }));
}

type Resource = { Type: string; Properties?: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string; DependsOn?: string[] };

/** The resources of a type, by logical id. */
export function resources(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(stack: StreamMetricsStack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}
