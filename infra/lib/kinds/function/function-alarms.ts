import { functionAlarmNames } from '@ias/targets';
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { AlarmTopic } from '../../constructs/alarm-topic';

/** Alarm thresholds of a function's deployment. */
export interface DeploymentAlarmThresholds {
  /** Errors per minute on the alias. */
  readonly errorsPerMinute: number;
  /** Throttles per minute on the alias. */
  readonly throttlesPerMinute: number;
  /** p99 duration, as a percentage of the function's timeout. */
  readonly p99DurationPercentOfTimeout: number;
}

/** Props of {@link FunctionAlarms}. */
export interface FunctionAlarmsProps {
  /** The function's name (prefixed): names the alarms `<name>-errors` etc. (`functionAlarmNames`). */
  readonly functionName: string;
  /** The alias the alarms watch. */
  readonly alias: lambda.Alias;
  /** The function's timeout, of which the p99 duration threshold is a percentage. */
  readonly timeoutSeconds: number;
  /** When an alarm goes off. */
  readonly thresholds: DeploymentAlarmThresholds;
  /** Where the alarms report. */
  readonly alarmTopic: AlarmTopic;
}

/**
 * The alarms on a function's alias `live` (errors, throttles, p99 duration), which stop and roll
 * back a deployment in progress: CodeDeploy's, or a judged one's.
 *
 * Not a construct of its own: the alarms are children of the function's construct (`scope`), so
 * that they keep the logical IDs the functions' stacks were first deployed with.
 */
export class FunctionAlarms {
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, props: FunctionAlarmsProps) {
    const { thresholds, functionName } = props;
    const minute = Duration.minutes(1);
    // By the names the judged deployments watch too.
    const names = functionAlarmNames(functionName);
    const alarm = (
      idSuffix: 'Errors' | 'Throttles' | 'Duration',
      metric: cloudwatch.IMetric,
      threshold: number,
      what: string,
    ) =>
      props.alarmTopic.notify(
        new cloudwatch.Alarm(scope, `${idSuffix}Alarm`, {
          alarmName: names[idSuffix.toLowerCase() as Lowercase<typeof idSuffix>],
          alarmDescription: `${functionName} (alias live): ${what}; stops and rolls back a deployment in progress`,
          metric,
          threshold,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    const p99Ms = Math.round((props.timeoutSeconds * 1000 * thresholds.p99DurationPercentOfTimeout) / 100);
    this.alarms = [
      alarm(
        'Errors',
        props.alias.metricErrors({ period: minute, statistic: 'Sum' }),
        thresholds.errorsPerMinute,
        `${thresholds.errorsPerMinute}+ errors in a minute`,
      ),
      alarm(
        'Throttles',
        props.alias.metricThrottles({ period: minute, statistic: 'Sum' }),
        thresholds.throttlesPerMinute,
        `${thresholds.throttlesPerMinute}+ throttles in a minute`,
      ),
      alarm(
        'Duration',
        props.alias.metricDuration({ period: minute, statistic: 'p99' }),
        p99Ms,
        `p99 duration of ${p99Ms} ms or more`,
      ),
    ];
  }
}
