import { Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { monitoringNames, type Naming } from '@ias/targets';
import type { EnvironmentConfig } from '../config/load';
import { DeliveryOverview } from './delivery-overview';
import { PipelineExecutionLog } from './pipeline-executions';
import { pipelineMetrics } from './pipeline-metrics';

/** Props of {@link DeliveryObservability}. */
export interface DeliveryObservabilityProps {
  /** Names of the delivery stage, `<prefix>-delivery`. */
  readonly naming: Naming;
  /** Every pipeline of the delivery account, by name. Must not be empty. */
  readonly pipelines: readonly string[];
  /** The environments the pipelines deliver to, in promotion order. */
  readonly environments: readonly EnvironmentConfig[];
  /**
   * The delivery account.
   * @default - the deploying credentials' account
   */
  readonly deliveryAccount?: string;
  /** Encrypts the executions log group. */
  readonly encryptionKey: kms.IKey;
  /** Days the executions are kept. */
  readonly logRetention: logs.RetentionDays;
  /** Keep the executions log group when the stack is destroyed. */
  readonly retainData: boolean;
}

/** The `-failed` alarm of a pipeline: `<pipeline>-failed`. */
export function failedAlarmName(pipelineName: string): string {
  return `${pipelineName}-failed`;
}

/**
 * The name a pipeline was given, read from the pipeline itself so that the alarms, the executions
 * rule and the dashboard name exactly the pipelines there are. A plain string: the delivery stack
 * cannot refer to the pipelines' stacks, which refer to it.
 *
 * @throws when the pipeline has no explicit name
 */
export function pipelineNameOf(pipeline: codepipeline.Pipeline): string {
  const name = (pipeline.node.defaultChild as codepipeline.CfnPipeline).name;
  if (name === undefined || Token.isUnresolved(name)) {
    throw new Error(`${pipeline.node.path}: the pipeline has no explicit name: give it a pipelineName`);
  }
  return name;
}

/**
 * What the delivery account shows of its pipelines (in the delivery stack):
 *
 * - per pipeline, the alarm `<pipeline>-failed` (FailedPipelineExecutions ≥ 1 in 5 minutes, missing
 *   data not breaching), and the composite alarm `<prefix>-delivery-health`, "is delivery healthy",
 *   in ALARM while any of them is;
 * - every execution recorded ({@link PipelineExecutionLog});
 * - the dashboard `<prefix>-delivery-overview` ({@link DeliveryOverview}).
 *
 * None of these alarms notifies anyone, on purpose: each pipeline's CodeStar notification rule
 * `<stack>-notify` already tells `<prefix>-delivery-notifications` when an execution fails (and when
 * it succeeds or waits for an approval), with the execution's details. An alarm action would send
 * the same failure twice. The alarms are for people who look: the dashboard and `ias-ops status`.
 */
export class DeliveryObservability extends Construct {
  /** `<pipeline>-failed`, by pipeline name. */
  readonly failed: ReadonlyMap<string, cloudwatch.Alarm>;
  /** `<prefix>-delivery-health`: in ALARM while any pipeline's `-failed` alarm is. */
  readonly health: cloudwatch.CompositeAlarm;
  /** The pipelines' executions. */
  readonly executions: PipelineExecutionLog;
  /** `<prefix>-delivery-overview`. */
  readonly overview: DeliveryOverview;

  constructor(scope: Construct, id: string, props: DeliveryObservabilityProps) {
    super(scope, id);
    const { naming } = props;
    if (props.pipelines.length === 0) {
      throw new Error(`${naming.base}: no pipeline to observe`);
    }
    const dashboardName = naming.name('overview');
    const healthName = monitoringNames(naming).health;
    const notifyRule = 'its CodeStar notification rule (<stack>-notify)';

    this.failed = new Map(
      props.pipelines.map((pipeline) => {
        const alarm = new cloudwatch.Alarm(this, pipeline, {
          alarmName: failedAlarmName(pipeline),
          alarmDescription: `${pipeline} failed an execution in the last 5 minutes; see its execution history and the dashboard ${dashboardName}. Notifies no one: ${notifyRule} has told ${naming.name('notifications')}`,
          metric: pipelineMetrics.failedExecutions(pipeline),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          datapointsToAlarm: 1,
          // No execution, no failure: a quiet pipeline is a healthy one.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
        Validations.of(alarm).acknowledge({
          id: 'cdk-validator-cfnguard::cloudwatch_alarm_action_check',
          reason: `A member of ${healthName}, for the dashboard and ias-ops status: ${pipeline}'s failures already reach ${naming.name('notifications')} through ${notifyRule}, which an alarm action would repeat`,
        });
        return [pipeline, alarm] as const;
      }),
    );
    this.health = new cloudwatch.CompositeAlarm(this, 'Health', {
      compositeAlarmName: healthName,
      alarmDescription: `Delivery is unhealthy: a pipeline failed an execution in the last 5 minutes (its <pipeline>-failed alarm is in ALARM); see the dashboard ${dashboardName}. Notifies no one: each pipeline's notification rule has told ${naming.name('notifications')}`,
      alarmRule: cloudwatch.AlarmRule.anyOf(
        ...[...this.failed.values()].map((a) =>
          cloudwatch.AlarmRule.fromAlarm(a, cloudwatch.AlarmState.ALARM),
        ),
      ),
    });
    this.executions = new PipelineExecutionLog(this, 'Executions', {
      name: naming.name('pipeline-executions'),
      pipelines: props.pipelines,
      encryptionKey: props.encryptionKey,
      retention: props.logRetention,
      retainData: props.retainData,
    });
    this.overview = new DeliveryOverview(this, 'Overview', {
      dashboardName,
      health: this.health,
      pipelines: [...this.failed].map(([name, failed]) => ({ name, failed })),
      executions: this.executions.logGroup,
      environments: props.environments,
      deliveryAccount: props.deliveryAccount,
    });
  }
}
