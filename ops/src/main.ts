/**
 * `ias-ops`: the seeds' operational procedures as one command-line tool. Every AWS name comes from the
 * prefix in README.md and the environment profiles (infra's `loadProject` and naming helpers).
 */
import { Command, CommanderError } from 'commander';
import type { ProjectConfig } from '@ias/infra/config';
import type { ClientFactory, DryRunResult, OpsContext } from './context';
import { EXIT, EXIT_CODES_HELP, toOpsError, type ExitCode } from './errors';

/** What {@link main} may be given instead of the real process (tests). */
export interface MainOptions {
  /** @default - the real SDK clients */
  readonly clients?: ClientFactory;
  /** @default - infra's loadProject() */
  readonly loadProject?: () => ProjectConfig;
  /** @default - process.stdin */
  readonly readStdin?: () => Promise<string>;
}

/**
 * A command's leaf as the table loads it: the call, its text form, and the exit code of its result. The
 * call gets no context when its row is {@link CommandRow.standalone}.
 */
interface Leaf {
  readonly call: (ctx: OpsContext | undefined, args: CommandArgs) => Promise<unknown>;
  readonly text: (result: unknown) => string;
  readonly verdict: (result: unknown) => ExitCode;
}

/** What a command is called with: its arguments by name (`<function>` → `function`) and its options. */
type CommandArgs = Readonly<Record<string, unknown>>;

/**
 * A leaf from a command function and its text form; `verdict` turns a result into an exit code
 * (@default - exit 0). The arguments are the ones the command's table row declares: commander does not
 * type them, the row does.
 */
function leaf<A, R>(
  command: (ctx: OpsContext, args: A) => Promise<R | DryRunResult>,
  text: (result: R) => string,
  verdict: (result: R) => ExitCode = () => EXIT.ok,
): Leaf {
  return {
    call: (ctx, args) => {
      if (ctx === undefined) {
        throw new Error('a standalone row runs a leaf that needs the project: use standaloneLeaf');
      }
      return command(ctx, args as A);
    },
    text: (result) => text(result as R),
    verdict: (result) => verdict(result as R),
  };
}

/** A leaf of a {@link CommandRow.standalone} row: the command takes its arguments only. */
function standaloneLeaf<A, R>(
  command: (args: A) => Promise<R>,
  text: (result: R) => string,
  verdict: (result: R) => ExitCode = () => EXIT.ok,
): Leaf {
  return {
    call: (_ctx, args) => command(args as A),
    text: (result) => text(result as R),
    verdict: (result) => verdict(result as R),
  };
}

/** An option as commander's `option` takes it: flags, description, and a default value or a parser. */
type OptionArgs = readonly [
  flags: string,
  description: string,
  defaultOrParse?: string | ((value: string, previous?: string[]) => string[]),
];

/** An option the command cannot run without. */
interface Required {
  readonly required: readonly [flags: string, description: string];
}

function required(flags: string, description: string): Required {
  return { required: [flags, description] };
}

/** A row of {@link COMMANDS}: a group of commands, or a command and the leaf it runs. */
interface CommandRow {
  /** Its words and arguments, e.g. `lambda shift <function>`; the words before the last name its group. */
  readonly name: string;
  readonly description: string;
  /** @default - none */
  readonly options?: readonly (OptionArgs | Required)[];
  /** Text after the help. @default - none */
  readonly help?: string;
  /** Loads the leaf (its module and SDK clients load only when it runs). @default - a group, no leaf */
  readonly load?: () => Promise<Leaf>;
  /** The arguments the leaf takes, from those on the command line. @default - as they are */
  readonly args?: (given: CommandArgs) => CommandArgs;
  /**
   * The command makes a release: `--source` is checked before any call, and the ledger records the
   * source, `--by` and `--commit`. @default false (the CLI, as the caller)
   */
  readonly provenance?: boolean;
  /**
   * The command needs neither the project configuration nor AWS (its leaf is a {@link standaloneLeaf}):
   * neither is loaded, so it runs wherever the binary does, and nothing is recorded in a ledger.
   * @default false
   */
  readonly standalone?: boolean;
}

