/**
 * The operations view: one dashboard for throughput and health, and alarms for what needs a human,
 * published to an encrypted SNS topic.
 *
 * Application metrics come from the catalogs the code emits from (packages/scp-core and
 * packages/importer): namespace StoreSCP, the catalog name, one dimension per label and no other.
 * The Fargate task and the Lambdas print them as CloudWatch embedded-metric-format lines, which
 * CloudWatch Logs turns into metrics (README: "How the metrics reach CloudWatch").
 */
import { Duration } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { IMPORTER_METRICS } from '../../importer/src/metrics-catalog.ts';
import { METRICS_NAMESPACE, SCP_METRICS, type MetricSpec } from '../../scp-core/src/metrics/catalog.ts';
import type { Parameters } from './parameters.ts';

const M = { ...SCP_METRICS, ...IMPORTER_METRICS };
const PERIOD = Duration.minutes(1);

/** A catalog metric with exactly its labels as dimensions (all of them fixed to a value). */
export function appMetric(spec: MetricSpec, statistic: string, dimensions: Record<string, string> = {}, label?: string): cw.Metric {
  const given = Object.keys(dimensions).sort().join(',');
  if (given !== [...spec.labels].sort().join(',')) {
    throw new Error(`${spec.name} has labels [${spec.labels.join(', ')}], not [${given}]`);
  }
  return new cw.Metric({ namespace: METRICS_NAMESPACE, metricName: spec.name, dimensionsMap: dimensions, statistic, period: PERIOD, label });
}

/** One line per value of a labeled metric (e.g. C-STOREs by status), whatever values appear. */
function perLabel(spec: MetricSpec, statistic: string): cw.MathExpression {
  return new cw.MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},${spec.labels.join(',')}} MetricName="${spec.name}"', '${statistic}', ${PERIOD.toSeconds()})`,
    usingMetrics: {},
    label: '',
    period: PERIOD,
  });
}

/** All values of a labeled metric summed into one series, as an alarm can use (Metrics Insights). */
function summedOverLabels(spec: MetricSpec, period: Duration): cw.MathExpression {
  return new cw.MathExpression({
    expression: `SELECT SUM(${spec.name}) FROM SCHEMA("${METRICS_NAMESPACE}", ${spec.labels.join(', ')})`,
    usingMetrics: {},
    period,
  });
}

export interface MonitoringProps {
  readonly parameters: Parameters;
  readonly key: kms.IKey;
  readonly service: ecs.FargateService;
  readonly loadBalancer: elbv2.NetworkLoadBalancer;
  readonly targetGroup: elbv2.NetworkTargetGroup;
  readonly functions: Record<string, lambda.IFunction>;
  readonly stateMachine: sfn.StateMachine;
  readonly deadLetterQueues: Record<string, sqs.IQueue>;
}

