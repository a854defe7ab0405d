import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { AlarmTopic } from '../constructs/alarm-topic';
import { ChatChannels } from '../constructs/chat-channels';
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
  /** The EventBridge rules that send deployment failures and AWS Health events to the alarm topic. */
  readonly eventRules: readonly events.Rule[];
  /** The alarm topic in the Slack or Teams channels the profile names (none without). */
  readonly chat: ChatChannels;

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

    this.chat = new ChatChannels(this, 'Chat', {
      name: naming.name('alarms'),
      topics: [this.alarmTopic.topic],
      chat: config.profile.observability.chat,
    });

    const period = Duration.minutes(1);
    const cpu = cluster.metricCPUUtilization({ period, statistic: 'Average' });
    const capacity = cluster.metric('ACUUtilization', { period, statistic: 'Average' });
    const connections = cluster.metricDatabaseConnections({ period, statistic: 'Maximum' });

    const freeableMemory = cluster.metricFreeableMemory({ period, statistic: 'Minimum' });
    const { GREATER_THAN_THRESHOLD: above, GREATER_THAN_OR_EQUAL_TO_THRESHOLD: atLeast } =
      cloudwatch.ComparisonOperator;
    /** One database alarm over `alarms.evaluationPeriods` minutes, notifying the topic; `fix` says what to do. */
    const databaseAlarm = (
      id: string,
      name: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      comparisonOperator: cloudwatch.ComparisonOperator,
      what: string,
      fix?: string,
    ) =>
      this.alarmTopic.notify(
        new cloudwatch.Alarm(this, id, {
          alarmName: naming.name(name),
          alarmDescription: `${naming.name('db')}: ${what} for ${alarms.evaluationPeriods} minutes${fix ? `: ${fix}` : ''}`,
          metric,
          threshold,
          evaluationPeriods: alarms.evaluationPeriods,
          comparisonOperator,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    const cpuAlarm = databaseAlarm(
      'DatabaseCpuAlarm',
      'db-cpu',
      cpu,
      alarms.databaseCpuPercent,
      above,
      `CPU above ${alarms.databaseCpuPercent}%`,
    );
    const capacityAlarm = databaseAlarm(
      'DatabaseCapacityAlarm',
      'db-capacity',
      capacity,
      alarms.databaseCapacityPercent,
      above,
      `above ${alarms.databaseCapacityPercent}% of its maximum capacity`,
      'raise database.maxCapacity',
    );
    const connectionsAlarm = databaseAlarm(
      'DatabaseConnectionsAlarm',
      'db-connections',
      connections,
      alarms.databaseConnections,
      atLeast,
      `${alarms.databaseConnections} connections or more`,
      'look for a leak, or use the proxy',
    );
    const memoryAlarm = databaseAlarm(
      'DatabaseFreeableMemoryAlarm',
      'db-freeable-memory',
      freeableMemory,
      alarms.databaseFreeableMemoryMiB * 1024 * 1024,
      cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      `under ${alarms.databaseFreeableMemoryMiB} MiB of freeable memory`,
      'raise database.minCapacity',
    );
    this.alarms = [cpuAlarm, capacityAlarm, connectionsAlarm, memoryAlarm];

    // What no metric says: a deployment that failed or was stopped, and AWS's own trouble (seed 001).
    const toTopic = new targets.SnsTopic(this.alarmTopic.topic);
    this.eventRules = [
      new events.Rule(this, 'CodeDeployFailures', {
        ruleName: naming.name('codedeploy-failures'),
        description: `${naming.base}: a CodeDeploy deployment failed or was stopped (and rolled back)`,
        eventPattern: {
          source: ['aws.codedeploy'],
          detailType: ['CodeDeploy Deployment State-change Notification'],
          detail: { state: ['FAILURE', 'STOP'] },
        },
        targets: [toTopic],
      }),
      new events.Rule(this, 'EcsDeploymentFailures', {
        ruleName: naming.name('ecs-deployment-failures'),
        description: `${naming.base}: an Amazon ECS service deployment failed (and rolled back)`,
        eventPattern: {
          source: ['aws.ecs'],
          detailType: ['ECS Deployment State Change'],
          detail: { eventName: ['SERVICE_DEPLOYMENT_FAILED'] },
        },
        targets: [toTopic],
      }),
      new events.Rule(this, 'HealthEvents', {
        ruleName: naming.name('health-events'),
        description: `${naming.base}: AWS Health events for this account (issues, scheduled changes, notifications)`,
        eventPattern: { source: ['aws.health'], detailType: ['AWS Health Event'] },
        targets: [toTopic],
      }),
    ];

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
