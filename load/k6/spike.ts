/** From BASE_VUS (10) associations to SPIKE_VUS (1000) in 10 s, held 1 minute, then back. */
import { storeSession } from './session.ts';

const base = Number(__ENV.BASE_VUS ?? '10');
const spike = Number(__ENV.SPIKE_VUS ?? '1000');
export const options = {
  scenarios: {
    spike: {
      executor: 'ramping-vus',
      startVUs: base,
      stages: [
        { duration: '1m', target: base },
        { duration: '10s', target: spike },
        { duration: '1m', target: spike },
        { duration: '10s', target: base },
        { duration: '2m', target: base },
      ],
      gracefulRampDown: '30s',
    },
  },
  // During a spike the SCP may refuse associations over MAXIMUM_ASSOCIATIONS (transiently);
  // what must not happen is a stored-then-failed instance or a collapse afterwards.
  thresholds: { dicom_store_ok: ['rate>0.99'] },
};

export default storeSession;
