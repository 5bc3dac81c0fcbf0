// Piscina's entry file. Worker threads on Node 20 do not get the parent's `--import tsx`
// loader hooks, so TypeScript support is registered here before the real module loads.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./pool-worker.ts');

export const { store, writeOpenMarker, closeBatch, deleteInstance, removeStaleTemporaries } = worker;
