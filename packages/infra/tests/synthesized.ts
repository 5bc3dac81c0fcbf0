/**
 * The stack synthesized once per test process, exactly as `cdk synth` builds it: recommended flags,
 * CloudFormation validation as errors, cdk-nag AwsSolutions + HIPAA Security (synth throws on any
 * unacknowledged finding), Lambda bundling, the Docker image asset staged (not built).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp, STACK_NAME } from '../src/app.ts';

export interface Synthesized {
  template: Template;
  json: CfnTemplate;
}

export interface CfnTemplate {
  Parameters: Record<string, Record<string, unknown>>;
  Conditions: Record<string, unknown>;
  Rules: Record<string, { RuleCondition?: unknown; Assertions: { Assert: unknown; AssertDescription: string }[] }>;
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Condition?: string; DependsOn?: string[]; Metadata?: Record<string, unknown> }>;
  Outputs: Record<string, unknown>;
}

let cached: Synthesized | undefined;

export function synthesized(): Synthesized {
  if (!cached) {
    const { app } = createApp({ outdir: mkdtempSync(path.join(tmpdir(), 'storescp-cdk-')) });
    const json = app.synth().getStackByName(STACK_NAME).template as CfnTemplate;
    cached = { template: Template.fromJSON(json as never), json };
  }
  return cached;
}

/** Resources of one type, by logical ID. */
export function resourcesOfType(json: CfnTemplate, type: string): [string, CfnTemplate['Resources'][string]][] {
  return Object.entries(json.Resources).filter(([, r]) => r.Type === type);
}
