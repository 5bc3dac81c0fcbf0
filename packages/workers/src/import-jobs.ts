/**
 * A row of the import jobs table (DESIGN.md "Jobs table"): written by the importer, read by the
 * console and by operators. The one definition both sides use.
 */
export type ImportJobStatus = 'SUBMITTED' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

export interface FailedFile {
  inputFile: string;
  exceptionType: string;
  message: string;
}

/** The seeds' attributes (all String), then DESIGN.md's additions. */
export interface JobRow {
  jobId: string;
  jobStatus: ImportJobStatus;
  submittedAt: string;
  inputS3Uri: string;
  outputS3Uri: string;
  datastoreId: string;
  dataAccessRoleArn: string;
  studyDate: string;
  studyInstanceUID: string;
  seriesInstanceUID?: string;
  sopInstanceUID?: string;
  /** "" until the job ends. */
  endedAt: string;
  message: string;
  batchId: string;
  instanceCount: number;
  bytes: number;
  numberOfScannedFiles?: number;
  numberOfImportedFiles?: number;
  numberOfFilesWithCustomerError?: number;
  numberOfFilesWithServerError?: number;
  /** At most MAX_FAILED_FILES entries; failedFilesTruncated says when more failed. */
  failedFiles?: FailedFile[];
  failedFilesTruncated?: boolean;
}
