/**
 * The HealthImaging data store and the role HealthImaging assumes to run import jobs: read the
 * DICOM bucket, write the results bucket, nothing else.
 */
import { Fn, Stack } from 'aws-cdk-lib';
import * as healthimaging from 'aws-cdk-lib/aws-healthimaging';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge, wildcardOn } from './nag.ts';

export interface HealthImagingProps {
  readonly dicomBucket: s3.IBucket;
  readonly resultsBucket: s3.IBucket;
  readonly key: kms.IKey;
}

export class HealthImaging extends Construct {
  readonly datastore: healthimaging.CfnDatastore;
  readonly dataAccessRole: iam.Role;

  constructor(scope: Construct, id: string, props: HealthImagingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // Encrypted with an AWS-owned key, as in the seeds: a customer key cannot be changed after creation.
    this.datastore = new healthimaging.CfnDatastore(this, 'Datastore', {
      datastoreName: Fn.join('-', [stack.stackName, 'datastore']),
    });

    this.dataAccessRole = new iam.Role(this, 'DataAccessRole', {
      description: 'Assumed by AWS HealthImaging to read DICOM files and write import results',
      assumedBy: new iam.ServicePrincipal('medical-imaging.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnEquals: { 'aws:SourceArn': this.datastore.attrDatastoreArn },
        },
      }),
    });
    this.dataAccessRole.addToPolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [props.dicomBucket.bucketArn, props.resultsBucket.bucketArn],
    }));
    this.dataAccessRole.addToPolicy(new iam.PolicyStatement({
      actions: ['s3:GetObject'],
      resources: [props.dicomBucket.arnForObjects('*')],
    }));
    this.dataAccessRole.addToPolicy(new iam.PolicyStatement({
      actions: ['s3:PutObject'],
      resources: [props.resultsBucket.arnForObjects('*')],
    }));
    props.key.grant(this.dataAccessRole, 'kms:Decrypt', 'kms:GenerateDataKey');
    acknowledge(this.dataAccessRole, 'HealthImaging reads whichever study prefix a job names and writes its output under a '
      + 'job-specific folder of the results bucket: object keys are not known in advance, the buckets are.',
    wildcardOn(props.dicomBucket, '/*'), wildcardOn(props.resultsBucket, '/*'));
  }
}
