/**
 * One customer-managed key for everything the stack stores (buckets, table, logs, queues, topic,
 * state machine logs): SSE-KMS is what the HIPAA Security pack asks for, and one key gives one
 * place to audit and revoke. AWS services that write with it on their own behalf are named here;
 * IAM principals get it through `grant*`.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

export function createDataKey(scope: Construct): kms.Key {
  const stack = Stack.of(scope);
  const key = new kms.Key(scope, 'DataKey', {
    description: `StoreSCP data key (${stack.stackName})`,
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  // CloudWatch Logs encrypts the log groups; it must be allowed to use the key, scoped to this account's groups.
  key.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*` } },
  }));
  // CloudWatch alarms publish to the encrypted SNS topic.
  key.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
    conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
  }));
  return key;
}
