import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { EnvironmentProfile } from '../../config/profile-schema';
import type { AlarmTopic } from '../../constructs/alarm-topic';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { WorkloadMonitoring, WorkloadWatch, type LogThresholds } from '../../constructs/workload-watch';

const WATCH = WorkloadWatch.DISAMBIGUATOR;

/** Props of {@link FunctionMonitoring}. */
export interface FunctionMonitoringProps {
  /** The function's name (prefixed): names its dashboard, its alarms and its composite alarm. */
  readonly functionName: string;
  /** The function, watched on every version (the alias has its own alarms, which roll back). */
  readonly function: lambda.IFunction;
  /** The function's timeout, of which the p99 duration threshold is a percentage. */
  readonly timeoutSeconds: number;
  /** The queue that triggers it and its dead-letter queue, for a queue-triggered function. */
  readonly queue?: { readonly queue: sqs.IQueue; readonly deadLetterQueue: sqs.IQueue };
  /** The profile's thresholds. */
  readonly thresholds: EnvironmentProfile['lambda']['watch'];
  /** Where the composite alarm reports. */
  readonly alarmTopic: AlarmTopic;
  /** The function's log group and the thresholds of the alarms on what it logs. */
  readonly logs: { readonly logGroup: logs.ILogGroup; readonly thresholds: LogThresholds };
}

/**
 * What operators see of one function (seeds 001 and 002), built with cdk-monitoring-constructs: its
 * dashboard `<function>` (invocations, errors, throttles, duration p50/p99, concurrency; its queue
 * and dead-letter queue), the alarms worth waking someone for, with the profile's thresholds, and the
 * composite alarm `<function>-health`, the one that notifies the alarm topic. The alarms on the alias
 * that roll a deployment back ({@link FunctionAlarms}) stay apart.
 */
export class FunctionMonitoring extends WorkloadMonitoring {
  constructor(scope: Construct, id: string, props: FunctionMonitoringProps) {
    const { thresholds, functionName } = props;
    super(scope, id, { name: functionName, alarmTopic: props.alarmTopic, logs: props.logs }, (watch) => {
      watch.facade.monitorLambdaFunction({
        lambdaFunction: props.function,
        humanReadableName: functionName,
        alarmFriendlyName: 'fn',
        // Triggered by SQS, S3 or EventBridge: no stream iterator whose age to show.
        isIterator: false,
        addFaultCountAlarm: { [WATCH]: { maxErrorCount: thresholds.errorsPer5Minutes - 1 } },
        addThrottlesCountAlarm: { [WATCH]: { maxErrorCount: thresholds.throttlesPer5Minutes - 1 } },
        addLatencyP99Alarm: {
          [WATCH]: {
            maxLatency: Duration.millis(
              Math.round((props.timeoutSeconds * 1000 * thresholds.p99DurationPercentOfTimeout) / 100),
            ),
          },
        },
        addConcurrentExecutionsCountAlarm: {
          [WATCH]: { maxRunningTasks: thresholds.concurrentExecutions - 1 },
        },
      });
      // During a deployment the alias `live` splits traffic between two versions: each one's
      // invocations and errors, as Lambda reports them by ExecutedVersion for alias invocations.
      const byVersion = (metricName: string) =>
        new cloudwatch.MathExpression({
          expression: `SEARCH('{AWS/Lambda,FunctionName,Resource,ExecutedVersion} FunctionName="${functionName}" MetricName="${metricName}"', 'Sum', 60)`,
          label: '',
          period: Duration.minutes(1),
        });
      watch.facade.monitorCustom({
        humanReadableName: `${functionName} by version of the alias`,
        alarmFriendlyName: 'versions',
        metricGroups: [
          { title: 'Invocations by version (alias live)', metrics: [byVersion('Invocations')] },
          { title: 'Errors by version (alias live)', metrics: [byVersion('Errors')] },
        ],
      });
      if (props.queue) {
        watch.facade.monitorSqsQueueWithDlq({
          queue: props.queue.queue,
          deadLetterQueue: props.queue.deadLetterQueue,
          humanReadableName: `${functionName} queue`,
          alarmFriendlyName: 'queue',
          addQueueMaxMessageAgeAlarm: {
            [WATCH]: { maxAgeInSeconds: thresholds.queueOldestMessageSeconds },
          },
          // A message there is an order or a file no retry handled: someone must look at it.
          addDeadLetterQueueMaxSizeAlarm: { [WATCH]: { maxMessageCount: 0 } },
        });
      }
      return `errors, throttles, p99 duration, concurrency${props.queue ? ', queue age, dead-letter queue' : ''}`;
    });
  }
}
