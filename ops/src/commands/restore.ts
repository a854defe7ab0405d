/**
 * `rollback --env E --release N`: restores code and configuration together to release N of the
 * environment's ledger (see delivery/src/ledger.ts): function aliases, SSM parameters, secrets' AWSCURRENT,
 * service images, Kubernetes applications' colors and EC2 applications' revisions. It plans first (reads
 * only, refusing before any change when a step would be unsafe), then makes the writes; items already as
 * recorded are left alone.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { DescribeParametersCommand, GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { DeliveryError, getRelease, type LedgerRelease } from '@ias/delivery';
import { codeDeployNames, DEPLOYMENT_STATUSES_IN_FLIGHT, ledgerTableName } from '@ias/targets';
import type { EnvironmentConfig } from '@ias/infra/config';
import {
  dryRun,
  inEnvironment,
  planned,
  type AwsClients,
  type DryRunResult,
  type OpsContext,
  type PlannedCall,
} from '../context';
import { badInput, errorName, EXIT, OpsError, toOpsError, unsafe } from '../errors';
import { KINDS, type KindController } from '../kinds';
import type { KindRestore } from '../kinds/kind';
import { runSteps, type Step } from '../progress';
import {
  refuse,
  type ApplicationChange,
  type FleetChange,
  type FunctionChange,
  type ParameterChange,
  type RestorePlan,
  type SecretChange,
  type ServiceChange,
} from '../restore-plan';
import { resolvePath } from '../aws/parameters';

/** Arguments of `rollback`. */
export interface RestoreArgs {
  readonly env: string | undefined;
  /** The release number, as given on the command line. */
  readonly release: string;
}

export type {
  ApplicationChange,
  FleetChange,
  FunctionChange,
  ParameterChange,
  SecretChange,
  ServiceChange,
} from '../restore-plan';

/** What `rollback` did. */
export interface RestoreResult {
  readonly environment: string;
  readonly table: string;
  readonly release: number;
  readonly changed: {
    readonly functions: readonly FunctionChange[];
    readonly parameters: readonly ParameterChange[];
    readonly secrets: readonly SecretChange[];
    readonly services: readonly ServiceChange[];
    readonly applications: readonly ApplicationChange[];
    readonly fleets: readonly FleetChange[];
  };
  /** Names already as recorded, per kind. */
  readonly unchanged: {
    readonly functions: readonly string[];
    readonly parameters: readonly string[];
    readonly secrets: readonly string[];
    readonly services: readonly string[];
    readonly applications: readonly string[];
    readonly fleets: readonly string[];
  };
  readonly summary: string;
}

/** A release number argument: a whole number from 1. */
export function parseRelease(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) {
    throw badInput(
      `--release must be a release number such as 12 (got "${value}"): list them with "ias-ops releases"`,
    );
  }
  return Number(value);
}

function getItem(table: string, number: number) {
  return new GetItemCommand({
    TableName: table,
    Key: { pk: { S: 'release' }, number: { N: String(number) } },
    ConsistentRead: true,
  });
}

/**
 * The targets of the workloads of kind `k` that `release` records.
 *
 * @throws OpsError (exit 4) when it records one the project does not have
 */
function recordedTargets(
  ctx: OpsContext,
  env: EnvironmentConfig,
  release: LedgerRelease,
  k: KindController,
): unknown[] {
  const all = k.workloads(ctx.project, env).map((w) => w.target);
  return k.restore.recorded(release).map((name) => {
    const target = all.find((t) => k.restore.physicalName(t) === name);
    if (target === undefined) {
      throw unsafe(
        `release ${release.number} records ${k.id} ${name}, which is not one of the project's ${k.plural} (${all.map((t) => k.restore.physicalName(t)).join(', ') || 'none'})`,
      );
    }
    return target;
  });
}

/**
 * The planned calls of a dry run: the release is not read, so each kind's items are placeholders; a kind
 * that lists its own calls does so when the environment has workloads of it.
 */
function dryRunCalls(ctx: OpsContext, env: EnvironmentConfig, table: string, number: number): DryRunResult {
  const base = staticDryRunCalls(table, number);
  const kinds = KINDS.filter((k) => k.workloads(ctx.project, env).length > 0);
  return dryRun(...base.calls, ...kinds.flatMap((k) => k.restore.dryRunCalls?.(number) ?? []));
}