/** Where a release came from, as `releases record` and the deploy commands take it. */
const SOURCE_OPTION: OptionArgs = ['--source <source>', 'pipeline, workflow or cli', 'cli'];
/** Who made a release. */
const BY_OPTION: OptionArgs = [
  '--by <who>',
  "who deployed, e.g. a workflow run's URL (default: the caller's AWS identity)",
];
/** The commit a release deploys. */
const COMMIT_OPTION: OptionArgs = ['--commit <sha>', 'the git commit deployed'];
/** The SBOM of the artifact a deploy command deploys. */
const SBOM_OPTION: OptionArgs = [
  '--sbom <file>',
  "the artifact's CycloneDX JSON SBOM: checked before deploying, stored once deployed in the environment's artifact bucket as sbom/<name>/<commit>.cdx.json and referenced by the release (needs --commit)",
];

/** The `--env` option every environment command takes. */
const ENV_OPTION: OptionArgs = [
  '--env <name>',
  'environment: the name of a profile in infra/lib/config/environments.ts (e.g. dev)',
];

/** A repeatable option's values, in order. */
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `deployments continue|stop`'s `<deployment>`, as the commands name it. */
const byDeployment = ({ deployment, env }: CommandArgs) => ({ deploymentId: deployment, env });

/** Every command, in `--help` order. */
const COMMANDS: readonly CommandRow[] = [
  {
    name: 'plan',
    description: 'synthesize every environment offline and print the delivery plan (as npm start does)',
    load: () =>
      import('./commands/plan.js').then((m) =>
        leaf(m.plan, m.formatPlan, (r) => (r.passed ? EXIT.ok : EXIT.failed)),
      ),
  },
  {
    name: 'targets',
    description:
      'every workload (function, service, Kubernetes and EC2 application) of every environment with its target (names, deployment group, strategy), as the deploy workflows read them; no AWS call',
    options: [
      ['--env <name>', 'one environment (default: every one, in promotion order)'],
      ['--kind <kind>', 'one kind of workload: function, service, kubernetes or ec2'],
    ],
    load: () => import('./commands/targets.js').then((m) => leaf(m.targets, m.formatTargets)),
  },
  {
    name: 'status',
    description:
      "the environment's health (its composite alarm, every alarm in ALARM with its reason and since when, the canary's last run), then per function, service, Kubernetes application, EC2 fleet and pipeline: what runs, the last deployments, alarms and the workload's composite alarm",
    options: [ENV_OPTION],
    load: () => import('./commands/status.js').then((m) => leaf(m.statusAny, m.formatAnyStatus)),
  },
  {
    name: 'releases',
    description: "the environment's release ledger, newest first: what each deployment made live",
    options: [
      ENV_OPTION,
      ['--limit <n>', 'how many releases (1-100)', '10'],
      [
        '--contains <package[@range]>',
        "instead, the releases whose deployed artifact's SBOM lists the package at a version in the semver range (e.g. pg@^8); exit 1 if an SBOM cannot be read",
      ],
    ],
    load: () =>
      import('./commands/releases.js').then((m) => leaf(m.releases, m.formatReleases, m.releasesExit)),
    args: (given) => ({ ...given, limit: Number(given.limit) }),
  },
  {
    name: 'releases record',
    description:
      'record a deployment made outside the pipelines and this CLI (the GitHub workflows call it) as the next release',
    options: [
      ENV_OPTION,
      required('--summary <text>', 'one line: what changed'),
      ['--function <name=version>', 'a function and the version its alias serves (repeatable)', collect],
      ['--service <name=image>', 'a service and the image it runs, by digest (repeatable)', collect],
      ['--task-definition <name=arn>', "a service's task definition ARN (repeatable)", collect],
      SOURCE_OPTION,
      BY_OPTION,
      COMMIT_OPTION,
    ],
    load: () => import('./commands/releases.js').then((m) => leaf(m.recordReleaseCommand, m.formatRecord)),
    args: (given) => ({
      ...given,
      functions: given.function,
      services: given.service,
      taskDefinitions: given.taskDefinition,
    }),
  },
  {
    name: 'rollback',
    description:
      "restore functions, parameters, secrets, service images, Kubernetes applications (switched back to the recorded color, or the recorded image deployed again) and EC2 applications (the recorded revision deployed again by CodeDeploy) together to release --release of the environment's ledger",
    options: [ENV_OPTION, required('--release <n>', 'the release number (ias-ops releases lists them)')],
    load: () => import('./commands/restore.js').then((m) => leaf(m.restoreRelease, m.formatRestore)),
  },
  { name: 'lambda', description: "a function's versions and its alias live" },
  {
    name: 'lambda publish <function>',
    description: 'publish a version of the function (aws lambda publish-version)',
    options: [ENV_OPTION],
    load: () => import('./commands/lambda.js').then((m) => leaf(m.publish, m.formatSummary)),
  },
  {
    name: 'lambda shift <function>',
    description: 'send --weight percent of live to version --to, the rest staying on the current version',
    options: [
      ENV_OPTION,
      required('--to <version>', 'the published version to send traffic to'),
      required('--weight <percent>', 'whole percent, 1 to 99'),
    ],
    load: () => import('./commands/lambda.js').then((m) => leaf(m.shift, m.formatSummary)),
  },
  {
    name: 'lambda promote <function>',
    description: 'send all of live to version --to and clear any shift',
    options: [ENV_OPTION, required('--to <version>', 'the published version')],
    load: () => import('./commands/lambda.js').then((m) => leaf(m.promote, m.formatSummary)),
  },
  {
    name: 'lambda rollback <function>',
    description: 'send all of live back: clear a shift in progress, else go to the previous version',
    options: [ENV_OPTION],
    load: () => import('./commands/lambda.js').then((m) => leaf(m.rollback, m.formatSummary)),
  },
  { name: 'deploy', description: 'deliver a build as the pipeline does, from here' },
  {
    name: 'deploy lambda <function>',
    description:
      "update the code from --zip, publish a version and shift the alias with CodeDeploy (the group of --env), or under the environment's judged strategy through its steps, each judged by the canary judge (Ctrl-C puts the alias back)",
    options: [
      ENV_OPTION,
      required('--zip <path>', "the function's deployment package"),
      SOURCE_OPTION,
      BY_OPTION,
      COMMIT_OPTION,
      SBOM_OPTION,
    ],
    load: async () => {
      const [m, lambda, sbom] = await Promise.all([
        import('./commands/deploy.js'),
        import('./commands/lambda.js'),
        import('./sbom.js'),
      ]);
      return leaf(m.deployLambda, lambda.formatSummary, sbom.sbomExit);
    },
    provenance: true,
  },
  {
    name: 'deploy service <service>',
    description:
      "register the service's task definition with --image and deploy it through its strategy's controller (CodeDeploy blue/green, or Amazon ECS's own), follow it to its end, and write the image to its parameter",
    options: [
      ENV_OPTION,
      required('--image <uri>', 'the image, by digest (<registry>/<repository>@sha256:<digest>)'),
      SOURCE_OPTION,
      BY_OPTION,
      COMMIT_OPTION,
      SBOM_OPTION,
    ],
    load: async () => {
      const [m, sbom] = await Promise.all([import('./commands/deploy-service.js'), import('./sbom.js')]);
      return leaf(m.deployService, m.formatDeployService, sbom.sbomExit);
    },
    provenance: true,
  },
  {
    name: 'deploy kubernetes <app>',
    description:
      "deploy --image to the Kubernetes application through its deploy project (CodeBuild in the VPC): the idle color rolled out and tested, users switched by the profile's steps and bakes; follow it to its end and record the color, image and manifest revision, and the canary judge's last look when it judged (exit 3 when an alarm or the canary judge switched it back)",
    options: [
      ENV_OPTION,
      required('--image <uri>', 'the image, by digest (<registry>/<repository>@sha256:<digest>)'),
      SOURCE_OPTION,
      BY_OPTION,
      COMMIT_OPTION,
      SBOM_OPTION,
    ],
    load: async () => {
      const [m, sbom] = await Promise.all([import('./commands/deploy-kubernetes.js'), import('./sbom.js')]);
      return leaf(m.deployKubernetes, m.formatDeployKubernetes, sbom.sbomExit);
    },
    provenance: true,
  },
  {
    name: 'deploy ec2 <app>',
    description:
      "upload --revision to the environment's artifact bucket (ec2/<app>/<commit, or its SHA-256>.zip) and deploy it to the EC2 application's fleet through its CodeDeploy group (in place or blue/green, as the profile says); follow it to its end and record the deployment and revision (exit 3 when CodeDeploy rolled it back)",
    options: [
      ENV_OPTION,
      required(
        '--revision <zip>',
        "the EC2 revision: a zip holding appspec.yml at its root (the service's ec2/ folder and its image's /app/dist)",
      ),
      SOURCE_OPTION,
      BY_OPTION,
      COMMIT_OPTION,
      SBOM_OPTION,
    ],
    load: async () => {
      const [m, sbom] = await Promise.all([import('./commands/deploy-ec2.js'), import('./sbom.js')]);
      return leaf(m.deployEc2, m.formatDeployEc2, sbom.sbomExit);
    },
    provenance: true,
  },
  {
    name: 'deployments',
    description:
      "an environment's deployments in flight: CodeDeploy's (functions, codedeploy-blue-green services, EC2 applications), Amazon ECS's own (the other services) and the Kubernetes applications' deploy projects' builds",
    help: "\n<deployment>: a CodeDeploy deployment ID (d-…), an Amazon ECS service deployment ARN, a CodeBuild build ID (<project>:<uuid>), or a function or service name, a Kubernetes application's deploy project name or an EC2 application's deployment group name, or its application name when no service has it (its deployment in progress).",
  },
  {
    name: 'deployments list',
    description:
      "per CodeDeploy group (an EC2 application's with its deployments' instances and revisions), ECS-deployed service and Kubernetes deploy project: the deployments in progress and the last ones",
    options: [ENV_OPTION],
    load: () =>
      import('./commands/deployments.js').then((m) => leaf(m.deploymentsList, m.formatDeploymentsList)),
  },
  {
    name: 'deployments continue <deployment>',
    description:
      'CodeDeploy (d-…): end the wait, Ready (reroute now) or keeping blue (terminate now); Amazon ECS (service deployment ARN): release its pause hook; a Kubernetes build holds no wait (refused, exit 4)',
    options: [ENV_OPTION],
    load: () =>
      import('./commands/deployments.js').then((m) =>
        leaf(m.deploymentsContinue, m.formatAction, m.actionExit),
      ),
    args: byDeployment,
  },
  {
    name: 'deployments stop <deployment>',
    description:
      'stop a deployment in progress with rollback (CodeDeploy ID, Amazon ECS service deployment ARN, or a Kubernetes build: its switch leaves or puts the routing back), and wait until it is rolled back (exit 3)',
    options: [ENV_OPTION],
    load: () =>
      import('./commands/deployments.js').then((m) => leaf(m.deploymentsStop, m.formatAction, m.actionExit)),
    args: byDeployment,
  },
  { name: 'ecs', description: "an environment's container services" },
  {
    name: 'ecs rollback <service>',
    description:
      'stop a deployment in progress with rollback, else return the service to the previous task definition; follows it to its end',
    options: [
      ENV_OPTION,
      ['--no-wait', 'start the rollback and return, without following it (nor recording it in the ledger)'],
    ],
    load: () =>
      import('./commands/ecs.js').then((m) => leaf(m.ecsRollback, m.formatEcsRollback, m.ecsRollbackExit)),
  },
  { name: 'kubernetes', description: "an environment's Kubernetes applications on EKS" },
  {
    name: 'kubernetes rollback <app>',
    description:
      'stop a deployment in progress (the switch puts the routing back), else switch every user back to the color that served before (the ledger); follows it to its end',
    options: [ENV_OPTION],
    load: () =>
      import('./commands/kubernetes.js').then((m) =>
        leaf(m.kubernetesRollback, m.formatKubernetesRollback, m.kubernetesRollbackExit),
      ),
  },
  {
    name: 'ec2',
    description: "an environment's EC2 applications (Auto Scaling groups deployed by CodeDeploy)",
  },
  {
    name: 'ec2 rollback <app>',
    description:
      "stop a deployment in flight on the application's CodeDeploy group with rollback, else deploy again the revision of the group's previous successful deployment; follows it to its end",
    options: [ENV_OPTION],
    load: () =>
      import('./commands/ec2.js').then((m) => leaf(m.ec2Rollback, m.formatEc2Rollback, m.ec2RollbackExit)),
  },
  { name: 'canary', description: 'automated canary analysis: a canary judged against its baseline' },
  {
    name: 'canary judge',
    description:
      "judge a canary's per-minute series against its baseline's over the same minutes (error rate: conditional binomial test; p50/p99: Wilcoxon signed-rank test per minute; Holm-corrected): pass, fail or inconclusive, with each metric's statistics; no AWS call, no environment",
    options: [
      required(
        '--baseline <file>',
        'JSON { "minutes": [ { "requests", "errors", "p50Ms"?, "p99Ms"? }, … ] }, oldest first',
      ),
      required('--canary <file>', 'the same for the canary, over the same minutes'),
    ],
    help: '\nExit codes of canary judge: 0 pass, 1 fail, 3 inconclusive, 2 bad input (a file missing, not JSON, or not a series: the file and the field named).',
    load: () =>
      import('./commands/canary.js').then((m) =>
        standaloneLeaf(m.canaryJudge, m.formatCanaryJudge, m.canaryJudgeExit),
      ),
    standalone: true,
  },
  { name: 'params', description: 'SSM parameters under /<prefix>/<env>/' },
  {
    name: 'params get <name>',
    description: 'print a parameter (name relative to /<prefix>/<env>/, or its full path)',
    options: [ENV_OPTION],
    load: () => import('./commands/params.js').then((m) => leaf(m.paramsGet, m.formatParameter)),
  },
  {
    name: 'params set <name> <value>',
    description: 'write a String parameter, overwriting',
    options: [ENV_OPTION],
    load: () => import('./commands/params.js').then((m) => leaf(m.paramsSet, m.formatParamsSet)),
  },
  {
    name: 'params list [path]',
    description: 'list the parameters under /<prefix>/<env>/ (or a path below it), recursively',
    options: [ENV_OPTION],
    load: () => import('./commands/params.js').then((m) => leaf(m.paramsList, m.formatParameterList)),
  },
  { name: 'secrets', description: 'Secrets Manager secrets under /<prefix>/<env>/' },
  {
    name: 'secrets set <name>',
    description: 'store a new value of an existing secret, read from stdin (never printed)',
    options: [
      ENV_OPTION,
      ['--value-stdin', 'read the value from stdin (required: values never go on the command line)'],
    ],
    load: () => import('./commands/params.js').then((m) => leaf(m.secretsSet, m.formatSecretsSet)),
  },
];

