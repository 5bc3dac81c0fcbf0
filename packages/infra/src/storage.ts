/**
 * Where data lives: the DICOM bucket (what the SCP writes and HealthImaging imports from), the
 * results bucket (HealthImaging's job output manifests), the bucket receiving S3 and NLB access
 * logs, and the jobs table with its backup plan.
 */
import { Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from './nag.ts';
import type { Parameters } from './parameters.ts';

/** The SCP writes at the DICOM bucket's root (STORAGE_URL s3://bucket/); layout keys are relative to it. */
export const DICOM_PREFIX = '';
/** Prefix of the NLB's access logs in the access-log bucket. */
export const NLB_ACCESS_LOG_PREFIX = 'nlb';
/** Global secondary index answering "what happened to study X". */
export const STUDY_INDEX = 'studyInstanceUID-index';

export interface StorageProps {
  readonly parameters: Parameters;
  readonly key: kms.IKey;
}

export class Storage extends Construct {
  readonly dicomBucket: s3.Bucket;
  readonly resultsBucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  readonly jobsTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const { params } = props.parameters;
    const stack = Stack.of(this);

    // S3 server access logging and NLB access logs can only be delivered to SSE-S3 buckets.
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      ...SECURE_BUCKET,
      encryption: s3.BucketEncryption.S3_MANAGED,
    });
    expireAfter(this.accessLogsBucket, params.ResultsRetentionDays.valueAsNumber);
    acknowledge(this.accessLogsBucket, 'S3 server access logs and NLB access logs can only be delivered to a bucket encrypted with '
      + 'SSE-S3; the logs hold request metadata, not images.', 'HIPAA.Security-S3DefaultEncryptionKMS');

    const encrypted = {
      ...SECURE_BUCKET,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true, // one KMS request per object burst instead of per PUT: a CT is thousands of PUTs
      serverAccessLogsBucket: this.accessLogsBucket,
    };
    this.dicomBucket = new s3.Bucket(this, 'DicomBucket', { ...encrypted, serverAccessLogsPrefix: 'dicom/' });
    expireAfter(this.dicomBucket, params.DICOMRetentionDays.valueAsNumber);
    this.resultsBucket = new s3.Bucket(this, 'ResultsBucket', { ...encrypted, serverAccessLogsPrefix: 'results/' });
    expireAfter(this.resultsBucket, params.ResultsRetentionDays.valueAsNumber);
    for (const bucket of [this.accessLogsBucket, this.dicomBucket, this.resultsBucket]) {
      acknowledge(bucket, 'Cross-region replication is optional in the product (seeds): the DICOM bucket is a staging area whose '
        + 'durable copy is HealthImaging, and the buckets are versioned. Add a replication rule where policy requires a second region.',
      'HIPAA.Security-S3BucketReplicationEnabled');
    }

    // NLB access logs are written by the log delivery service, scoped to this account.
    const fromThisAccount = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:*` },
    };
    const logDelivery = new iam.ServicePrincipal('delivery.logs.amazonaws.com');
    this.accessLogsBucket.addToResourcePolicy(new iam.PolicyStatement({
      principals: [logDelivery],
      actions: ['s3:PutObject'],
      resources: [this.accessLogsBucket.arnForObjects(`${NLB_ACCESS_LOG_PREFIX}/AWSLogs/${stack.account}/*`)],
      conditions: fromThisAccount,
    }));
    this.accessLogsBucket.addToResourcePolicy(new iam.PolicyStatement({
      principals: [logDelivery],
      actions: ['s3:GetBucketAcl'],
      resources: [this.accessLogsBucket.bucketArn],
      conditions: fromThisAccount,
    }));

    this.jobsTable = new dynamodb.Table(this, 'DicomImportJobTable', {
      tableName: Fn.join('-', [stack.stackName, 'DicomImportJobTable']),
      partitionKey: { name: 'jobId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.jobsTable.addGlobalSecondaryIndex({
      indexName: STUDY_INDEX,
      partitionKey: { name: 'studyInstanceUID', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'submittedAt', type: dynamodb.AttributeType.STRING },
    });

    // PITR covers mistakes within 35 days; the backup plan keeps daily copies independent of the table.
    const vault = new backup.BackupVault(this, 'BackupVault', { encryptionKey: props.key, removalPolicy: RemovalPolicy.RETAIN });
    const plan = new backup.BackupPlan(this, 'BackupPlan', {
      backupVault: vault,
      backupPlanRules: [new backup.BackupPlanRule({
        ruleName: 'Daily',
        scheduleExpression: events.Schedule.cron({ hour: '3', minute: '0' }),
        deleteAfter: Duration.days(35),
      })],
    });
    const selection = plan.addSelection('JobsTable', { resources: [backup.BackupResource.fromDynamoDbTable(this.jobsTable)] });
    acknowledge(selection, 'AWS Backup\'s service-role policy is the documented permission set for backup jobs and is maintained by AWS '
      + 'as the service changes.', 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]');
  }
}

const SECURE_BUCKET: s3.BucketProps = {
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  versioned: true,
  removalPolicy: RemovalPolicy.RETAIN,
};

/**
 * Lifecycle from a retention parameter. The L2 lifecycle rules take a Duration, which cannot hold
 * a parameter's value, so the rule is written on the L1 bucket.
 */
function expireAfter(bucket: s3.Bucket, days: number): void {
  (bucket.node.defaultChild as s3.CfnBucket).lifecycleConfiguration = {
    rules: [{
      id: 'Retention',
      status: 'Enabled',
      expirationInDays: days,
      noncurrentVersionExpiration: { noncurrentDays: days },
      // The SCP uploads large objects in parts; a task killed mid-upload leaves parts that cost money.
      abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
    }],
  };
}
