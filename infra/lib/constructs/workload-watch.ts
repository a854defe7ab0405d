import { Duration, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import {
  DefaultDashboardFactory,
  MonitoringFacade,
  noopAction,
  SnsAlarmActionStrategy,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import type { AlarmTopic } from './alarm-topic';

/** The disambiguator of the operators' alarms: they feed the composite, which alone notifies. */
const WATCH = 'Warning';

/** Props of {@link WorkloadWatch}. */
export interface WorkloadWatchProps {
  /** The workload's name (`<prefix>-<env>-<workload>`): names its dashboard, alarms and composite. */
  readonly name: string;
  /** Where the composite alarm reports. */
  readonly alarmTopic: AlarmTopic;
}

/** What {@link WorkloadWatch.finish} made. */
export interface WorkloadHealth {
  /** The operators' alarms, each a member of {@link health}. */
  readonly alarms: readonly cloudwatch.AlarmBase[];
  /** `<name>-health`: in ALARM while any of {@link alarms} is; notifies the alarm topic. */
  readonly health: cloudwatch.CompositeAlarm;
  /** The workload's dashboard, `<name>`. */
  readonly dashboard: cloudwatch.Dashboard;
}

/**
 * One workload's watch, as every kind builds it with cdk-monitoring-constructs: a monitoring facade
 * whose alarms (added by the kind, {@link WATCH} as their disambiguator, over 5-minute periods) notify
 * no one, a dashboard `<name>`, and {@link finish}, which makes the composite alarm `<name>-health`
 * that notifies the alarm topic once while any of them is in ALARM.
 *
 * Not a construct of its own: the facade and the dashboards are children of the kind's construct
 * (`scope`), whose logical IDs they keep.
 */
export class WorkloadWatch {
  /** The disambiguator to give every alarm added through {@link facade}. */
  static readonly DISAMBIGUATOR = WATCH;
  /** Where the kind adds its monitorings and their alarms. */
  readonly facade: MonitoringFacade;
  private readonly dashboards: DefaultDashboardFactory;

  constructor(
    scope: Construct,
    private readonly props: WorkloadWatchProps,
  ) {
    this.dashboards = new DefaultDashboardFactory(scope, 'Dashboards', {
      dashboardNamePrefix: props.name,
      createDashboard: true,
      createSummaryDashboard: false,
      createAlarmDashboard: false,
      detailDashboardRange: Duration.hours(3),
    });
    this.facade = new MonitoringFacade(scope, 'Facade', {
      alarmFactoryDefaults: {
        alarmNamePrefix: props.name,
        actionsEnabled: true,
        // One by one they notify no one: the composite does, once, while any is in ALARM.
        action: noopAction(),
        datapointsToAlarm: 1,
        evaluationPeriods: 1,
      },
      metricFactoryDefaults: { period: Duration.minutes(5) },
      dashboardFactory: this.dashboards,
    });
  }

  /** Makes the composite alarm of every alarm added so far; `symptoms` says what they watch. */
  finish(symptoms: string): WorkloadHealth {
    const { name, alarmTopic } = this.props;
    const health = this.facade.createCompositeAlarmUsingDisambiguator(WATCH, {
      disambiguator: WATCH,
      alarmNameOverride: `${name}-health`,
      alarmDescription: `${name} is unwell: one of its operators' alarms is in ALARM (${symptoms}); see its dashboard ${name}`,
      actionOverride: new SnsAlarmActionStrategy({
        onAlarmTopic: alarmTopic.topic,
        onOkTopic: alarmTopic.topic,
      }),
    });
    const dashboard = this.dashboards.dashboard;
    if (!health || !dashboard) {
      throw new Error(`${name}: the monitoring made no composite alarm or no dashboard`);
    }
    const alarms = this.facade.createdAlarmsWithDisambiguator(WATCH).map((a) => a.alarm);
    for (const alarm of alarms) {
      Validations.of(alarm).acknowledge({
        id: 'cdk-validator-cfnguard::cloudwatch_alarm_action_check',
        reason: `A member of the composite alarm ${name}-health, which notifies the alarm topic: one message while the workload is unwell instead of one per symptom`,
      });
    }
    return { alarms, health, dashboard };
  }
}

/**
 * A workload's monitoring construct, as each kind writes one: `watch` adds the kind's monitorings to
 * the {@link WorkloadWatch} and says what their alarms watch; the dashboard, the alarms and the
 * composite alarm are then this construct's.
 */
export abstract class WorkloadMonitoring extends Construct implements WorkloadHealth {
  /** `<prefix>-<env>-<workload>`: the name its dashboard and alarms start with. */
  readonly name: string;
  readonly alarms: readonly cloudwatch.AlarmBase[];
  readonly health: cloudwatch.CompositeAlarm;
  readonly dashboard: cloudwatch.Dashboard;

  protected constructor(
    scope: Construct,
    id: string,
    props: WorkloadWatchProps,
    watch: (watch: WorkloadWatch) => string,
  ) {
    super(scope, id);
    const workloadWatch = new WorkloadWatch(this, props);
    const made = workloadWatch.finish(watch(workloadWatch));
    this.name = props.name;
    this.alarms = made.alarms;
    this.health = made.health;
    this.dashboard = made.dashboard;
  }
}
