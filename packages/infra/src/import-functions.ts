/**
 * The importer's four Lambdas (packages/importer/src/lambda/*.ts), bundled with esbuild at synth
 * (lambda-bundle.ts).
 * Each gets its own role with only what its handler does, an encrypted log group with retention and
 * X-Ray tracing. The two invoked asynchronously (S3 → TriggerImport, schedule → Sweeper) send
 * events that failed every retry to a dead-letter queue; the two the state machine calls
 * synchronously report failures to the execution instead.
 */
import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { bundledCode } from './lambda-bundle.ts';
import { acknowledge } from './nag.ts';
import { REPO_ROOT } from './paths.ts';

const HANDLERS_DIR = path.join(REPO_ROOT, 'packages/importer/src/lambda');

/** Handler file (under packages/importer/src/lambda) of each function. */
export const HANDLER_FILES = {
  triggerImport: 'trigger-import.ts',
  startImportJob: 'start-import-job.ts',
  checkStatus: 'check-status.ts',
  sweeper: 'sweeper.ts',
} as const;
export type ImportFunctionName = keyof typeof HANDLER_FILES;

export interface ImportFunctionsProps {
  readonly key: kms.IKey;
  /** Environment shared by all four (the importer reads only what each handler needs). */
  readonly environment: Record<string, string>;
  /** Receives async invocations that failed every retry. */
  readonly deadLetterQueue: sqs.IQueue;
}

export class ImportFunctions extends Construct {
  readonly functions: Record<ImportFunctionName, lambda.Function>;

  constructor(scope: Construct, id: string, props: ImportFunctionsProps) {
    super(scope, id);
    const make = (name: ImportFunctionName, asynchronous: boolean, timeout: Duration) =>
      new lambda.Function(this, name, {
        code: bundledCode(path.join(HANDLERS_DIR, HANDLER_FILES[name])),
        handler: 'index.handler',
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 512,
        timeout,
        tracing: lambda.Tracing.ACTIVE,
        environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
        logGroup: new logs.LogGroup(this, `${name}Logs`, {
          encryptionKey: props.key,
          retention: logs.RetentionDays.ONE_YEAR,
          removalPolicy: RemovalPolicy.RETAIN,
        }),
        deadLetterQueue: asynchronous ? props.deadLetterQueue : undefined,
        retryAttempts: asynchronous ? 2 : undefined,
      });
    this.functions = {
      triggerImport: make('triggerImport', true, Duration.minutes(1)),
      startImportJob: make('startImportJob', false, Duration.seconds(30)),
      checkStatus: make('checkStatus', false, Duration.minutes(2)),
      sweeper: make('sweeper', true, Duration.minutes(5)),
    };
    for (const fn of Object.values(this.functions)) {
      acknowledge(fn, 'Node.js 22 is the runtime the product targets and tests (the container is node:22 too); moving to a newer '
        + 'runtime is a deliberate upgrade.', 'AwsSolutions-L1');
      acknowledge(fn, 'Concurrency is bounded upstream (one execution per batch, Map MaxConcurrency 10, one sweeper run per 5 '
        + 'minutes); reserved concurrency would fail deployment in accounts at the default 10-execution quota.', 'HIPAA.Security-LambdaConcurrency');
      acknowledge(fn, 'The functions only call regional AWS APIs (S3, DynamoDB, HealthImaging, Step Functions) over TLS with IAM '
        + 'authentication and accept no connections; a VPC would add NAT or endpoint dependencies, not isolation.', 'HIPAA.Security-LambdaInsideVPC');
      acknowledge(fn, 'AWSLambdaBasicExecutionRole only allows writing the function\'s own CloudWatch logs.',
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]');
      acknowledge(fn, 'X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions.', 'AwsSolutions-IAM5[Resource::*]');
    }
    for (const fn of [this.functions.startImportJob, this.functions.checkStatus]) {
      acknowledge(fn, 'Invoked synchronously by the state machine, which retries and records failures (Failure state, failed-'
        + 'execution queue); a Lambda dead-letter queue only receives asynchronous invocations.', 'HIPAA.Security-LambdaDLQ');
    }
  }
}
