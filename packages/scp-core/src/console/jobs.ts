/**
 * The import jobs the console lists. scp-core cannot depend on packages/importer (it depends on
 * us), so the source is described by shape: the importer's JobsTable satisfies it as it is. The
 * row type is the shared one from workers.
 */
import type { JobRow } from '@storescp/workers';

export interface JobsSource {
  /** Newest first. */
  recent(limit: number): Promise<JobRow[]>;
  queryByStudy(studyInstanceUID: string): Promise<JobRow[]>;
}

export type JobView = ReturnType<typeof jobView>;

/** Only what the page shows: rows also hold the data-access role ARN and bucket URIs, which it has no use for. */
export function jobView(r: JobRow) {
  return {
    jobId: r.jobId,
    jobStatus: r.jobStatus,
    submittedAt: r.submittedAt,
    endedAt: r.endedAt,
    message: r.message,
    batchId: r.batchId,
    studyInstanceUID: r.studyInstanceUID,
    instanceCount: r.instanceCount,
    bytes: r.bytes,
    scanned: r.numberOfScannedFiles,
    imported: r.numberOfImportedFiles,
    customerErrors: r.numberOfFilesWithCustomerError,
    serverErrors: r.numberOfFilesWithServerError,
    failedFiles: (r.failedFiles ?? []).map((f) => ({ inputFile: f.inputFile, exceptionType: f.exceptionType, message: f.message })),
    failedFilesTruncated: r.failedFilesTruncated ?? false,
  };
}

export interface BatchView {
  batchId: string;
  submittedAt: string;
  jobs: JobView[];
}

/** Groups newest-first jobs by the batch (association) that produced them, newest batch first. */
export function batchesOf(rows: JobRow[]): BatchView[] {
  const batches = new Map<string, BatchView>();
  for (const row of rows) {
    const batch = batches.get(row.batchId) ?? { batchId: row.batchId, submittedAt: row.submittedAt, jobs: [] };
    batch.jobs.push(jobView(row));
    batches.set(row.batchId, batch);
  }
  return [...batches.values()];
}