/** Adds an option, mandatory or not, as the row gives it. */
function addOption(command: Command, option: OptionArgs | Required): void {
  if ('required' in option) {
    command.requiredOption(...option.required);
    return;
  }
  const [flags, description, defaultOrParse] = option;
  if (typeof defaultOrParse === 'function') command.option(flags, description, defaultOrParse);
  else command.option(flags, description, defaultOrParse);
}

/**
 * Runs `ias-ops` with `argv` (user arguments only, without node and the script) and returns its exit
 * code; prints results on stdout and one error line on stderr.
 */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  const program = new Command('ias-ops')
    .description(
      "The ias delivery platform's operational procedures, named from the prefix and the environment profiles.",
    )
    .option('--json', 'machine output only, as JSON on stdout')
    .option('--dry-run', 'print the AWS calls that would be made, and make none')
    .showHelpAfterError('(run ias-ops --help for usage)')
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .exitOverride();

  const globals = () => program.opts<{ json?: boolean; dryRun?: boolean }>();
  const context = async (): Promise<OpsContext> => {
    const json = globals().json === true;
    const [{ createContext }, project] = await Promise.all([
      import('./context.js'),
      options.loadProject ? options.loadProject() : import('@ias/infra/config').then((m) => m.loadProject()),
    ]);
    return createContext({
      project,
      clients: options.clients,
      dryRun: globals().dryRun === true,
      progress: !json && process.stdout.isTTY === true && process.stderr.isTTY === true,
      readStdin: options.readStdin,
    });
  };
  /**
   * Runs a row's leaf, loaded on demand, and prints its result; what the command made live goes into the
   * environment's release ledger too.
   */
  const run = async (row: CommandRow & { load: () => Promise<Leaf> }, command: Command) => {
    // A subcommand sees its group's options too: commander gives `releases record --env` to `releases`.
    const group = command.parent === program ? {} : command.parent?.opts();
    const positional = Object.fromEntries(
      command.registeredArguments.map((a, i) => [a.name(), command.processedArgs[i] as unknown]),
    );
    const given = { ...group, ...positional, ...command.opts() };
    const [leaf, ctx, { isDryRun, printResult }, releases] = await Promise.all([
      row.load(),
      row.standalone ? undefined : context(),
      import('./context.js'),
      row.provenance ? import('./record.js') : undefined,
    ]);
    const provenance = releases && {
      source: releases.releaseSource(String(given.source)),
      by: given.by as string | undefined,
      commit: given.commit as string | undefined,
    };
    const result = await leaf.call(ctx, row.args ? row.args(given) : given);
    const record = isDryRun(result) || ctx === undefined ? undefined : await import('./record.js');
    const live = record?.changeOf(result);
    const env = live ? ctx?.project.environments.find((e) => e.name === live.environment) : undefined;
    const recorded =
      record && live && env && ctx
        ? await record.recordCliRelease(ctx, env, live.change, provenance)
        : undefined;
    const json = globals().json === true;
    printResult(recorded && json ? { ...(result as object), ledger: recorded } : result, json, leaf.text);
    if (recorded?.warning) {
      process.stderr.write(`warning: ${recorded.warning}\n`);
    } else if (recorded?.release !== undefined && !json) {
      process.stdout.write(`recorded as release ${recorded.release} of ${live?.environment ?? ''}\n`);
    }
    // What went wrong after the change was made (and recorded): the change stands, the exit code says it.
    const { problem } = result as { problem?: unknown };
    if (typeof problem === 'string') process.stderr.write(`error: ${problem}\n`);
    exitCode = isDryRun(result) ? EXIT.ok : leaf.verdict(result);
  };

  const registered = new Map<string, Command>([['', program]]);
  for (const row of COMMANDS) {
    // `lambda shift <function>`: the group `lambda`, then `shift <function>` in it.
    const tokens = row.name.split(' ');
    const words = tokens.filter((w) => !/^[<[]/.test(w));
    const parent = registered.get(words.slice(0, -1).join(' ')) ?? program;
    const command = parent.command(tokens.slice(words.length - 1).join(' '));
    command.description(row.description);
    for (const option of row.options ?? []) addOption(command, option);
    if (row.help !== undefined) command.addHelpText('after', row.help);
    const { load } = row;
    if (load) command.action((...values: unknown[]) => run({ ...row, load }, values.at(-1) as Command));
    registered.set(words.join(' '), command);
  }

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed the message (or the help); help and --version end 0, bad usage 2.
      return err.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    // By name: the configuration is loaded on demand, and plan's synth loads its own copy of it.
    if (err instanceof Error && err.name === 'ConfigError') {
      process.stderr.write(`${err.message}\n`);
      return EXIT.failed;
    }
    const error = toOpsError(err);
    process.stderr.write(`error: ${error.message}\n`);
    return error.exitCode;
  }
}

/** The binary's entry point (bin/ias-ops.js). */
export function runCli(): void {
  // The SDK warns on every client load that Node 20 loses support in 2027: noise for an operator.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // A reader that stops early (`ias-ops status | head`) is not an error of ours.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
