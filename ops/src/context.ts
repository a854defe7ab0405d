/**
 * What every command receives: the project configuration (from the infra workspace's loader), the AWS
 * clients of an environment's region (a factory tests replace), the global flags, and the output helpers.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- each SDK client package loads when a command first uses it: `ias-ops --help` loads none */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CodeBuildClient } from '@aws-sdk/client-codebuild';
import type { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { SyntheticsClient } from '@aws-sdk/client-synthetics';
import type {
  FunctionDefinition,
  EnvironmentConfig,
  ProjectConfig,
  ServiceDefinition,
} from '@ias/infra/config';
import { functionTarget, Naming, serviceTarget } from '@ias/targets';
import { badInput, unsafe } from './errors';

/** The SDK v3 clients of one region, one per AWS service the commands call. */
export interface AwsClients {
  readonly lambda: LambdaClient;
  readonly codedeploy: CodeDeployClient;
  readonly cloudwatch: CloudWatchClient;
  /** The environment's canary (CloudWatch Synthetics). */
  readonly synthetics: SyntheticsClient;
  readonly ecs: ECSClient;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly codepipeline: CodePipelineClient;
  readonly ssm: SSMClient;
  readonly secrets: SecretsManagerClient;
  /** The environment's release ledger. */
  readonly dynamodb: DynamoDBClient;
  /** Who the caller is (recorded in the ledger). */
  readonly sts: STSClient;
  /** The SBOMs of the releases, in the environment's artifact bucket. */
  readonly s3: S3Client;
  /** The Kubernetes applications' deploy projects, which run the switch inside the VPC. */
  readonly codebuild: CodeBuildClient;
}

/** Builds the clients of a region; tests pass one that returns aws-sdk-client-mock'd clients. */
export type ClientFactory = (region: string) => AwsClients;

/** How to make each client of a region; a package is loaded by the first client made from it. */
const CLIENTS: { readonly [K in keyof AwsClients]: (region: string) => AwsClients[K] } = {
  lambda: (region) =>
    new (require('@aws-sdk/client-lambda') as { LambdaClient: typeof LambdaClient }).LambdaClient({ region }),
  codedeploy: (region) =>
    new (
      require('@aws-sdk/client-codedeploy') as { CodeDeployClient: typeof CodeDeployClient }
    ).CodeDeployClient({ region }),
  cloudwatch: (region) =>
    new (
      require('@aws-sdk/client-cloudwatch') as { CloudWatchClient: typeof CloudWatchClient }
    ).CloudWatchClient({ region }),
  synthetics: (region) =>
    new (
      require('@aws-sdk/client-synthetics') as { SyntheticsClient: typeof SyntheticsClient }
    ).SyntheticsClient({ region }),
  ecs: (region) =>
    new (require('@aws-sdk/client-ecs') as { ECSClient: typeof ECSClient }).ECSClient({ region }),
  elbv2: (region) =>
    new (
      require('@aws-sdk/client-elastic-load-balancing-v2') as {
        ElasticLoadBalancingV2Client: typeof ElasticLoadBalancingV2Client;
      }
    ).ElasticLoadBalancingV2Client({ region }),
  codepipeline: (region) =>
    new (
      require('@aws-sdk/client-codepipeline') as { CodePipelineClient: typeof CodePipelineClient }
    ).CodePipelineClient({ region }),
  ssm: (region) =>
    new (require('@aws-sdk/client-ssm') as { SSMClient: typeof SSMClient }).SSMClient({ region }),
  secrets: (region) =>
    new (
      require('@aws-sdk/client-secrets-manager') as { SecretsManagerClient: typeof SecretsManagerClient }
    ).SecretsManagerClient({ region }),
  dynamodb: (region) =>
    new (require('@aws-sdk/client-dynamodb') as { DynamoDBClient: typeof DynamoDBClient }).DynamoDBClient({
      region,
    }),
  sts: (region) =>
    new (require('@aws-sdk/client-sts') as { STSClient: typeof STSClient }).STSClient({ region }),
  s3: (region) => new (require('@aws-sdk/client-s3') as { S3Client: typeof S3Client }).S3Client({ region }),
  codebuild: (region) =>
    new (require('@aws-sdk/client-codebuild') as { CodeBuildClient: typeof CodeBuildClient }).CodeBuildClient(
      { region },
    ),
};

/**
 * The real clients: the default credential chain (AWS_PROFILE, access keys, SSO, instance roles), in the
 * environment profile's region, so an operator usually needs credentials only. Each is made on first use.
 */
export const createAwsClients: ClientFactory = (region) => {
  const made: { -readonly [K in keyof AwsClients]?: AwsClients[K] } = {};
  const clients = {};
  for (const key of Object.keys(CLIENTS) as (keyof AwsClients)[]) {
    Object.defineProperty(clients, key, {
      enumerable: true,
      get: () => (made[key] ??= CLIENTS[key](region) as never),
    });
  }
  return clients as AwsClients;
};

/** The account of the caller's credentials. */
async function callerAccount(clients: AwsClients): Promise<string | undefined> {
  const sts = require('@aws-sdk/client-sts') as {
    GetCallerIdentityCommand: typeof GetCallerIdentityCommand;
  };
  return (await clients.sts.send(new sts.GetCallerIdentityCommand({}))).Account;
}

/**
 * The account an environment's resources are in: its profile's when it names one, else the account of
 * the caller's credentials (as the account-agnostic stacks were deployed with).
 *
 * @throws Error when the profile names none and STS answers no account
 */
export async function environmentAccount(clients: AwsClients, env: EnvironmentConfig): Promise<string> {
  const account = env.profile.account ?? (await callerAccount(clients));
  if (account === undefined) {
    throw new Error(`STS named no account for your credentials: the account of ${env.name} is unknown`);
  }
  return account;
}

/** An AWS call a command would make, as `--dry-run` prints it. */
export interface PlannedCall {
  /** The client (`lambda`, `ssm`, …). */
  readonly service: keyof AwsClients;
  /** The API operation, e.g. `UpdateAlias`. */
  readonly command: string;
  /** Its input; values only known from an earlier call are written `<…>`. */
  readonly input: unknown;
}

/** What every command returns under `--dry-run`: the calls, none made. */
export interface DryRunResult {
  readonly dryRun: true;
  readonly calls: readonly PlannedCall[];
}

/** Describes an SDK command object as a {@link PlannedCall}. */
export function planned(service: keyof AwsClients, command: { readonly input: unknown }): PlannedCall {
  return { service, command: command.constructor.name.replace(/Command$/, ''), input: command.input };
}

/** A {@link DryRunResult} of these calls. */
export function dryRun(...calls: PlannedCall[]): DryRunResult {
  return { dryRun: true, calls };
}

/** True when a command result is a dry run's. */
export function isDryRun(result: unknown): result is DryRunResult {
  return typeof result === 'object' && result !== null && (result as { dryRun?: unknown }).dryRun === true;
}

/** The text form of a dry run: one line per call, its input as JSON. */
export function formatDryRun(result: DryRunResult): string {
  return [
    `dry run: ${result.calls.length} AWS call${result.calls.length === 1 ? '' : 's'} would be made, none was:`,
    ...result.calls.map((c) => `  ${c.service} ${c.command} ${JSON.stringify(c.input)}`),
  ].join('\n');
}

/** The settings a command runs with. */
export interface OpsContext {
  /** The prefix, environments, functions, services and delivery settings (infra's `loadProject`). */
  readonly project: ProjectConfig;
  /** Print the AWS calls instead of making them. */
  readonly dryRun: boolean;
  /** Show progress (listr2) on stderr. */
  readonly progress: boolean;
  /** The AWS clients of a region (created once per region), unchecked. */
  clientsFor(region: string): AwsClients;
  /**
   * The AWS clients of an environment, once the credentials are checked to be for its account when its
   * profile pins one (GetCallerIdentity, once per account).
   *
   * @throws OpsError (exit 4) when the credentials are another account's
   */
  awsFor(env: EnvironmentConfig): Promise<AwsClients>;
  /** Reads standard input to its end (secrets are never taken from arguments). */
  readStdin(): Promise<string>;
}

/** Options of {@link createContext}. */
export interface ContextOptions {
  readonly project: ProjectConfig;
  /** @default - real SDK clients ({@link createAwsClients}) */
  readonly clients?: ClientFactory;
  /** @default false */
  readonly dryRun?: boolean;
  /** @default false */
  readonly progress?: boolean;
  /** @default - reads process.stdin */
  readonly readStdin?: () => Promise<string>;
}

/** Builds a context; each region's clients are created on first use and then reused. */
export function createContext(options: ContextOptions): OpsContext {
  const factory = options.clients ?? createAwsClients;
  const byRegion = new Map<string, AwsClients>();
  const checked = new Map<string, Promise<void>>();
  const clientsFor = (region: string): AwsClients => {
    let clients = byRegion.get(region);
    if (clients === undefined) {
      clients = factory(region);
      byRegion.set(region, clients);
    }
    return clients;
  };
  return {
    project: options.project,
    dryRun: options.dryRun ?? false,
    progress: options.progress ?? false,
    clientsFor,
    async awsFor(env) {
      const clients = clientsFor(env.profile.region);
      const account = env.profile.account;
      if (account !== undefined) {
        let check = checked.get(account);
        if (check === undefined) {
          check = callerAccount(clients).then((caller) => {
            if (caller !== account) {
              throw unsafe(
                `your AWS credentials are for account ${caller ?? '?'}, but ${env.name} is in account ${account} (infra/lib/config/environments.ts): use credentials for ${account} (AWS_PROFILE); nothing was changed`,
              );
            }
          });
          checked.set(account, check);
        }
        await check;
      }
      return clients;
    },
    readStdin: options.readStdin ?? readProcessStdin,
  };
}

async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `a, b, c`, or `none` for an empty list. */
function known(names: readonly string[]): string {
  return names.length > 0 ? names.join(', ') : 'none';
}

/**
 * The environment named `name`.
 *
 * @throws OpsError (exit 2) naming the known environments
 */
export function environment(ctx: OpsContext, name: string | undefined): EnvironmentConfig {
  const names = ctx.project.environments.map((e) => e.name);
  if (name === undefined) {
    throw badInput(`--env is required: one of ${known(names)}`);
  }
  const env = ctx.project.environments.find((e) => e.name === name);
  if (env === undefined) {
    throw badInput(`unknown environment "${name}": use one of ${known(names)}`);
  }
  return env;
}

/**
 * A command of one environment: `--env` is resolved first (exit 2, naming the known environments, when it
 * is missing or unknown), then `body` runs with it.
 */
export function inEnvironment<A extends { readonly env: string | undefined }, R, W extends unknown[] = []>(
  body: (ctx: OpsContext, env: EnvironmentConfig, args: A, ...rest: W) => Promise<R | DryRunResult>,
): (ctx: OpsContext, args: A, ...rest: W) => Promise<R | DryRunResult> {
  return async (ctx, args, ...rest) => body(ctx, environment(ctx, args.env), args, ...rest);
}

/**
 * The Lambda function named `name` (its folder under app/functions).
 *
 * @throws OpsError (exit 2) naming the known functions
 */
export function lambdaFunction(ctx: OpsContext, name: string): FunctionDefinition {
  const found = ctx.project.functions.find((f) => f.name === name);
  if (found === undefined) {
    throw badInput(
      `unknown function "${name}": use one of ${known(ctx.project.functions.map((f) => f.name))} (folders of app/functions with a function.json)`,
    );
  }
  return found;
}

/**
 * The container service named `name` (its folder name under app/services).
 *
 * @throws OpsError (exit 2) naming the known services
 */
export function serviceDefinition(ctx: OpsContext, name: string): ServiceDefinition {
  const all = services(ctx);
  const found = all.find((s) => s.name === name);
  if (found === undefined) {
    throw badInput(
      `unknown service "${name}": use one of ${known(all.map((s) => s.name))} (the project's container services)`,
    );
  }
  return found;
}

/**
 * The environment named `env` and the target there of the service named `name`.
 *
 * @throws OpsError (exit 2) naming the known environments or services
 */
export function serviceIn(ctx: OpsContext, env: string | undefined, name: string) {
  const found = environment(ctx, env);
  return { env: found, target: serviceTarget(found, serviceDefinition(ctx, name)) };
}

/**
 * The environment named `env` and the target there of the function named `name`.
 *
 * @throws OpsError (exit 2) naming the known environments or functions
 */
export function functionIn(ctx: OpsContext, env: string | undefined, name: string) {
  const found = environment(ctx, env);
  return { env: found, target: functionTarget(found, lambdaFunction(ctx, name)) };
}

/** Every container service of the project. */
export function services(ctx: OpsContext): readonly ServiceDefinition[] {
  return ctx.project.services ?? [];
}

/** The naming of an environment (`<prefix>-<env>-…`, `/<prefix>/<env>/…`). */
export function naming(env: EnvironmentConfig): Naming {
  return new Naming(env.prefix, env.name);
}

/** The region of the pipelines (the delivery settings'), else the environment's. */
export function pipelineRegion(ctx: OpsContext, env: EnvironmentConfig): string {
  return ctx.project.delivery?.region ?? env.profile.region;
}

/** Prints a result: JSON (machine output only) or text, on stdout. */
export function printResult<T>(result: T | DryRunResult, json: boolean, text: (r: T) => string): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${isDryRun(result) ? formatDryRun(result) : text(result)}\n`);
}
