/**
 * The synthesized stack, with cdk-nag (AwsSolutions + HIPAA Security) and CloudFormation validation
 * on: synth succeeding means no unacknowledged finding. Then one assertion group per component the
 * issue and the seeds name.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { HEALTHCHECK_SCRIPT } from '../src/service.ts';
import { evaluate, withDefaults, type Values } from './cfn-eval.ts';
import { resourcesOfType, synthesized, type CfnTemplate } from './synthesized.ts';

const { template, json } = synthesized();
const only = (type: string) => {
  const found = resourcesOfType(json, type);
  assert.equal(found.length, 1, `one ${type}`);
  return found[0]![1];
};
/** A resource's properties as CloudFormation would create them for these parameter values. */
const deployed = (resource: CfnTemplate['Resources'][string], values: Values) =>
  evaluate(resource.Properties, { values: withDefaults(json, { PeerCIDR1: '203.0.113.0/24', ...values }), conditions: json.Conditions }) as Record<string, unknown>;
const exists = (resource: CfnTemplate['Resources'][string], values: Values) =>
  resource.Condition === undefined
  || Boolean(evaluate({ Condition: resource.Condition }, { values: withDefaults(json, { PeerCIDR1: '203.0.113.0/24', ...values }), conditions: json.Conditions }));

describe('parameters', () => {
  it('use the seeds\' names and defaults', () => {
    const expected: Record<string, [string, unknown]> = {
      VpcID: ['String', ''], PublicSubnetIDs: ['CommaDelimitedList', ''], PrivateSubnetIDs: ['CommaDelimitedList', ''],
      SecurityGroupID: ['String', ''], VpcCIDR: ['String', '10.0.0.0/16'], SCPAETitle: ['String', 'STORESCP'], SCPPort: ['Number', 11112],
      PeerCIDR1: ['String', undefined], PeerCIDR2: ['String', ''], PeerCIDR3: ['String', ''], DIMSETimeout: ['Number', 60],
      MaximumAssociations: ['Number', 300], TaskCPU: ['Number', 1024], TaskMemoryLimit: ['Number', 2048], TaskDesiredCount: ['Number', 1],
      AutoscaleMaxCapacity: ['Number', 3], TLSCertificateARN: ['String', ''],
    };
    for (const [name, [type, def]] of Object.entries(expected)) {
      assert.equal(json.Parameters[name]?.['Type'], type, name);
      assert.equal(json.Parameters[name]?.['Default'], def, name);
    }
  });
});

