import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { AlarmTopic } from '../constructs/alarm-topic';
import type { Database } from '../constructs/database';
import { importKey, type EnvironmentStackProps } from './environment-stack-props';

/** Props of {@link ObservabilityStack}. */
export interface ObservabilityStackProps extends EnvironmentStackProps {
  /** Key the alarm topic is encrypted with. */
  readonly encryptionKey: kms.IKey;
  /** The database to watch. */
  readonly database: Database;
}

/**
 * The environment's alarm topic (every alarm of every later stack reports to it), the database
 * alarms with the profile's thresholds (CPU, capacity, connections, freeable memory), and the
 * environment dashboard.
 */
export class ObservabilityStack extends Stack {
  /** Where every alarm of the environment sends its transitions. */
  readonly alarmTopic: AlarmTopic;
  /** The environment dashboard; later stacks add their widgets. */
  readonly dashboard: cloudwatch.Dashboard;
  /** The alarms this stack creates. */
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { naming, config } = props;
    const { alarms } = config.profile;
    const { cluster } = props.database;

    this.alarmTopic = new AlarmTopic(this, 'AlarmTopic', {
      topicName: naming.name('alarms'),
      encryptionKey: importKey(this, props.encryptionKey),
      notificationEmails: alarms.notificationEmails,
    });

    const period = Duration.minutes(1);
    const cpu = cluster.metricCPUUtilization({ period, statistic: 'Average' });
    const capacity = cluster.metric('ACUUtilization', { period, statistic: 'Average' });
    const connections = cluster.metricDatabaseConnections({ period, statistic: 'Maximum' });

    const cpuAlarm = this.alarmTopic.notify(
      new cloudwatch.Alarm(this, 'DatabaseCpuAlarm', {
        alarmName: naming.name('db-cpu'),
        alarmDescription: `${naming.name('db')}: CPU above ${alarms.databaseCpuPercent}% for ${alarms.evaluationPeriods} minutes`,
        metric: cpu,
        threshold: alarms.databaseCpuPercent,
        evaluationPeriods: alarms.evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    const capacityAlarm = this.alarmTopic.notify(
      new cloudwatch.Alarm(this, 'DatabaseCapacityAlarm', {
        alarmName: naming.name('db-capacity'),
        alarmDescription: `${naming.name('db')}: above ${alarms.databaseCapacityPercent}% of its maximum capacity for ${alarms.evaluationPeriods} minutes: raise database.maxCapacity`,
        metric: capacity,
        threshold: alarms.databaseCapacityPercent,
        evaluationPeriods: alarms.evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    const freeableMemory = cluster.metricFreeableMemory({ period, statistic: 'Minimum' });
    const connectionsAlarm = this.alarmTopic.notify(
      new cloudwatch.Alarm(this, 'DatabaseConnectionsAlarm', {
        alarmName: naming.name('db-connections'),
        alarmDescription: `${naming.name('db')}: ${alarms.databaseConnections} connections or more for ${alarms.evaluationPeriods} minutes: look for a leak, or use the proxy`,
        metric: connections,
        threshold: alarms.databaseConnections,
        evaluationPeriods: alarms.evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    const memoryAlarm = this.alarmTopic.notify(
      new cloudwatch.Alarm(this, 'DatabaseFreeableMemoryAlarm', {
        alarmName: naming.name('db-freeable-memory'),
        alarmDescription: `${naming.name('db')}: under ${alarms.databaseFreeableMemoryMiB} MiB of freeable memory for ${alarms.evaluationPeriods} minutes: raise database.minCapacity`,
        metric: freeableMemory,
        threshold: alarms.databaseFreeableMemoryMiB * 1024 * 1024,
        evaluationPeriods: alarms.evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    this.alarms = [cpuAlarm, capacityAlarm, connectionsAlarm, memoryAlarm];

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: naming.name('overview'),
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...this.alarms], width: 24, height: 3 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Database CPU (%)', left: [cpu], width: 8 }),
      new cloudwatch.GraphWidget({
        title: 'Database capacity used (% of max ACU)',
        left: [capacity],
        width: 8,
      }),
      new cloudwatch.GraphWidget({ title: 'Database connections', left: [connections], width: 8 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Database freeable memory (bytes)',
        left: [freeableMemory],
        width: 8,
      }),
    );
  }

  /** The alarm topic itself, for stacks that wire their own alarms. */
  get topic(): sns.ITopic {
    return this.alarmTopic.topic;
  }
}
