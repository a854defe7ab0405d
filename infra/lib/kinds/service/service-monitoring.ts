import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { Construct } from 'constructs';
import type { ServiceProfile } from '../../config/service-profile-schema';
import type { AlarmTopic } from '../../constructs/alarm-topic';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { WorkloadMonitoring, WorkloadWatch, type LogThresholds } from '../../constructs/workload-watch';
import type { ServiceLoadBalancer } from './service-load-balancer';

const WATCH = WorkloadWatch.DISAMBIGUATOR;
const FIVE_MINUTES = Duration.minutes(5);

/** Props of {@link ServiceMonitoring}. */
export interface ServiceMonitoringProps {
  /** `<prefix>-<env>-<service>`: names its dashboard, its alarms and its composite alarm. */
  readonly name: string;
  /** The Amazon ECS service. */
  readonly service: ecs.FargateService;
  /** Its cluster (Container Insights on: running and desired task counts). */
  readonly cluster: ecs.ICluster;
  /** The load balancer in front of it; the blue target group is the one that serves between deployments. */
  readonly loadBalancer: ServiceLoadBalancer;
  /** The profile's service settings: `watch` and `scaling.minCapacity`. */
  readonly profile: ServiceProfile;
  /** Where the composite alarm reports. */
  readonly alarmTopic: AlarmTopic;
  /** The environment's canary, when this service is the API it calls: runs, and failed runs in a row that alarm. */
  readonly canary?: {
    /** Its name (a literal: the canary exists only once the service is delivered). */
    readonly name: string;
    readonly everyMinutes: number;
    readonly failedRunsToAlarm: number;
  };
  /** The service's log group and the thresholds of the alarms on what it logs. */
  readonly logs: { readonly logGroup: logs.ILogGroup; readonly thresholds: LogThresholds };
}

/**
 * What operators see of one container service (seeds 001 and 002), built with
 * cdk-monitoring-constructs: its dashboard `<service>` (requests, 5xx of the load balancer and of the
 * tasks, latency, healthy tasks, CPU, memory, running against desired tasks), the alarms worth waking
 * someone for, with the profile's `service.watch`, and the composite alarm `<service>-health`, the one
 * that notifies. The alarms that roll a deployment back ({@link ServiceAlarms}) stay apart.
 */
