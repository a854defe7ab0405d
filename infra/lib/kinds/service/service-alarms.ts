import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import type { ServiceProfile } from '../../config/service-profile-schema';
import type { AlarmTopic } from '../../constructs/alarm-topic';
import type { ServiceLoadBalancer } from './service-load-balancer';

/** Props of {@link ServiceAlarms}. */
export interface ServiceAlarmsProps {
  /** `<prefix>-<env>-<service>`: the alarms' name prefix. */
  readonly name: string;
  readonly loadBalancer: ServiceLoadBalancer;
  /** Thresholds. */
  readonly thresholds: ServiceProfile['alarms'];
  /** Where they report. */
  readonly alarmTopic: AlarmTopic;
}

/**
 * The alarms that stop a service deployment and roll it back (seed 000: target 5xx, unhealthy
 * hosts, p99 latency), on the load balancer and both target groups; each also pages the team.
 * Missing data (no traffic) is not breaching.
 */
export class ServiceAlarms extends Construct {
  /** Every alarm, for a deployment group or the service's deployment alarms. */
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    const { loadBalancer, thresholds } = props;
    const minute = Duration.minutes(1);
    const alarm = (suffix: string, metric: cloudwatch.IMetric, threshold: number, description: string) =>
      props.alarmTopic.notify(
        new cloudwatch.Alarm(this, suffix, {
          alarmName: `${props.name}-${suffix}`,
          alarmDescription: description,
          metric,
          threshold,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    const alarms = [
      alarm(
        'target-5xx',
        loadBalancer.loadBalancer.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
          period: minute,
          statistic: cloudwatch.Stats.SUM,
        }),
        thresholds.target5xxPerMinute,
        `${props.name}: ${thresholds.target5xxPerMinute} or more 5xx answers from the tasks in a minute`,
      ),
      alarm(
        'p99-latency',
        loadBalancer.loadBalancer.metrics.targetResponseTime({
          period: minute,
          statistic: cloudwatch.Stats.p(99),
        }),
        thresholds.p99LatencyMs / 1000,
        `${props.name}: p99 response time of the tasks at ${thresholds.p99LatencyMs} ms or more`,
      ),
    ];
    for (const [which, group] of [
      ['blue', loadBalancer.blue],
      ['green', loadBalancer.green],
    ] as const) {
      if (group) {
        alarms.push(
          alarm(
            `unhealthy-hosts-${which}`,
            // By dimensions: the green group is attached to the balancer only while a deployment
            // points a listener at it, so its metrics helper cannot be used.
            new cloudwatch.Metric({
              namespace: 'AWS/ApplicationELB',
              metricName: 'UnHealthyHostCount',
              dimensionsMap: {
                TargetGroup: group.targetGroupFullName,
                LoadBalancer: loadBalancer.loadBalancer.loadBalancerFullName,
              },
              period: minute,
              statistic: cloudwatch.Stats.MAXIMUM,
            }),
            thresholds.unhealthyHosts,
            `${props.name}: ${thresholds.unhealthyHosts} or more unhealthy tasks in the ${which} target group`,
          ),
        );
      }
    }
    this.alarms = alarms;
  }
}
