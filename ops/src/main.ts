/**
 * `ias-ops`: the seeds' operational procedures as one command-line tool. Every AWS name comes from the
 * prefix in README.md and the environment profiles (infra's `loadProject` and naming helpers).
 */
import { Command, CommanderError } from 'commander';
import type { ProjectConfig } from '@ias/infra/config';
import type { ClientFactory, DryRunResult, OpsContext } from './context';
import type { Provenance } from './record';
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

/** A command as `run` takes it: the call, its text form, and the exit code of its result. */
interface Leaf<A extends unknown[], R> {
  readonly command: (ctx: OpsContext, ...args: A) => Promise<R | DryRunResult>;
  readonly text: (result: R) => string;
  /** @default - exit 0 */
  readonly verdict?: (result: R) => ExitCode;
  /** Who the ledger says made what the command made live. @default - the CLI, as the caller */
  readonly provenance?: (...args: A) => Provenance;
}

/** How a release made by a command is recorded: by whom, from where, of which commit. */
interface ProvenanceOptions {
  readonly source: string;
  readonly by?: string;
  readonly commit?: string;
}

/** Where a release came from, as `releases record` and the deploy commands take it. */
const SOURCE_OPTION = ['--source <source>', 'pipeline, workflow or cli', 'cli'] as const;
/** Who made a release. */
const BY_OPTION = [
  '--by <who>',
  "who deployed, e.g. a workflow run's URL (default: the caller's AWS identity)",
] as const;
/** The commit a release deploys. */
const COMMIT_OPTION = ['--commit <sha>', 'the git commit deployed'] as const;

/** The ledger's provenance from the options (the source is checked when the release is written). */
function provenanceOf(o: ProvenanceOptions): Provenance {
  return { source: o.source, by: o.by, commit: o.commit };
}

