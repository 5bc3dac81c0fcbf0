/**
 * The stack's CloudFormation parameters, under the seeds' exact names and defaults, plus the few this
 * product adds (NetworkTimeout from DESIGN.md, retention, alarm e-mail).
 *
 * Each value is checked in two places from the same table:
 *  - at deploy time, by CloudFormation (AllowedPattern / AllowedValues / Min / Max with a
 *    ConstraintDescription naming the parameter, and CfnRules for the combinations);
 *  - at synth time, when a default is baked into the template with `-c param:NAME=VALUE`
 *    (see `contextDefaults`): a bad value stops `cdk synth` with the same message.
 */
import { CfnCondition, CfnParameter, CfnRule, Fn, type ICfnConditionExpression, type ICfnRuleConditionExpression } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const IPV4 = `${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}`;
/** Prefix /1 to /32: 0.0.0.0/0 (the whole internet) is never an allowed peer. */
const CIDR = `${IPV4}/(3[0-2]|[12][0-9]|[1-9])`;

/** Fargate's CPU units → the memory sizes (MiB) it offers with them. */
export const FARGATE_MEMORY_BY_CPU: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

interface ParameterSpec {
  type: 'String' | 'Number' | 'CommaDelimitedList';
  description: string;
  default?: string | number;
  allowedPattern?: string;
  allowedValues?: string[];
  minValue?: number;
  maxValue?: number;
  /** Shown by CloudFormation when the value is refused; starts with the parameter's name. */
  constraintDescription?: string;
}

/** Upper bounds the sweeper's quiet period is derived from (see `sweepAgeSeconds`). */
const MAX_DIMSE_TIMEOUT = 600;
const MAX_NETWORK_TIMEOUT = 600;
const MAX_DESIRED_COUNT = 10;

