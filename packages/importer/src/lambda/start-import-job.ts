/** Lambda StartImportJob: the state machine's StartImportJob state. */
import { startImportJob } from '../pipeline/start-import-job.ts';
import type { PreparedJob } from '../pipeline/types.ts';
import { containerDeps } from './env.ts';

export const handler = (job: PreparedJob) => startImportJob(containerDeps(), job);
