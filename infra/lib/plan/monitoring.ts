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

/** What an alarm watches, by the namespaces of its metrics. */
function alarmKind(alarm: CfnResource): string {
  const text = JSON.stringify(alarm.Properties);
  const kinds: [RegExp, string][] = [
    [/"AWS\/Lambda"/, 'function'],
    [/"AWS\/SQS"/, 'queue'],
    // An EC2 fleet's target group reports as ApplicationELB too: its alarms are named for the fleet.
    [/"AlarmName":"[^"]*-ec2-instances-/, 'ec2'],
    [/"(AWS\/ApplicationELB|AWS\/ECS|ECS\/ContainerInsights)"/, 'service'],
    [/"ContainerInsights"/, 'kubernetes'],
    [/"AWS\/RDS"/, 'database'],
    [/"CloudWatchSynthetics"/, 'canary'],
    [/"AWS\/CodePipeline"/, 'pipeline'],
    [/"(LoggedErrors|SlowQueries)"/, 'logs'],
  ];
  return kinds.find(([pattern]) => pattern.test(text))?.[1] ?? 'other';
}

/** Alarms counted by what they watch, e.g. `8 function, 10 service`. */
function byKind(alarms: readonly CfnResource[]): string {
  const counts = new Map<string, number>();
  for (const alarm of alarms) {
    const kind = alarmKind(alarm);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return [...counts].map(([kind, n]) => `${n} ${kind}`).join(', ');
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
  const chat = [
    ...ofType('AWS::Chatbot::SlackChannelConfiguration').map(
      (r) => `Slack ${renderValue(r.Properties?.SlackChannelId)}`,
    ),
    ...ofType('AWS::Chatbot::MicrosoftTeamsChannelConfiguration').map(
      (r) => `Teams ${renderValue(r.Properties?.TeamsChannelId)}`,
    ),
  ];
  const canaries = ofType('AWS::Synthetics::Canary').map(
    (r) =>
      `${renderValue(r.Properties?.Name)} (${renderValue((r.Properties?.Schedule as { Expression?: unknown } | undefined)?.Expression)}, runtime ${renderValue(r.Properties?.RuntimeVersion)})`,
  );
  const sampling = ofType('AWS::ECS::TaskDefinition')
    .flatMap(
      (r) =>
        (r.Properties?.ContainerDefinitions as { Environment?: { Name: string; Value: unknown }[] }[]) ?? [],
    )
    .flatMap((c) => c.Environment ?? [])
    .find((e) => e.Name === 'OTEL_TRACES_SAMPLER_ARG');
  const filters = ofType('AWS::Logs::MetricFilter').length;
  const trails = names('AWS::CloudTrail::Trail', 'TrailName');
  const configRules = ofType('AWS::Config::ConfigRule').length;
  return [
    `  monitoring: ${ofType('AWS::CloudWatch::Dashboard').length} dashboards, ${alarms.length} alarms (${direct} that notify and roll deployments back or watch the platform, ${alarms.length - direct} that feed a composite alarm), ${allComposites.length} composite alarms`,
    `    alarms by what they watch: ${byKind(alarms)}`,
    `    dashboards: ${names('AWS::CloudWatch::Dashboard', 'DashboardName').join(', ')}`,
    `    canaries: ${canaries.join(', ') || 'none (no service names a canary script)'}`,
    `    logs: ${filters} metric filters (errors by type, allocation shortages, slow queries)`,
    `    tracing: X-Ray; functions active tracing, services through the ADOT collector${sampling ? ` sampling ${Number(renderValue(sampling.Value)) * 100} % of requests` : ''}`,
    `    composite alarms (notify): ${composites.join(', ') || 'none'}`,
    ...(summaries.length > 0
      ? [
          `    is the environment healthy: ${summaries.join(', ')} (over all of the above; its members notify)`,
        ]
      : []),
    `    notifications: ${topics.join(', ')} → ${subscribers}${chat.length > 0 ? `; chat: ${chat.join(', ')}` : '; no chat channel (observability.chat)'}`,
    ...(rules.length > 0 ? [`    events to the topic: ${rules.join(', ')}`] : []),
    trails.length > 0 || configRules > 0
      ? `    detective: ${trails.length > 0 ? `CloudTrail ${trails.join(', ')}` : 'no trail'}; ${configRules > 0 ? `AWS Config with ${configRules} managed rules` : 'no Config recorder'}`
      : '    detective: off (observability.detective)',
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
  const dashboards = all
    .filter((r) => r.Type === 'AWS::CloudWatch::Dashboard')
    .map((r) => renderValue(r.Properties?.DashboardName));
  const failed = all.filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && alarmKind(r) === 'pipeline').length;
  const summary = all
    .filter((r) => r.Type === 'AWS::CloudWatch::CompositeAlarm')
    .map((r) => renderValue(r.Properties?.AlarmName));
  const executions = all
    .filter((r) => r.Type === 'AWS::Logs::LogGroup')
    .map((r) => renderValue(r.Properties?.LogGroupName))
    .filter((name) => name.startsWith('/aws/events/'));
  return [
    `  notifications: ${topics.join(', ')} → ${subscribersOf(all, 'no subscriber yet (delivery.notificationEmails)')}; ${rules.length} pipelines notify when ${events.join(', ')}`,
    ...(dashboards.length > 0
      ? [
          `  observability: dashboard ${dashboards.join(', ')}; ${failed} alarms <pipeline>-failed under ${summary.join(', ') || 'no summary'} (no action: the notification rules notify); executions → ${executions.join(', ') || 'not recorded'}`,
        ]
      : []),
  ];
}