export const PARAMETER_SPECS = {
  VpcID: {
    type: 'String', default: '',
    description: 'Existing VPC to deploy into. Empty: a new VPC is created from VpcCIDR (2 AZs, public and private subnets, NAT gateway).',
    allowedPattern: '^$|^vpc-[0-9a-f]{8,17}$',
    constraintDescription: 'VpcID must be empty or a VPC ID such as vpc-0123456789abcdef0.',
  },
  PublicSubnetIDs: {
    type: 'CommaDelimitedList', default: '',
    description: 'With VpcID: exactly two public subnets in different AZs, comma-separated (the NLB lives there).',
  },
  PrivateSubnetIDs: {
    type: 'CommaDelimitedList', default: '',
    description: 'With VpcID: exactly two private subnets with egress (NAT or endpoints), comma-separated (the Fargate tasks live there).',
  },
  SecurityGroupID: {
    type: 'String', default: '',
    description: 'With VpcID: an extra security group attached to the ECS tasks (e.g. for egress to on-premises). Optional.',
    allowedPattern: '^$|^sg-[0-9a-f]{8,17}$',
    constraintDescription: 'SecurityGroupID must be empty or a security group ID such as sg-0123456789abcdef0.',
  },
  VpcCIDR: {
    type: 'String', default: '10.0.0.0/16',
    description: 'CIDR of the VPC (the new one, or the existing one). Subnets of a new VPC are the seeds\' /24s at .1/.2 (public) and .11/.12 (private).',
    allowedPattern: `^${IPV4}/(1[6-9]|20)$`,
    constraintDescription: 'VpcCIDR must be an IPv4 CIDR block with a prefix between /16 and /20, such as 10.0.0.0/16.',
  },
  SCPAETitle: {
    type: 'String', default: 'STORESCP',
    description: 'AE title of the Store SCP (1-16 characters of the DICOM default repertoire, no backslash, no leading or trailing space).',
    allowedPattern: '^[!-\\[\\]-~]([ -\\[\\]-~]{0,14}[!-\\[\\]-~])?$',
    constraintDescription: 'SCPAETitle must be 1 to 16 printable ASCII characters without backslash and without leading or trailing spaces.',
  },
  SCPPort: {
    type: 'Number', default: 11112,
    description: 'TCP port of the DICOM listener (NLB and container).',
    minValue: 1, maxValue: 65535,
    constraintDescription: 'SCPPort must be a TCP port between 1 and 65535 (and not 8080, the health port).',
  },
  PeerCIDR1: {
    type: 'String',
    description: 'Required: a client network allowed to connect (CIDR), e.g. the hospital\'s egress range.',
    allowedPattern: `^${CIDR}$`,
    constraintDescription: 'PeerCIDR1 is required and must be an IPv4 CIDR block other than 0.0.0.0/0, such as 203.0.113.0/24.',
  },
  PeerCIDR2: {
    type: 'String', default: '',
    description: 'Another allowed client network (CIDR). Optional.',
    allowedPattern: `^$|^${CIDR}$`,
    constraintDescription: 'PeerCIDR2 must be empty or an IPv4 CIDR block other than 0.0.0.0/0, such as 198.51.100.0/24.',
  },
  PeerCIDR3: {
    type: 'String', default: '',
    description: 'Another allowed client network (CIDR). Optional.',
    allowedPattern: `^$|^${CIDR}$`,
    constraintDescription: 'PeerCIDR3 must be empty or an IPv4 CIDR block other than 0.0.0.0/0, such as 192.0.2.0/24.',
  },
  DIMSETimeout: {
    type: 'Number', default: 60,
    description: 'Seconds without DIMSE progress before an association is aborted.',
    minValue: 1, maxValue: MAX_DIMSE_TIMEOUT,
    constraintDescription: `DIMSETimeout must be between 1 and ${MAX_DIMSE_TIMEOUT} seconds.`,
  },
  NetworkTimeout: {
    type: 'Number', default: 90,
    description: 'Seconds without any PDU (ARTIM) before a connection is closed.',
    minValue: 1, maxValue: MAX_NETWORK_TIMEOUT,
    constraintDescription: `NetworkTimeout must be between 1 and ${MAX_NETWORK_TIMEOUT} seconds.`,
  },
  MaximumAssociations: {
    type: 'Number', default: 300,
    description: 'Associations one task accepts at once; more are rejected (transient, local limit exceeded).',
    minValue: 1, maxValue: 10000,
    constraintDescription: 'MaximumAssociations must be between 1 and 10000.',
  },
  TaskCPU: {
    type: 'Number', default: 1024,
    description: 'Fargate CPU units per task.',
    allowedValues: Object.keys(FARGATE_MEMORY_BY_CPU),
    constraintDescription: `TaskCPU must be one of ${Object.keys(FARGATE_MEMORY_BY_CPU).join(', ')}.`,
  },
  TaskMemoryLimit: {
    type: 'Number', default: 2048,
    description: 'Fargate memory per task (MiB); must be a size Fargate offers with TaskCPU.',
    minValue: 512, maxValue: 122880,
    constraintDescription: 'TaskMemoryLimit must be between 512 and 122880 MiB and offered by Fargate with TaskCPU.',
  },
  TaskDesiredCount: {
    type: 'Number', default: 1,
    description: 'Tasks running at rest; the autoscaling minimum.',
    minValue: 1, maxValue: MAX_DESIRED_COUNT,
    constraintDescription: `TaskDesiredCount must be between 1 and ${MAX_DESIRED_COUNT}.`,
  },
  AutoscaleMaxCapacity: {
    type: 'Number', default: 3,
    description: 'Most tasks CPU target tracking may run (at least TaskDesiredCount).',
    minValue: 1, maxValue: 20,
    constraintDescription: 'AutoscaleMaxCapacity must be between 1 and 20 and at least TaskDesiredCount.',
  },
  TLSCertificateARN: {
    type: 'String', default: '',
    description: 'ACM certificate ARN. When set, the NLB listener on SCPPort terminates DICOM TLS with it (plain TCP is then not offered).',
    allowedPattern: '^$|^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$',
    constraintDescription: 'TLSCertificateARN must be empty or an ACM certificate ARN.',
  },
  DICOMRetentionDays: {
    type: 'Number', default: 30,
    description: 'Days received DICOM files are kept in the DICOM bucket after upload (HealthImaging holds the imported copy).',
    minValue: 1, maxValue: 3650,
    constraintDescription: 'DICOMRetentionDays must be between 1 and 3650.',
  },
  ResultsRetentionDays: {
    type: 'Number', default: 365,
    description: 'Days import results and access logs (audit records) are kept.',
    minValue: 1, maxValue: 3650,
    constraintDescription: 'ResultsRetentionDays must be between 1 and 3650.',
  },
  AlarmEmail: {
    type: 'String', default: '',
    description: 'E-mail address subscribed to the alarm topic. Optional.',
    allowedPattern: '^$|^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$',
    constraintDescription: 'AlarmEmail must be empty or an e-mail address.',
  },
} as const satisfies Record<string, ParameterSpec>;

