/**
 * The Kubernetes application's deploy and switch back, as a command for the pipeline's CodeBuild
 * project inside the VPC (which GitHub Actions run through too):
 *
 *     npx tsx delivery/src/kinds/kubernetes/deploy-cli.ts deploy --env dev --app inventory-api \
 *       --image <account>.dkr.ecr.<region>.amazonaws.com/<prefix>-dev-inventory-api@sha256:<hex> \
 *       [--target-file F] [--result-file R] [--dry-run]
 *     npx tsx delivery/src/kinds/kubernetes/deploy-cli.ts switch-back --env dev --app inventory-api \
 *       --to blue|green [--target-file F] [--result-file R]
 *
 * Exit codes: 0 the deployment succeeded (or the dry run / switch back was done), 1 it failed, was
 * rolled back, or AWS or the cluster refused a call, 2 bad input; a failure prints one line.
 *
 * What it deploys comes from the **deploy file** (`--target-file`, by default
 * `infra/cdk.out/k8s/<env>/<app>.deploy.json`, beside the review copy synth writes), which the
 * infrastructure layer writes from the project and the environment's profile — delivery never reads
 * them itself (see {@link deployFileSchema}): the application's names (`kubernetesTarget` of
 * @ias/targets, whole), the manifest input of `renderShared`/`renderColor` but for the routing and the
 * image, the profile's deployment settings, the alarms to watch, and the SSM parameters whose values
 * the ConfigMap holds (read at each deploy, so a changed setting ships with the next image). `--env`
 * and `--app` must match the file: they say which application the log is about, and catch the wrong
 * file.
 *
 * It reaches the cluster named in the file through EKS `DescribeCluster` and an IAM token of the
 * default credentials (the CodeBuild project's role, which needs an access entry), reads the alarms'
 * states from CloudWatch and the parameters from SSM, all in the file's region (else `AWS_REGION`).
 * `--result-file` receives the result as JSON (color, image, previous color, manifest revision, and the
 * canary judge's last look when it judged) for the step that records the release.
 *
 * With a `canary` setting in the deploy file, each step that splits users is judged by the canary
 * judge too (`canary-watch.ts`): the two colors' target groups, found through the AWS Load Balancer
 * Controller's TargetGroupBindings, and their load balancer (elbv2 `DescribeTargetGroups`), compared
 * once a minute from CloudWatch (`target-groups.ts`). Each look is kept in the environment's release
 * ledger table (`ledgerTableName` of the file's prefix and environment) under the deploy's id, the
 * CodeBuild build ID (`CODEBUILD_BUILD_ID`; not kept when it runs elsewhere: `canary-evidence.ts`).
 * A deployment switched back writes why in the result's `reason` (which the project exports as
 * `REASON`): an alarm's name, or the canary judge's reason.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { readAlarmStates } from '../../alarm-states.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EKSClient } from '@aws-sdk/client-eks';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { COLORS, type Color, KUBERNETES_DEPLOYMENTS, ledgerTableName, otherColor } from '@ias/targets';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { z } from 'zod';
import { canaryAnalysisSchema } from '../../canary/watch.js';
import { DeliveryError, describeError, oneLine } from '../../errors.js';
import { describeIssues } from '../../schemas.js';
import { type Clock, now as realNow, sleep as realSleep } from '../../time.js';
import { describeRef, type KubernetesApi, refOf } from './api.js';
import { DEPLOY_ID_VARIABLE, keepingLooks } from './canary-evidence.js';
import { type CanaryWatch, checkJudgeable } from './canary-watch.js';
import { connectEks } from './eks-client.js';
import { kubernetesManifestSchema } from './manifest.js';
import { imageDigestProblem, type KubernetesAppInput, renderColor, renderShared } from './manifests.js';
import {
  type AlarmWatch,
  deploy,
  type DeployResult,
  readRouting,
  switchBack,
  switchTarget,
} from './switch.js';
import { colorLoadBalancer, colorTargetGroups, targetGroupCanaryWatch } from './target-groups.js';

/** Exit codes: done, failed (or rolled back), bad input. */
export const EXIT = { DONE: 0, FAILED: 1, BAD_INPUT: 2 } as const;

