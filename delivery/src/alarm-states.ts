import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';

/** One alarm's state, as DescribeAlarms gives it. */
export interface AlarmState {
  /** `OK`, `ALARM` or `INSUFFICIENT_DATA`; empty when CloudWatch gave none. */
  readonly state: string;
  /** Why it is in that state. @default - none given */
  readonly reason?: string;
}

/**
 * The states of the metric and composite alarms named, by name: DescribeAlarms by name, up to 100
 * names a call (its limit), every page. An alarm that does not exist is absent from the map.
 */
export async function readAlarmStates(
  cloudwatch: Pick<CloudWatchClient, 'send'>,
  names: readonly string[],
): Promise<Map<string, AlarmState>> {
  const states = new Map<string, AlarmState>();
  for (let i = 0; i < names.length; i += 100) {
    let token: string | undefined;
    do {
      const page = await cloudwatch.send(
        new DescribeAlarmsCommand({
          AlarmNames: names.slice(i, i + 100),
          AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
          NextToken: token,
        }),
      );
      for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
        if (alarm.AlarmName) {
          states.set(alarm.AlarmName, {
            state: alarm.StateValue ?? '',
            ...(alarm.StateReason !== undefined && { reason: alarm.StateReason }),
          });
        }
      }
      token = page.NextToken;
    } while (token);
  }
  return states;
}
