import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { COLORS, type KubernetesTarget } from '@ias/targets';
import type { KubernetesProfile } from '../../config/kubernetes-profile-schema';
import type { AlarmTopic } from '../../constructs/alarm-topic';
import { WorkloadMonitoring, WorkloadWatch } from '../../constructs/workload-watch';

const WATCH = WorkloadWatch.DISAMBIGUATOR;
const FIVE_MINUTES = Duration.minutes(5);

/** Props of {@link KubernetesMonitoring}. */
export interface KubernetesMonitoringProps {
  readonly target: KubernetesTarget;
  readonly profile: KubernetesProfile;
  readonly alarmTopic: AlarmTopic;
  /** Container Insights' `application` log group of the cluster, which every pod writes to. */
  readonly applicationLogs: logs.ILogGroup;
  /** The environment's threshold of slow queries (the application's own, as on ECS). */
  readonly slowQueriesPer5Minutes: number;
}

/**
 * A Kubernetes application's dashboard `<prefix>-<env>-<app>-k8s`, its alarms and its composite
 * alarm `<…>-health`: container restarts of each color's pods (Container Insights) and what its
 * lines in the cluster's application log group say (errors, slow queries). The switch watches
 * these alarms during each bake and switches back on any of them.
 */
export class KubernetesMonitoring extends WorkloadMonitoring {
  constructor(scope: Construct, id: string, props: KubernetesMonitoringProps) {
    const { target, profile } = props;
    super(
      scope,
      id,
      {
        name: target.monitoringName,
        alarmTopic: props.alarmTopic,
        logs: {
          logGroup: props.applicationLogs,
          thresholds: {
            loggedErrorsPer5Minutes: profile.alarms.loggedErrorsPer5Minutes,
            slowQueriesPer5Minutes: props.slowQueriesPer5Minutes,
          },
          // Fluent Bit merges a line's own JSON under log_processed, beside the pod's metadata.
          selector: {
            field: 'log_processed',
            where: {
              'kubernetes.namespace_name': target.namespace,
              'kubernetes.container_name': target.app,
            },
          },
        },
      },
      (watch) => {
        const restarts = (deployment: string) =>
          new cloudwatch.Metric({
            namespace: 'ContainerInsights',
            metricName: 'pod_number_of_container_restarts',
            dimensionsMap: {
              ClusterName: target.clusterName,
              Namespace: target.namespace,
              PodName: deployment,
            },
            statistic: cloudwatch.Stats.SUM,
            period: FIVE_MINUTES,
          });
        watch.facade.monitorCustom({
          humanReadableName: `${target.monitoringName} pods`,
          alarmFriendlyName: 'pods',
          metricGroups: [
            {
              title: 'Container restarts, by color',
              metrics: COLORS.map((color) => ({
                metric: restarts(target.deployments[color]),
                alarmFriendlyName: `Restarts-${color}`,
                addAlarm: {
                  [WATCH]: {
                    threshold: profile.alarms.restartsPer5Minutes,
                    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                    // No data: the color is scaled to zero, which is not a symptom.
                    treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
                  },
                },
              })),
            },
          ],
        });
        return 'container restarts';
      },
    );
  }
}