export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cw.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'AlarmTopic', { masterKey: props.key, enforceSSL: true, displayName: 'StoreSCP alarms' });
    const email = new sns.CfnSubscription(this, 'AlarmEmailSubscription', {
      topicArn: this.topic.topicArn,
      protocol: 'email',
      endpoint: props.parameters.params.AlarmEmail.valueAsString,
    });
    email.cfnOptions.condition = props.parameters.hasAlarmEmail;

    this.dashboard = new cw.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(...this.frontDoorWidgets(props));
    this.dashboard.addWidgets(...this.storageWidgets());
    this.dashboard.addWidgets(...this.importWidgets(props));
    this.dashboard.addWidgets(...this.platformWidgets(props));
    this.alarms(props);
  }

  private frontDoorWidgets(p: MonitoringProps): cw.IWidget[] {
    return [
      graph('Associations and connections (per task)', [
        appMetric(M.associationsOpen, 'Maximum', {}, 'associations open'),
        appMetric(M.connectionsOpen, 'Maximum', {}, 'connections open'),
        appMetric(M.associationsAccepted, 'Sum', {}, 'accepted'),
      ]),
      graph('Associations rejected, by reason', [perLabel(M.associationsRejected, 'Sum')]),
      graph('C-STOREs, by DIMSE status', [perLabel(M.cstores, 'Sum')]),
      graph('C-STORE latency (s)', [appMetric(M.cstoreLatency, 'p50', {}, 'p50'), appMetric(M.cstoreLatency, 'p99', {}, 'p99')]),
      graph('NLB flows', [p.loadBalancer.metrics.activeFlowCount({ period: PERIOD }), p.loadBalancer.metrics.newFlowCount({ period: PERIOD })]),
      graph('Healthy tasks behind the NLB', [p.targetGroup.metrics.healthyHostCount({ period: PERIOD }), p.targetGroup.metrics.unHealthyHostCount({ period: PERIOD })]),
    ];
  }

  private storageWidgets(): cw.IWidget[] {
    return [
      graph('Bytes received', [appMetric(M.bytesReceived, 'Sum', {}, 'bytes')]),
      graph('Worker pool', [
        appMetric(M.poolQueueDepth, 'Maximum', {}, 'queue depth'),
        appMetric(M.poolUtilization, 'Average', {}, 'utilization'),
      ]),
      graph('Backpressure', [
        appMetric(M.socketsPaused, 'Maximum', {}, 'sockets paused'),
        appMetric(M.bytesInFlight, 'Maximum', {}, 'bytes in flight'),
      ]),
      graph('Storage writes', [
        appMetric(M.storageWriteLatency, 'p50', {}, 'p50 (s)'),
        appMetric(M.storageWriteLatency, 'p99', {}, 'p99 (s)'),
        appMetric(M.storageWriteErrors, 'Sum', {}, 'errors'),
      ]),
    ];
  }

  private importWidgets(p: MonitoringProps): cw.IWidget[] {
    return [
      graph('Batches', [
        appMetric(M.batchesOpened, 'Sum', {}, 'opened'),
        appMetric(M.batchesClosed, 'Sum', {}, 'closed by the SCP'),
        appMetric(M.batchesSwept, 'Sum', {}, 'swept'),
      ]),
      graph('Import jobs, by status', [perLabel(M.importJobs, 'Sum')]),
      graph('Files failed in import', [appMetric(M.importFilesFailed, 'Sum', {}, 'files')]),
      graph('Import executions', [
        p.stateMachine.metricSucceeded({ period: PERIOD }),
        p.stateMachine.metricFailed({ period: PERIOD }),
        p.stateMachine.metricTimedOut({ period: PERIOD }),
        p.stateMachine.metricAborted({ period: PERIOD }),
      ]),
    ];
  }

  private platformWidgets(p: MonitoringProps): cw.IWidget[] {
    return [
      graph('ECS CPU and memory (%)', [p.service.metricCpuUtilization({ period: PERIOD }), p.service.metricMemoryUtilization({ period: PERIOD })]),
      graph('Lambda errors', Object.entries(p.functions).map(([name, fn]) => fn.metricErrors({ period: PERIOD, label: name }))),
      graph('Dead-letter queues', Object.entries(p.deadLetterQueues).map(([name, q]) =>
        q.metricApproximateNumberOfMessagesVisible({ period: PERIOD, label: name }))),
    ];
  }

  private alarms(p: MonitoringProps): void {
    const notify = new cwActions.SnsAction(this.topic);
    const alarm = (id: string, description: string, metric: cw.IMetric, props: Omit<cw.CreateAlarmOptions, 'alarmDescription'>) =>
      new cw.Alarm(this, id, { metric, alarmDescription: description, ...props }).addAlarmAction(notify);
    const atLeastOnce = { threshold: 1, evaluationPeriods: 1, comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, treatMissingData: cw.TreatMissingData.NOT_BREACHING };

    alarm('FailedImportJobs', 'HealthImaging import jobs ended FAILED: see DicomImportJobTable (jobStatus, message).',
      appMetric(M.importJobs, 'Sum', { status: 'FAILED' }).with({ period: Duration.minutes(5) }), atLeastOnce);
    alarm('FailedImportFiles', 'HealthImaging rejected files in a completed import: see failedFiles in DicomImportJobTable.',
      appMetric(M.importFilesFailed, 'Sum').with({ period: Duration.minutes(5) }), atLeastOnce);
    for (const [name, queue] of Object.entries(p.deadLetterQueues)) {
      alarm(`${name}Depth`, `Messages in the ${name} dead-letter queue: an import did not run to the end.`,
        queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }), atLeastOnce);
    }
    // A few 0xA700 answers are backpressure doing its job; several minutes of them mean the tasks or S3 cannot keep up.
    alarm('OutOfResources', 'C-STOREs answered 0xA700 (out of resources) for 3 of 5 minutes: scale out or check storage errors.',
      appMetric(M.cstores, 'Sum', { status: '0xa700' }), {
        threshold: 5, evaluationPeriods: 5, datapointsToAlarm: 3,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      });
    alarm('RejectedAssociations', 'Associations rejected (AE title, peer address or association limit): check the reason dimension.',
      summedOverLabels(M.associationsRejected, Duration.minutes(5)), {
        threshold: 10, evaluationPeriods: 1,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      });
    alarm('NoHealthyTask', 'No healthy StoreSCP task behind the NLB: modalities cannot connect.',
      p.targetGroup.metrics.healthyHostCount({ period: PERIOD, statistic: 'Minimum' }), {
        threshold: 1, evaluationPeriods: 2,
        comparisonOperator: cw.ComparisonOperator.LESS_THAN_THRESHOLD, treatMissingData: cw.TreatMissingData.BREACHING,
      });
  }
}

function graph(title: string, metrics: cw.IMetric[]): cw.GraphWidget {
  return new cw.GraphWidget({ title, left: metrics, width: 8, height: 6 });
}