export type ParameterName = keyof typeof PARAMETER_SPECS;

/** Port of the container's health and metrics endpoint (HTTP_PORT); SCPPort must differ. */
export const HTTP_PORT = 8080;

/**
 * Quiet period after which the sweeper closes a batch whose task died. CloudFormation has no
 * arithmetic, so DIMSETimeout + NetworkTimeout cannot be added at deploy time: this uses their
 * upper bounds, which is always long enough and only delays the import of an orphaned batch.
 */
export const sweepAgeSeconds = MAX_DIMSE_TIMEOUT + MAX_NETWORK_TIMEOUT + 60;

export interface Parameters {
  readonly params: { readonly [K in ParameterName]: CfnParameter };
  readonly createVpc: CfnCondition;
  readonly useExistingVpc: CfnCondition;
  readonly hasSecurityGroup: CfnCondition;
  readonly hasTls: CfnCondition;
  /** One per PeerCIDR parameter; PeerCIDR1 is required so its entry is undefined. */
  readonly peerConditions: readonly (CfnCondition | undefined)[];
  readonly hasAlarmEmail: CfnCondition;
  /** PeerCIDR1..3, in order. */
  readonly peerCidrs: readonly CfnParameter[];
}

/** Declares the parameters, conditions and rules on `scope` (the stack). */
export function declareParameters(scope: Construct): Parameters {
  const overrides = contextDefaults(scope);
  const params = Object.fromEntries(
    (Object.entries(PARAMETER_SPECS) as [ParameterName, ParameterSpec][]).map(([name, spec]) => [
      name,
      new CfnParameter(scope, name, { ...spec, default: overrides[name] ?? spec.default }),
    ]),
  ) as Parameters['params'];

  const isEmpty = (p: CfnParameter) => Fn.conditionEquals(p.valueAsString, '');
  const condition = (id: string, expression: ICfnConditionExpression) => new CfnCondition(scope, id, { expression });
  const createVpc = condition('CreateVpc', isEmpty(params.VpcID));
  const peerCidrs = [params.PeerCIDR1, params.PeerCIDR2, params.PeerCIDR3];

  declareRules(scope, params);
  return {
    params,
    createVpc,
    useExistingVpc: condition('UseExistingVpc', Fn.conditionNot(createVpc)),
    hasSecurityGroup: condition('HasSecurityGroup', Fn.conditionNot(isEmpty(params.SecurityGroupID))),
    hasTls: condition('HasTlsCertificate', Fn.conditionNot(isEmpty(params.TLSCertificateARN))),
    peerConditions: peerCidrs.map((p, i) => (i === 0 ? undefined : condition(`HasPeerCIDR${i + 1}`, Fn.conditionNot(isEmpty(p))))),
    hasAlarmEmail: condition('HasAlarmEmail', Fn.conditionNot(isEmpty(params.AlarmEmail))),
    peerCidrs,
  };
}

