/**
 * The Store SCP on ECS Fargate: the repository's Dockerfile as an image asset, configured from the
 * parameters through the environment the service reads, in the private subnets behind the NLB,
 * scaling on CPU between TaskDesiredCount and AutoscaleMaxCapacity.
 */
import { Aws, Duration, Fn, RemovalPolicy, Size } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type IDependable } from 'constructs';
import { OPEN_MARKER_DIR } from '../../workers/src/batch/layout.ts';
import type { FrontDoor } from './network.ts';
import { acknowledge, wildcardOn } from './nag.ts';
import { HTTP_PORT, type Parameters } from './parameters.ts';
import { REPO_ROOT } from './paths.ts';
import { DICOM_PREFIX } from './storage.ts';

/** Fargate's ceiling for the stop timeout: SIGTERM to SIGKILL. */
export const STOP_TIMEOUT = Duration.seconds(120);
/** The application's drain budget after SIGTERM; the rest of STOP_TIMEOUT closes batches and flushes logs. */
export const DRAIN_TIMEOUT = Duration.seconds(100);
/**
 * Health probe shared by the task definition and the Dockerfile's HEALTHCHECK (a test keeps them
 * equal). The slim image has no curl; Node's fetch does the request.
 */
export const HEALTHCHECK_SCRIPT =
  "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))";

export interface ScpServiceProps {
  readonly parameters: Parameters;
  readonly vpc: ec2.IVpc;
  readonly frontDoor: FrontDoor;
  readonly dicomBucket: s3.IBucket;
  readonly key: kms.IKey;
  /** Resources that must exist before tasks start (the new VPC's routes and endpoints). */
  readonly after: IDependable;
}

export class ScpService extends Construct {
  readonly cluster: ecs.Cluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly service: ecs.FargateService;

