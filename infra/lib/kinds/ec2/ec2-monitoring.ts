import type { Ec2Target } from '@ias/targets';
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { Ec2Profile } from '../../config/ec2-profile-schema';
import type { AlarmTopic } from '../../constructs/alarm-topic';
import { WorkloadMonitoring, WorkloadWatch } from '../../constructs/workload-watch';

const WATCH = WorkloadWatch.DISAMBIGUATOR;
const FIVE_MINUTES = Duration.minutes(5);
const AT_LEAST = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;

/** The unhealthy-instances alarm's name in the facade (its construct id ends with it). */
const UNHEALTHY_HOSTS = 'Unhealthy-Hosts';

/** Props of {@link Ec2Monitoring}. */
export interface Ec2MonitoringProps {
  readonly target: Ec2Target;
  readonly profile: Ec2Profile;
  readonly alarmTopic: AlarmTopic;
  /** The target group the fleet's instances are registered in (blue and green alike). */
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The application's log group (the CloudWatch agent ships its output there). */
  readonly applicationLogs: logs.ILogGroup;
  /** The environment's threshold of slow queries. */
  readonly slowQueriesPer5Minutes: number;
  /** The environment's threshold of errors the application logs. */
  readonly loggedErrorsPer5Minutes: number;
}

/**
 * An EC2 application's dashboard `<prefix>-<env>-<app>-ec2`, its alarms and its composite alarm
 * `<…>-health`: unhealthy instances, their 5xx answers and p99 response time through the target group
 * (the same target group before, during and after a blue/green switch), and what the application
 * logs. CodeDeploy stops and rolls back a deployment on any of them.
 */
export class Ec2Monitoring extends WorkloadMonitoring {
  /**
   * The alarms that stop a deployment: all but the unhealthy-instances one, which is in ALARM from the
   * fleet's creation until its first deployment installs the application (CodeDeploy refuses to start
   * while an alarm of the group is in ALARM) and which CodeDeploy's own checks cover during one: it
   * deregisters each instance before its hooks and waits for it to be healthy on /ready after them.
   * The unhealthy-instances alarm still notifies, through the composite alarm.
   */
  readonly deploymentAlarms: readonly cloudwatch.AlarmBase[];

  constructor(scope: Construct, id: string, props: Ec2MonitoringProps) {
    const { target, profile, targetGroup } = props;
    super(
      scope,
      id,
      {
        name: target.monitoringName,
        alarmTopic: props.alarmTopic,
        logs: {
          logGroup: props.applicationLogs,
          thresholds: {
            loggedErrorsPer5Minutes: props.loggedErrorsPer5Minutes,
            slowQueriesPer5Minutes: props.slowQueriesPer5Minutes,
          },
        },
      },
      (watch) => {
        watch.facade.monitorCustom({
          humanReadableName: `${target.monitoringName} instances`,
          alarmFriendlyName: 'instances',
          metricGroups: [
            {
              title: 'Unhealthy instances',
              metrics: [
                {
                  metric: targetGroup.metrics.unhealthyHostCount({
                    period: Duration.minutes(1),
                    statistic: cloudwatch.Stats.MAXIMUM,
                  }),
                  alarmFriendlyName: UNHEALTHY_HOSTS,
                  addAlarm: {
                    [WATCH]: {
                      threshold: profile.alarms.unhealthyHosts,
                      comparisonOperator: AT_LEAST,
                      datapointsToAlarm: 2,
                      evaluationPeriods: 2,
                    },
                  },
                },
              ],
            },
            {
              title: 'Instances answering 5xx',
              metrics: [
                {
                  metric: targetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
                    period: FIVE_MINUTES,
                    statistic: cloudwatch.Stats.SUM,
                  }),
                  alarmFriendlyName: 'Target-5xx',
                  addAlarm: {
                    [WATCH]: {
                      threshold: profile.alarms.target5xxPer5Minutes,
                      comparisonOperator: AT_LEAST,
                      treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
                    },
                  },
                },
              ],
            },
            {
              title: 'Response time, p99 (ms)',
              metrics: [
                {
                  metric: new cloudwatch.MathExpression({
                    expression: 'latency * 1000',
                    usingMetrics: {
                      latency: targetGroup.metrics.targetResponseTime({
                        period: FIVE_MINUTES,
                        statistic: cloudwatch.Stats.percentile(99),
                      }),
                    },
                    label: 'p99 ms',
                    period: FIVE_MINUTES,
                  }),
                  alarmFriendlyName: 'Latency-p99',
                  addAlarm: {
                    [WATCH]: {
                      threshold: profile.alarms.p99LatencyMs,
                      comparisonOperator: AT_LEAST,
                      treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
                    },
                  },
                },
              ],
            },
            {
              title: 'CPU of the fleet (%)',
              metrics: [
                new cloudwatch.Metric({
                  namespace: 'AWS/EC2',
                  metricName: 'CPUUtilization',
                  // The group CloudFormation made; a blue/green copy reports under its own name.
                  dimensionsMap: { AutoScalingGroupName: target.autoScalingGroupName },
                  statistic: cloudwatch.Stats.AVERAGE,
                  period: FIVE_MINUTES,
                }),
              ],
            },
          ],
        });
        return 'unhealthy instances, 5xx answers, p99 response time';
      },
    );
    this.deploymentAlarms = this.alarms.filter((a) => !a.node.id.endsWith(`-${UNHEALTHY_HOSTS}-Warning`));
  }
}
