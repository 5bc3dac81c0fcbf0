/** A constant VUS (64) associations for DURATION (15m): the throughput a deployment sustains. */
import { storeSession } from './session.ts';

export const options = {
  scenarios: {
    steady: { executor: 'constant-vus', vus: Number(__ENV.VUS ?? '64'), duration: __ENV.DURATION ?? '15m' },
  },
  thresholds: { dicom_store_ok: ['rate>0.999'], dicom_store_duration: ['p(99)<2000'] },
};

export default storeSession;
