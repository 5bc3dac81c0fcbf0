export { createApp, STACK_NAME } from './app.ts';
export { StoreScpStack } from './stack.ts';
export { synthImportStateMachineDefinition, LOCAL_FUNCTION_ARNS } from './import-state-machine.ts';
