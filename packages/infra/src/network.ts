/**
 * The DICOM front door: an internet-facing Network Load Balancer in the public subnets, one
 * listener on SCPPort (TCP, or TLS with the ACM certificate when TLSCertificateARN is set), and the
 * security groups that admit only the PeerCIDRs.
 */
import { Duration, Fn, Aws } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type IDependable } from 'constructs';
import type { Parameters } from './parameters.ts';
import { acknowledge } from './nag.ts';
import { NLB_ACCESS_LOG_PREFIX } from './storage.ts';

/**
 * How long the NLB keeps a deregistered task's connections before ECS sends it SIGTERM: no new
 * association reaches a draining task, the ones already open get this long to finish on their own,
 * then the application's own drain (DRAIN_TIMEOUT) closes the rest.
 */
export const DEREGISTRATION_DELAY = Duration.seconds(120);
/** TLS 1.3 and 1.2 with forward secrecy only. */
export const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

export interface FrontDoorProps {
  readonly parameters: Parameters;
  readonly vpc: ec2.IVpc;
  readonly accessLogsBucket: s3.IBucket;
  /** Resources that must exist before the load balancer (the new VPC's routes). */
  readonly after: IDependable;
}

export class FrontDoor extends Construct {
  readonly loadBalancer: elbv2.NetworkLoadBalancer;
  readonly targetGroup: elbv2.NetworkTargetGroup;
  readonly listener: elbv2.CfnListener;
  /** Attached to the tasks: admits SCPPort from the load balancer only. */
  readonly serviceSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: FrontDoorProps) {
    super(scope, id);
    const { params, hasTls, peerCidrs, peerConditions } = props.parameters;
    const port = params.SCPPort.valueAsNumber;

    const nlbSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: props.vpc,
      description: 'DICOM clients (PeerCIDR1-3) to the NLB on SCPPort',
      allowAllOutbound: false,
    });
    // One rule per PeerCIDR, each present only when its parameter is set (L2 rules cannot carry conditions).
    peerCidrs.forEach((cidr, i) => {
      const rule = new ec2.CfnSecurityGroupIngress(this, `PeerCIDR${i + 1}Ingress`, {
        groupId: nlbSecurityGroup.securityGroupId,
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        cidrIp: cidr.valueAsString,
        description: `PeerCIDR${i + 1}`,
      });
      rule.cfnOptions.condition = peerConditions[i];
      acknowledge(rule, `Source and port are the PeerCIDR${i + 1} and SCPPort parameters, which the rules cannot evaluate; `
        + 'AllowedPattern refuses 0.0.0.0/0 and SCPPort is the DICOM port, never SSH or another common port.',
      'AwsSolutions-EC23', 'HIPAA.Security-EC2RestrictedCommonPorts', 'HIPAA.Security-EC2RestrictedSSH');
    });
    this.serviceSecurityGroup = new ec2.SecurityGroup(this, 'ServiceSecurityGroup', {
      vpc: props.vpc,
      description: 'StoreSCP tasks: SCPPort from the NLB (clients and health checks)',
      allowAllOutbound: true,
    });
    // Both directions: egress from the NLB's group (which allows nothing else out) and ingress to the tasks'.
    nlbSecurityGroup.connections.allowTo(this.serviceSecurityGroup, ec2.Port.tcp(port), 'NLB to SCP (clients and health checks)');
    acknowledge(this.serviceSecurityGroup, 'The only ingress is SCPPort (a parameter the rules cannot evaluate) from the NLB\'s '
      + 'security group, not from an address range.', 'HIPAA.Security-EC2RestrictedCommonPorts', 'HIPAA.Security-EC2RestrictedSSH');

    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      vpcSubnets: { subnets: props.vpc.publicSubnets },
      internetFacing: true,
      crossZoneEnabled: true,
      securityGroups: [nlbSecurityGroup],
    });
    this.loadBalancer.node.addDependency(props.after);
    acknowledge(this.loadBalancer, 'The NLB holds no data and is replaced by the stack on some updates; deletion protection would '
      + 'make stack updates and teardown fail. Access to it is governed by the stack.', 'HIPAA.Security-ELBDeletionProtectionEnabled');
    // logAccessLogs() needs a concrete region; the bucket policy for log delivery is in storage.ts.
    this.loadBalancer.setAttribute('access_logs.s3.enabled', 'true');
    this.loadBalancer.setAttribute('access_logs.s3.bucket', props.accessLogsBucket.bucketName);
    this.loadBalancer.setAttribute('access_logs.s3.prefix', NLB_ACCESS_LOG_PREFIX);
    if (props.accessLogsBucket.policy) this.loadBalancer.node.addDependency(props.accessLogsBucket.policy);

    this.targetGroup = new elbv2.NetworkTargetGroup(this, 'Targets', {
      vpc: props.vpc,
      port,
      protocol: elbv2.Protocol.TCP,
      targetType: elbv2.TargetType.IP,
      // The SCP filters peers (PEER_CIDRS) and logs callers by their real address.
      preserveClientIp: true,
      deregistrationDelay: DEREGISTRATION_DELAY,
      healthCheck: {
        protocol: elbv2.Protocol.TCP,
        interval: Duration.seconds(10),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2,
      },
    });

    // A plain L1 listener: protocol, certificate and policy switch on TLSCertificateARN at deploy time.
    const ifTls = (value: unknown) => Fn.conditionIf(hasTls.logicalId, value, Aws.NO_VALUE);
    this.listener = new elbv2.CfnListener(this, 'Listener', {
      loadBalancerArn: this.loadBalancer.loadBalancerArn,
      port,
      protocol: Fn.conditionIf(hasTls.logicalId, 'TLS', 'TCP').toString(),
      // Inside Fn::If the L1 does not rename properties: CloudFormation's own casing.
      certificates: ifTls([{ CertificateArn: params.TLSCertificateARN.valueAsString }]) as never,
      sslPolicy: ifTls(TLS_POLICY).toString(),
      defaultActions: [{ type: 'forward', targetGroupArn: this.targetGroup.targetGroupArn }],
    });
    acknowledge(this.listener, 'The listener speaks DICOM, not HTTP, so there is no redirect to add; with TLSCertificateARN set it '
      + 'is TLS with that ACM certificate (Fn::If, which the rules cannot evaluate).',
    'HIPAA.Security-ALBHttpToHttpsRedirection', 'HIPAA.Security-ELBv2ACMCertificateRequired');
    this.targetGroup.registerListener(elbv2.NetworkListener.fromNetworkListenerArn(this, 'ListenerRef', this.listener.ref));
  }
}