/** How to call the CLI, printed with `--help` and after a usage error. */
export const USAGE = [
  'usage: npx tsx delivery/src/kinds/kubernetes/deploy-cli.ts deploy --env E --app A --image URI@sha256:… [--target-file F] [--result-file R] [--dry-run]',
  '       npx tsx delivery/src/kinds/kubernetes/deploy-cli.ts switch-back --env E --app A --to blue|green [--target-file F] [--result-file R]',
  'exit codes: 0 done, 1 failed or rolled back, 2 bad input',
];

/** Where the deploy file is when `--target-file` is not given. */
export function defaultDeployFile(env: string, app: string): string {
  return `infra/cdk.out/k8s/${env}/${app}.deploy.json`;
}

const name = z.string().min(1);
const colorNames = z.object({ blue: name, green: name });

/**
 * The deploy file, version 1: everything the deploy takes from the project and the profile.
 *
 * - `environment`: the environment's name (must equal `--env`).
 * - `region`: the cluster's region. @default - `AWS_REGION`
 * - `target`: `kubernetesTarget(env, { name })` of @ias/targets, as it is (extra fields are ignored).
 * - `settings`: the profile's `kubernetes.deployment`.
 * - `alarms`: the CloudWatch alarms watched during each bake and the retention (any in ALARM switches back).
 * - `parameters`: ConfigMap setting → the SSM parameter (String or StringList) its value is read from.
 * - `input`: the rest of `renderShared`/`renderColor`'s input: `prefix`, `manifest` (`kubernetes.json`),
 *   `container` (from `service.json`), `replicas` (the profile's), plain `config`, the secret's `region`.
 * - `canary`: the canary judge of the steps that split users (`ingress-weights` routing only):
 *   `analysis`, the profile's `CanaryAnalysis` (checked by its schema, `canary/watch.ts`). The load
 *   balancer is not in the file: the controller makes it, and the deploy finds it from the color
 *   target groups. @default - not judged: the alarms alone
 */
export const deployFileSchema = z.object({
  version: z.literal(1),
  environment: name,
  region: name.optional(),
  target: z.object({
    environment: name,
    app: name,
    clusterName: name,
    namespace: name,
    repositoryName: name,
    serviceAccount: name,
    loadBalancerName: name,
    deployments: colorNames,
    colorServices: colorNames,
    stableService: name,
    testService: name,
    ingress: name,
    configMap: name,
    secretProviderClass: name,
    databaseSecret: name,
    switches: z.enum(['service-selector', 'ingress-weights']),
  }),
  settings: z.object({
    strategy: z.enum(KUBERNETES_DEPLOYMENTS),
    steps: z.array(z.number().int().min(1).max(100)).min(1),
    bakeMinutes: z.number().int().min(0),
    oldColorRetentionMinutes: z.number().int().min(0),
  }),
  alarms: z.array(name).min(1, 'must name at least one alarm: a deployment must be able to roll itself back'),
  parameters: z.record(z.string(), name).default({}),
  input: z.object({
    prefix: name,
    manifest: kubernetesManifestSchema,
    container: z.object({
      containerPort: z.number().int().min(1).max(65535),
      environment: z.record(z.string(), z.string()).default({}),
    }),
    replicas: z.object({
      min: z.number().int().min(1),
      max: z.number().int().min(1),
      cpuTargetPercent: z.number().int().min(1).max(100),
    }),
    config: z.record(z.string(), z.string()).default({}),
    region: name.optional(),
  }),
  canary: z.object({ analysis: canaryAnalysisSchema }).optional(),
});

/** A validated deploy file. */
export type DeployFile = z.output<typeof deployFileSchema>;

