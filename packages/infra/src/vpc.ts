/**
 * The VPC the product runs in: the one given by VpcID/subnet parameters, or a new one (two AZs,
 * public and private subnets, one NAT gateway) when VpcID is empty. One template serves both, so:
 *  - every CloudFormation resource of the new VPC carries the CreateVpc condition;
 *  - every consumer is built on `effective`, an imported VPC whose IDs are
 *    `Fn::If(UseExistingVpc, parameter, new resource)`, so nothing references a resource that may
 *    not exist (cfn-validate checks this on every synth);
 *  - `ready` is an unconditional no-op resource that depends on the new VPC's routes and endpoints
 *    only when they exist; the NLB and the service depend on it instead of on the VPC itself.
 */
import { Aspects, type CfnCondition, CfnResource, CfnWaitConditionHandle, Fn, RemovalPolicy, type IAspect } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';
import { acknowledge } from './nag.ts';
import type { Parameters } from './parameters.ts';

/** The seeds' layout inside a /16: public 10.0.1.0/24, 10.0.2.0/24; private 10.0.11.0/24, 10.0.12.0/24. */
const SUBNET_INDEX = { public: [1, 2], private: [11, 12] } as const;
const SUBNET_HOST_BITS = '8';
const SUBNET_SLOTS = 16;

export interface NetworkVpcProps {
  readonly parameters: Parameters;
  readonly key: kms.IKey;
}

export class NetworkVpc extends Construct {
  /** The VPC every consumer uses (existing or new, chosen at deploy time). */
  readonly effective: ec2.IVpc;
  /** Depend on this to wait for the new VPC's routes and endpoints (no-op with an existing VPC). */
  readonly ready: CfnWaitConditionHandle;

  constructor(scope: Construct, id: string, props: NetworkVpcProps) {
    super(scope, id);
    const { params, createVpc, useExistingVpc } = props.parameters;

    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
      ],
      // The restriction is done by a custom-resource Lambda that would run unconditionally against
      // a default security group that only exists with a new VPC; nothing here uses that group.
      restrictDefaultSecurityGroup: false,
    });
    // ec2.Vpc needs a literal CIDR to plan subnets; the real blocks come from the VpcCIDR parameter.
    (vpc.node.defaultChild as ec2.CfnVPC).cidrBlock = params.VpcCIDR.valueAsString;
    const cidrs = Fn.cidr(params.VpcCIDR.valueAsString, SUBNET_SLOTS, SUBNET_HOST_BITS);
    vpc.publicSubnets.forEach((s, i) => ((s.node.defaultChild as ec2.CfnSubnet).cidrBlock = Fn.select(SUBNET_INDEX.public[i]!, cidrs)));
    vpc.privateSubnets.forEach((s, i) => ((s.node.defaultChild as ec2.CfnSubnet).cidrBlock = Fn.select(SUBNET_INDEX.private[i]!, cidrs)));

    // Tasks pull images, write logs and reach S3/DynamoDB without crossing the NAT gateway.
    vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    vpc.addGatewayEndpoint('DynamoDB', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });
    const privateSubnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    vpc.addInterfaceEndpoint('EcrApi', { service: ec2.InterfaceVpcEndpointAwsService.ECR, subnets: privateSubnets });
    vpc.addInterfaceEndpoint('EcrDocker', { service: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER, subnets: privateSubnets });
    vpc.addInterfaceEndpoint('Logs', { service: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS, subnets: privateSubnets });
    Aspects.of(vpc).add(new OnlyWhen(createVpc));
    acknowledge(vpc, 'The public subnets hold only the internet-facing NLB and the NAT gateway; their default route to the '
      + 'internet gateway is what makes the NLB reachable. Tasks run in the private subnets.', 'HIPAA.Security-VPCNoUnrestrictedRouteToIGW');
    acknowledge(vpc, 'No resource uses the default security group. Closing it takes a custom-resource Lambda that would '
      + 'also run when an existing VPC is used, where that group is not ours to change.', 'HIPAA.Security-VPCDefaultSecurityGroupClosed');
    for (const endpoint of ['EcrApi', 'EcrDocker', 'Logs']) {
      acknowledge(vpc.node.findChild(endpoint), 'Interface endpoint security group: HTTPS from the VPC CIDR only; the rules cannot '
        + 'evaluate the CIDR because it is the VpcCIDR parameter.',
      'AwsSolutions-EC23', 'HIPAA.Security-EC2RestrictedCommonPorts', 'HIPAA.Security-EC2RestrictedSSH');
    }

    const pick = (existing: string, created: string) => Fn.conditionIf(useExistingVpc.logicalId, existing, created).toString();
    const pickSubnets = (list: string[], created: ec2.ISubnet[]) => created.map((s, i) => pick(Fn.select(i, list), s.subnetId));
    this.effective = ec2.Vpc.fromVpcAttributes(this, 'Effective', {
      vpcId: pick(params.VpcID.valueAsString, vpc.vpcId),
      vpcCidrBlock: params.VpcCIDR.valueAsString,
      availabilityZones: [0, 1].map((i) => Fn.select(i, Fn.getAzs())),
      publicSubnetIds: pickSubnets(params.PublicSubnetIDs.valueAsList, vpc.publicSubnets),
      privateSubnetIds: pickSubnets(params.PrivateSubnetIDs.valueAsList, vpc.privateSubnets),
    });
    acknowledge(this.effective, 'Nothing adds routes or gateway endpoints to the effective VPC, so its subnets need no route '
      + 'table IDs (the new VPC\'s endpoints are added to the new VPC itself).', '@aws-cdk/aws-ec2:noSubnetRouteTableId');

    // Metadata references create dependencies; Fn::If keeps them only when the new VPC exists.
    this.ready = new CfnWaitConditionHandle(this, 'NewVpcReady');
    const gated = vpc.node.findAll().filter((c): c is CfnResource =>
      CfnResource.isCfnResource(c) && ['AWS::EC2::Route', 'AWS::EC2::VPCGatewayAttachment', 'AWS::EC2::VPCEndpoint'].includes(c.cfnResourceType));
    this.ready.addMetadata('WaitsFor', Fn.conditionIf(createVpc.logicalId, gated.map((r) => r.ref), []));

    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      encryptionKey: props.key,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // On the effective VPC: the new one or the existing one, whichever is deployed.
    new ec2.FlowLog(this, 'FlowLog', {
      resourceType: ec2.FlowLogResourceType.fromVpc(this.effective),
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    acknowledge(vpc, 'The VPC flow log (FlowLog below) is attached to the effective VPC, whose ID is Fn::If(UseExistingVpc, '
      + 'VpcID, this VPC): the rules cannot follow the condition.', 'AwsSolutions-VPC7', 'HIPAA.Security-VPCFlowLogsEnabled');
  }
}

/** Puts a condition on every CloudFormation resource below the construct it is applied to. */
class OnlyWhen implements IAspect {
  constructor(private readonly condition: CfnCondition) {}

  visit(node: IConstruct): void {
    if (CfnResource.isCfnResource(node)) node.cfnOptions.condition = this.condition;
  }
}