/** The functions', configuration's and services' calls of a dry run. */
function staticDryRunCalls(table: string, number: number): DryRunResult {
  const fn = `<each function of release ${number}>`;
  const svc = `<each service of release ${number}>`;
  const param = `<each parameter of release ${number}>`;
  const secret = `<each secret of release ${number}>`;
  const revision = '<the revision RegisterTaskDefinition returns>';
  const call = (service: PlannedCall['service'], command: string, input: unknown): PlannedCall => ({
    service,
    command,
    input,
  });
  return dryRun(
    planned('dynamodb', getItem(table, number)),
    call('codedeploy', 'ListDeployments', {
      applicationName: codeDeployNames(fn).application,
      deploymentGroupName: codeDeployNames(fn).deploymentGroup,
      includeOnlyStatuses: [...DEPLOYMENT_STATUSES_IN_FLIGHT],
    }),
    call('lambda', 'GetAlias', { FunctionName: fn, Name: 'live' }),
    call('lambda', 'GetFunction', { FunctionName: fn, Qualifier: '<its recorded version>' }),
    call('ssm', 'GetParameter', { Name: param, WithDecryption: true }),
    call('ssm', 'GetParameter', { Name: `${param}:<its recorded version>`, WithDecryption: true }),
    call('ssm', 'DescribeParameters', {
      ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [param] }],
      note: 'SecureString only: the KMS key it is encrypted with now',
    }),
    call('secrets', 'DescribeSecret', { SecretId: secret }),
    call('ecs', 'DescribeServices', { cluster: '<the cluster>', services: [svc] }),
    call('ecs', 'DescribeTaskDefinition', {
      taskDefinition: '<its running task definition>',
      include: ['TAGS'],
    }),
    call('lambda', 'UpdateAlias', {
      FunctionName: fn,
      Name: 'live',
      FunctionVersion: '<its recorded version>',
      RoutingConfig: { AdditionalVersionWeights: {} },
    }),
    call('ssm', 'PutParameter', {
      Name: param,
      Value: '<the recorded version value, not shown>',
      Type: '<its type>',
      KeyId: '<SecureString: its current KMS key>',
      Overwrite: true,
    }),
    call('secrets', 'UpdateSecretVersionStage', {
      SecretId: secret,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: '<its recorded version ID>',
      RemoveFromVersionId: '<its AWSCURRENT version ID, from DescribeSecret>',
    }),
    call('ecs', 'RegisterTaskDefinition', {
      '<the running task definition, read-only fields removed>': '…',
      containerDefinitions: '<its containers, the service container with the recorded image>',
    }),
    call('ecs', 'UpdateService', { cluster: '<the cluster>', service: svc, taskDefinition: revision }),
    call('codedeploy', 'CreateDeployment', {
      applicationName: codeDeployNames(svc).application,
      deploymentGroupName: codeDeployNames(svc).deploymentGroup,
      description: `ias-ops rollback to release ${number}`,
      revision: {
        revisionType: 'AppSpecContent',
        appSpecContent: { content: `<appspec of ${revision}, under the CODE_DEPLOY controller>` },
      },
    }),
  );
}

async function planParameters(
  aws: AwsClients,
  env: EnvironmentConfig,
  release: LedgerRelease,
  plan: RestorePlan,
) {
  for (const [name, version] of Object.entries(release.parameters)) {
    resolvePath(env, name);
    const read = async (qualified: string, missing: string) => {
      try {
        return (
          (await aws.ssm.send(new GetParameterCommand({ Name: qualified, WithDecryption: true })))
            .Parameter ?? {}
        );
      } catch (err) {
        if (errorName(err) === 'ParameterNotFound' || errorName(err) === 'ParameterVersionNotFound') {
          throw refuse(release.number, missing);
        }
        throw err;
      }
    };
    const current = await read(name, `parameter ${name} no longer exists`);
    if (current.Version === version) {
      plan.unchanged.parameters.push(name);
      continue;
    }
    const recorded = await read(
      `${name}:${version}`,
      `version ${version} of parameter ${name} no longer exists (SSM keeps the last 100 versions)`,
    );
    if (recorded.Value === current.Value && recorded.Type === current.Type) {
      plan.unchanged.parameters.push(name);
      continue;
    }
    // A SecureString stays under the key it has now (the environment's): PutParameter without KeyId
    // would re-encrypt it with the account's default aws/ssm key.
    const keyId =
      recorded.Type === 'SecureString'
        ? (
            await aws.ssm.send(
              new DescribeParametersCommand({
                ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [name] }],
              }),
            )
          ).Parameters?.[0]?.KeyId
        : undefined;
    const change = {
      name,
      from: current.Version ?? 0,
      restored: version,
      version: undefined as number | undefined,
    };
    plan.changed.parameters.push(change);
    plan.actions.push({
      title: `${name} ← value of version ${version}`,
      run: async (a) => {
        const put = await a.ssm.send(
          new PutParameterCommand({
            Name: name,
            Value: recorded.Value,
            Type: recorded.Type,
            ...(keyId !== undefined ? { KeyId: keyId } : {}),
            Overwrite: true,
          }),
        );
        change.version = put.Version;
      },
    });
  }
}