describe('network', () => {
  it('creates a two-AZ VPC with the seeds\' subnets and one NAT gateway only when VpcID is empty', () => {
    const vpcTypes = ['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::NatGateway', 'AWS::EC2::InternetGateway', 'AWS::EC2::Route', 'AWS::EC2::VPCEndpoint', 'AWS::EC2::RouteTable'];
    for (const type of vpcTypes) {
      for (const [id, r] of resourcesOfType(json, type)) assert.equal(r.Condition, 'CreateVpc', `${id} (${type})`);
    }
    assert.equal(resourcesOfType(json, 'AWS::EC2::NatGateway').length, 1);
    assert.deepEqual(deployed(only('AWS::EC2::VPC'), {})['CidrBlock'], '10.0.0.0/16');
    const subnetSlots = resourcesOfType(json, 'AWS::EC2::Subnet').map(([, s]) => (s.Properties!['CidrBlock'] as { 'Fn::Select': [number] })['Fn::Select'][0]);
    assert.deepEqual(subnetSlots.sort((a, b) => a - b), [1, 2, 11, 12]);
    assert.ok(!exists(only('AWS::EC2::VPC'), { VpcID: 'vpc-0123456789abcdef0' }));
  });

  it('puts everything else on the chosen VPC: the new one, or VpcID and its subnets', () => {
    const existing = { VpcID: 'vpc-0123456789abcdef0', PublicSubnetIDs: 'subnet-pub1,subnet-pub2', PrivateSubnetIDs: 'subnet-priv1,subnet-priv2' };
    const nlb = only('AWS::ElasticLoadBalancingV2::LoadBalancer');
    assert.deepEqual(deployed(nlb, existing)['Subnets'], ['subnet-pub1', 'subnet-pub2']);
    assert.deepEqual(deployed(nlb, {})['Subnets'], ['<NetworkVpcPublicSubnet1Subnet36933139>', '<NetworkVpcPublicSubnet2SubnetC427CCE0>']);
    const service = only('AWS::ECS::Service');
    const awsvpc = (v: Values) => (deployed(service, v)['NetworkConfiguration'] as { AwsvpcConfiguration: Record<string, unknown> }).AwsvpcConfiguration;
    assert.deepEqual(awsvpc(existing)['Subnets'], ['subnet-priv1', 'subnet-priv2']);
    assert.equal(awsvpc({})['AssignPublicIp'], 'DISABLED');
    assert.equal((awsvpc({})['SecurityGroups'] as unknown[]).length, 1);
    assert.deepEqual((awsvpc({ ...existing, SecurityGroupID: 'sg-0123456789abcdef0' })['SecurityGroups'] as unknown[])[1], 'sg-0123456789abcdef0');
    assert.equal(deployed(only('AWS::ElasticLoadBalancingV2::TargetGroup'), existing)['VpcId'], existing.VpcID);
    assert.equal(deployed(only('AWS::EC2::FlowLog'), existing)['ResourceId'], existing.VpcID);
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', ResourceType: 'VPC' });
  });

  it('has gateway endpoints for S3 and DynamoDB and the interface endpoints the tasks need', () => {
    const services = resourcesOfType(json, 'AWS::EC2::VPCEndpoint').map(([, e]) => flattenJoin(e.Properties!['ServiceName']));
    for (const s of ['.s3', '.dynamodb', '.ecr.api', '.ecr.dkr', '.logs']) assert.ok(services.some((n) => n.endsWith(s)), s);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway', ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.s3'])]) }) });
  });

  it('runs an internet-facing NLB across zones that preserves client IPs and drains for 120 s', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'network', Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'load_balancing.cross_zone.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
      ]),
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Protocol: 'TCP', Port: { Ref: 'SCPPort' }, TargetType: 'ip', HealthCheckProtocol: 'TCP',
      TargetGroupAttributes: Match.arrayWith([
        { Key: 'deregistration_delay.timeout_seconds', Value: '120' },
        { Key: 'preserve_client_ip.enabled', Value: 'true' },
      ]),
    });
  });

  it('listens with TCP on SCPPort, and with TLS and the certificate only when TLSCertificateARN is set', () => {
    const listener = only('AWS::ElasticLoadBalancingV2::Listener');
    assert.deepEqual(json.Conditions['HasTlsCertificate'], { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'TLSCertificateARN' }, ''] }] });
    const plain = deployed(listener, {});
    assert.equal(plain['Protocol'], 'TCP');
    assert.equal(plain['Port'], '11112');
    assert.equal(plain['Certificates'], undefined);
    assert.equal(plain['SslPolicy'], undefined);
    const arn = 'arn:aws:acm:us-east-1:123456789012:certificate/0f3e1c7a-1111-2222-3333-444455556666';
    const tls = deployed(listener, { TLSCertificateARN: arn, SCPPort: '2762' });
    assert.equal(tls['Protocol'], 'TLS');
    assert.equal(tls['Port'], '2762');
    assert.deepEqual(tls['Certificates'], [{ CertificateArn: arn }]);
    assert.match(String(tls['SslPolicy']), /TLS13/);
  });

  it('admits clients only from the PeerCIDRs that are set, on SCPPort, and the tasks only from the NLB', () => {
    const withCidr = resourcesOfType(json, 'AWS::EC2::SecurityGroupIngress').filter(([, r]) => r.Properties!['CidrIp'] !== undefined);
    assert.deepEqual(withCidr.map(([, r]) => r.Properties!['CidrIp']), [{ Ref: 'PeerCIDR1' }, { Ref: 'PeerCIDR2' }, { Ref: 'PeerCIDR3' }]);
    const present = (v: Values) => withCidr.filter(([, r]) => exists(r, v)).map(([, r]) => deployed(r, v)['CidrIp']);
    assert.deepEqual(present({}), ['203.0.113.0/24']);
    assert.deepEqual(present({ PeerCIDR3: '192.0.2.0/24' }), ['203.0.113.0/24', '192.0.2.0/24']);
    for (const [, r] of withCidr) assert.deepEqual([r.Properties!['FromPort'], r.Properties!['ToPort']], [{ Ref: 'SCPPort' }, { Ref: 'SCPPort' }]);
    // Inline rules: only the new VPC's interface endpoints, HTTPS from the VPC itself.
    for (const [id, sg] of resourcesOfType(json, 'AWS::EC2::SecurityGroup')) {
      for (const rule of (sg.Properties!['SecurityGroupIngress'] ?? []) as Record<string, unknown>[]) {
        assert.equal(rule['FromPort'], 443, id);
        assert.deepEqual(rule['CidrIp'], { 'Fn::GetAtt': ['NetworkVpc7FB7348F', 'CidrBlock'] }, id);
      }
    }
    const fromGroups = resourcesOfType(json, 'AWS::EC2::SecurityGroupIngress').filter(([, r]) => r.Properties!['SourceSecurityGroupId'] !== undefined);
    assert.equal(fromGroups.length, 1);
    assert.match(JSON.stringify(fromGroups[0]![1].Properties!['SourceSecurityGroupId']), /LoadBalancerSecurityGroup/);
  });
});

