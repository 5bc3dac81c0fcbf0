import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instanceKey, manifestKey, openMarkerKey, type BatchManifest, type OpenMarker } from '@storescp/workers/layout';
import { sweepOpenBatches } from '../src/pipeline/sweeper.ts';
import { getObjectText, getObjectTextIfExists, listObjects } from '../src/s3/objects.ts';
import { CT, DICOM_BUCKET, MR, PREFIX, startRig } from './helpers.ts';

const marker = (batchId: string, timestamp: number): OpenMarker => ({
  version: 1,
  batchId,
  timestamp,
  prefix: PREFIX,
  datePaths: ['2026/11/22'],
  openedAt: new Date(timestamp).toISOString(),
  callingAeTitle: 'MODALITY',
  calledAeTitle: 'STORESCP',
  peerAddress: '10.0.0.7',
});

test('the sweeper closes an orphaned batch exactly once, cleans closed ones and leaves young ones', async () => {
  const rig = await startRig();
  try {
    const ts = 1763800000000;
    const keyOf = (f: typeof CT) => instanceKey({ prefix: PREFIX, datePath: '2026/11/22', timestamp: ts, studyInstanceUid: f.study, seriesInstanceUid: f.series, sopInstanceUid: f.sop });
    // The orphan: a marker and two stored instances, and no manifest (the task died).
    await rig.s3.put(openMarkerKey(PREFIX, 'orphan'), JSON.stringify(marker('orphan', ts)));
    await rig.s3.put(keyOf(CT), 'ct-bytes');
    await rig.s3.put(keyOf(MR), 'mr');
    // A batch the SCP closed but whose marker is still there.
    await rig.s3.put(openMarkerKey(PREFIX, 'closed'), JSON.stringify(marker('closed', ts + 1)));
    await rig.s3.put(manifestKey(PREFIX, 'closed'), '{}');

    // Right now every marker is younger than the sweep age: only the closed batch's marker goes.
    const early = await sweepOpenBatches(rig.deps);
    assert.deepEqual([early.swept, early.cleaned], [[], ['closed']]);
    assert.ok(await getObjectTextIfExists(rig.s3.s3, DICOM_BUCKET, openMarkerKey(PREFIX, 'orphan')));

    const later = new Date(Date.now() + 3600_000);
    const report = await sweepOpenBatches(rig.deps, later);
    assert.deepEqual(report, { swept: ['orphan'], cleaned: [], active: [], invalid: [] });
    const manifest = JSON.parse(await getObjectText(rig.s3.s3, DICOM_BUCKET, manifestKey(PREFIX, 'orphan'))) as BatchManifest;
    assert.deepEqual([manifest.closedBy, manifest.reason, manifest.batchId, manifest.timestamp, manifest.peerAddress], ['sweeper', 'swept', 'orphan', ts, '10.0.0.7']);
    assert.deepEqual(
      manifest.instances.map((i) => [i.key, i.sopInstanceUid, i.studyInstanceUid, i.size]).sort(),
      [[keyOf(CT), CT.sop, CT.study, 8], [keyOf(MR), MR.sop, MR.study, 2]].sort(),
    );
    assert.deepEqual(await listObjects(rig.s3.s3, DICOM_BUCKET, `${PREFIX}_batches/open/`), []);

    // Idempotent: nothing left to sweep, no second manifest, one metric in all.
    assert.deepEqual(await sweepOpenBatches(rig.deps, later), { swept: [], cleaned: [], active: [], invalid: [] });
    assert.equal(rig.metrics.filter((m) => 'storescp_batches_swept_total' in m).length, 1);
  } finally {
    await rig.close();
  }
});

test('an old marker whose batch wrote data recently is left open: the association may still be alive', async () => {
  const rig = await startRig();
  try {
    const ts = 1763800000000;
    await rig.s3.put(openMarkerKey(PREFIX, 'busy'), JSON.stringify(marker('busy', ts)));
    // The data is written strictly after the marker (S3 LastModified has whole seconds): ordering, not timing.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await rig.s3.put(instanceKey({ prefix: PREFIX, datePath: '2026/11/22', timestamp: ts, studyInstanceUid: CT.study, seriesInstanceUid: CT.series, sopInstanceUid: CT.sop }), 'ct');
    const [markerObj, dataObj] = [
      ...(await listObjects(rig.s3.s3, DICOM_BUCKET, `${PREFIX}_batches/open/`)),
      ...(await listObjects(rig.s3.s3, DICOM_BUCKET, `${PREFIX}2026/`)),
    ];
    assert.ok(dataObj!.lastModified > markerObj!.lastModified);
    // The sweep age has passed for the marker, not for the data.
    const now = new Date(markerObj!.lastModified.getTime() + rig.deps.config.sweepAgeSeconds * 1000 + 1);
    assert.deepEqual(await sweepOpenBatches(rig.deps, now), { swept: [], cleaned: [], active: ['busy'], invalid: [] });
    assert.equal(await getObjectTextIfExists(rig.s3.s3, DICOM_BUCKET, manifestKey(PREFIX, 'busy')), undefined);
  } finally {
    await rig.close();
  }
});
