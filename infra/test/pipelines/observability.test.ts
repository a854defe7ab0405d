import { describe, expect, inject, it } from 'vitest';
import { deliveryNaming, monitoringNames, Naming } from '@ias/targets';
import { loadProject } from '../../lib/config/project';
import { PIPELINE_LOG_RETENTION } from '../../lib/pipelines/settings';
import { readAssembly, renderValue, type StackSummary } from '../../lib/plan';

/**
 * What the delivery account shows of every pipeline, read from the real app's synthesized delivery
 * stage: its `-failed` alarm, its place in `<prefix>-delivery-health` and on the overview dashboard,
 * its executions recorded, and its notification rule to a topic someone reads.
 */
const project = loadProject({});
const { prefix } = project;
const naming = deliveryNaming(prefix);
const delivery = readAssembly(inject('assemblyDir')).find((s) => s.stageId === naming.base);

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
}
const resourcesOf = (stack: StackSummary | undefined): [string, Resource][] =>
  Object.entries((stack?.template.Resources ?? {}) as Record<string, Resource>);
const shared = delivery?.stacks.find((s) => s.stackName === naming.base);
const sharedResources = resourcesOf(shared);
const ofType = (type: string) => sharedResources.filter(([, r]) => r.Type === type);
const named = (type: string, key: string, name: string) =>
  ofType(type).find(([, r]) => renderValue(r.Properties[key]) === name);

/** Every pipeline of the delivery stage: its stack, logical ID and name. */
const pipelines = (delivery?.stacks ?? []).flatMap((stack) =>
  resourcesOf(stack)
    .filter(([, r]) => r.Type === 'AWS::CodePipeline::Pipeline')
    .map(([id, r]) => ({ stack, id, name: renderValue(r.Properties.Name) })),
);

/** The overview's widgets, parsed from the dashboard body (a Fn::Join with `${...}` for references). */
interface Widget {
  type: string;
  properties: {
    title?: string;
    alarms?: string[];
    metrics?: unknown[][];
    query?: string;
    markdown?: string;
    accountId?: string;
    region?: string;
  };
}
const dashboard = named('AWS::CloudWatch::Dashboard', 'DashboardName', naming.name('overview'));
const widgets = dashboard
  ? (JSON.parse(renderValue(dashboard[1].Properties.DashboardBody)) as { widgets: Widget[] }).widgets
  : [];
const metricsOn = (w: Widget) => (w.properties.metrics ?? []).map((m) => m.slice(0, 4).join(' '));

const failedAlarm = (pipeline: string) => named('AWS::CloudWatch::Alarm', 'AlarmName', `${pipeline}-failed`);
const health = named('AWS::CloudWatch::CompositeAlarm', 'AlarmName', monitoringNames(naming).health);
const executionsName = naming.name('pipeline-executions');
const logGroup = named('AWS::Logs::LogGroup', 'LogGroupName', `/aws/events/${executionsName}`);
const rule = named('AWS::Events::Rule', 'Name', executionsName);