/** What the CLI reads and writes through: the process's, or a test's. */
export interface KubernetesCliIo {
  /** The environment: `AWS_REGION` when the deploy file names no region. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Prints one line of progress. */
  readonly out: (line: string) => void;
  /** Prints the one line that says what went wrong. */
  readonly err: (line: string) => void;
  /** Reads a file as text. @default - node:fs */
  readonly readFile?: (path: string) => Promise<string>;
  /** Writes a file. @default - node:fs */
  readonly writeFile?: (path: string, text: string) => Promise<void>;
  /** The cluster's API. @default - {@link connectEks} with the default credentials */
  readonly kubernetes?: (clusterName: string, region: string) => Promise<KubernetesApi>;
  /** The alarms' states. @default - {@link cloudWatchAlarms} in the region */
  readonly alarms?: (names: readonly string[], region: string) => AlarmWatch;
  /** The SSM parameters' values. @default - {@link readParameters} in the region */
  readonly parameters?: (names: readonly string[], region: string) => Promise<Record<string, string>>;
  /** @default - the real clock */
  readonly clock?: Clock;
}

/** An {@link AlarmWatch} over CloudWatch: metric and composite alarms by name; a missing one is `BAD_INPUT`. */
export function cloudWatchAlarms(cloudwatch: CloudWatchClient, names: readonly string[]): AlarmWatch {
  return {
    async firing() {
      const states = await readAlarmStates(cloudwatch, names);
      const missing = names.filter((n) => !states.has(n));
      if (missing.length > 0) {
        throw new DeliveryError(
          'BAD_INPUT',
          `alarm(s) ${missing.join(', ')} do not exist: a deployment watches only alarms there are (deploy the infrastructure first)`,
        );
      }
      return names.filter((n) => states.get(n)?.state === 'ALARM');
    },
  };
}

/** The values of SSM parameters by name; a missing one, or a SecureString (never a setting), is refused. */
export async function readParameters(
  ssm: SSMClient,
  names: readonly string[],
): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  const unknown: string[] = [];
  // GetParameters takes up to 10 names a call.
  for (let i = 0; i < names.length; i += 10) {
    const answer = await ssm.send(new GetParametersCommand({ Names: names.slice(i, i + 10) }));
    unknown.push(...(answer.InvalidParameters ?? []));
    for (const p of answer.Parameters ?? []) {
      if (p.Type === 'SecureString') {
        throw new DeliveryError(
          'BAD_INPUT',
          `parameter ${p.Name} is a SecureString: the ConfigMap holds settings, never secrets (mount secrets through the secrets provider)`,
        );
      }
      if (p.Name !== undefined && p.Value !== undefined) values[p.Name] = p.Value;
    }
  }
  if (unknown.length > 0) {
    throw new DeliveryError(
      'SERVICE_MISSING',
      `parameter(s) ${unknown.join(', ')} do not exist: deploy the infrastructure first`,
    );
  }
  return values;
}

const commonOptions = {
  env: { type: 'string' },
  app: { type: 'string' },
  'target-file': { type: 'string' },
  'result-file': { type: 'string' },
} as const;

