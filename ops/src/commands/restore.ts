/**
 * `rollback --env E --release N`: restores code and configuration together to release N of the
 * environment's ledger (see delivery/src/ledger.ts): function aliases, SSM parameters, secrets' AWSCURRENT
 * and service images. It plans first (reads only, refusing before any change when a step would be
 * unsafe), then makes the writes; items already as recorded are left alone.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import {
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { DescribeParametersCommand, GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { DeliveryError, getRelease, type LedgerRelease, renderTaskDefinition } from '@ias/delivery';
import { codeDeployNames, DEPLOYMENT_STATUSES_IN_FLIGHT, ledgerTableName } from '@ias/targets';
import type { EnvironmentConfig } from '@ias/infra/config';
import { functionTarget, serviceTarget, type FunctionTarget, type ServiceTarget } from '@ias/targets';
import {
  dryRun,
  environment,
  planned,
  services,
  type AwsClients,
  type DryRunResult,
  type OpsContext,
  type PlannedCall,
} from '../context';
import { badInput, errorName, EXIT, OpsError, toOpsError, unsafe } from '../errors';
import { runSteps, type Step } from '../progress';
import { listInProgress } from '../aws/codedeploy';
import { createEcsDeployment, describeService, ecsDeploymentInProgress, updateService } from '../aws/ecs';
import {
  assertNoDeploymentInFlight,
  assertVersionExists,
  getLive,
  pointAt,
  routing,
} from '../aws/lambda-alias';
import { resolvePath } from '../aws/parameters';

/** Arguments of `rollback`. */
export interface RestoreArgs {
  readonly env: string | undefined;
  /** The release number, as given on the command line. */
  readonly release: string;
}

/** A function alias moved back. */
export interface FunctionChange {
  readonly name: string;
  /** The alias's version before (with `+N` for a shift it had). */
  readonly from: string;
  readonly to: string;
}

/** A parameter rewritten with its recorded version's value (never the value itself). */
export interface ParameterChange {
  readonly name: string;
  readonly from: number;
  /** The recorded version whose value was written. */
  readonly restored: number;
  /** The new version holding it. */
  readonly version: number | undefined;
}

/** A secret whose AWSCURRENT label moved back. */
export interface SecretChange {
  readonly name: string;
  readonly from: string;
  readonly to: string;
}

/** A service rolled out with its recorded image. */
export interface ServiceChange {
  readonly name: string;
  readonly from: string;
  readonly to: string;
  /** The revision registered with the recorded image. */
  readonly taskDefinition: string;
  readonly action: 'updated-service' | 'created-deployment';
  readonly deploymentId: string | undefined;
}

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
  };
  /** Names already as recorded, per kind. */
  readonly unchanged: {
    readonly functions: readonly string[];
    readonly parameters: readonly string[];
    readonly secrets: readonly string[];
    readonly services: readonly string[];
  };
  readonly summary: string;
}