describe('service', () => {
  it('runs the Dockerfile image on Fargate sized and configured by the parameters', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: { Ref: 'TaskCPU' }, Memory: { Ref: 'TaskMemoryLimit' }, NetworkMode: 'awsvpc', RequiresCompatibilities: ['FARGATE'],
    });
    const container = (only('AWS::ECS::TaskDefinition').Properties!['ContainerDefinitions'] as Record<string, unknown>[])[0]!;
    const env = Object.fromEntries((container['Environment'] as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]));
    assert.deepEqual(Object.keys(env).sort(), ['AWS_REGION', 'DIMSE_TIMEOUT', 'DRAIN_TIMEOUT', 'HTTP_PORT', 'LOG_LEVEL', 'MAXIMUM_ASSOCIATIONS',
      'METRICS_EMF', 'NETWORK_TIMEOUT', 'PEER_CIDRS', 'SCP_AE_TITLE', 'SCP_HOST', 'SCP_PORT', 'STORAGE_URL'].sort());
    assert.deepEqual(env['SCP_AE_TITLE'], { Ref: 'SCPAETitle' });
    assert.deepEqual(env['DIMSE_TIMEOUT'], { Ref: 'DIMSETimeout' });
    assert.deepEqual(env['MAXIMUM_ASSOCIATIONS'], { Ref: 'MaximumAssociations' });
    assert.equal(env['METRICS_EMF'], '1');
    const scope = (v: Values) => ({ values: withDefaults(json, { PeerCIDR1: '203.0.113.0/24', ...v }), conditions: json.Conditions });
    assert.equal(evaluate(env['PEER_CIDRS'], scope({})), '203.0.113.0/24,10.0.0.0/16');
    assert.equal(evaluate(env['PEER_CIDRS'], scope({ PeerCIDR2: '198.51.100.0/24', PeerCIDR3: '192.0.2.0/24' })), '203.0.113.0/24,198.51.100.0/24,192.0.2.0/24,10.0.0.0/16');
    assert.ok(Number(env['DRAIN_TIMEOUT']) < Number(container['StopTimeout']), 'the drain ends before the stop timeout');
    assert.equal(container['StopTimeout'], 120);
    assert.equal(container['ReadonlyRootFilesystem'], true);
    assert.deepEqual((container['HealthCheck'] as { Command: string[] }).Command, ['CMD', 'node', '-e', HEALTHCHECK_SCRIPT]);
    assert.match(JSON.stringify(container['Image']), /container-assets/);
  });

  it('starts TaskDesiredCount tasks and tracks 50 % CPU up to AutoscaleMaxCapacity with 60 s cooldowns', () => {
    template.hasResourceProperties('AWS::ECS::Service', { DesiredCount: { Ref: 'TaskDesiredCount' }, LaunchType: 'FARGATE' });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: { Ref: 'TaskDesiredCount' }, MaxCapacity: { Ref: 'AutoscaleMaxCapacity' }, ScalableDimension: 'ecs:service:DesiredCount',
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        TargetValue: 50, ScaleInCooldown: 60, ScaleOutCooldown: 60,
      },
    });
  });

  it('lets the task role only write objects and remove open-batch markers in the DICOM bucket', () => {
    const taskRolePolicy = resourcesOfType(json, 'AWS::IAM::Policy').find(([id]) => id.startsWith('PacsServerTaskDefTaskRole'))![1];
    const statements = (taskRolePolicy.Properties!['PolicyDocument'] as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement;
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    assert.deepEqual(actions, ['kms:Decrypt', 'kms:GenerateDataKey', 's3:AbortMultipartUpload', 's3:DeleteObject', 's3:ListMultipartUploadParts', 's3:PutObject']);
    const deleteStatement = statements.find((s) => s.Action === 's3:DeleteObject')!;
    assert.match(JSON.stringify(deleteStatement.Resource), /_batches\/open\/\*/);
    assert.doesNotMatch(JSON.stringify(statements), /ResultsBucket|Table/);
  });

  it('outputs what a modality needs (seeds: NetworkLoadBalancerDNS, DICOMPort, DICOMAETitle)', () => {
    for (const name of ['NetworkLoadBalancerDNS', 'DICOMPort', 'DICOMAETitle', 'JobsTableName']) template.hasOutput(name, {});
  });
});

