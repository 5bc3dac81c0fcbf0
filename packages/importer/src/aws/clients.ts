/**
 * One place that builds every AWS SDK client the importer uses, so the Lambdas, the emulator, the
 * local runner and the tests all talk to AWS or to a local stand-in the same way.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { MedicalImagingClient } from '@aws-sdk/client-medical-imaging';
import { SFNClient } from '@aws-sdk/client-sfn';

export interface ClientOptions {
  /** Endpoint of a local stand-in (s3rver, dynalite, the emulator); unset means the real AWS endpoint. */
  endpoint?: string | undefined;
  region?: string | undefined;
  /** SDK attempts per call; 1 leaves retrying to the caller (the state machine's Retry). */
  maxAttempts?: number | undefined;
}

/**
 * s3rver checks signatures against its fixed key pair; dynalite and the emulator accept anything.
 * Fixed keys also stop the SDK from walking the credential chain (and from using real keys) locally.
 */
const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

function baseConfig(o: ClientOptions) {
  return {
    region: o.region ?? process.env['AWS_REGION'] ?? 'us-east-1',
    // No call may hang a Lambda (or the local pipeline) on a stuck connection: the SDK sets no limit.
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
    ...(o.endpoint ? { endpoint: o.endpoint, credentials: LOCAL_CREDENTIALS } : {}),
    ...(o.maxAttempts ? { maxAttempts: o.maxAttempts } : {}),
  };
}

export function makeS3Client(o: ClientOptions = {}): S3Client {
  return new S3Client({
    ...baseConfig(o),
    // s3rver serves path-style URLs only and does not understand the SDK's default flexible checksums.
    ...(o.endpoint
      ? { forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
  });
}

export function makeDynamoClient(o: ClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient(baseConfig(o));
}

export function makeDocumentClient(dynamo: DynamoDBClient): DynamoDBDocumentClient {
  // Optional job attributes are left out rather than stored as NULL.
  return DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
}

export function makeMedicalImagingClient(o: ClientOptions = {}): MedicalImagingClient {
  return new MedicalImagingClient(baseConfig(o));
}

export function makeSfnClient(o: ClientOptions = {}): SFNClient {
  return new SFNClient(baseConfig(o));
}