/** One write of the plan: its progress title, and the call that makes it. */
interface Action {
  readonly title: string;
  readonly run: (aws: AwsClients) => Promise<void>;
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

function functionTargets(ctx: OpsContext, env: EnvironmentConfig, release: LedgerRelease): FunctionTarget[] {
  const all = ctx.project.functions.map((f) => functionTarget(env, f));
  return Object.keys(release.functions).map((name) => {
    const target = all.find((t) => t.functionName === name);
    if (target === undefined) {
      throw unsafe(
        `release ${release.number} records function ${name}, which is not one of the project's functions (${all.map((t) => t.functionName).join(', ') || 'none'})`,
      );
    }
    return target;
  });
}

function serviceTargets(ctx: OpsContext, env: EnvironmentConfig, release: LedgerRelease): ServiceTarget[] {
  const all = services(ctx).map((s) => serviceTarget(env, s));
  return Object.keys(release.services).map((name) => {
    const target = all.find((t) => t.serviceName === name);
    if (target === undefined) {
      throw unsafe(
        `release ${release.number} records service ${name}, which is not one of the project's services (${all.map((t) => t.serviceName).join(', ') || 'none'})`,
      );
    }
    return target;
  });
}

/** The planned calls of a dry run: the release is not read, so each kind's items are placeholders. */
function dryRunCalls(table: string, number: number): DryRunResult {
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

/** Refused before any change (exit 4): the message says why. */
function refuse(number: number, why: string): OpsError {
  return unsafe(`rollback to release ${number} refused, nothing changed: ${why}`);
}

/** A plan under construction: the writes to make and what they report. */
interface Plan {
  readonly actions: Action[];
  readonly changed: {
    functions: FunctionChange[];
    parameters: ParameterChange[];
    secrets: SecretChange[];
    services: ServiceChange[];
  };
  readonly unchanged: { functions: string[]; parameters: string[]; secrets: string[]; services: string[] };
}

async function planFunctions(aws: AwsClients, targets: FunctionTarget[], release: LedgerRelease, plan: Plan) {
  for (const target of targets) {
    const recorded = release.functions[target.functionName] ?? '';
    await assertNoDeploymentInFlight(aws, target);
    const live = await getLive(aws, target);
    const current = live.FunctionVersion ?? '';
    const shifted = Object.keys(routing(live));
    if (current === recorded && shifted.length === 0) {
      plan.unchanged.functions.push(target.functionName);
      continue;
    }
    await assertVersionExists(aws, target, recorded);
    plan.changed.functions.push({
      name: target.functionName,
      from: shifted.length > 0 ? `${current} (shifting to ${shifted.join(', ')})` : current,
      to: recorded,
    });
    plan.actions.push({
      title: `${target.functionName}:${target.alias} → version ${recorded}`,
      run: async (a) => {
        await a.lambda.send(pointAt(target, recorded));
      },
    });
  }
}

async function planParameters(aws: AwsClients, env: EnvironmentConfig, release: LedgerRelease, plan: Plan) {
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

async function planSecrets(aws: AwsClients, env: EnvironmentConfig, release: LedgerRelease, plan: Plan) {
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

async function planServices(aws: AwsClients, targets: ServiceTarget[], release: LedgerRelease, plan: Plan) {
  for (const target of targets) {
    const recorded = release.services[target.serviceName]?.image ?? '';
    const service = (await aws.ecs.send(describeService(target))).services?.find(
      (s) => s.status !== 'INACTIVE',
    );
    if (service?.taskDefinition === undefined) {
      throw refuse(
        release.number,
        `service ${target.serviceName} is not deployed in cluster ${target.clusterName}`,
      );
    }
    const running = service.taskDefinition;
    const described = await aws.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: running, include: ['TAGS'] }),
    );
    const image = described.taskDefinition?.containerDefinitions?.find(
      (c) => c.name === target.containerName,
    )?.image;
    if (image === recorded) {
      plan.unchanged.services.push(target.serviceName);
      continue;
    }
    let definition: Record<string, unknown>;
    try {
      definition = renderTaskDefinition(described, { containerName: target.containerName, image: recorded });
    } catch (err) {
      throw err instanceof DeliveryError ? refuse(release.number, err.message) : err;
    }
    const codeDeploy = service.deploymentController?.type === 'CODE_DEPLOY';
    if (codeDeploy) {
      const id = (await aws.codedeploy.send(listInProgress(target))).deployments?.[0];
      if (id !== undefined) {
        throw refuse(
          release.number,
          `deployment ${id} of ${target.deploymentGroup} is in progress: wait for it to end or stop it first`,
        );
      }
    } else if (ecsDeploymentInProgress(service)) {
      throw refuse(
        release.number,
        `${target.serviceName} has an ECS deployment in progress: wait for it to end`,
      );
    }
    const change: ServiceChange = {
      name: target.serviceName,
      from: image ?? '',
      to: recorded,
      taskDefinition: '',
      action: codeDeploy ? 'created-deployment' : 'updated-service',
      deploymentId: undefined,
    };
    plan.changed.services.push(change);
    plan.actions.push({
      title: `${target.serviceName} → ${recorded}`,
      run: async (a) => {
        const registered = await a.ecs.send(
          new RegisterTaskDefinitionCommand(definition as unknown as RegisterTaskDefinitionCommandInput),
        );
        const arn = registered.taskDefinition?.taskDefinitionArn ?? '';
        Object.assign(change, { taskDefinition: arn });
        if (codeDeploy) {
          const created = await a.codedeploy.send(
            createEcsDeployment(target, arn, `ias-ops rollback to release ${release.number}`),
          );
          Object.assign(change, { deploymentId: created.deploymentId });
        } else {
          await a.ecs.send(updateService(target, arn));
        }
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
export async function restoreRelease(
  ctx: OpsContext,
  args: RestoreArgs,
): Promise<RestoreResult | DryRunResult> {
  const env = environment(ctx, args.env);
  const number = parseRelease(args.release);
  const table = ledgerTableName(env.prefix, env.name);
  if (ctx.dryRun) {
    return dryRunCalls(table, number);
  }
  const aws = await ctx.awsFor(env);
  const plan: Plan = {
    actions: [],
    changed: { functions: [], parameters: [], secrets: [], services: [] },
    unchanged: { functions: [], parameters: [], secrets: [], services: [] },
  };
  let release: LedgerRelease | undefined;
  const loaded = (): LedgerRelease => {
    if (release === undefined) throw new OpsError('the release was not read', EXIT.failed);
    return release;
  };
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
    {
      title: 'plan: functions',
      task: () => planFunctions(aws, functionTargets(ctx, env, loaded()), loaded(), plan),
    },
    { title: 'plan: parameters', task: () => planParameters(aws, env, loaded(), plan) },
    { title: 'plan: secrets', task: () => planSecrets(aws, env, loaded(), plan) },
    {
      title: 'plan: services',
      task: () => planServices(aws, serviceTargets(ctx, env, loaded()), loaded(), plan),
    },
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
        : `${env.name} restored to release ${number}: ${count(changed.functions.length, 'function')}, ${count(changed.parameters.length, 'parameter')}, ${count(changed.secrets.length, 'secret')}, ${count(changed.services.length, 'service')} changed; ${unchangedCount} unchanged`,
  };
}

/** Text of `rollback`: the summary, one line per change, then the unchanged items. */
export function formatRestore(r: RestoreResult): string {
  const unchanged = [
    ...r.unchanged.functions.map((n) => `function ${n}`),
    ...r.unchanged.parameters.map((n) => `parameter ${n}`),
    ...r.unchanged.secrets.map((n) => `secret ${n}`),
    ...r.unchanged.services.map((n) => `service ${n}`),
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
    ...(unchanged.length > 0 ? [`  unchanged: ${unchanged.join(', ')}`] : []),
  ].join('\n');
}
