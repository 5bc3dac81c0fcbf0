/**
 * Runs an import state machine definition (the one `cdk synth` produces) locally with
 * aws-local-stepfunctions, its Lambda tasks bound to in-process functions by function name.
 * Lambda tasks must name the function ARN as Resource (CDK's payloadResponseOnly): the state's
 * input is the payload and the function's result its output, exactly as on AWS.
 */
import { StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node 22+); the local stack also runs on Node 20.
const promiseStatics = Promise as unknown as { withResolvers?: () => unknown };
if (typeof promiseStatics.withResolvers !== 'function') {
  promiseStatics.withResolvers = () => {
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

/** One entry of the execution history (the library does not export the type by name). */
export type ExecutionEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export type LocalFunction = (payload: unknown) => Promise<unknown>;
/** In-process stand-ins for Lambda functions, by function name (the last part of the ARN). */
export type LocalFunctions = Record<string, LocalFunction>;

export interface LocalExecutionOptions {
  functions: LocalFunctions;
  /** Every Wait state pauses this long instead (e.g. the 30 s WaitForCompletion). */
  waitMs?: number;
  /** Every Retry waits this long instead of its backoff. */
  retryIntervalMs?: number;
}

export interface LocalExecution {
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  /** The execution history: states entered/exited/failed/retried, Map iterations. */
  events: ExecutionEvent[];
  /** Settles when the execution ends, whatever its status. */
  done: Promise<void>;
  /** Stops the execution (it ends FAILED). */
  abort(): void;
}

interface StateDef {
  Type: string;
  Resource?: string;
  Retry?: unknown[];
  ItemProcessor?: { States: Record<string, StateDef> };
  Iterator?: { States: Record<string, StateDef> };
  Branches?: Array<{ States: Record<string, StateDef> }>;
}

const FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:([^:]+)/;

export function startLocalExecution(definition: unknown, input: unknown, o: LocalExecutionOptions): LocalExecution {
  const states = allStates((definition as { States: Record<string, StateDef> }).States);
  const overrides: NonNullable<RunOptions['overrides']> = {
    taskResourceLocalHandlers: Object.fromEntries(
      states.filter(([, s]) => s.Type === 'Task').map(([name, s]) => [name, bindTask(name, s, o.functions)]),
    ),
    ...(o.waitMs !== undefined
      ? { waitTimeOverrides: Object.fromEntries(states.filter(([, s]) => s.Type === 'Wait').map(([n]) => [n, o.waitMs!])) }
      : {}),
    ...(o.retryIntervalMs !== undefined
      ? { retryIntervalOverrides: Object.fromEntries(states.filter(([, s]) => s.Retry).map(([n]) => [n, o.retryIntervalMs!])) }
      : {}),
  };
  const machine = new StateMachine(definition as StateMachineDefinition, { validationOptions: { checkArn: false } });
  const run = machine.run(input as Parameters<StateMachine['run']>[0], { overrides });
  const execution: LocalExecution = { status: 'RUNNING', events: [], done: Promise.resolve(), abort: run.abort };
  const history = (async () => {
    for await (const event of run.eventLogs) execution.events.push(event);
  })();
  execution.done = run.result.then(
    async (output) => {
      await history;
      Object.assign(execution, { status: 'SUCCEEDED', output });
    },
    async (err: unknown) => {
      await history;
      Object.assign(execution, { status: 'FAILED', error: err instanceof Error ? err.message : String(err) });
    },
  );
  return execution;
}

/** Every state, including those inside Map and Parallel states (names are unique in a definition). */
function allStates(states: Record<string, StateDef>): Array<[string, StateDef]> {
  return Object.entries(states).flatMap(([name, s]) => [
    [name, s] as [string, StateDef],
    ...[s.ItemProcessor ?? s.Iterator, ...(s.Branches ?? [])].flatMap((sub) => (sub ? allStates(sub.States) : [])),
  ]);
}

function bindTask(stateName: string, state: StateDef, functions: LocalFunctions) {
  const fnName = FUNCTION_ARN.exec(state.Resource ?? '')?.[1];
  const fn = fnName === undefined ? undefined : functions[fnName];
  if (!fn) throw new Error(`state ${stateName}: no local function for Resource ${JSON.stringify(state.Resource)}`);
  return async (input: unknown) => (await fn(input)) as never;
}
