/**
 * The CDK app as both `cdk synth` (bin/app.ts) and the tests build it: current recommended feature
 * flags, CloudFormation validation as errors, cdk-nag packs.
 */
import { App, type AppProps } from 'aws-cdk-lib';
import { CURRENTLY_RECOMMENDED_FLAGS } from 'aws-cdk-lib/cx-api';
import { addNagPacks } from './nag.ts';
import { StoreScpStack } from './stack.ts';

/** Default stack name; `-c stackName=...` deploys a second copy into the same account and region. */
export const STACK_NAME = 'StoreScp';

export function createApp(props: AppProps = {}): { app: App; stack: StoreScpStack } {
  const app = new App({
    ...props,
    context: {
      ...CURRENTLY_RECOMMENDED_FLAGS,
      // References to resources that may not exist (conditions) fail the synth instead of warning.
      '@aws-cdk/core:validateAgainstDefaultRules': true,
      ...props.context,
    },
  });
  addNagPacks(app);
  const stack = new StoreScpStack(app, String(app.node.tryGetContext('stackName') ?? STACK_NAME));
  return { app, stack };
}