/** Combinations single-parameter constraints cannot express. Rules have no arithmetic: one rule per value. */
function declareRules(scope: Construct, p: Parameters['params']): void {
  const ref = (param: CfnParameter) => param.valueAsString;
  const rule = (id: string, ruleCondition: ICfnRuleConditionExpression | undefined, assert: ICfnRuleConditionExpression, assertDescription: string) =>
    new CfnRule(scope, id, { ruleCondition, assertions: [{ assert, assertDescription }] });

  for (const [cpu, memories] of Object.entries(FARGATE_MEMORY_BY_CPU)) {
    rule(`TaskMemoryFitsCpu${cpu}`, Fn.conditionEquals(ref(p.TaskCPU), cpu),
      Fn.conditionContains(memories.map(String), ref(p.TaskMemoryLimit)),
      `TaskMemoryLimit must be one of ${memories.join(', ')} MiB when TaskCPU is ${cpu}.`);
  }
  for (let desired = 2; desired <= MAX_DESIRED_COUNT; desired++) {
    rule(`MaxCapacityCoversDesired${desired}`, Fn.conditionEquals(ref(p.TaskDesiredCount), String(desired)),
      Fn.conditionNot(Fn.conditionContains(range(1, desired - 1, 1).map(String), ref(p.AutoscaleMaxCapacity))),
      `AutoscaleMaxCapacity must be at least TaskDesiredCount (${desired}).`);
  }
  rule('ScpPortNotHealthPort', undefined, Fn.conditionNot(Fn.conditionEquals(ref(p.SCPPort), String(HTTP_PORT))),
    `SCPPort must not be ${HTTP_PORT}, the container's health and metrics port.`);

  const vpcGiven = Fn.conditionNot(Fn.conditionEquals(ref(p.VpcID), ''));
  const listEmpty = (list: CfnParameter) => Fn.conditionEachMemberEquals(list.valueAsList, '');
  rule('ExistingVpcNeedsPublicSubnets', vpcGiven, Fn.conditionNot(listEmpty(p.PublicSubnetIDs)),
    'PublicSubnetIDs is required (two subnets) when VpcID is set.');
  rule('ExistingVpcNeedsPrivateSubnets', vpcGiven, Fn.conditionNot(listEmpty(p.PrivateSubnetIDs)),
    'PrivateSubnetIDs is required (two subnets) when VpcID is set.');
  const vpcCreated = Fn.conditionEquals(ref(p.VpcID), '');
  rule('NewVpcTakesNoSubnets', vpcCreated, Fn.conditionAnd(listEmpty(p.PublicSubnetIDs), listEmpty(p.PrivateSubnetIDs)),
    'PublicSubnetIDs and PrivateSubnetIDs must be empty unless VpcID is set.');
  rule('NewVpcTakesNoSecurityGroup', vpcCreated, Fn.conditionEquals(ref(p.SecurityGroupID), ''),
    'SecurityGroupID must be empty unless VpcID is set (a security group belongs to its VPC).');
}

/**
 * Defaults given at synth time as `-c param:NAME=VALUE`, validated with the same constraints
 * CloudFormation applies; an invalid value throws an error that starts with the parameter's name.
 */
function contextDefaults(scope: Construct): Partial<Record<ParameterName, string | number>> {
  const values: Partial<Record<ParameterName, string | number>> = {};
  for (const [name, spec] of Object.entries(PARAMETER_SPECS) as [ParameterName, ParameterSpec][]) {
    const raw: unknown = scope.node.tryGetContext(`param:${name}`);
    if (raw === undefined) continue;
    values[name] = validateValue(name, spec, String(raw));
  }
  const effective = (name: ParameterName) => String(values[name] ?? (PARAMETER_SPECS[name] as ParameterSpec).default ?? '');
  const memories = FARGATE_MEMORY_BY_CPU[Number(effective('TaskCPU'))] ?? [];
  if (!memories.includes(Number(effective('TaskMemoryLimit')))) {
    throw new Error(`TaskMemoryLimit: ${effective('TaskMemoryLimit')} MiB is not offered by Fargate with TaskCPU ${effective('TaskCPU')} (allowed: ${memories.join(', ')}).`);
  }
  if (Number(effective('AutoscaleMaxCapacity')) < Number(effective('TaskDesiredCount'))) {
    throw new Error(`AutoscaleMaxCapacity: ${effective('AutoscaleMaxCapacity')} is below TaskDesiredCount ${effective('TaskDesiredCount')}.`);
  }
  if (Number(effective('SCPPort')) === HTTP_PORT) {
    throw new Error(`SCPPort: ${HTTP_PORT} is the container's health and metrics port.`);
  }
  return values;
}

function validateValue(name: ParameterName, spec: ParameterSpec, value: string): string | number {
  const refuse = () => new Error(`${name}: invalid value ${JSON.stringify(value)}. ${spec.constraintDescription ?? spec.description}`);
  if (spec.allowedPattern !== undefined && !new RegExp(spec.allowedPattern).test(value)) throw refuse();
  if (spec.allowedValues !== undefined && !spec.allowedValues.includes(value)) throw refuse();
  if (spec.type !== 'Number') return value;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw refuse();
  if ((spec.minValue !== undefined && n < spec.minValue) || (spec.maxValue !== undefined && n > spec.maxValue)) throw refuse();
  return n;
}

function range(from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let v = from; v <= to; v += step) values.push(v);
  return values;
}
