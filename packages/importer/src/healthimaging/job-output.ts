/**
 * What HealthImaging writes for each import job, under `{outputS3Uri}{datastoreId}-DicomImport-{jobId}/`
 * (devguide "Understanding import jobs"): `job-output-manifest.json` with a `jobSummary`,
 * `SUCCESS/success.ndjson` and `FAILURE/failure.ndjson`, one JSON object per file and line.
 * The emulator writes this layout and CheckStatus reads it, so both use these definitions.
 */

export const JOB_OUTPUT_MANIFEST = 'job-output-manifest.json';
export const SUCCESS_NDJSON = 'SUCCESS/success.ndjson';
export const FAILURE_NDJSON = 'FAILURE/failure.ndjson';

/** The job's own output folder; outputS3Uri is the one given to StartDICOMImportJob. */
export const jobOutputFolderUri = (outputS3Uri: string, datastoreId: string, jobId: string) =>
  `${outputS3Uri}${datastoreId}-DicomImport-${jobId}/`;

export interface ImageSetSummary {
  imageSetId: string;
  imageSetVersion: number;
  isPrimary: boolean;
  numberOfMatchedSOPInstances: number;
}

export interface JobSummary {
  jobId: string;
  datastoreId: string;
  inputS3Uri: string;
  /** The job's output folder (with the `{datastoreId}-DicomImport-{jobId}/` suffix). */
  outputS3Uri: string;
  successOutputS3Uri: string;
  failureOutputS3Uri: string;
  numberOfScannedFiles: number;
  numberOfImportedFiles: number;
  numberOfFilesWithCustomerError: number;
  numberOfFilesWithServerError: number;
  numberOfGeneratedImageSets: number;
  imageSetsSummary: ImageSetSummary[];
}

export interface JobOutputManifest {
  jobSummary: JobSummary;
}

export interface SuccessLine {
  inputFile: string;
  importResponse: { imageSetId: string; imageSetVersion: number; isPrimary: boolean };
}

export interface FailureLine {
  inputFile: string;
  exception: { exceptionType: string; message: string };
}

export const toNdjson = (lines: readonly unknown[]) => lines.map((l) => `${JSON.stringify(l)}\n`).join('');

/** Parses NDJSON, skipping blank lines; a malformed line is an error naming its number. */
export function parseNdjson<T>(text: string): T[] {
  return text
    .split('\n')
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line !== '')
    .map(([line, n]) => {
      try {
        return JSON.parse(line) as T;
      } catch {
        throw new Error(`ndjson line ${n} is not JSON: ${line.slice(0, 200)}`);
      }
    });
}
