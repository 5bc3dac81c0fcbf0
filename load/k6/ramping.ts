/** Associations ramp from 0 to MAX_VUS (300) over 5 minutes, hold, and ramp down. */
import { storeSession } from './session.ts';

const max = Number(__ENV.MAX_VUS ?? '300');
export const options = {
  scenarios: {
    ramping: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: '5m', target: max },
        { duration: '5m', target: max },
        { duration: '1m', target: 0 },
      ],
      gracefulRampDown: '30s',
    },
  },
  thresholds: { dicom_store_ok: ['rate>0.999'], dicom_store_duration: ['p(99)<5000'] },
};

export default storeSession;