describe('storage', () => {
  const buckets = (logical: string) => resourcesOfType(json, 'AWS::S3::Bucket').find(([id]) => id.startsWith(logical))!;

  it('encrypts the DICOM and results buckets with the stack key, blocks public access, logs access, expires per parameter', () => {
    for (const [name, retention] of [['StorageDicomBucket', 'DICOMRetentionDays'], ['StorageResultsBucket', 'ResultsRetentionDays']] as const) {
      const [, bucket] = buckets(name);
      assert.match(JSON.stringify(bucket.Properties!['BucketEncryption']), /"SSEAlgorithm":"aws:kms"/);
      assert.match(JSON.stringify(bucket.Properties!['BucketEncryption']), /"KMSMasterKeyID":\{"Fn::GetAtt":\["DataKey/);
      assert.deepEqual(bucket.Properties!['PublicAccessBlockConfiguration'],
        { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
      assert.match(JSON.stringify(bucket.Properties!['LoggingConfiguration']), /StorageAccessLogs/);
      assert.deepEqual((bucket.Properties!['VersioningConfiguration'] as { Status: string }).Status, 'Enabled');
      const rule = (bucket.Properties!['LifecycleConfiguration'] as { Rules: Record<string, unknown>[] }).Rules[0]!;
      assert.deepEqual(rule['ExpirationInDays'], { Ref: retention });
      assert.deepEqual(rule['AbortIncompleteMultipartUpload'], { DaysAfterInitiation: 1 });
    }
  });

  it('refuses non-TLS requests to every bucket', () => {
    const policies = resourcesOfType(json, 'AWS::S3::BucketPolicy');
    for (const name of ['StorageDicomBucket', 'StorageResultsBucket', 'StorageAccessLogs']) {
      const [logicalId] = buckets(name);
      const policy = policies.find(([, p]) => JSON.stringify(p.Properties!['Bucket']) === JSON.stringify({ Ref: logicalId }));
      assert.ok(policy, `${name} has a bucket policy`);
      const statements = (policy[1].Properties!['PolicyDocument'] as { Statement: Record<string, unknown>[] }).Statement;
      assert.ok(statements.some((s) => s['Effect'] === 'Deny' && JSON.stringify(s['Condition']) === '{"Bool":{"aws:SecureTransport":"false"}}'), name);
    }
  });

  it('keeps jobs in DicomImportJobTable: jobId key, on demand, PITR, KMS, GSI on studyInstanceUID, daily backups', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'StoreScp-DicomImportJobTable',
      KeySchema: [{ AttributeName: 'jobId', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }),
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'studyInstanceUID-index', KeySchema: Match.arrayWith([{ AttributeName: 'studyInstanceUID', KeyType: 'HASH' }]) })],
    });
    template.resourceCountIs('AWS::Backup::BackupSelection', 1);
  });

  it('creates the HealthImaging data store and a role only HealthImaging can assume', () => {
    template.resourceCountIs('AWS::HealthImaging::Datastore', 1);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'medical-imaging.amazonaws.com' } })] },
    });
  });
});

