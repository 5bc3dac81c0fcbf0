/** The data that flows through the import state machine (its execution input and each Map iteration). */

/** One StartDICOMImportJob: one (batch, study) import prefix. */
export interface ImportJobSpec {
  batchId: string;
  studyInstanceUID: string;
  /** DA (YYYYMMDD) or "" when the study had none. */
  studyDate: string;
  /** s3://bucket/{prefix}{YYYY}/{MM}/{DD}/{Timestamp}/{StudyInstanceUID}/ — always ends in "/". */
  inputS3Uri: string;
  instanceCount: number;
  bytes: number;
  /** Only when the job covers exactly one series / one instance. */
  seriesInstanceUID?: string;
  sopInstanceUID?: string;
}

/** Input of one execution, started by TriggerImport for one closed batch. */
export interface ExecutionInput {
  batchId: string;
  bucket: string;
  manifestKey: string;
  jobs: ImportJobSpec[];
}

/** TriggerImport's in-Map answer: the job, with what the listing of its prefix found. */
export interface PreparedJob extends ImportJobSpec {
  listedFiles: number;
  listedBytes: number;
}

import type { ImportJobStatus } from '@storescp/workers';

export type { ImportJobStatus };

/** StartImportJob's answer, and the state CheckStatus reads and returns on each poll. */
export interface StartedJob extends PreparedJob {
  jobId: string;
  datastoreId: string;
  status: ImportJobStatus;
}
