/** Lambda CheckStatus: the state machine's CheckStatus state. */
import { checkImportStatus } from '../pipeline/check-status.ts';
import type { StartedJob } from '../pipeline/types.ts';
import { containerDeps } from './env.ts';

export const handler = (job: StartedJob) => checkImportStatus(containerDeps(), job);
