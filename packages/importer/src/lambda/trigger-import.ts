/** Lambda TriggerImport: S3 ObjectCreated on `_batches/closed/*.json`, or `{ action: 'prepare', job }` from the state machine. */
import { triggerImport, type PrepareRequest, type S3EventLike } from '../pipeline/trigger-import.ts';
import { containerDeps } from './env.ts';

export const handler = (event: S3EventLike | PrepareRequest) => triggerImport(containerDeps(), event);