/** The `--env` option every environment command takes. */
const ENV_OPTION = [
  '--env <name>',
  'environment (dev, staging, prod: the profiles in infra/lib/config/environments.ts)',
] as const;

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
   * Runs a command, loaded on demand (a command's module, and the SDK clients it uses, load only when
   * it runs), and prints its result; `verdict` turns a result into an exit code.
   */
  const run =
    <A extends unknown[], R>(load: () => Promise<Leaf<A, R>>) =>
    async (...args: A) => {
      const [leaf, ctx, { isDryRun, printResult }] = await Promise.all([
        load(),
        context(),
        import('./context.js'),
      ]);
      const result = await leaf.command(ctx, ...args);
      // What the command made live goes into the environment's release ledger too.
      const record = isDryRun(result) ? undefined : await import('./record.js');
      const live = record?.changeOf(result);
      const env = live ? ctx.project.environments.find((e) => e.name === live.environment) : undefined;
      const recorded =
        record && live && env
          ? await record.recordCliRelease(ctx, env, live.change, leaf.provenance?.(...args))
          : undefined;
      const json = globals().json === true;
      printResult(
        recorded && json ? ({ ...(result as object), ledger: recorded } as R) : result,
        json,
        leaf.text,
      );
      if (recorded?.warning) {
        process.stderr.write(`warning: ${recorded.warning}\n`);
      } else if (recorded?.release !== undefined && !json) {
        process.stdout.write(`recorded as release ${recorded.release} of ${live?.environment ?? ''}\n`);
      }
      exitCode = isDryRun(result) ? EXIT.ok : (leaf.verdict ?? (() => EXIT.ok))(result);
    };

  program
    .command('plan')
    .description('synthesize every environment offline and print the delivery plan (as npm start does)')
    .action(
      run(async () => {
        const m = await import('./commands/plan.js');
        return { command: m.plan, text: m.formatPlan, verdict: (r) => (r.passed ? EXIT.ok : EXIT.failed) };
      }),
    );

  program
    .command('targets')
    .description(
      'every function and service of every environment with its target (names, deployment group, strategy), as the deploy workflows read them; no AWS call',
    )
    .option('--env <name>', 'one environment (default: every one, in promotion order)')
    .option('--kind <kind>', 'one kind of workload: function or service')
    .action(
      run(async () => {
        const m = await import('./commands/targets.js');
        return {
          command: (ctx, o: { env?: string; kind?: string }) => m.targets(ctx, { env: o.env, kind: o.kind }),
          text: m.formatTargets,
        };
      }),
    );

  program
    .command('status')
    .description('per function, service and pipeline: what runs, the last deployments, alarms and health')
    .option(...ENV_OPTION)
    .action(
      run(async () => {
        const m = await import('./commands/status.js');
        return {
          command: (ctx, o: { env?: string }) => m.statusAny(ctx, { env: o.env }),
          text: m.formatAnyStatus,
        };
      }),
    );

  const releasesCommand = program
    .command('releases')
    .description("the environment's release ledger, newest first: what each deployment made live")
    .option(...ENV_OPTION)
    .option('--limit <n>', 'how many releases (1-100)', '10')
    .action(
      run(async () => {
        const m = await import('./commands/releases.js');
        return {
          command: (ctx, o: { env?: string; limit: string }) =>
            m.releases(ctx, { env: o.env, limit: Number(o.limit) }),
          text: m.formatReleases,
        };
      }),
    );
  const collect = (value: string, previous: string[] = []) => [...previous, value];
  releasesCommand
    .command('record')
    .description(
      'record a deployment made outside the pipelines and this CLI (the GitHub workflows call it) as the next release',
    )
    .option(...ENV_OPTION)
    .requiredOption('--summary <text>', 'one line: what changed')
    .option('--function <name=version>', 'a function and the version its alias serves (repeatable)', collect)
    .option('--service <name=image>', 'a service and the image it runs, by digest (repeatable)', collect)
    .option('--task-definition <name=arn>', "a service's task definition ARN (repeatable)", collect)
    .option(...SOURCE_OPTION)
    .option(...BY_OPTION)
    .option(...COMMIT_OPTION)
    .action(
      run(async () => {
        const m = await import('./commands/releases.js');
        return {
          command: (
            ctx,
            o: {
              env?: string;
              summary: string;
              function?: string[];
              service?: string[];
              taskDefinition?: string[];
              source: string;
              by?: string;
              commit?: string;
            },
          ) =>
            m.recordReleaseCommand(ctx, {
              // `m.releases` takes --env too, and commander gives it the value wherever it stands.
              env: o.env ?? releasesCommand.opts<{ env?: string }>().env,
              summary: o.summary,
              functions: o.function,
              services: o.service,
              taskDefinitions: o.taskDefinition,
              source: o.source,
              by: o.by,
              commit: o.commit,
            }),
          text: m.formatRecord,
        };
      }),
    );

  program
    .command('rollback')
    .description(
      "restore functions, parameters, secrets and service images together to release --release of the environment's ledger",
    )
    .option(...ENV_OPTION)
    .requiredOption('--release <n>', 'the release number (ias-ops releases lists them)')
    .action(
      run(async () => {
        const m = await import('./commands/restore.js');
        return {
          command: (ctx, o: { env?: string; release: string }) =>
            m.restoreRelease(ctx, { env: o.env, release: o.release }),
          text: m.formatRestore,
        };
      }),
    );

  const lambda = program.command('lambda').description("a function's versions and its alias live");
  lambda
    .command('publish <function>')
    .description('publish a version of the function (aws lambda publish-version)')
    .option(...ENV_OPTION)
    .action(
      run(async () => {
        const m = await import('./commands/lambda.js');
        return {
          command: (ctx, fn: string, o: { env?: string }) => m.publish(ctx, { function: fn, env: o.env }),
          text: m.formatSummary,
        };
      }),
    );
  lambda
    .command('shift <function>')
    .description('send --weight percent of live to version --to, the rest staying on the current version')
    .option(...ENV_OPTION)
    .requiredOption('--to <version>', 'the published version to send traffic to')
    .requiredOption('--weight <percent>', 'whole percent, 1 to 99')
    .action(
      run(async () => {
        const m = await import('./commands/lambda.js');
        return {
          command: (ctx, fn: string, o: { env?: string; to: string; weight: string }) =>
            m.shift(ctx, { function: fn, env: o.env, to: o.to, weight: o.weight }),
          text: m.formatSummary,
        };
      }),
    );
  lambda
    .command('promote <function>')
    .description('send all of live to version --to and clear any shift')
    .option(...ENV_OPTION)
    .requiredOption('--to <version>', 'the published version')
    .action(
      run(async () => {
        const m = await import('./commands/lambda.js');
        return {
          command: (ctx, fn: string, o: { env?: string; to: string }) =>
            m.promote(ctx, { function: fn, env: o.env, to: o.to }),
          text: m.formatSummary,
        };
      }),
    );
  lambda
    .command('rollback <function>')
    .description('send all of live back: clear a shift in progress, else go to the previous version')
    .option(...ENV_OPTION)
    .action(
      run(async () => {
        const m = await import('./commands/lambda.js');
        return {
          command: (ctx, fn: string, o: { env?: string }) => m.rollback(ctx, { function: fn, env: o.env }),
          text: m.formatSummary,
        };
      }),
    );

  const deploy = program.command('deploy').description('deliver a build as the pipeline does, from here');
  deploy
    .command('lambda <function>')
    .description(
      'update the code from --zip, publish a version and shift the alias with CodeDeploy (the group of --env)',
    )
    .option(...ENV_OPTION)
    .requiredOption('--zip <path>', "the function's deployment package")
    .option(...SOURCE_OPTION)
    .option(...BY_OPTION)
    .option(...COMMIT_OPTION)
    .action(
      run(async () => {
        const [m, m2, record] = await Promise.all([
          import('./commands/deploy.js'),
          import('./commands/lambda.js'),
          import('./record.js'),
        ]);
        return {
          command: (ctx, fn: string, o: { env?: string; zip: string } & ProvenanceOptions) => {
            record.releaseSource(o.source);
            return m.deployLambda(ctx, { function: fn, env: o.env, zip: o.zip });
          },
          text: m2.formatSummary,
          provenance: (_fn, o) => provenanceOf(o),
        };
      }),
    );

  deploy
    .command('service <service>')
    .description(
      "register the service's task definition with --image and deploy it through its strategy's controller (CodeDeploy blue/green, or Amazon ECS's own), follow it to its end, and write the image to its parameter",
    )
    .option(...ENV_OPTION)
    .requiredOption('--image <uri>', 'the image, by digest (<registry>/<repository>@sha256:<digest>)')
    .option(...SOURCE_OPTION)
    .option(...BY_OPTION)
    .option(...COMMIT_OPTION)
    .action(
      run(async () => {
        const [m, record] = await Promise.all([
          import('./commands/deploy-service.js'),
          import('./record.js'),
        ]);
        return {
          command: (ctx, service: string, o: { env?: string; image: string } & ProvenanceOptions) => {
            record.releaseSource(o.source);
            return m.deployService(ctx, { service, env: o.env, image: o.image });
          },
          text: m.formatDeployService,
          provenance: (_service, o) => provenanceOf(o),
        };
      }),
    );

  const deployments = program
    .command('deployments')
    .description(
      "an environment's deployments in flight: CodeDeploy's (functions, codedeploy-blue-green services) and Amazon ECS's own (the other services)",
    );
  deployments.addHelpText(
    'after',
    '\n<deployment>: a CodeDeploy deployment ID (d-…), an Amazon ECS service deployment ARN, or a function or service name (its deployment in progress).',
  );
  deployments
    .command('list')
    .description(
      'per CodeDeploy group and ECS-deployed service: the deployments in progress and the last ones',
    )
    .option(...ENV_OPTION)
    .action(
      run(async () => {
        const m = await import('./commands/deployments.js');
        return {
          command: (ctx, o: { env?: string }) => m.deploymentsList(ctx, { env: o.env }),
          text: m.formatDeploymentsList,
        };
      }),
    );
  deployments
    .command('continue <deployment>')
    .description(
      'CodeDeploy (d-…): end the wait, Ready (reroute now) or keeping blue (terminate now); Amazon ECS (service deployment ARN): release its pause hook',
    )
    .option(...ENV_OPTION)
    .action(
      run(async () => {
        const m = await import('./commands/deployments.js');
        return {
          command: (ctx, id: string, o: { env?: string }) =>
            m.deploymentsContinue(ctx, { deploymentId: id, env: o.env }),
          text: m.formatAction,
          verdict: m.actionExit,
        };
      }),
    );
  deployments
    .command('stop <deployment>')
    .description(
      'stop a deployment in progress with rollback (CodeDeploy ID or Amazon ECS service deployment ARN), and wait until it is rolled back (exit 3)',
    )
    .option(...ENV_OPTION)
    .action(
      run(async () => {
        const m = await import('./commands/deployments.js');
        return {
          command: (ctx, id: string, o: { env?: string }) =>
            m.deploymentsStop(ctx, { deploymentId: id, env: o.env }),
          text: m.formatAction,
          verdict: m.actionExit,
        };
      }),
    );

  const ecs = program.command('ecs').description("an environment's container services");
  ecs
    .command('rollback <service>')
    .description(
      'stop a deployment in progress with rollback, else return the service to the previous task definition; follows it to its end',
    )
    .option(...ENV_OPTION)
    .option(
      '--no-wait',
      'start the rollback and return, without following it (nor recording it in the ledger)',
    )
    .action(
      run(async () => {
        const m = await import('./commands/ecs.js');
        return {
          command: (ctx, service: string, o: { env?: string; wait: boolean }) =>
            m.ecsRollback(ctx, { service, env: o.env, wait: o.wait }),
          text: m.formatEcsRollback,
          verdict: m.ecsRollbackExit,
        };
      }),
    );

  const params = program.command('params').description('SSM parameters under /<prefix>/<env>/');
  params
    .command('get <name>')
    .description('print a parameter (name relative to /<prefix>/<env>/, or its full path)')
    .option(...ENV_OPTION)
    .action(
      run(async () => {
        const m = await import('./commands/params.js');
        return {
          command: (ctx, name: string, o: { env?: string }) => m.paramsGet(ctx, { env: o.env, name }),
          text: m.formatParameter,
        };
      }),
    );
  params
    .command('set <name> <value>')
    .description('write a String parameter, overwriting')
    .option(...ENV_OPTION)
    .action(
      run(async () => {
        const m = await import('./commands/params.js');
        return {
          command: (ctx, name: string, value: string, o: { env?: string }) =>
            m.paramsSet(ctx, { env: o.env, name, value }),
          text: m.formatParamsSet,
        };
      }),
    );
  params
    .command('list [path]')
    .description('list the parameters under /<prefix>/<env>/ (or a path below it), recursively')
    .option(...ENV_OPTION)
    .action(
      run(async () => {
        const m = await import('./commands/params.js');
        return {
          command: (ctx, path: string | undefined, o: { env?: string }) =>
            m.paramsList(ctx, { env: o.env, path }),
          text: m.formatParameterList,
        };
      }),
    );

  const secrets = program.command('secrets').description('Secrets Manager secrets under /<prefix>/<env>/');
  secrets
    .command('set <name>')
    .description('store a new value of an existing secret, read from stdin (never printed)')
    .option(...ENV_OPTION)
    .option('--value-stdin', 'read the value from stdin (required: values never go on the command line)')
    .action(
      run(async () => {
        const m = await import('./commands/params.js');
        return {
          command: (ctx, name: string, o: { env?: string; valueStdin?: boolean }) =>
            m.secretsSet(ctx, { env: o.env, name, valueStdin: o.valueStdin === true }),
          text: m.formatSecretsSet,
        };
      }),
    );

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
