/**
 * Parameter values that do not fit are refused with a message naming the parameter: at deploy time
 * (the template's constraints and rules, evaluated as CloudFormation would) and at synth time (a
 * default baked in with `-c param:NAME=VALUE`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { createApp } from '../src/app.ts';
import { declareParameters, FARGATE_MEMORY_BY_CPU } from '../src/parameters.ts';
import { refusals, type Values } from './cfn-eval.ts';
import type { CfnTemplate } from './synthesized.ts';

/** The parameters, conditions and rules alone, as the stack declares them (no synth of the rest). */
function parameterTemplate(): CfnTemplate {
  const app = new App();
  const stack = new Stack(app, 'ParametersOnly');
  declareParameters(stack);
  return app.synth().getStackByName('ParametersOnly').template as CfnTemplate;
}

const template = parameterTemplate();
const valid: Values = { PeerCIDR1: '203.0.113.0/24' };
const refused = (values: Values) => refusals(template, { ...valid, ...values });

function assertRefused(values: Values, parameter: string): void {
  const messages = refused(values);
  assert.ok(messages.some((m) => m.includes(parameter)), `${JSON.stringify(values)} should be refused naming ${parameter}, got ${JSON.stringify(messages)}`);
}

describe('deploy-time constraints', () => {
  it('accept the seeds\' defaults with the one required value (PeerCIDR1)', () => {
    assert.deepEqual(refused({}), []);
  });

  it('require PeerCIDR1', () => {
    assert.ok(refusals(template, {}).some((m) => m.includes('PeerCIDR1')));
  });

  it('refuse AE titles that are too long, contain a backslash or padding spaces', () => {
    assertRefused({ SCPAETitle: 'SEVENTEEN_CHARS_X' }, 'SCPAETitle');
    assertRefused({ SCPAETitle: 'BAD\\AE' }, 'SCPAETitle');
    assertRefused({ SCPAETitle: ' STORESCP' }, 'SCPAETitle');
    assertRefused({ SCPAETitle: '' }, 'SCPAETitle');
    assert.deepEqual(refused({ SCPAETitle: 'SIXTEEN_CHARS_OK' }), []);
    assert.deepEqual(refused({ SCPAETitle: 'MY SCP' }), []);
  });

  it('refuse malformed CIDRs and the whole internet', () => {
    for (const cidr of ['10.0.0.0/33', '300.1.1.1/24', '10.0.0.0', 'example', '0.0.0.0/0']) {
      assertRefused({ PeerCIDR1: cidr }, 'PeerCIDR1');
      assertRefused({ PeerCIDR3: cidr }, 'PeerCIDR3');
    }
    assertRefused({ VpcCIDR: '10.0.0.0/24' }, 'VpcCIDR');
    assert.deepEqual(refused({ PeerCIDR2: '198.51.100.7/32', PeerCIDR3: '' }), []);
  });

  it('refuse CPU/memory pairs Fargate does not offer', () => {
    assertRefused({ TaskCPU: '1024', TaskMemoryLimit: '512' }, 'TaskMemoryLimit');
    assertRefused({ TaskCPU: '256', TaskMemoryLimit: '4096' }, 'TaskMemoryLimit');
    assertRefused({ TaskCPU: '4096', TaskMemoryLimit: '2048' }, 'TaskMemoryLimit');
    assertRefused({ TaskCPU: '3000' }, 'TaskCPU');
    for (const [cpu, memories] of Object.entries(FARGATE_MEMORY_BY_CPU)) {
      for (const memory of memories) assert.deepEqual(refused({ TaskCPU: cpu, TaskMemoryLimit: String(memory) }), [], `${cpu}/${memory}`);
    }
  });

  it('refuse an autoscaling maximum below the desired count, and the health port as SCPPort', () => {
    assertRefused({ TaskDesiredCount: '4', AutoscaleMaxCapacity: '3' }, 'AutoscaleMaxCapacity');
    assert.deepEqual(refused({ TaskDesiredCount: '3', AutoscaleMaxCapacity: '3' }), []);
    assertRefused({ SCPPort: '8080' }, 'SCPPort');
    assertRefused({ SCPPort: '70000' }, 'SCPPort');
  });

  it('tie the existing-VPC parameters together', () => {
    assertRefused({ VpcID: 'vpc-0123456789abcdef0' }, 'PublicSubnetIDs');
    assertRefused({ VpcID: 'vpc-0123456789abcdef0', PublicSubnetIDs: 'subnet-1,subnet-2' }, 'PrivateSubnetIDs');
    assertRefused({ PublicSubnetIDs: 'subnet-1,subnet-2' }, 'PublicSubnetIDs');
    assertRefused({ SecurityGroupID: 'sg-0123456789abcdef0' }, 'SecurityGroupID');
    assertRefused({ VpcID: 'vpc-123' }, 'VpcID');
    assert.deepEqual(refused({
      VpcID: 'vpc-0123456789abcdef0', PublicSubnetIDs: 'subnet-a,subnet-b', PrivateSubnetIDs: 'subnet-c,subnet-d', SecurityGroupID: 'sg-0123456789abcdef0',
    }), []);
  });

  it('refuse a malformed certificate ARN or alarm e-mail', () => {
    assertRefused({ TLSCertificateARN: 'not-an-arn' }, 'TLSCertificateARN');
    assertRefused({ AlarmEmail: 'nobody' }, 'AlarmEmail');
    assert.deepEqual(refused({ TLSCertificateARN: 'arn:aws:acm:us-east-1:123456789012:certificate/0f3e1c7a-1111-2222-3333-444455556666' }), []);
  });
});

describe('synth-time defaults (-c param:NAME=VALUE)', () => {
  const synthWith = (context: Record<string, string>) => () => createApp({ context });

  it('refuse invalid values with the parameter\'s name before building anything', () => {
    assert.throws(synthWith({ 'param:SCPAETitle': 'SEVENTEEN_CHARS_X' }), /^Error: SCPAETitle/);
    assert.throws(synthWith({ 'param:PeerCIDR1': '10.0.0.0/33' }), /^Error: PeerCIDR1/);
    assert.throws(synthWith({ 'param:TaskCPU': '2048', 'param:TaskMemoryLimit': '2048' }), /^Error: TaskMemoryLimit/);
    assert.throws(synthWith({ 'param:TaskDesiredCount': '5' }), /^Error: AutoscaleMaxCapacity/);
    assert.throws(synthWith({ 'param:DIMSETimeout': 'soon' }), /^Error: DIMSETimeout/);
  });

  it('bake valid values into the parameters\' defaults', () => {
    const app = new App({ context: { 'param:SCPAETitle': 'HOSPITAL_SCP', 'param:TaskCPU': '2048', 'param:TaskMemoryLimit': '8192' } });
    const stack = new Stack(app, 'WithDefaults');
    const { params } = declareParameters(stack);
    assert.equal(params.SCPAETitle.default, 'HOSPITAL_SCP');
    assert.equal(params.TaskCPU.default, 2048);
    assert.equal(params.TaskMemoryLimit.default, 8192);
  });
});