export class ServiceMonitoring extends WorkloadMonitoring {
  constructor(scope: Construct, id: string, props: ServiceMonitoringProps) {
    const { name, profile } = props;
    const { watch: thresholds } = profile;
    const lb = props.loadBalancer.loadBalancer;
    super(scope, id, { name, alarmTopic: props.alarmTopic, logs: props.logs }, (watch) => {
      watch.facade.monitorFargateApplicationLoadBalancer({
        fargateService: props.service,
        applicationLoadBalancer: lb,
        applicationTargetGroup: props.loadBalancer.blue,
        humanReadableName: name,
        alarmFriendlyName: 'svc',
        addCpuUsageAlarm: { [WATCH]: { maxUsagePercent: thresholds.cpuPercent } },
        addMemoryUsageAlarm: { [WATCH]: { maxUsagePercent: thresholds.memoryPercent } },
      });
      const above = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
      const insights = (metricName: string) =>
        new cloudwatch.Metric({
          namespace: 'ECS/ContainerInsights',
          metricName,
          dimensionsMap: { ClusterName: props.cluster.clusterName, ServiceName: props.service.serviceName },
          statistic: cloudwatch.Stats.AVERAGE,
          period: FIVE_MINUTES,
        });
      const groups = [props.loadBalancer.blue, props.loadBalancer.green].filter(
        (g): g is elbv2.ApplicationTargetGroup => g !== undefined,
      );
      // By dimensions: the green group is attached to the balancer only while a deployment points a
      // listener at it, so its metrics helper cannot be used.
      const healthy = (group: elbv2.ApplicationTargetGroup) =>
        new cloudwatch.Metric({
          namespace: 'AWS/ApplicationELB',
          metricName: 'HealthyHostCount',
          dimensionsMap: { TargetGroup: group.targetGroupFullName, LoadBalancer: lb.loadBalancerFullName },
          statistic: cloudwatch.Stats.MINIMUM,
          period: FIVE_MINUTES,
        });
      watch.facade.monitorCustom({
        humanReadableName: `${name} requests`,
        alarmFriendlyName: 'svc',
        metricGroups: [
          {
            title: '5xx answers (load balancer, tasks)',
            metrics: [
              {
                metric: lb.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: FIVE_MINUTES }),
                alarmFriendlyName: 'Elb-5xx',
                addAlarm: { [WATCH]: { threshold: thresholds.elb5xxPer5Minutes, comparisonOperator: above } },
              },
              {
                metric: lb.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
                  period: FIVE_MINUTES,
                }),
                alarmFriendlyName: 'Target-5xx',
                addAlarm: {
                  [WATCH]: { threshold: thresholds.target5xxPer5Minutes, comparisonOperator: above },
                },
              },
            ],
          },
          {
            title: 'Response time p99 (s)',
            metrics: [
              {
                metric: lb.metrics.targetResponseTime({
                  period: FIVE_MINUTES,
                  statistic: cloudwatch.Stats.p(99),
                }),
                alarmFriendlyName: 'Latency-P99',
                addAlarm: {
                  [WATCH]: { threshold: thresholds.p99LatencyMs / 1000, comparisonOperator: above },
                },
              },
            ],
          },
          {
            // Both target groups: blue/green deployments leave the serving tasks in either.
            title: 'Healthy tasks behind the load balancer',
            metrics: [
              {
                metric: new cloudwatch.MathExpression({
                  expression: groups.map((_, i) => `FILL(g${i}, 0)`).join(' + '),
                  usingMetrics: Object.fromEntries(groups.map((g, i) => [`g${i}`, healthy(g)])),
                  label: 'healthy tasks',
                  period: FIVE_MINUTES,
                }),
                alarmFriendlyName: 'Healthy-Tasks',
                addAlarm: {
                  [WATCH]: {
                    threshold: profile.scaling.minCapacity,
                    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                  },
                },
              },
            ],
          },
          {
            title: 'Tasks: running against desired',
            metrics: [
              insights('DesiredTaskCount'),
              insights('RunningTaskCount'),
              {
                // Amazon ECS could not keep the count it wants: placement, image pulls, failing tasks.
                metric: new cloudwatch.MathExpression({
                  expression: 'desired - running',
                  usingMetrics: {
                    desired: insights('DesiredTaskCount'),
                    running: insights('RunningTaskCount'),
                  },
                  label: 'tasks short of desired',
                  period: FIVE_MINUTES,
                }),
                alarmFriendlyName: 'Tasks-Short',
                addAlarm: { [WATCH]: { threshold: 0.5, comparisonOperator: above } },
              },
            ],
          },
        ],
      });
      const { canary } = props;
      if (canary) {
        const runs = Duration.minutes(canary.everyMinutes);
        const synthetic = (metricName: string, statistic: string) =>
          new cloudwatch.Metric({
            namespace: 'CloudWatchSynthetics',
            metricName,
            dimensionsMap: { CanaryName: canary.name },
            statistic,
            period: runs,
          });
        watch.facade.monitorCustom({
          humanReadableName: `${name} from outside (canary ${canary.name})`,
          alarmFriendlyName: 'canary',
          metricGroups: [
            {
              title: 'Canary runs passed (%)',
              metrics: [
                {
                  metric: synthetic('SuccessPercent', cloudwatch.Stats.AVERAGE),
                  alarmFriendlyName: 'Canary-Failed',
                  addAlarm: {
                    [WATCH]: {
                      threshold: 100,
                      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                      evaluationPeriods: canary.failedRunsToAlarm,
                      datapointsToAlarm: canary.failedRunsToAlarm,
                    },
                  },
                },
              ],
            },
            { title: 'Canary run time (ms)', metrics: [synthetic('Duration', cloudwatch.Stats.MAXIMUM)] },
          ],
        });
      }
      return `load balancer and task 5xx, p99 latency, healthy tasks, CPU, memory, running below desired${canary ? ', canary runs failing' : ''}`;
    });
  }
}
