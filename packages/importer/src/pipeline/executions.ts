/**
 * Starting the import state machine for a batch. On AWS that is Step Functions' StartExecution; the
 * local runner supplies its own starter with the same contract: a name already used starts nothing.
 */
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionInput } from './types.ts';

export type StartOutcome = 'started' | 'already-exists';

export interface ExecutionStarter {
  start(name: string, input: ExecutionInput): Promise<StartOutcome>;
}

/** Step Functions refuses execution input over 256 KiB. */
export const MAX_EXECUTION_INPUT_BYTES = 256 * 1024;

export function stepFunctionsStarter(sfn: SFNClient, stateMachineArn: string): ExecutionStarter {
  return {
    async start(name, input) {
      try {
        await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
        return 'started';
      } catch (err) {
        // Same name, same input: this batch's execution exists (a repeated S3 event). Not an error.
        if ((err as { name?: string }).name === 'ExecutionAlreadyExists') return 'already-exists';
        throw err;
      }
    },
  };
}
