import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { monitoringNames, Naming } from '@ias/targets';
import type { EnvironmentConfig } from '../config/load';
import { pipelineMetrics } from './pipeline-metrics';

/** One pipeline as the overview shows it. */
export interface OverviewPipeline {
  /** The pipeline's name. */
  readonly name: string;
  /** Its `-failed` alarm. */
  readonly failed: cloudwatch.IAlarm;
}

/** Props of {@link DeliveryOverview}. */
export interface DeliveryOverviewProps {
  /** `<prefix>-delivery-overview`. */
  readonly dashboardName: string;
  /** `<prefix>-delivery-health`: is delivery healthy. */
  readonly health: cloudwatch.IAlarm;
  /** Every pipeline, in the order the overview lists them. */
  readonly pipelines: readonly OverviewPipeline[];
  /** The pipelines' executions, one JSON event per state change. */
  readonly executions: logs.ILogGroup;
  /** The environments the pipelines deliver to, in promotion order. */
  readonly environments: readonly EnvironmentConfig[];
  /**
   * The delivery account, to tell which environments live in another one.
   * @default - the deploying credentials' account, which every environment then shares
   */
  readonly deliveryAccount?: string;
}

/** How many executions the Logs Insights widget lists. */
const LAST_EXECUTIONS = 50;

/**
 * The delivery account's dashboard `<prefix>-delivery-overview`, top to bottom: is delivery healthy
 * (`<prefix>-delivery-health` and every pipeline's `-failed` alarm); per pipeline, its failed
 * executions and their duration (AWS/CodePipeline, V2 pipelines); the last executions from the
 * executions log group (Logs Insights); and per environment, its canary's success rate and its
 * health alarm `<prefix>-<env>-health`, read in the environment's own account and region.
 *
 * An environment in another account shows only once that account shares its CloudWatch data with
 * the delivery account; the dashboard says so in a text widget.
 *
 * @see https://docs.aws.amazon.com/codepipeline/latest/userguide/metrics-dimensions.html
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Cross-Account-Cross-Region.html
 */
export class DeliveryOverview extends Construct {
  /** `<prefix>-delivery-overview`. */
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DeliveryOverviewProps) {
    super(scope, id);
    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(7),
    });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Is delivery healthy? (any pipeline failed in the last 5 minutes)',
        alarms: [props.health],
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Pipelines',
        alarms: props.pipelines.map((p) => p.failed),
        width: 24,
        height: Math.max(2, Math.ceil(props.pipelines.length / 4) + 1),
      }),
    );
    this.dashboard.addWidgets(...props.pipelines.map((p) => pipelineWidget(p)));
    this.dashboard.addWidgets(
      new cloudwatch.LogQueryWidget({
        title: `Last ${LAST_EXECUTIONS} pipeline executions (state changes, newest first)`,
        logGroupNames: [props.executions.logGroupName],
        view: cloudwatch.LogQueryVisualizationType.TABLE,
        // EventBridge writes each event as JSON; Logs Insights names its fields by their path.
        queryLines: [
          'fields @timestamp as time, detail.pipeline as pipeline, detail.state as state, `detail.execution-id` as execution',
          'sort @timestamp desc',
          `limit ${LAST_EXECUTIONS}`,
        ],
        width: 24,
        height: 8,
      }),
    );
    this.dashboard.addWidgets(
      ...props.environments.flatMap((env) => environmentWidgets(this, env)),
      sharingNote(props.environments, props.deliveryAccount),
    );
  }
}

/** A pipeline's failed executions (left) and execution duration (right), in 5-minute periods. */
function pipelineWidget(pipeline: OverviewPipeline): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({
    title: pipeline.name,
    left: [pipelineMetrics.failedExecutions(pipeline.name).with({ label: 'Failed executions' })],
    right: [pipelineMetrics.longestExecution(pipeline.name).with({ label: 'Longest execution (s)' })],
    leftYAxis: { min: 0, showUnits: false },
    rightYAxis: { min: 0, showUnits: false },
    width: 8,
    height: 6,
  });
}

/**
 * An environment's canary success rate and health alarm, in its account and region when the profile
 * names an account (a cross-account dashboard), else in the delivery stack's.
 */
function environmentWidgets(scope: Construct, env: EnvironmentConfig): cloudwatch.IWidget[] {
  const names = monitoringNames(new Naming(env.prefix, env.name));
  const where =
    env.profile.account === undefined ? {} : { account: env.profile.account, region: env.profile.region };
  const health = cloudwatch.Alarm.fromAlarmArn(
    scope,
    `${env.name}Health`,
    Stack.of(scope).formatArn({
      ...where,
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: names.health,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
  );
  return [
    new cloudwatch.GraphWidget({
      title: `${env.name}: canary ${names.canary} success (%)`,
      left: [
        new cloudwatch.Metric({
          namespace: 'CloudWatchSynthetics',
          metricName: 'SuccessPercent',
          dimensionsMap: { CanaryName: names.canary },
          statistic: cloudwatch.Stats.AVERAGE,
          period: Duration.minutes(5),
          label: 'Success (%)',
          ...where,
        }),
      ],
      leftYAxis: { min: 0, max: 100, showUnits: false },
      accountId: where.account,
      region: where.region,
      width: 16,
      height: 5,
    }),
    new cloudwatch.AlarmStatusWidget({
      title: `${env.name}: ${names.health}`,
      alarms: [health],
      width: 8,
      height: 5,
    }),
  ];
}

/** What an environment in another account needs for its widgets to show. */
function sharingNote(
  environments: readonly EnvironmentConfig[],
  deliveryAccount: string | undefined,
): cloudwatch.TextWidget {
  const elsewhere = environments.filter(
    (e) => e.profile.account !== undefined && e.profile.account !== deliveryAccount,
  );
  const which =
    elsewhere.length === 0
      ? 'Every environment is in this account today: nothing to share.'
      : `In other accounts: ${elsewhere.map((e) => `${e.name} (${e.profile.account ?? ''}, ${e.profile.region})`).join(', ')}.`;
  return new cloudwatch.TextWidget({
    markdown: [
      '### Environments in other accounts',
      'The canary and health widgets above read each environment in its own account and region. ' +
        'An environment in another account shows only once that account shares its CloudWatch data with this (delivery) account: ' +
        'link it as a source account of this monitoring account with [CloudWatch cross-account observability](https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Unified-Cross-Account.html), ' +
        'or create the `CloudWatch-CrossAccountSharingRole` there, trusting this account, and turn on cross-account viewing here ([cross-account cross-Region dashboards](https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Cross-Account-Cross-Region.html)).',
      which,
    ].join('\n\n'),
    width: 24,
    height: 4,
  });
}