  constructor(scope: Construct, id: string, props: ScpServiceProps) {
    super(scope, id);
    const { params, hasSecurityGroup } = props.parameters;

    this.cluster = new ecs.Cluster(this, 'Cluster', { vpc: props.vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDef', {
      cpu: params.TaskCPU.valueAsNumber,
      memoryLimitMiB: params.TaskMemoryLimit.valueAsNumber,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    this.grantTaskRole(props);
    acknowledge(this.taskDefinition, 'The environment holds configuration only (AE title, port, timeouts, bucket name); the task '
      + 'gets AWS credentials from its role and has no secrets.', 'AwsSolutions-ECS2');

    // Named so the log group reads "<stack>-PacsServerTaskDefPacsContainerLogGroup…", as in the seeds.
    const logGroup = new logs.LogGroup(this.taskDefinition, 'PacsContainerLogGroup', {
      encryptionKey: props.key,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const container = this.taskDefinition.addContainer('PacsContainer', {
      image: ecs.ContainerImage.fromAsset(REPO_ROOT, { file: 'Dockerfile', platform: Platform.LINUX_AMD64 }),
      environment: this.environment(props),
      portMappings: [{ containerPort: params.SCPPort.valueAsNumber, protocol: ecs.Protocol.TCP }],
      // Non-blocking: stdout writes to a pipe are synchronous in Node, and a slow log stream must not
      // stall the event loop that serves every association. The buffer absorbs bursts.
      logging: ecs.LogDrivers.awsLogs({
        logGroup,
        streamPrefix: 'scp',
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
      healthCheck: {
        command: ['CMD', 'node', '-e', HEALTHCHECK_SCRIPT],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(30),
      },
      stopTimeout: STOP_TIMEOUT,
      // An init process forwards SIGTERM to node and reaps children.
      linuxParameters: new ecs.LinuxParameters(this, 'Linux', { initProcessEnabled: true }),
      readonlyRootFilesystem: true,
    });
    // The one writable path: large objects spill here, and tsx keeps its compile cache here.
    this.taskDefinition.addVolume({ name: 'tmp' });
    container.addMountPoints({ sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false });

    acknowledge(this.taskDefinition.obtainExecutionRole(), 'ecr:GetAuthorizationToken has no resource-level permissions.',
      'AwsSolutions-IAM5[Resource::*]');

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: params.TaskDesiredCount.valueAsNumber,
      vpcSubnets: { subnets: props.vpc.privateSubnets },
      securityGroups: [props.frontDoor.serviceSecurityGroup],
      assignPublicIp: false,
      circuitBreaker: { rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      healthCheckGracePeriod: Duration.seconds(60),
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
    (this.service.node.defaultChild as ecs.CfnService).addPropertyOverride(
      'NetworkConfiguration.AwsvpcConfiguration.SecurityGroups',
      Fn.conditionIf(hasSecurityGroup.logicalId,
        [props.frontDoor.serviceSecurityGroup.securityGroupId, params.SecurityGroupID.valueAsString],
        [props.frontDoor.serviceSecurityGroup.securityGroupId]),
    );
    this.service.attachToNetworkTargetGroup(props.frontDoor.targetGroup);
    // ECS refuses a target group that is not yet behind a listener.
    this.service.node.addDependency(props.frontDoor.listener, props.after);

    this.service.autoScaleTaskCount({
      minCapacity: params.TaskDesiredCount.valueAsNumber,
      maxCapacity: params.AutoscaleMaxCapacity.valueAsNumber,
    }).scaleOnCpuUtilization('CpuTarget', {
      targetUtilizationPercent: 50,
      scaleInCooldown: Duration.seconds(60),
      scaleOutCooldown: Duration.seconds(60),
    });
  }

  /** The variables packages/scp-core reads (DESIGN.md "Configuration"). */
  private environment(props: ScpServiceProps): Record<string, string> {
    const { params } = props.parameters;
    return {
      SCP_AE_TITLE: params.SCPAETitle.valueAsString,
      SCP_PORT: params.SCPPort.valueAsString,
      SCP_HOST: '0.0.0.0',
      PEER_CIDRS: peerCidrList(props.parameters),
      DIMSE_TIMEOUT: params.DIMSETimeout.valueAsString,
      NETWORK_TIMEOUT: params.NetworkTimeout.valueAsString,
      MAXIMUM_ASSOCIATIONS: params.MaximumAssociations.valueAsString,
      STORAGE_URL: `s3://${props.dicomBucket.bucketName}/${DICOM_PREFIX}`,
      AWS_REGION: Aws.REGION,
      HTTP_PORT: String(HTTP_PORT),
      DRAIN_TIMEOUT: String(DRAIN_TIMEOUT.toSeconds()),
      METRICS_EMF: '1',
      LOG_LEVEL: 'info',
    };
  }

  /** Least privilege on the DICOM bucket: write objects (single or multipart), remove open-batch markers. */
  private grantTaskRole(props: ScpServiceProps): void {
    const role = this.taskDefinition.taskRole;
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      resources: [props.dicomBucket.arnForObjects('*')],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:DeleteObject'],
      resources: [props.dicomBucket.arnForObjects(`${OPEN_MARKER_DIR(DICOM_PREFIX)}*`)],
    }));
    // Multipart uploads to an SSE-KMS bucket need Decrypt as well as GenerateDataKey.
    props.key.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
    acknowledge(role, 'Each instance is written under its own key (date, batch, study, series, SOP instance) and each batch has '
      + 'its own marker: only the bucket and the reserved prefix are known in advance.',
    wildcardOn(props.dicomBucket, '/*'), wildcardOn(props.dicomBucket, `/${OPEN_MARKER_DIR(DICOM_PREFIX)}*`));
  }
}

/**
 * PeerCIDR1, then PeerCIDR2/3 when set, then VpcCIDR: the NLB's health checks come from its own
 * addresses in the VPC, and must not count as rejected peers. CloudFormation cannot drop empty
 * list items, so each combination of the optional peers is spelled out with Fn::If.
 */
function peerCidrList(p: Parameters): string {
  const build = (i: number, chosen: string[]): string => {
    if (i === p.peerCidrs.length) return Fn.join(',', [...chosen, p.params.VpcCIDR.valueAsString]);
    const cidr = p.peerCidrs[i]!.valueAsString;
    const condition = p.peerConditions[i];
    if (!condition) return build(i + 1, [...chosen, cidr]);
    return Fn.conditionIf(condition.logicalId, build(i + 1, [...chosen, cidr]), build(i + 1, chosen)).toString();
  };
  return build(0, []);
}
