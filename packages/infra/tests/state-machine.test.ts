/**
 * The import state machine's definition as the importer runs it locally: the seeds' state names,
 * the retry contract, and its behaviour in aws-local-stepfunctions with stand-in handlers (one
 * failed job fails the execution without cancelling the others).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { LOCAL_FUNCTION_ARNS, synthImportStateMachineDefinition } from '../src/index.ts';
import { RETRYABLE_IMPORT_ERRORS } from '../src/import-state-machine.ts';

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node 22); the workspace also supports Node 20.
const promiseWithResolvers = Promise as PromiseConstructor & { withResolvers?: unknown };
promiseWithResolvers.withResolvers ??= function withResolvers<T>() {
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};

type State = Record<string, unknown>;
type LocalHandler = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>[string];
type Asl = { StartAt: string; States: Record<string, State> };

const started = Date.now();
const definition = synthImportStateMachineDefinition() as Asl;
const synthMs = Date.now() - started;
const map = definition.States['ImportJobs']!;
const iteration = (map['ItemProcessor'] as Asl).States;

describe('import state machine definition', () => {
  it('synthesizes offline in a few seconds', () => {
    assert.ok(synthMs < 10_000, `took ${synthMs} ms`);
  });

  it('keeps the seeds\' state names inside a Map over the batch\'s jobs', () => {
    assert.equal(definition.StartAt, 'ImportJobs');
    assert.equal(map['Type'], 'Map');
    assert.equal(map['ItemsPath'], '$.jobs');
    assert.equal(map['MaxConcurrency'], 10);
    assert.deepEqual((map['ItemProcessor'] as State)['ProcessorConfig'], { Mode: 'INLINE' });
    assert.equal((map['ItemProcessor'] as Asl).StartAt, 'TriggerImport');
    assert.deepEqual(Object.keys(iteration).sort(),
      ['CheckStatus', 'Failure', 'IsComplete', 'StartImportJob', 'Success', 'TriggerImport', 'WaitForCompletion']);
    assert.deepEqual(Object.keys(definition.States).sort(), ['AnyFailed', 'Done', 'ImportFailed', 'ImportJobs']);
    assert.equal(iteration['TriggerImport']!['Next'], 'StartImportJob');
    assert.equal(iteration['StartImportJob']!['Next'], 'WaitForCompletion');
    assert.equal(iteration['WaitForCompletion']!['Seconds'], 30);
    assert.equal(iteration['WaitForCompletion']!['Next'], 'CheckStatus');
    assert.equal(iteration['CheckStatus']!['Next'], 'IsComplete');
    assert.equal(iteration['IsComplete']!['Default'], 'WaitForCompletion');
    assert.deepEqual(iteration['IsComplete']!['Choices'], [
      { Variable: '$.status', StringEquals: 'COMPLETED', Next: 'Success' },
      { Variable: '$.status', StringEquals: 'FAILED', Next: 'Failure' },
    ]);
    assert.equal(iteration['Success']!['Type'], 'Succeed');
    assert.equal(iteration['Failure']!['Type'], 'Pass');
    assert.equal(definition.States['ImportFailed']!['Type'], 'Fail');
    assert.equal(definition.States['Done']!['Type'], 'Succeed');
  });

  it('calls the three functions by the fixed local ARNs, with the prepare payload for TriggerImport', () => {
    assert.equal(iteration['TriggerImport']!['Resource'], LOCAL_FUNCTION_ARNS.triggerImport);
    assert.deepEqual(iteration['TriggerImport']!['Parameters'], { action: 'prepare', 'job.$': '$' });
    assert.equal(iteration['StartImportJob']!['Resource'], LOCAL_FUNCTION_ARNS.startImportJob);
    assert.equal(iteration['CheckStatus']!['Resource'], LOCAL_FUNCTION_ARNS.checkStatus);
  });

  it('retries HealthImaging throttling with exponential backoff and full jitter', () => {
    const retries = iteration['StartImportJob']!['Retry'] as State[];
    assert.ok(retries.some((r) => (r['ErrorEquals'] as string[]).includes('Lambda.ServiceException')));
    assert.deepEqual(retries.find((r) => (r['ErrorEquals'] as string[]).includes('ThrottlingException')), {
      ErrorEquals: RETRYABLE_IMPORT_ERRORS, IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: 8, JitterStrategy: 'FULL',
    });
  });
});

describe('import state machine in aws-local-stepfunctions', () => {
  const job = (studyInstanceUID: string) => ({
    batchId: 'b1', studyInstanceUID, studyDate: '20240102', inputS3Uri: `s3://dicom/2024/01/02/1/${studyInstanceUID}/`, instanceCount: 1, bytes: 10,
  });
  /** HealthImaging stand-in: study "1.2.9" fails, the others complete after one IN_PROGRESS poll. */
  function run(studies: string[]) {
    const polls = new Map<string, number>();
    const calls: string[] = [];
    /** The local runner types handlers on JSON values; these stand-ins know the shapes they get. */
    const handler = <I>(fn: (input: I) => Promise<unknown>) => fn as unknown as LocalHandler;
    const execution = new StateMachine(definition as unknown as StateMachineDefinition).run({ batchId: 'b1', bucket: 'dicom', manifestKey: '_batches/closed/b1.json', jobs: studies.map(job) }, {
      overrides: {
        waitTimeOverrides: { WaitForCompletion: 0 },
        taskResourceLocalHandlers: {
          TriggerImport: handler(async (input: { action: string; job: State }) => (calls.push(`prepare:${input.action}`), input.job)),
          StartImportJob: handler(async (j: State) => (calls.push('start'), { ...j, jobId: `job-${String(j['studyInstanceUID'])}`, datastoreId: 'ds', status: 'SUBMITTED' })),
          CheckStatus: handler(async (j: State) => {
            const n = (polls.get(j['jobId'] as string) ?? 0) + 1;
            polls.set(j['jobId'] as string, n);
            const status = n === 1 ? 'IN_PROGRESS' : j['studyInstanceUID'] === '1.2.9' ? 'FAILED' : 'COMPLETED';
            return { ...j, status };
          }),
        },
      },
    });
    return { result: execution.result, calls, polls };
  }

  it('succeeds (Done) when every job completes, polling until COMPLETED', async () => {
    const { result, calls, polls } = run(['1.2.3', '1.2.4']);
    const output = (await result) as State;
    assert.equal(calls.filter((c) => c === 'prepare:prepare').length, 2);
    assert.deepEqual([...polls.values()], [2, 2]);
    assert.doesNotMatch(String((output['results'] as State)['summary']), /"failed":true/);
  });

  it('fails (ImportFailed) when one job fails, after the other jobs ran to the end', async () => {
    const { result, polls } = run(['1.2.3', '1.2.9', '1.2.4']);
    await assert.rejects(result, (err: Error & { cause?: { name?: string } }) =>
      err.name === 'ExecutionError' && err.cause?.name === 'ImportFailed');
    assert.deepEqual([...polls.values()], [2, 2, 2]);
  });
});
