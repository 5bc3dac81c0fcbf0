/** Request validation with the constraints of the HealthImaging API reference (lengths and patterns). */
import { ServiceError } from './errors.ts';

export const DATASTORE_ID = /^[0-9a-z]{32}$/;
export const JOB_ID = /^[0-9a-z]{1,32}$/;
const CLIENT_TOKEN = /^[A-Za-z0-9._-]{1,64}$/;
const ROLE_ARN = /^arn:aws(-[^:]+)?:iam::[0-9]{12}:role\/.+$/;
const S3_URI = /^s3:\/\/[a-z0-9][.\-a-z0-9]{1,61}[a-z0-9](\/.*)?$/;
const JOB_NAME = /^[^\r\n]{1,64}$/;
const ACCOUNT_ID = /^\d{12}$/;
export const JOB_STATUSES = ['SUBMITTED', 'IN_PROGRESS', 'COMPLETED', 'FAILED'] as const;

export interface StartRequest {
  jobName: string | undefined;
  dataAccessRoleArn: string;
  clientToken: string;
  inputS3Uri: string;
  outputS3Uri: string;
  inputOwnerAccountId: string | undefined;
}

function check(ok: boolean, message: string): asserts ok {
  if (!ok) throw new ServiceError('ValidationException', message);
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  check(v === undefined || typeof v === 'string', `${field} must be a string`);
  return v as string | undefined;
}

function requiredString(body: Record<string, unknown>, field: string): string {
  const v = optionalString(body, field);
  check(v !== undefined, `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
  return v;
}

function matches(value: string, pattern: RegExp, field: string, maxLength = 1024) {
  check(
    value.length <= maxLength && pattern.test(value),
    `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern.source}`,
  );
}

export function validateDatastoreId(id: string) {
  matches(id, DATASTORE_ID, 'datastoreId');
}

export function validateJobId(id: string) {
  matches(id, JOB_ID, 'jobId');
}

export function validateStartRequest(body: unknown): StartRequest {
  check(typeof body === 'object' && body !== null && !Array.isArray(body), 'request body must be a JSON object');
  const b = body as Record<string, unknown>;
  const req: StartRequest = {
    jobName: optionalString(b, 'jobName'),
    dataAccessRoleArn: requiredString(b, 'dataAccessRoleArn'),
    clientToken: requiredString(b, 'clientToken'),
    inputS3Uri: requiredString(b, 'inputS3Uri'),
    outputS3Uri: requiredString(b, 'outputS3Uri'),
    inputOwnerAccountId: optionalString(b, 'inputOwnerAccountId'),
  };
  if (req.jobName !== undefined) matches(req.jobName, JOB_NAME, 'jobName', 64);
  check(req.dataAccessRoleArn.length >= 20, `dataAccessRoleArn must be at least 20 characters`);
  matches(req.dataAccessRoleArn, ROLE_ARN, 'dataAccessRoleArn', 2048);
  matches(req.clientToken, CLIENT_TOKEN, 'clientToken', 64);
  matches(req.inputS3Uri, S3_URI, 'inputS3Uri');
  matches(req.outputS3Uri, S3_URI, 'outputS3Uri');
  if (req.inputOwnerAccountId !== undefined) matches(req.inputOwnerAccountId, ACCOUNT_ID, 'inputOwnerAccountId', 12);
  return req;
}

export function validateListQuery(query: URLSearchParams): { jobStatus?: string; maxResults: number; nextToken?: string } {
  const jobStatus = query.get('jobStatus') ?? undefined;
  check(
    jobStatus === undefined || (JOB_STATUSES as readonly string[]).includes(jobStatus),
    `jobStatus must be one of ${JOB_STATUSES.join(', ')}`,
  );
  const maxRaw = query.get('maxResults');
  const maxResults = maxRaw === null ? 50 : Number(maxRaw);
  check(Number.isInteger(maxResults) && maxResults >= 1 && maxResults <= 50, 'maxResults must be between 1 and 50');
  const nextToken = query.get('nextToken') ?? undefined;
  return { ...(jobStatus ? { jobStatus } : {}), maxResults, ...(nextToken ? { nextToken } : {}) };
}
