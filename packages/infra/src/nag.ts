/**
 * cdk-nag: the AWS Solutions and HIPAA Security packs run on every synth (CLI and tests) as CDK
 * validation plugins, so an unacknowledged finding fails the synth. A finding that is accepted
 * rather than fixed is acknowledged next to the code that causes it, on the narrowest construct,
 * with its reason (`acknowledge`); the few that apply to every construct of a kind are here.
 */
import { CfnResource, Stack, Validations, type App, type CfnElement } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

export function addNagPacks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app));
}

/** Accepts the given findings on `scope` (and what it contains) for one reason. */
export function acknowledge(scope: IConstruct, reason: string, ...ids: string[]): void {
  for (const id of ids) Validations.of(scope).acknowledge({ id, reason });
}

/** The AwsSolutions-IAM5 finding ID for a wildcard on a resource's ARN, e.g. `<Bucket.Arn>/*`. */
export function wildcardOn(resource: IConstruct, suffix: string): string {
  const cfn = (CfnResource.isCfnResource(resource) ? resource : resource.node.defaultChild) as CfnElement;
  return `AwsSolutions-IAM5[Resource::<${Stack.of(resource).getLogicalId(cfn)}.Arn>${suffix}]`;
}

/** Findings the rules raise on every construct of a kind, each for the same reason. */
export function acknowledgeStackWide(stack: Stack): void {
  for (const node of stack.node.findAll()) {
    if (node instanceof iam.Policy && node.node.id === 'DefaultPolicy') {
      acknowledge(node, 'CDK compiles grants into one policy per role, attached to that role only and deleted with it; a '
        + 'customer-managed policy would add an object that could be attached elsewhere, not a control.',
      'HIPAA.Security-IAMNoInlinePolicy');
    }
  }
}
