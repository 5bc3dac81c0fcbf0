/**
 * The import state machine: one execution per closed batch, one Map iteration per (batch, study)
 * import job, keeping the seeds' state names:
 *
 *   ImportJobs (Map over $.jobs, 10 at a time)
 *     TriggerImport → StartImportJob → WaitForCompletion (30 s) → CheckStatus → IsComplete
 *       IsComplete: COMPLETED → Success | FAILED → Failure | otherwise → WaitForCompletion
 *   AnyFailed: some iteration ended in Failure → ImportFailed (Fail) | otherwise → Done
 *
 * Failure is a Pass, not a Fail: a Fail inside an inline Map would cancel the batch's other jobs.
 * The execution fails afterwards (ImportFailed) so failed batches reach the dead-letter queue.
 *
 * JSONPath, not JSONata, so the same definition runs in aws-local-stepfunctions (see
 * `synthImportStateMachineDefinition`). Lambda tasks use the function ARN as Resource
 * (payloadResponseOnly): the output is the function's return value, no Payload wrapper.
 */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { createDataKey } from './encryption.ts';
import { acknowledge, wildcardOn } from './nag.ts';

/** Errors StartImportJob rethrows from HealthImaging that are worth waiting out. */
export const RETRYABLE_IMPORT_ERRORS = ['ThrottlingException', 'ServiceQuotaExceededException', 'InternalServerException'];

export interface ImportStateMachineProps {
  readonly triggerImport: lambda.IFunction;
  readonly startImportJob: lambda.IFunction;
  readonly checkStatus: lambda.IFunction;
  readonly key: kms.IKey;
  /** Fixed so the TriggerImport function can know the ARN without a reference cycle. */
  readonly stateMachineName?: string;
}

export class ImportStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: ImportStateMachineProps) {
    super(scope, id);
    const invoke = (name: string, fn: lambda.IFunction, payload?: sfn.TaskInput) =>
      new tasks.LambdaInvoke(this, name, { lambdaFunction: fn, payload, payloadResponseOnly: true });

    // Ends the iteration with a marker AnyFailed looks for; the job and any caught error ride along.
    const failure = new sfn.Pass(this, 'Failure', { parameters: { failed: true, job: sfn.JsonPath.entirePayload } });
    const onError = { resultPath: '$.error' };

    const triggerImport = invoke('TriggerImport', props.triggerImport,
      sfn.TaskInput.fromObject({ action: 'prepare', job: sfn.JsonPath.entirePayload }))
      .addCatch(failure, onError);
    // HealthImaging allows about 1 StartDICOMImportJob per second and 100 running jobs: back off, with jitter
    // so the Map's parallel iterations do not retry in lockstep. GetDICOMImportJob throttles the same way.
    const healthImagingRetry: sfn.RetryProps = {
      errors: RETRYABLE_IMPORT_ERRORS,
      interval: Duration.seconds(5),
      backoffRate: 2,
      maxAttempts: 8,
      jitterStrategy: sfn.JitterType.FULL,
    };
    const startImportJob = invoke('StartImportJob', props.startImportJob).addRetry(healthImagingRetry).addCatch(failure, onError);
    const waitForCompletion = new sfn.Wait(this, 'WaitForCompletion', { time: sfn.WaitTime.duration(Duration.seconds(30)) });
    const checkStatus = invoke('CheckStatus', props.checkStatus).addRetry(healthImagingRetry).addCatch(failure, onError);
    const isComplete = new sfn.Choice(this, 'IsComplete')
      .when(sfn.Condition.stringEquals('$.status', 'COMPLETED'), new sfn.Succeed(this, 'Success'))
      .when(sfn.Condition.stringEquals('$.status', 'FAILED'), failure)
      .otherwise(waitForCompletion);
    const importOneJob = triggerImport.next(startImportJob).next(waitForCompletion).next(checkStatus).next(isComplete);

    const importJobs = new sfn.Map(this, 'ImportJobs', {
      itemsPath: '$.jobs',
      maxConcurrency: 10,
      // JSONPath has no "any element matches" test that behaves the same in Step Functions and in
      // aws-local-stepfunctions (filters on an empty result differ), so the results are serialized
      // and AnyFailed matches the Failure marker in the string.
      resultSelector: { summary: sfn.JsonPath.jsonToString(sfn.JsonPath.entirePayload) },
      resultPath: '$.results',
    }).itemProcessor(importOneJob);

    const anyFailed = new sfn.Choice(this, 'AnyFailed')
      .when(sfn.Condition.stringMatches('$.results.summary', '*"failed":true*'),
        new sfn.Fail(this, 'ImportFailed', { error: 'ImportFailed', cause: 'One or more import jobs of the batch failed; see the jobs table.' }))
      .otherwise(new sfn.Succeed(this, 'Done'));

    const logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: props.key,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(importJobs.next(anyFailed)),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      // A job HealthImaging never finishes must not poll forever; TIMED_OUT goes to the dead-letter queue.
      timeout: Duration.hours(24),
    });
    acknowledge(this.stateMachine, 'X-Ray and CloudWatch Logs delivery actions have no resource-level permissions.', 'AwsSolutions-IAM5[Resource::*]');
    for (const fn of [props.triggerImport, props.startImportJob, props.checkStatus]) {
      if (!fn.node.defaultChild) continue; // imported by ARN: no logical ID, no finding
      acknowledge(this.stateMachine, 'CDK allows invoking the function\'s versions and aliases as well as $LATEST.', wildcardOn(fn, ':*'));
    }
  }
}

/** The function names the local runner binds to the importer's handlers. */
export const LOCAL_FUNCTION_ARNS = {
  triggerImport: 'arn:aws:lambda:us-east-1:000000000000:function:TriggerImport',
  startImportJob: 'arn:aws:lambda:us-east-1:000000000000:function:StartImportJob',
  checkStatus: 'arn:aws:lambda:us-east-1:000000000000:function:CheckStatus',
} as const;

/**
 * The state machine's ASL exactly as deployed, with each Lambda task's Resource set to the fixed
 * ARNs above, for aws-local-stepfunctions. Synthesizes a stack holding only this construct: no
 * assets, no bundling, offline.
 */
export function synthImportStateMachineDefinition(): Record<string, unknown> {
  const app = new App();
  const stack = new Stack(app, 'ImportStateMachineOnly', { env: { account: '000000000000', region: 'us-east-1' } });
  const fn = (id: string, arn: string) => lambda.Function.fromFunctionArn(stack, id, arn);
  const machine = new ImportStateMachine(stack, 'Import', {
    triggerImport: fn('TriggerImport', LOCAL_FUNCTION_ARNS.triggerImport),
    startImportJob: fn('StartImportJob', LOCAL_FUNCTION_ARNS.startImportJob),
    checkStatus: fn('CheckStatus', LOCAL_FUNCTION_ARNS.checkStatus),
    key: createDataKey(stack),
  });
  const definition = stack.resolve((machine.stateMachine.node.defaultChild as sfn.CfnStateMachine).definitionString);
  return JSON.parse(literal(definition)) as Record<string, unknown>;
}

/** A resolved CloudFormation string that must contain no deploy-time reference. */
function literal(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map(literal).join(join[0]);
  throw new Error(`state machine definition still holds a deploy-time reference: ${JSON.stringify(value)}`);
}