describe('the pipelines, as the delivery account shows them', () => {
  it('are every pipeline of the delivery stage: one per function and service, and the infrastructure’s', () => {
    expect(pipelines.map((p) => p.name).sort()).toEqual(
      [...project.functions, ...(project.services ?? []), { name: 'infra' }]
        .map((w) => `${prefix}-${w.name}-pipeline`)
        .sort(),
    );
  });

  it('has, per pipeline, <pipeline>-failed on its own FailedPipelineExecutions, Sum ≥ 1 over 5 minutes, with no action', () => {
    for (const { name } of pipelines) {
      const alarm = failedAlarm(name);
      expect(alarm, `${name}-failed`).toBeDefined();
      expect(alarm?.[1].Properties).toMatchObject({
        Namespace: 'AWS/CodePipeline',
        MetricName: 'FailedPipelineExecutions',
        Dimensions: [{ Name: 'PipelineName', Value: name }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
      // Its notification rule tells people; the alarm is for the dashboard and ias-ops status.
      for (const actions of ['AlarmActions', 'OKActions', 'InsufficientDataActions']) {
        expect(alarm?.[1].Properties[actions], `${name}-failed ${actions}`).toBeUndefined();
      }
    }
    expect(ofType('AWS::CloudWatch::Alarm')).toHaveLength(pipelines.length);
  });

  it('sums them up in <prefix>-delivery-health, in ALARM while any is, with no action', () => {
    expect(health).toBeDefined();
    const rule = renderValue(health?.[1].Properties.AlarmRule);
    for (const { name } of pipelines) {
      expect(rule, name).toContain(`ALARM("\${${failedAlarm(name)?.[0]}.Arn}")`);
    }
    expect(rule.match(/ALARM\(/g)).toHaveLength(pipelines.length);
    expect(rule.split(' OR ')).toHaveLength(pipelines.length);
    expect(health?.[1].Properties.AlarmActions).toBeUndefined();
    expect(health?.[1].Properties.OKActions).toBeUndefined();
  });

  it('puts every pipeline on <prefix>-delivery-overview: its alarm, with the health summary, and its failures and duration', () => {
    expect(widgets.length).toBeGreaterThan(0);
    const alarmsShown = widgets.flatMap((w) => (w.type === 'alarm' ? (w.properties.alarms ?? []) : []));
    expect(alarmsShown).toContain(`\${${health?.[0]}.Arn}`);
    for (const { name } of pipelines) {
      expect(alarmsShown, name).toContain(`\${${failedAlarm(name)?.[0]}.Arn}`);
      const graph = widgets.find((w) => w.type === 'metric' && w.properties.title === name);
      expect(graph && metricsOn(graph), name).toEqual([
        `AWS/CodePipeline FailedPipelineExecutions PipelineName ${name}`,
        `AWS/CodePipeline PipelineDuration PipelineName ${name}`,
      ]);
    }
  });

  it('lists the last executions, newest first, from the executions log group (Logs Insights)', () => {
    const query = widgets.find((w) => w.type === 'log')?.properties.query ?? '';
    expect(query).toContain(`SOURCE '\${${logGroup?.[0]}}'`);
    for (const field of ['@timestamp', 'detail.pipeline', 'detail.state', '`detail.execution-id`']) {
      expect(query).toContain(field);
    }
    expect(query).toMatch(/\| sort @timestamp desc\n\| limit \d+$/);
  });

  it('shows each environment’s canary success rate and health alarm, and what other accounts must share', () => {
    for (const env of project.environments) {
      const names = monitoringNames(new Naming(prefix, env.name));
      const canary = widgets.find((w) =>
        metricsOn(w).includes(`CloudWatchSynthetics SuccessPercent CanaryName ${names.canary}`),
      );
      expect(canary, env.name).toBeDefined();
      expect(canary?.properties.accountId).toBe(env.profile.account);
      const healthArn = widgets
        .flatMap((w) => (w.type === 'alarm' ? (w.properties.alarms ?? []) : []))
        .find((arn) => arn.endsWith(`:alarm:${names.health}`));
      expect(healthArn, env.name).toBe(
        `arn:aws:cloudwatch:${env.profile.region}:${env.profile.account ?? '${AWS::AccountId}'}:alarm:${names.health}`,
      );
    }
    const note = widgets.find((w) => w.type === 'text')?.properties.markdown ?? '';
    expect(note).toContain('CloudWatch-CrossAccountSharingRole');
    expect(note).toContain('cross-account observability');
  });

  it('records every execution of exactly these pipelines in /aws/events/<prefix>-delivery-pipeline-executions', () => {
    expect(rule).toBeDefined();
    const pattern = rule?.[1].Properties.EventPattern as Record<string, unknown>;
    expect(pattern).toEqual({
      source: ['aws.codepipeline'],
      'detail-type': ['CodePipeline Pipeline Execution State Change'],
      detail: { pipeline: expect.any(Array) as unknown },
    });
    expect([...(pattern.detail as { pipeline: string[] }).pipeline].sort()).toEqual(
      pipelines.map((p) => p.name).sort(),
    );
    const targets = rule?.[1].Properties.Targets as Record<string, unknown>[];
    expect(targets).toHaveLength(1);
    expect(renderValue(targets[0]?.Arn)).toBe(
      `arn:aws:logs:${project.delivery?.region}:${shared?.account ?? '${AWS::AccountId}'}:log-group:\${${logGroup?.[0]}}`,
    );
    // CloudWatch Logs targets take the log group's resource policy, never a role.
    expect(targets[0]?.RoleArn).toBeUndefined();
  });

  it('keeps the executions like the other pipeline logs: encrypted with the delivery key, removed with the stack unless retained', () => {
    // A stateful resource: its logical ID is part of the contract (a new one would replace the logs).
    expect(logGroup?.[0]).toBe('ObservabilityExecutionsLogs1B9313DA');
    expect(logGroup?.[1].Properties.RetentionInDays).toBe(PIPELINE_LOG_RETENTION);
    const key = ofType('AWS::KMS::Key')[0]?.[0];
    expect(logGroup?.[1].Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
    expect(logGroup?.[1].DeletionPolicy).toBe(project.delivery?.retainArtifacts ? 'Retain' : 'Delete');
  });

  it('lets EventBridge write there through a native logs resource policy scoped to the group and the rule, no custom resource', () => {
    const policies = ofType('AWS::Logs::ResourcePolicy');
    expect(policies).toHaveLength(1);
    const policy = policies[0]?.[1].Properties ?? {};
    expect(policy.PolicyName).toBe(executionsName);
    expect(JSON.parse(renderValue(policy.PolicyDocument))).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'EventBridgeRecordsPipelineExecutions',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: `\${${logGroup?.[0]}.Arn}`,
          Condition: {
            ArnEquals: {
              'aws:SourceArn': expect.stringMatching(new RegExp(`:rule/${executionsName}$`)) as unknown,
            },
          },
        },
      ],
    });
    // What aws-events-targets' CloudWatchLogGroup adds: a custom resource and its singleton function.
    const all = (delivery?.stacks ?? []).flatMap((s) => resourcesOf(s));
    expect(all.map(([, r]) => r.Type)).not.toContain('Custom::CloudwatchLogResourcePolicy');
    expect(
      all.map(([id]) => id).filter((id) => id.startsWith('AWS679f53fac002430cb0da5b7982bd2287')),
    ).toEqual([]);
  });

  it('tells the delivery topic, which someone reads, of every pipeline’s failures', () => {
    const topic = named('AWS::SNS::Topic', 'TopicName', naming.name('notifications'));
    expect(topic).toBeDefined();
    const subscribers = ofType('AWS::SNS::Subscription').filter(
      ([, s]) => renderValue(s.Properties.TopicArn) === `\${${topic?.[0]}}`,
    );
    expect(subscribers.length).toBeGreaterThan(0);
    const outputs = (shared?.template as { Outputs?: Record<string, { Value: unknown }> }).Outputs ?? {};
    for (const { stack, id, name } of pipelines) {
      const rules = resourcesOf(stack).filter(
        ([, r]) =>
          r.Type === 'AWS::CodeStarNotifications::NotificationRule' &&
          JSON.stringify(r.Properties.Resource).includes(`{"Ref":"${id}"}`),
      );
      expect(rules, name).toHaveLength(1);
      const props = rules[0]?.[1].Properties ?? {};
      expect(props.EventTypeIds).toContain('codepipeline-pipeline-pipeline-execution-failed');
      const [target] = props.Targets as { TargetType: string; TargetAddress: Record<string, unknown> }[];
      expect(target?.TargetType).toBe('SNS');
      const output = target?.TargetAddress['Fn::GetStackOutput'] as { StackName: string; OutputName: string };
      expect(output.StackName).toBe(naming.base);
      expect(outputs[output.OutputName]?.Value, name).toEqual({ Ref: topic?.[0] });
    }
  });
});