const deployOptions = {
  ...commonOptions,
  image: { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const;
const switchBackOptions = { ...commonOptions, to: { type: 'string' } } as const;

const required = { error: 'is required' };
const commonArgs = {
  env: z.string(required).regex(/^[a-z][a-z0-9-]*$/, 'must be an environment name such as dev'),
  app: z.string(required).regex(/^[a-z][a-z0-9-]*$/, 'must be an application name such as inventory-api'),
  'target-file': z.string().min(1).optional(),
  'result-file': z.string().min(1).optional(),
};
const deployArgsSchema = z.object({
  ...commonArgs,
  image: z.string(required).superRefine((image, ctx) => {
    const problem = imageDigestProblem(image);
    if (problem) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(image)} ${problem}` });
  }),
  'dry-run': z.boolean().default(false),
});
const switchBackArgsSchema = z.object({
  ...commonArgs,
  to: z.enum(COLORS, { error: 'must be blue or green' }),
});

function readArgs<S extends z.ZodType>(
  schema: S,
  args: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
  command: string,
): z.output<S> {
  let values: unknown;
  try {
    values = parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new DeliveryError('BAD_INPUT', `${command}: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `--${i.path.map(String).join('.')}: ${i.message}`);
    throw new DeliveryError('BAD_INPUT', `${command}: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/** The deploy file at `path`, checked against the schema and against `--env`/`--app`. */
export async function loadDeployFile(
  path: string,
  expected: { env: string; app: string },
  read: (path: string) => Promise<string>,
): Promise<DeployFile> {
  let text: string;
  try {
    text = await read(path);
  } catch (error) {
    throw new DeliveryError('BAD_INPUT', `${path}: cannot read the deploy file: ${describeError(error)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new DeliveryError('BAD_INPUT', `${path}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = deployFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new DeliveryError('BAD_INPUT', `${path}: ${describeIssues(parsed.error)}`);
  }
  const file = parsed.data;
  if (file.environment !== expected.env || file.target.app !== expected.app) {
    throw new DeliveryError(
      'BAD_INPUT',
      `${path} is the deploy file of ${file.target.app} in ${file.environment}, not of ${expected.app} in ${expected.env}`,
    );
  }
  return file;
}

/** The deploy file of `--env`/`--app` (at `--target-file`, or where synth writes it) and its region. */
async function load(
  args: { env: string; app: string; 'target-file'?: string | undefined },
  io: KubernetesCliIo,
): Promise<{ file: DeployFile; region: string }> {
  const read = io.readFile ?? ((path: string) => readFile(path, 'utf8'));
  const path = args['target-file'] ?? defaultDeployFile(args.env, args.app);
  const file = await loadDeployFile(path, args, read);
  const region = file.region ?? io.env['AWS_REGION'];
  if (!region) {
    throw new DeliveryError('BAD_INPUT', `${path} names no region and AWS_REGION is not set`);
  }
  return { file, region };
}

function connect(file: DeployFile, region: string, io: KubernetesCliIo): Promise<KubernetesApi> {
  const { clusterName } = file.target;
  return io.kubernetes
    ? io.kubernetes(clusterName, region)
    : connectEks({ eks: new EKSClient({ region }), clusterName, region });
}

async function writeResult(io: KubernetesCliIo, path: string | undefined, result: object): Promise<void> {
  if (path === undefined) return;
  const write = io.writeFile ?? ((p: string, text: string) => writeFile(p, text, 'utf8'));
  await write(path, `${JSON.stringify(result, null, 2)}\n`);
}

async function runDeploy(rest: readonly string[], io: KubernetesCliIo): Promise<number> {
  const args = readArgs(deployArgsSchema, rest, deployOptions, 'deploy');
  const repository = args.image.slice(0, args.image.lastIndexOf('@'));
  const { file, region } = await load(args, io);
  if (!repository.endsWith(`/${file.target.repositoryName}`)) {
    throw new DeliveryError(
      'BAD_INPUT',
      `deploy: --image ${JSON.stringify(args.image)} is not from repository ${file.target.repositoryName} (build once: deliver the image the service's build pushed)`,
    );
  }
  const target = switchTarget(file.target);
  // Before anything is read: a canary setting where users are never split is a mistake in the file.
  if (file.canary) checkJudgeable(target);
  const api = await connect(file, region, io);
  const parameterNames = Object.values(file.parameters);
  const values =
    parameterNames.length === 0
      ? {}
      : await (io.parameters ?? ((names, r) => readParameters(new SSMClient({ region: r }), names)))(
          parameterNames,
          region,
        );
  const config = {
    ...file.input.config,
    ...Object.fromEntries(Object.entries(file.parameters).map(([key, p]) => [key, values[p] ?? ''])),
  };
  const routing = await readRouting(api, target);
  const serving = routing.serving;
  const input: KubernetesAppInput = {
    ...file.input,
    target: file.target,
    config,
    // The deploy sets the routing fields itself; rendered for the color that serves (blue's other when none).
    servingColor: serving ?? otherColor('blue'),
  };
  // The new color starts with as many pods as the serving one runs (within the profile's range).
  const servingPods = serving
    ? (await api.rolloutStatus(target.namespace, target.deployments[serving]))?.desiredReplicas
    : undefined;
  const replicas = Math.min(input.replicas.max, Math.max(input.replicas.min, servingPods ?? 0));
  const shared = renderShared(input);
  const colorObjects = (color: Color) => renderColor(input, color, args.image, { replicas });

  if (args['dry-run']) {
    const color = serving ? otherColor(serving) : 'blue';
    io.out(`dry run: ${file.target.app} in ${file.environment} (${file.settings.strategy}), nothing changed`);
    io.out(serving ? `${serving} serves; would deploy ${color}` : `first deployment: would deploy ${color}`);
    for (const object of [...shared, ...colorObjects(color)])
      io.out(`would apply ${describeRef(refOf(object))}`);
    io.out(
      `would test ${input.manifest.readinessPath} and ${input.manifest.livenessPath} through Service ${target.namespace}/${target.testService}`,
    );
    io.out(
      `would move users to ${color} by ${target.switches}: ${file.settings.steps.join(' % → ')} %, baking ${file.settings.bakeMinutes} min each, watching ${file.alarms.join(', ')}`,
    );
    if (file.canary) {
      const { analysis } = file.canary;
      if (serving) {
        // Read now, so that a missing binding or load balancer shows in the dry run.
        const groups = await colorTargetGroups(api, target);
        const loadBalancer = await colorLoadBalancer(
          new ElasticLoadBalancingV2Client({ region }),
          target,
          groups,
        );
        io.out(
          `would judge each step that splits users: ${analysis.bakeMinutes} looks, target groups ${groups[serving]} (baseline) and ${groups[color]} (canary) of ${loadBalancer}; inconclusive at the final look: ${analysis.inconclusive}; early promotion: ${analysis.earlyPromotion ? 'yes' : 'no'}`,
        );
        io.out(evidenceLine(file, io.env[DEPLOY_ID_VARIABLE], 'would keep'));
      } else {
        io.out('would not judge: a first deployment has no color to compare with');
      }
    }
    io.out(
      `would keep ${serving ?? 'no color'} ${file.settings.oldColorRetentionMinutes} min, then scale it to 0`,
    );
    return EXIT.DONE;
  }

  const alarms = (io.alarms ?? ((names, r) => cloudWatchAlarms(new CloudWatchClient({ region: r }), names)))(
    file.alarms,
    region,
  );
  const clock = io.clock ?? { now: realNow, sleep: realSleep };
  // A first deployment is not judged (nothing serves to compare with, and no binding exists yet).
  const canary: CanaryWatch | undefined =
    file.canary && serving
      ? keptWhereRun(
          await targetGroupCanaryWatch({
            api,
            target,
            elbv2: new ElasticLoadBalancingV2Client({ region }),
            cloudwatch: new CloudWatchClient({ region }),
            analysis: file.canary.analysis,
          }),
          { file, region, io, clock },
        )
      : undefined;
  const result = await deploy({
    api,
    alarms,
    clock,
    target,
    settings: file.settings,
    shared,
    renderColor: colorObjects,
    image: args.image,
    onProgress: io.out,
    ...(canary ? { canary } : {}),
  });
  await writeResult(io, args['result-file'], {
    environment: file.environment,
    app: file.target.app,
    ...result,
    // One line the project exports as REASON, for whoever follows the build.
    ...(result.result === 'rolled-back' ? { reason: oneLine(switchedBackBy(result)) } : {}),
  });
  if (result.result !== 'succeeded') {
    io.err(`kubernetes: ${notSucceeded(result)}`);
    return EXIT.FAILED;
  }
  return EXIT.DONE;
}

/** Where the looks of a judged deploy are kept, in one line (`verb`: `keeping`, `would keep`). */
function evidenceLine(file: DeployFile, deploymentId: string | undefined, verb: string): string {
  const table = ledgerTableName(file.input.prefix, file.environment);
  return deploymentId
    ? `${verb} each look in ${table} under ${deploymentId}`
    : `canary: the looks are not kept: ${DEPLOY_ID_VARIABLE} is not set (the deploy project's build sets it)`;
}

/**
 * `watch` keeping its looks in the environment's ledger table under the deploy's build ID, when it
 * runs in the deploy project (`CODEBUILD_BUILD_ID`); as it is elsewhere, saying so.
 */
function keptWhereRun(
  watch: CanaryWatch,
  o: { file: DeployFile; region: string; io: KubernetesCliIo; clock: Clock },
): CanaryWatch {
  const deploymentId = o.io.env[DEPLOY_ID_VARIABLE];
  o.io.out(evidenceLine(o.file, deploymentId, 'canary: keeping'));
  if (!deploymentId) return watch;
  return keepingLooks(watch, {
    dynamodb: new DynamoDBClient({ region: o.region }),
    table: ledgerTableName(o.file.input.prefix, o.file.environment),
    deploymentId,
    clock: o.clock,
    say: o.io.out,
  });
}

/** Who switched a deployment back, and why: the alarm, or the canary judge. */
function switchedBackBy(result: Extract<DeployResult, { result: 'rolled-back' }>): string {
  return result.alarm !== undefined
    ? `alarm ${result.alarm} during the ${result.during}`
    : `the canary judge at ${result.atPercent} %: ${result.canaryReason ?? ''}`;
}

/** Why a deployment did not go live, in one line. */
function notSucceeded(result: Exclude<DeployResult, { result: 'succeeded' }>): string {
  if (result.result === 'failed') return `failed: ${result.reason}`;
  return `rolled back to ${result.previousColor}: ${switchedBackBy(result)}`;
}

async function runSwitchBack(rest: readonly string[], io: KubernetesCliIo): Promise<number> {
  const args = readArgs(switchBackArgsSchema, rest, switchBackOptions, 'switch-back');
  const { file, region } = await load(args, io);
  const api = await connect(file, region, io);
  const result = await switchBack({
    api,
    target: switchTarget(file.target),
    to: args.to,
    ...(io.clock ? { clock: io.clock } : {}),
    onProgress: io.out,
  });
  await writeResult(io, args['result-file'], {
    environment: file.environment,
    app: file.target.app,
    result: 'switched-back',
    ...result,
  });
  return EXIT.DONE;
}

/**
 * Runs the command line (`deploy` or `switch-back`, see {@link USAGE}) and answers the exit code
 * ({@link EXIT}). Bad input (an unknown command or option, a bad value, a bad deploy file, an image from
 * another repository) prints one line naming it and changes nothing.
 */
export async function runKubernetesCli(argv: readonly string[], io: KubernetesCliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === '--help' || command === '-h') {
      USAGE.forEach((line) => io.out(line));
      return EXIT.DONE;
    }
    if (command === 'deploy') return await runDeploy(rest, io);
    if (command === 'switch-back') return await runSwitchBack(rest, io);
    throw new DeliveryError(
      'BAD_INPUT',
      `${command === undefined ? 'no command' : `unknown command ${JSON.stringify(command)}`}: the commands are deploy and switch-back (--help for the usage)`,
    );
  } catch (error) {
    io.err(`kubernetes: ${describeError(error)}`);
    return error instanceof DeliveryError && error.code === 'BAD_INPUT' ? EXIT.BAD_INPUT : EXIT.FAILED;
  }
}

// Run as a script (tsx), not when a test imports the module.
if (require.main === module) {
  runKubernetesCli(process.argv.slice(2), {
    env: process.env,
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`kubernetes: ${String(error)}`);
      process.exitCode = EXIT.FAILED;
    },
  );
}