describe('import pipeline', () => {
  const functions = resourcesOfType(json, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('ImportPipelineFunctions'));

  it('bundles the four importer Lambdas on Node.js 22 with tracing, encrypted logs and their environment', () => {
    assert.equal(functions.length, 4);
    for (const [id, fn] of functions) {
      const p = fn.Properties!;
      assert.equal(p['Runtime'], 'nodejs22.x', id);
      assert.deepEqual(p['TracingConfig'], { Mode: 'Active' }, id);
      assert.ok(p['LoggingConfig'], id);
      const env = Object.keys((p['Environment'] as { Variables: object }).Variables);
      for (const name of ['JOBS_TABLE', 'DATASTORE_ID', 'DATA_ACCESS_ROLE_ARN', 'OUTPUT_S3_URI', 'STATE_MACHINE_ARN', 'DICOM_BUCKET', 'DICOM_PREFIX', 'SWEEP_AGE_SECONDS']) {
        assert.ok(env.includes(name), `${id} ${name}`);
      }
    }
    const withDlq = functions.filter(([, fn]) => fn.Properties!['DeadLetterConfig']).map(([id]) => id);
    assert.deepEqual(withDlq.map((id) => id.replace(/^ImportPipelineFunctions|[0-9A-F]{8}$/g, '')).sort(), ['sweeper', 'triggerImport']);
    for (const [, group] of resourcesOfType(json, 'AWS::Logs::LogGroup')) {
      assert.ok(group.Properties!['KmsKeyId'] && group.Properties!['RetentionInDays'], 'log groups are encrypted and expire');
    }
  });

  it('starts TriggerImport when a batch manifest is closed (_batches/closed/*.json)', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: { LambdaFunctionConfigurations: [Match.objectLike({
        Events: ['s3:ObjectCreated:*'],
        Filter: { Key: { FilterRules: Match.arrayWith([{ Name: 'suffix', Value: '.json' }, { Name: 'prefix', Value: '_batches/closed/' }]) } },
      })] },
    });
  });

  it('runs a logged, traced Standard state machine with the seeds\' state names', () => {
    const machine = only('AWS::StepFunctions::StateMachine');
    assert.equal(machine.Properties!['StateMachineType'], 'STANDARD');
    assert.deepEqual(machine.Properties!['TracingConfiguration'], { Enabled: true });
    assert.equal((machine.Properties!['LoggingConfiguration'] as { Level: string }).Level, 'ALL');
    const asl = flattenJoin(machine.Properties!['DefinitionString']);
    for (const state of ['ImportJobs', 'TriggerImport', 'StartImportJob', 'WaitForCompletion', 'CheckStatus', 'IsComplete', 'Success', 'Failure', 'AnyFailed', 'ImportFailed', 'Done']) {
      assert.ok(asl.includes(`"${state}":{`), state);
    }
  });

  it('sends failed executions to a dead-letter queue and sweeps every 5 minutes', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ source: ['aws.states'], detail: Match.objectLike({ status: ['FAILED', 'TIMED_OUT', 'ABORTED'] }) }),
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('FailedExecutions'), 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('sweeper'), 'Arn'] } })],
    });
    for (const [, q] of resourcesOfType(json, 'AWS::SQS::Queue')) assert.ok(q.Properties!['KmsMasterKeyId']);
  });
});

describe('monitoring', () => {
  it('alarms to the SNS topic on failed imports, dead letters, 0xA700, rejected associations and no healthy task', () => {
    const alarms = resourcesOfType(json, 'AWS::CloudWatch::Alarm').map(([id]) => id);
    for (const name of ['FailedImportJobs', 'FailedImportFiles', 'FunctionDeadLettersDepth', 'FailedExecutionsDepth', 'OutOfResources', 'RejectedAssociations', 'NoHealthyTask']) {
      assert.ok(alarms.some((id) => id.startsWith(`Monitoring${name}`)), name);
    }
    for (const [id, alarm] of resourcesOfType(json, 'AWS::CloudWatch::Alarm')) {
      assert.match(JSON.stringify(alarm.Properties!['AlarmActions']), /MonitoringAlarmTopic/, id);
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'HealthyHostCount', Namespace: 'AWS/NetworkELB', ComparisonOperator: 'LessThanThreshold', Threshold: 1, TreatMissingData: 'breaching',
    });
    assert.ok(only('AWS::SNS::Topic').Properties!['KmsMasterKeyId']);
  });
});

/** A string built with Fn::Join, references replaced by a placeholder. */
function flattenJoin(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  return join ? join[1].map(flattenJoin).join(join[0]) : 'REF';
}
