/**
 * The whole product in one stack: parameters → network → storage → HealthImaging → import
 * pipeline → service → monitoring, plus the outputs the seeds name (NetworkLoadBalancerDNS,
 * DICOMPort, DICOMAETitle).
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { createDataKey } from './encryption.ts';
import { HealthImaging } from './healthimaging.ts';
import { ImportPipeline } from './import-pipeline.ts';
import { Monitoring } from './monitoring.ts';
import { acknowledgeStackWide } from './nag.ts';
import { FrontDoor } from './network.ts';
import { declareParameters } from './parameters.ts';
import { ScpService } from './service.ts';
import { Storage } from './storage.ts';
import { NetworkVpc } from './vpc.ts';

export class StoreScpStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, {
      description: 'DICOM Store SCP for AWS HealthImaging: NLB + ECS Fargate DIMSE receiver, S3, HealthImaging import pipeline',
      ...props,
    });
    const parameters = declareParameters(this);
    const key = createDataKey(this);
    const network = new NetworkVpc(this, 'Network', { parameters, key });
    const storage = new Storage(this, 'Storage', { parameters, key });
    const frontDoor = new FrontDoor(this, 'FrontDoor', {
      parameters, vpc: network.effective, accessLogsBucket: storage.accessLogsBucket, after: network.ready,
    });
    const healthImaging = new HealthImaging(this, 'HealthImaging', {
      dicomBucket: storage.dicomBucket, resultsBucket: storage.resultsBucket, key,
    });
    const pipeline = new ImportPipeline(this, 'ImportPipeline', {
      dicomBucket: storage.dicomBucket, resultsBucket: storage.resultsBucket, jobsTable: storage.jobsTable, healthImaging, key,
    });
    const scp = new ScpService(this, 'PacsServer', {
      parameters, vpc: network.effective, frontDoor, dicomBucket: storage.dicomBucket, key, after: network.ready,
    });
    const monitoring = new Monitoring(this, 'Monitoring', {
      parameters, key,
      service: scp.service,
      loadBalancer: frontDoor.loadBalancer,
      targetGroup: frontDoor.targetGroup,
      functions: pipeline.functions,
      stateMachine: pipeline.stateMachine,
      deadLetterQueues: { FunctionDeadLetters: pipeline.functionDeadLetters, FailedExecutions: pipeline.failedExecutions },
    });

    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    output('NetworkLoadBalancerDNS', frontDoor.loadBalancer.loadBalancerDnsName, 'Host to configure on the modality');
    output('DICOMPort', parameters.params.SCPPort.valueAsString, 'Port to configure on the modality');
    output('DICOMAETitle', parameters.params.SCPAETitle.valueAsString, 'Called AE title to configure on the modality');
    output('DicomBucketName', storage.dicomBucket.bucketName, 'Where received instances and batch manifests are stored');
    output('ResultsBucketName', storage.resultsBucket.bucketName, 'HealthImaging import job outputs');
    output('DatastoreId', healthImaging.datastore.attrDatastoreId, 'HealthImaging data store');
    output('JobsTableName', storage.jobsTable.tableName, 'DicomImportJobTable: one item per import job');
    output('ImportStateMachineArn', pipeline.stateMachine.stateMachineArn, 'One execution per batch');
    output('AlarmTopicArn', monitoring.topic.topicArn, 'Subscribe to receive alarms');
    output('DashboardName', monitoring.dashboard.dashboardName, 'CloudWatch dashboard');

    acknowledgeStackWide(this);
  }
}
