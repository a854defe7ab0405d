import type { StageSummary } from './assembly';
import { renderValue } from './physical-names';

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/** Every resource of a stage's templates, with its logical ID. */
function stageResources(stage: StageSummary): [string, CfnResource][] {
  return stage.stacks.flatMap((s) =>
    Object.entries((s.template.Resources ?? {}) as Record<string, CfnResource>),
  );
}

/** How many subscriptions each protocol has, e.g. `1 email`; `none` when there is none. */
function subscribersOf(all: readonly CfnResource[], none: string): string {
  const byProtocol = new Map<string, number>();
  for (const s of all.filter((r) => r.Type === 'AWS::SNS::Subscription')) {
    const protocol = renderValue(s.Properties?.Protocol);
    byProtocol.set(protocol, (byProtocol.get(protocol) ?? 0) + 1);
  }
  return byProtocol.size === 0 ? none : [...byProtocol].map(([protocol, n]) => `${n} ${protocol}`).join(', ');
}

/** Whether an alarm sends its ALARM transition somewhere itself. */
function notifies(alarm: CfnResource): boolean {
  return ((alarm.Properties?.AlarmActions as unknown[] | undefined) ?? []).length > 0;
}

/**
 * What an environment's operators get, as synthesized: its dashboards, its alarms counted by what
 * they do (those that notify and roll deployments back, those that feed a composite alarm), the
 * composite alarms that notify, and where notifications go (the alarm topic's subscriptions).
 */
export function monitoringLines(stage: StageSummary): string[] {
  const entries = stageResources(stage);
  const all = entries.map(([, r]) => r);
  const ofType = (type: string) => all.filter((r) => r.Type === type);
  const names = (type: string, key: string) => ofType(type).map((r) => renderValue(r.Properties?.[key]));
  const alarms = ofType('AWS::CloudWatch::Alarm');
  const direct = alarms.filter(notifies).length;
  const allComposites = ofType('AWS::CloudWatch::CompositeAlarm');
  const composites = allComposites.filter(notifies).map((r) => renderValue(r.Properties?.AlarmName));
  // The environment's summary: no action of its own (its members notify).
  const summaries = allComposites
    .filter((r) => !notifies(r))
    .map((r) => renderValue(r.Properties?.AlarmName));
  const topics = ofType('AWS::SNS::Topic').map((t) => renderValue(t.Properties?.TopicName));
  // The EventBridge rules that send what no metric says (deployment failures, AWS Health) to a topic.
  const topicRefs = entries
    .filter(([, r]) => r.Type === 'AWS::SNS::Topic')
    .map(([id]) => JSON.stringify({ Ref: id }));
  const rules = ofType('AWS::Events::Rule')
    .filter((r) => topicRefs.some((ref) => JSON.stringify(r.Properties?.Targets).includes(ref)))
    .map((r) => renderValue(r.Properties?.Name));
  const subscribers = subscribersOf(all, 'no subscriber yet (alarms.notificationEmails in the profile)');
  return [
    `  monitoring: ${ofType('AWS::CloudWatch::Dashboard').length} dashboards, ${alarms.length} alarms (${direct} that notify and roll deployments back or watch the platform, ${alarms.length - direct} that feed a composite alarm), ${allComposites.length} composite alarms`,
    `    dashboards: ${names('AWS::CloudWatch::Dashboard', 'DashboardName').join(', ')}`,
    `    composite alarms (notify): ${composites.join(', ') || 'none'}`,
    ...(summaries.length > 0
      ? [
          `    is the environment healthy: ${summaries.join(', ')} (over all of the above; its members notify)`,
        ]
      : []),
    `    notifications: ${topics.join(', ')} → ${subscribers}`,
    ...(rules.length > 0 ? [`    events to the topic: ${rules.join(', ')}`] : []),
  ];
}

/** The delivery stage's notifications, as synthesized: its topic and subscribers, and which pipelines notify. */
export function notificationLines(stage: StageSummary): string[] {
  const all = stageResources(stage).map(([, r]) => r);
  const rules = all.filter((r) => r.Type === 'AWS::CodeStarNotifications::NotificationRule');
  if (rules.length === 0) {
    return [];
  }
  const topics = all
    .filter((r) => r.Type === 'AWS::SNS::Topic')
    .map((t) => renderValue(t.Properties?.TopicName));
  const events = [
    ...new Set(
      rules
        .flatMap((r) => (r.Properties?.EventTypeIds as string[] | undefined) ?? [])
        .map((e) => e.replace(/^codepipeline-pipeline-(pipeline-execution-)?/, '').replace(/-/g, ' ')),
    ),
  ];
  return [
    `  notifications: ${topics.join(', ')} → ${subscribersOf(all, 'no subscriber yet (delivery.notificationEmails)')}; ${rules.length} pipelines notify when ${events.join(', ')}`,
  ];
}
