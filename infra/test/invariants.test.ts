import { describe, expect, inject, it } from 'vitest';
import { STATEFUL_RESOURCE_TYPES } from '../lib/aspects/removal';
import { followsNamingContract, readAssembly, renderValue, type StackSummary } from '../lib/plan';
import { loadProject } from '../lib/config/project';

/**
 * Cross-stack invariants, checked over every template of the real app (README prefix, real
 * profiles) as `npm start` synthesizes it.
 */
const project = loadProject({});
const { prefix } = project;
const stages = readAssembly(inject('assemblyDir'));
const stacks: { env: string; stack: StackSummary }[] = stages.flatMap((stage) =>
  stage.stacks.map((stack) => ({ env: stage.stageId.slice(prefix.length + 1), stack })),
);
const retainsData = (env: string): boolean =>
  project.environments.find((e) => e.name === env)?.profile.retainData ??
  (env === 'delivery' ? (project.delivery?.retainArtifacts ?? false) : false);

/**
 * The naming contract, `<prefix>-<env>-...`; the delivery stage's pipelines follow seed 003 with
 * `${ProjectName}` = `<prefix>-<function>`.
 */
const named = (name: string, env: string): boolean =>
  followsNamingContract(name, prefix, env) ||
  (env === 'delivery' &&
    // The application pipelines are named from their function or service, the infrastructure
    // pipeline from `infra`, GitHub's roles from `github` or (in one account) their environment.
    [
      ...project.functions,
      ...(project.services ?? []),
      { name: 'infra' },
      { name: 'github' },
      ...project.environments,
    ].some((f) => followsNamingContract(name, prefix, f.name)));

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}
function resources(stack: StackSummary): [string, Resource][] {
  return Object.entries(stack.template.Resources ?? {}) as [string, Resource][];
}

/**
 * The logical IDs of a template's alarms (metric or composite) that reach people: those that notify
 * on ALARM and on OK themselves, and the members of a composite alarm that does (its rule names them
 * by `Fn::GetAtt [<id>, Arn]`).
 */
function reachingPeople(all: readonly [string, Resource][]): Set<string> {
  const notifies = (r: Resource) =>
    (r.Properties?.AlarmActions as unknown[] | undefined)?.length === 1 &&
    (r.Properties?.OKActions as unknown[] | undefined)?.length === 1;
  const alarms = all.filter(([, r]) => r.Type.startsWith('AWS::CloudWatch::') && r.Type.endsWith('Alarm'));
  const notifying = alarms.filter(([, r]) => notifies(r));
  const members = notifying
    .filter(([, r]) => r.Type === 'AWS::CloudWatch::CompositeAlarm')
    .flatMap(([, r]) => [
      ...JSON.stringify(r.Properties?.AlarmRule).matchAll(/"Fn::GetAtt":\["([^"]+)","Arn"\]/g),
    ])
    .map((m) => m[1] ?? '');
  return new Set([...notifying.map(([id]) => id), ...members]);
}

