import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { monitoringNames } from '@ias/targets';
import type { WatchedWorkloadStack } from '../kinds/kind';
import type { EnvironmentStackProps } from './environment-stack-props';

/** Props of {@link HealthStack}. */
export interface HealthStackProps extends EnvironmentStackProps {
  /** Every workload's stack of the environment, each with its composite alarm and the name of its dashboard. */
  readonly workloads: readonly WatchedWorkloadStack[];
  /** The environment's own alarms (the database's), each of which notifies. */
  readonly platformAlarms: readonly cloudwatch.IAlarm[];
}

/**
 * `<prefix>-<env>-health`, after every workload's stack, generated from them: the composite alarm
 * `<prefix>-<env>-health`, "is this environment healthy", in ALARM while any workload's composite or
 * any platform alarm is; and the dashboard `<prefix>-<env>-health` with their states and a link to
 * each workload's dashboard. The composite is a summary for people who look (the dashboard,
 * `ias-ops status`): its members notify the alarm topic themselves, so it does not notify again.
 */
export class HealthStack extends Stack {
  /** `<prefix>-<env>-health`. */
  readonly health: cloudwatch.CompositeAlarm;
  /** `<prefix>-<env>-health`. */
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: HealthStackProps) {
    super(scope, id, props);
    const { naming } = props;
    const healthName = monitoringNames(naming).health;
    const members = [...props.workloads.map((w) => w.monitoring.health), ...props.platformAlarms];
    this.health = new cloudwatch.CompositeAlarm(this, 'Health', {
      compositeAlarmName: healthName,
      alarmDescription: `${naming.base} is unhealthy: a workload's composite alarm or a platform alarm is in ALARM (each has notified the alarm topic); see the dashboard ${healthName}`,
      alarmRule: cloudwatch.AlarmRule.anyOf(
        ...members.map((alarm) => cloudwatch.AlarmRule.fromAlarm(alarm, cloudwatch.AlarmState.ALARM)),
      ),
    });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: healthName,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: `Is ${naming.base} healthy?`,
        alarms: [this.health],
        width: 24,
        height: 2,
      }),
      new cloudwatch.AlarmStatusWidget({
        title: 'Workloads and platform',
        alarms: members,
        width: 24,
        height: Math.max(2, Math.ceil(members.length / 4) + 1),
      }),
      new cloudwatch.TextWidget({
        markdown: [
          '### Dashboards',
          ...[naming.name('overview'), ...props.workloads.map((w) => w.monitoring.name)].map(
            (name) => `- [${name}](#dashboards:name=${name})`,
          ),
        ].join('\n'),
        width: 24,
        height: Math.max(3, props.workloads.length + 2),
      }),
    );
  }
}