/** True when the secret still holds version `versionId` (labelled or deprecated). */
async function secretVersionExists(aws: AwsClients, name: string, versionId: string): Promise<boolean> {
  let token: string | undefined;
  do {
    const page = await aws.secrets.send(
      new ListSecretVersionIdsCommand({ SecretId: name, IncludeDeprecated: true, NextToken: token }),
    );
    if ((page.Versions ?? []).some((v) => v.VersionId === versionId)) return true;
    token = page.NextToken;
  } while (token !== undefined);
  return false;
}

async function planSecrets(
  aws: AwsClients,
  env: EnvironmentConfig,
  release: LedgerRelease,
  plan: RestorePlan,
) {
  for (const [name, versionId] of Object.entries(release.secrets)) {
    resolvePath(env, name);
    let stages: Record<string, string[]>;
    try {
      stages =
        (await aws.secrets.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages ?? {};
    } catch (err) {
      if (errorName(err) === 'ResourceNotFoundException') {
        throw refuse(release.number, `secret ${name} no longer exists`);
      }
      throw err;
    }
    const current = Object.entries(stages).find(([, s]) => s.includes('AWSCURRENT'))?.[0];
    if (current === versionId) {
      plan.unchanged.secrets.push(name);
      continue;
    }
    if (!(versionId in stages) && !(await secretVersionExists(aws, name, versionId))) {
      throw refuse(release.number, `version ${versionId} of secret ${name} no longer exists`);
    }
    plan.changed.secrets.push({ name, from: current ?? '', to: versionId });
    plan.actions.push({
      title: `${name}: AWSCURRENT → ${versionId}`,
      run: async (a) => {
        await a.secrets.send(
          new UpdateSecretVersionStageCommand({
            SecretId: name,
            VersionStage: 'AWSCURRENT',
            MoveToVersionId: versionId,
            ...(current !== undefined ? { RemoveFromVersionId: current } : {}),
          }),
        );
      },
    });
  }
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/**
 * `rollback --env E --release N`: reads release N, plans every change (refusing with exit 4 before any
 * change when a recorded version is gone or a deployment is in flight), then makes them in order:
 * UpdateAlias, PutParameter, UpdateSecretVersionStage, RegisterTaskDefinition and UpdateService or
 * CreateDeployment.
 */
export const restoreRelease = inEnvironment<RestoreArgs, RestoreResult>(async (ctx, env, args) => {
  const number = parseRelease(args.release);
  const table = ledgerTableName(env.prefix, env.name);
  if (ctx.dryRun) {
    return dryRunCalls(ctx, env, table, number);
  }
  const aws = await ctx.awsFor(env);
  const plan: RestorePlan = {
    actions: [],
    changed: { functions: [], parameters: [], secrets: [], services: [], applications: [], fleets: [] },
    unchanged: { functions: [], parameters: [], secrets: [], services: [], applications: [], fleets: [] },
  };
  let release: LedgerRelease | undefined;
  const loaded = (): LedgerRelease => {
    if (release === undefined) throw new OpsError('the release was not read', EXIT.failed);
    return release;
  };
  const kindSteps = (phase: KindRestore<unknown>['phase']): Step[] =>
    KINDS.filter((k) => k.restore.phase === phase).map((k) => ({
      title: `plan: ${k.plural}`,
      task: () => k.restore.plan(aws, recordedTargets(ctx, env, loaded(), k), loaded(), plan, env),
    }));
  const planning: Step[] = [
    {
      title: `read release ${number} from ${table}`,
      task: async () => {
        try {
          release = await getRelease(aws.dynamodb, table, number);
        } catch (err) {
          throw err instanceof DeliveryError ? badInput(err.message) : err;
        }
      },
    },
    ...kindSteps('before-configuration'),
    { title: 'plan: parameters', task: () => planParameters(aws, env, loaded(), plan) },
    { title: 'plan: secrets', task: () => planSecrets(aws, env, loaded(), plan) },
    ...kindSteps('after-configuration'),
  ];
  try {
    await runSteps(ctx, planning);
  } catch (err) {
    const error = toOpsError(err);
    throw error.exitCode === EXIT.unsafe && !error.message.startsWith('rollback to release')
      ? refuse(number, error.message)
      : error;
  }
  let done = 0;
  try {
    await runSteps(
      ctx,
      plan.actions.map((action) => ({
        title: action.title,
        task: async () => {
          await action.run(aws);
          done += 1;
        },
      })),
    );
  } catch (err) {
    throw new OpsError(
      `${toOpsError(err).message}; rollback to release ${number} stopped after ${done} of ${plan.actions.length} changes: run it again to finish (items already restored are skipped)`,
      EXIT.failed,
    );
  }
  const { changed, unchanged } = plan;
  const unchangedCount = Object.values(unchanged).reduce((n, names) => n + names.length, 0);
  return {
    environment: env.name,
    table,
    release: number,
    changed,
    unchanged,
    summary:
      plan.actions.length === 0
        ? `${env.name} already is as release ${number} records: nothing changed (${count(unchangedCount, 'item')} checked)`
        : `${env.name} restored to release ${number}: ${count(changed.functions.length, 'function')}, ${count(changed.parameters.length, 'parameter')}, ${count(changed.secrets.length, 'secret')}, ${count(changed.services.length, 'service')}${changed.applications.length > 0 ? `, ${count(changed.applications.length, 'Kubernetes application')}` : ''}${changed.fleets.length > 0 ? `, ${count(changed.fleets.length, 'EC2 application')}` : ''} changed; ${unchangedCount} unchanged`,
  };
});

/** Text of `rollback`: the summary, one line per change, then the unchanged items. */
export function formatRestore(r: RestoreResult): string {
  const unchanged = [
    ...r.unchanged.functions.map((n) => `function ${n}`),
    ...r.unchanged.parameters.map((n) => `parameter ${n}`),
    ...r.unchanged.secrets.map((n) => `secret ${n}`),
    ...r.unchanged.services.map((n) => `service ${n}`),
    ...r.unchanged.applications.map((n) => `Kubernetes application ${n}`),
    ...r.unchanged.fleets.map((n) => `EC2 application ${n}`),
  ];
  return [
    r.summary,
    ...r.changed.functions.map((c) => `  function ${c.name}: version ${c.from} → ${c.to}`),
    ...r.changed.parameters.map(
      (c) =>
        `  parameter ${c.name}: version ${c.from} → value of version ${c.restored} (now version ${c.version ?? '?'})`,
    ),
    ...r.changed.secrets.map((c) => `  secret ${c.name}: AWSCURRENT ${c.from} → ${c.to}`),
    ...r.changed.services.map(
      (c) =>
        `  service ${c.name}: ${c.from} → ${c.to} (${c.taskDefinition}${c.deploymentId !== undefined ? `, deployment ${c.deploymentId}` : ', UpdateService'})`,
    ),
    ...r.changed.applications.map(
      (c) =>
        `  Kubernetes application ${c.name}: ${c.from} → ${c.to} (${c.action === 'switch-back' ? 'switched back' : 'deployed again'} by build ${c.build ?? '?'}${c.live ? `; ${c.live.color} serves ${c.live.image}` : ''})`,
    ),
    ...r.changed.fleets.map(
      (c) => `  EC2 application ${c.name}: ${c.from} → ${c.to} (deployed again by ${c.deploymentId ?? '?'})`,
    ),
    ...(unchanged.length > 0 ? [`  unchanged: ${unchanged.join(', ')}`] : []),
  ].join('\n');
}