interface Statement {
  Effect: string;
  Action?: string | string[];
  NotAction?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Every policy statement in a template: identity policies and resource policies alike. */
function statements(stack: StackSummary): { where: string; statement: Statement }[] {
  const found: { where: string; statement: Statement }[] = [];
  const visit = (value: unknown, where: string): void => {
    if (Array.isArray(value)) {
      value.forEach((v) => visit(v, where));
    } else if (value && typeof value === 'object') {
      const obj = value as Record<string, unknown>;
      if (Array.isArray(obj.Statement)) {
        for (const s of obj.Statement as Statement[]) {
          found.push({ where, statement: s });
        }
      }
      Object.values(obj).forEach((v) => visit(v, where));
    }
  };
  for (const [id, r] of resources(stack)) {
    visit(r.Properties, `${stack.stackName}/${id}`);
  }
  return found;
}

const asList = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

describe('invariants over every synthesized template', () => {
  it('synthesizes dev, staging and prod with a stack per function and per service each, and the delivery stage', () => {
    expect(stages.map((s) => s.stageId).sort()).toEqual([
      `${prefix}-delivery`,
      `${prefix}-dev`,
      `${prefix}-prod`,
      `${prefix}-staging`,
    ]);
    for (const stage of stages.filter((s) => s.stageId !== `${prefix}-delivery`)) {
      const env = project.environments.find((e) => `${prefix}-${e.name}` === stage.stageId);
      const { detective } = env?.profile.observability ?? { detective: undefined };
      // The audit stack where the profile turns detective governance on (prod by default).
      const audit = detective?.cloudTrail || detective?.config ? ['audit'] : [];
      // The EKS cluster and a stack per Kubernetes application where the profile turns Kubernetes on.
      const kubernetes = env?.profile.kubernetes.enabled ? ['eks', 'k8s-inventory-api'] : [];
      // A stack per EC2 application where the profile turns EC2 on.
      const ec2 = env?.profile.ec2.enabled ? ['ec2-inventory-api'] : [];
      expect(stage.stacks.map((s) => s.stackName.replace(`${stage.stageId}-`, '')).sort()).toEqual(
        [
          ...audit,
          'config',
          'data',
          'deployment',
          'fn-allocate-order',
          'fn-import-stock',
          'foundation',
          'health',
          'network',
          'observability',
          'svc-inventory-api',
          ...kubernetes,
          ...ec2,
        ].sort(),
      );
    }
    expect(stages.find((s) => s.stageId === `${prefix}-delivery`)?.stacks.map((s) => s.stackName)).toEqual([
      `${prefix}-github-oidc`,
      `${prefix}-delivery`,
      `${prefix}-infra-pipeline`,
      `${prefix}-allocate-order-pipeline`,
      `${prefix}-import-stock-pipeline`,
      `${prefix}-inventory-api-pipeline`,
    ]);
  });

  it.each(stacks.map(({ stack }) => [stack.stackName, stack] as const))(
    '%s: every CodeDeploy deployment group rolls back on failure, on stop and on alarm',
    (_name, stack) => {
      for (const [id, r] of resources(stack).filter(
        ([, r]) => r.Type === 'AWS::CodeDeploy::DeploymentGroup',
      )) {
        expect({ id, ...(r.Properties?.AutoRollbackConfiguration as object) }).toEqual({
          id,
          Enabled: true,
          Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'],
        });
        const alarms = r.Properties?.AlarmConfiguration as
          { Enabled?: boolean; Alarms?: unknown[] } | undefined;
        expect({ id, enabled: alarms?.Enabled, alarms: alarms?.Alarms?.length ?? 0 }).toMatchObject({
          id,
          enabled: true,
        });
        expect(alarms?.Alarms?.length ?? 0).toBeGreaterThan(0);
      }
      // The blue/green EC2 groups CloudFormation cannot hold, made by their custom resource.
      for (const [id, r] of resources(stack).filter(
        ([, r]) => r.Type === 'Custom::Ec2BlueGreenDeploymentGroup',
      )) {
        expect({ id, events: r.Properties?.AutoRollbackEvents }).toEqual({
          id,
          events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'],
        });
        expect((r.Properties?.AlarmNames as unknown[] | undefined)?.length ?? 0).toBeGreaterThan(0);
      }
    },
  );

  it.each(stacks.map(({ env, stack }) => [stack.stackName, env, stack] as const))(
    '%s: stack name and every explicit physical name start with the prefix and environment',
    (stackName, env, stack) => {
      expect(named(stackName, env) || stackName === `${prefix}-${env}`).toBe(true);
      const offenders = stack.namedResources.filter((r) => !named(r.name, env));
      expect(offenders).toEqual([]);
    },
  );

  it.each(stacks.map(({ env, stack }) => [stack.stackName, env, stack] as const))(
    '%s: every log group, database, bucket, repository and key is removable unless the profile retains data',
    (_name, env, stack) => {
      const retain = retainsData(env);
      for (const [id, r] of resources(stack)) {
        if ((STATEFUL_RESOURCE_TYPES as readonly string[]).includes(r.Type)) {
          expect({ id, policy: r.DeletionPolicy }).toEqual({ id, policy: retain ? 'Retain' : 'Delete' });
        }
        if (!retain && r.Type === 'AWS::ECR::Repository') {
          expect(r.Properties?.EmptyOnDelete).toBe(true);
        }
      }
      if (!retain) {
        const buckets = resources(stack).filter(([, r]) => r.Type === 'AWS::S3::Bucket');
        const autoDeletes = resources(stack).filter(([, r]) => r.Type === 'Custom::S3AutoDeleteObjects');
        expect(autoDeletes).toHaveLength(buckets.length);
      }
    },
  );

  it.each(stacks.map(({ stack }) => [stack.stackName, stack] as const))(
    '%s: no policy statement allows action "*"',
    (_name, stack) => {
      const wildcards = statements(stack).filter(
        ({ statement }) => statement.Effect === 'Allow' && asList(statement.Action).includes('*'),
      );
      expect(wildcards).toEqual([]);
      const notActions = statements(stack).filter(
        ({ statement }) => statement.Effect === 'Allow' && statement.NotAction,
      );
      expect(notActions).toEqual([]);
    },
  );

  it.each(stacks.map(({ stack }) => [stack.stackName, stack] as const))(
    '%s: no identity policy grants a whole service ("service:*")',
    (_name, stack) => {
      const identityTypes = ['AWS::IAM::Policy', 'AWS::IAM::Role', 'AWS::IAM::ManagedPolicy'];
      const broad = resources(stack)
        .filter(([, r]) => identityTypes.includes(r.Type))
        .flatMap(([id, r]) =>
          statements({ ...stack, template: { Resources: { [id]: r as never } } })
            .filter(({ statement }) => statement.Effect === 'Allow')
            .flatMap(({ where, statement }) =>
              asList(statement.Action)
                .filter((a) => /^[a-z0-9-]+:\*$/.test(a))
                .map((a) => `${where}: ${a}`),
            ),
        );
      expect(broad).toEqual([]);
    },
  );

  it.each(stacks.map(({ stack }) => [stack.stackName, stack] as const))(
    '%s: every bucket denies requests that do not use TLS',
    (_name, stack) => {
      const buckets = resources(stack)
        .filter(([, r]) => r.Type === 'AWS::S3::Bucket')
        .map(([id]) => id);
      const policies = resources(stack).filter(([, r]) => r.Type === 'AWS::S3::BucketPolicy');
      for (const bucket of buckets) {
        const policy = policies.find(([, p]) => renderValue(p.Properties?.Bucket) === `\${${bucket}}`);
        expect(policy, `bucket ${bucket} has a policy`).toBeDefined();
        const denies = statements({ ...stack, template: { Resources: { p: policy?.[1] as never } } }).filter(
          ({ statement }) =>
            statement.Effect === 'Deny' &&
            asList(statement.Action).includes('s3:*') &&
            statement.Condition?.Bool?.['aws:SecureTransport'] === 'false',
        );
        expect(denies, `bucket ${bucket} denies non-TLS access`).toHaveLength(1);
      }
    },
  );

  it.each(stacks.map(({ env, stack }) => [stack.stackName, env, stack] as const))(
    '%s: every tagged resource carries Project, Environment and ManagedBy',
    (_name, env, stack) => {
      for (const [id, r] of resources(stack)) {
        const tags = r.Properties?.Tags;
        if (Array.isArray(tags)) {
          const byKey = Object.fromEntries(
            (tags as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value]),
          );
          expect({ id, ...byKey }).toMatchObject({
            id,
            Project: prefix,
            Environment: env,
            ManagedBy: 'aws-cdk',
          });
        }
      }
    },
  );

  it.each(stacks.map(({ stack }) => [stack.stackName, stack] as const))(
    '%s: every alarm notifies someone on ALARM and on OK, itself or through a composite alarm that does',
    (_name, stack) => {
      const all = resources(stack);
      const reaching = reachingPeople(all);
      // The one exception: the environment's summary `<prefix>-<env>-health`, whose members (the
      // workloads' composites and the platform's alarms, in other stacks) each notify.
      // (The health stack and its summary share the name `<prefix>-<env>-health`.)
      const summary = stack.stackName.endsWith('-health') ? stack.stackName : undefined;
      // In the delivery stack, `<prefix>-delivery-health` sums up the pipelines' `-failed` alarms
      // for the overview dashboard and `ias-ops status`; the pipelines' notification rules tell
      // people of each failure (tested over every pipeline in pipelines/delivery-observability).
      const delivery = stack.stackName === `${prefix}-delivery` ? `${prefix}-delivery-health` : undefined;
      const deliverySummary = all.find(
        ([, r]) => delivery !== undefined && renderValue(r.Properties?.AlarmName) === delivery,
      );
      const pipelineAlarms = new Set(
        [
          ...JSON.stringify(deliverySummary?.[1].Properties?.AlarmRule ?? '').matchAll(
            /"Fn::GetAtt":\["([^"]+)"/g,
          ),
        ].map((m) => m[1]),
      );
      for (const [id, r] of all.filter(
        ([, r]) => r.Type.startsWith('AWS::CloudWatch::') && r.Type.endsWith('Alarm'),
      )) {
        const name = renderValue(r.Properties?.AlarmName);
        const pipelineFailed =
          pipelineAlarms.has(id) && JSON.stringify(r.Properties).includes('"FailedPipelineExecutions"');
        expect({
          id,
          notified:
            reaching.has(id) ||
            name === summary ||
            (delivery !== undefined && name === delivery) ||
            pipelineFailed,
        }).toEqual({ id, notified: true });
      }
    },
  );

