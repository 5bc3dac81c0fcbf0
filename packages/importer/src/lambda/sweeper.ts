/** Lambda Sweeper: run on a schedule (EventBridge); closes batches left open by a dead task. */
import { sweepOpenBatches } from '../pipeline/sweeper.ts';
import { containerDeps } from './env.ts';

export const handler = () => sweepOpenBatches(containerDeps());
