import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  DefaultDashboardFactory,
  MonitoringFacade,
  noopAction,
  SnsAlarmActionStrategy,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { workloadHealthAlarmName } from '@ias/targets';
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

/** Thresholds of the alarms on what a workload's structured logs say, over 5 minutes. */
export interface LogThresholds {
  /** Lines logged with an `errorType` at which the workload is unwell. */
  readonly loggedErrorsPer5Minutes: number;
  /** Queries slower than the workload's SLOW_QUERY_MS at which it is unwell. */
  readonly slowQueriesPer5Minutes: number;
}

/**
 * The application's log contract the metric filters read (app/core and the handlers write it): a
 * line about a failure carries `errorType`; an allocation refused for lack of stock is
 * `event: "allocation.shortage"`; a query over SLOW_QUERY_MS is `event: "db.slow-query"`.
 */
export const LOG_EVENTS = {
  loggedError: '{ $.errorType = * }',
  shortage: '{ $.event = "allocation.shortage" }',
  slowQuery: '{ $.event = "db.slow-query" }',
} as const;

/**
 * Where a workload's lines are in a log group that other workloads write too (Container Insights'
 * `application` group of an EKS cluster): the JSON field its own line is parsed into, and the
 * conditions that pick its lines.
 */
export interface LogSelector {
  /** The field holding the line's own JSON, e.g. `log_processed` (Fluent Bit's `Merge_Log_Key`). */
  readonly field: string;
  /** Field → value conditions every line of the workload meets, e.g. its namespace and container. */
  readonly where: Readonly<Record<string, string>>;
}

/** A {@link LOG_EVENTS} pattern, for the lines `selector` picks (unchanged without one). */
export function logPattern(pattern: string, selector?: LogSelector): string {
  if (!selector) return pattern;
  const condition = pattern.replace(/^\{\s*|\s*\}$/g, '').replace(/\$\./g, `$.${selector.field}.`);
  const where = Object.entries(selector.where).map(
    ([field, value]) => `($.${field} = ${JSON.stringify(value)})`,
  );
  return `{ ${[...where, `(${condition})`].join(' && ')} }`;
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
    private readonly scope: Construct,
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

  /**
   * Metric filters on the workload's structured logs ({@link LOG_EVENTS}) into the namespace
   * `<name>`: `LoggedErrors` and `SlowQueries`, alarmed with `thresholds`; `AllocationShortages`
   * shown, not alarmed (a shortage is the API answering correctly; a run of them is the business's
   * news, not the on-call's); and `LoggedErrors` by `ErrorType` on the dashboard.
   */
  watchLogs(logGroup: logs.ILogGroup, thresholds: LogThresholds, selector?: LogSelector): void {
    const namespace = this.props.name;
    const period = Duration.minutes(5);
    const filter = (id: string, metricName: string, pattern: string, dimensions?: Record<string, string>) =>
      new logs.MetricFilter(this.scope, id, {
        logGroup,
        filterName: `${this.props.name}-${metricName}`,
        filterPattern: logs.FilterPattern.literal(logPattern(pattern, selector)),
        metricNamespace: namespace,
        metricName,
        metricValue: '1',
        // A dimensioned filter may not have a default value (CloudWatch Logs refuses it).
        ...(dimensions ? { dimensions } : { defaultValue: 0 }),
        unit: cloudwatch.Unit.COUNT,
      }).metric({ statistic: cloudwatch.Stats.SUM, period });
    const errors = filter('LoggedErrors', 'LoggedErrors', LOG_EVENTS.loggedError);
    filter('LoggedErrorsByType', 'LoggedErrorsByType', LOG_EVENTS.loggedError, {
      ErrorType: selector ? `$.${selector.field}.errorType` : '$.errorType',
    });
    const shortages = filter('AllocationShortages', 'AllocationShortages', LOG_EVENTS.shortage);
    const slowQueries = filter('SlowQueries', 'SlowQueries', LOG_EVENTS.slowQuery);
    const atLeast = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    this.facade.monitorCustom({
      humanReadableName: `${this.props.name} logs`,
      alarmFriendlyName: 'logs',
      metricGroups: [
        {
          title: 'Errors logged',
          metrics: [
            {
              metric: errors,
              alarmFriendlyName: 'Logged-Errors',
              addAlarm: {
                [WATCH]: { threshold: thresholds.loggedErrorsPer5Minutes, comparisonOperator: atLeast },
              },
            },
          ],
        },
        {
          title: 'Errors logged, by type',
          metrics: [
            new cloudwatch.MathExpression({
              expression: `SEARCH('{${namespace},ErrorType} MetricName="LoggedErrorsByType"', 'Sum', 300)`,
              label: '',
              period,
            }),
          ],
        },
        {
          title: 'Slow queries (over SLOW_QUERY_MS)',
          metrics: [
            {
              metric: slowQueries,
              alarmFriendlyName: 'Slow-Queries',
              addAlarm: {
                [WATCH]: { threshold: thresholds.slowQueriesPer5Minutes, comparisonOperator: atLeast },
              },
            },
          ],
        },
        { title: 'Allocations refused for lack of stock', metrics: [shortages] },
      ],
    });
  }

  /** Makes the composite alarm of every alarm added so far; `symptoms` says what they watch. */
  finish(symptoms: string): WorkloadHealth {
    const { name, alarmTopic } = this.props;
    const healthName = workloadHealthAlarmName(name);
    const health = this.facade.createCompositeAlarmUsingDisambiguator(WATCH, {
      disambiguator: WATCH,
      alarmNameOverride: healthName,
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
        reason: `A member of the composite alarm ${healthName}, which notifies the alarm topic: one message while the workload is unwell instead of one per symptom`,
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
    props: WorkloadWatchProps & {
      /**
       * The workload's log group, the thresholds of the alarms on what it says, and where its lines
       * are when the group is shared.
       */
      readonly logs: {
        readonly logGroup: logs.ILogGroup;
        readonly thresholds: LogThresholds;
        readonly selector?: LogSelector;
      };
    },
    watch: (watch: WorkloadWatch) => string,
  ) {
    super(scope, id);
    const workloadWatch = new WorkloadWatch(this, props);
    const symptoms = watch(workloadWatch);
    workloadWatch.watchLogs(props.logs.logGroup, props.logs.thresholds, props.logs.selector);
    const made = workloadWatch.finish(`${symptoms}, errors logged, slow queries`);
    this.name = props.name;
    this.alarms = made.alarms;
    this.health = made.health;
    this.dashboard = made.dashboard;
  }
}