  // The workloads' stacks: every workload function, every queue it owns and every service is on a
  // dashboard, watched by an alarm, and that alarm reaches the alarm topic, itself or through a
  // composite alarm.
  it.each(
    stacks
      .filter(
        ({ env, stack }) =>
          project.functions.some((f) => stack.stackName === `${prefix}-${env}-fn-${f.name}`) ||
          (project.services ?? []).some((v) => stack.stackName === `${prefix}-${env}-svc-${v.name}`),
      )
      .map(({ stack }) => [stack.stackName, stack] as const),
  )(
    '%s: its function, queues or service are on a dashboard, watched by an alarm, with a path to people',
    (_name, stack) => {
      const all = resources(stack);
      const json = (r: Resource) => JSON.stringify(r.Properties);
      const dashboards = all
        .filter(([, r]) => r.Type === 'AWS::CloudWatch::Dashboard')
        .map(([, r]) => json(r));
      const reaching = reachingPeople(all);
      const alarms = all.filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');
      const watched = [
        ...all
          .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
          .filter(([, r]) =>
            project.functions.some((f) => renderValue(r.Properties?.FunctionName).endsWith(`-${f.name}`)),
          ),
        ...all.filter(([, r]) => r.Type === 'AWS::SQS::Queue' || r.Type === 'AWS::ECS::Service'),
      ];
      expect(watched.length).toBeGreaterThan(0);
      for (const [id] of watched) {
        // Metrics name the resource by a reference to it (its name, its queue's or service's name).
        const refers = (text: string) =>
          text.includes(`{"Ref":"${id}"}`) ||
          text.includes(`["${id}","QueueName"]`) ||
          text.includes(`["${id}","Name"]`);
        expect({ id, onDashboard: dashboards.some(refers) }).toEqual({ id, onDashboard: true });
        expect({
          id,
          alarmReachingPeople: alarms.some(([alarmId, a]) => refers(json(a)) && reaching.has(alarmId)),
        }).toEqual({
          id,
          alarmReachingPeople: true,
        });
      }
    },
  );

  it.each(stacks.map(({ stack }) => [stack.stackName, stack] as const))(
    '%s: every Lambda function logs to a log group the stack owns (so cdk destroy removes it)',
    (_name, stack) => {
      const all = resources(stack);
      const groups = all.filter(([, r]) => r.Type === 'AWS::Logs::LogGroup');
      const groupIds = new Set(groups.map(([id]) => id));
      const groupNames = new Set(groups.map(([, r]) => renderValue(r.Properties?.LogGroupName)));
      for (const [id, r] of all.filter(([, r]) => r.Type === 'AWS::Lambda::Function')) {
        const target = (r.Properties?.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)?.LogGroup
          ?.Ref;
        const byName = groupNames.has(`/aws/lambda/${renderValue(r.Properties?.FunctionName)}`);
        expect({ id, owned: (target !== undefined && groupIds.has(target)) || byName }).toEqual({
          id,
          owned: true,
        });
      }
      // Functions Secrets Manager creates for hosted rotation, by the name CDK gives them.
      for (const [id, r] of all.filter(([, r]) => r.Type === 'AWS::SecretsManager::RotationSchedule')) {
        const hosted = r.Properties?.HostedRotationLambda as { RotationLambdaName?: string } | undefined;
        if (hosted) {
          expect({ id, owned: groupNames.has(`/aws/lambda/${hosted.RotationLambdaName}`) }).toEqual({
            id,
            owned: true,
          });
        }
      }
    },
  );
});
