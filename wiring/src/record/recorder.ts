/**
 * Records the AWS calls a workload's code makes, and answers each with a canned response: no
 * network, no credentials. It sees two kinds of caller:
 *
 * - every AWS SDK v3 client, through a middleware at the start of the `initialize` step, so nothing
 *   after it runs: no serialization, endpoint resolution, signing or sending (aws-sdk-client-mock
 *   replaces `send` and would bypass it; scenarios answer through {@link Responder} instead);
 * - the AWS CLI, where a scenario runs a script with {@link RecordingSession.cli} standing in for it
 *   (see aws-cli-stand-in.ts).
 */
import { Client } from '@smithy/core/client';
import { Client as SmithyClientV3 } from '@smithy/smithy-client';
import type { RecordedCall } from '../calls';
import { cliOutput, cliRequest } from './aws-cli';
import { iamCallOf, TOKEN_TARGET, type IamLookups, type IamTarget } from './iam';

/** One SDK call as the code made it. */
export interface SdkCall {
  /** The client's service id (`client.config.serviceId`), e.g. `Secrets Manager`. */
  readonly serviceId: string;
  /** The command's name without `Command`, e.g. `GetSecretValue`. */
  readonly command: string;
  /** The command's input. */
  readonly input: Readonly<Record<string, unknown>>;
}

/**
 * Answers a call with the output the code should see, or throws the error it should see (see
 * {@link awsError}); `undefined` means the scenario has no answer, which fails the recording.
 */
export type Responder = (call: SdkCall) => unknown;

/** A recorded call, with whose credentials it was made. */
export interface CallRecord extends RecordedCall {
  /** `Service Command`, for messages. */
  readonly sdk: string;
}

/** Options of {@link startRecording}. */
export interface RecordingOptions {
  /** The canned responses. */
  readonly respond: Responder;
  /** What the IAM mapping cannot read from an input (deployment groups of deployment ids). */
  readonly lookups?: IamLookups;
  /**
   * Principals by access key id, for clients made with explicit credentials (e.g. CodePipeline's
   * artifact credentials): the calls they make are recorded with that principal.
   * @default - none
   */
  readonly principals?: Readonly<Record<string, string>>;
}

/** What the AWS CLI prints and exits with, for one command line. */
export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A recording in progress. */
export interface RecordingSession {
  /** The calls so far, in order. */
  readonly calls: readonly CallRecord[];
  /** Calls the scenario had no answer for, or that the mapping does not cover (each a message). */
  readonly problems: readonly string[];
  /**
   * Runs one AWS CLI command line (its arguments after `aws`) as the workload's own role: records the
   * API call it makes and answers it from the scenario's responses (keyed by the SDK's names, as
   * `SSM GetParameter`), printed as the CLI prints it (`--query`, `--output`).
   */
  cli(argv: readonly string[]): Promise<CliResult>;
  /** Removes the recorder from the client base classes' `send` and every client it was added to. */
  stop(): void;
}

/** The access key every client without explicit credentials gets: the workload's own role. */
const OWN_ROLE_KEY = 'WIRINGRECORDEROWNROLE';
const TAG = 'WIRING_RECORDER';

/** An SDK-shaped service error (`name`, `$fault`, `$metadata`), for a {@link Responder} to throw. */
export function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

/** An AWS service error, as a responder throws it ({@link awsError}) and the CLI reports it. */
function serviceError(error: unknown): { name: string; message: string } | undefined {
  const e = error as { name?: unknown; message?: unknown; $fault?: unknown };
  return e && typeof e.name === 'string' && e.$fault !== undefined
    ? { name: e.name, message: String(e.message ?? '') }
    : undefined;
}

/** What the recorder uses of a client: its middleware stack and resolved configuration. */
interface AnyClient {
  readonly middlewareStack: {
    add(middleware: never, options: object): void;
    removeByTag(tag: string): boolean;
  };
  readonly config: { serviceId?: string; credentials?: () => Promise<{ accessKeyId: string }> };
}

let active = false;

/**
 * The client base classes whose `send` the recorder patches: `@smithy/core/client`'s, which every
 * current client package shares, and `@smithy/smithy-client`'s own (v3), which a client package built
 * before that move still extends (the registry serves `@aws-sdk/client-synthetics` at 3.669 only).
 */
const CLIENT_BASES: readonly { prototype: { send: unknown } }[] = [
  ...new Set<{ prototype: { send: unknown } }>([Client, SmithyClientV3]),
];

/**
 * Installs the recorder on every SDK v3 client that sends a command until `stop()`: patches `send`
 * of the client base classes ({@link CLIENT_BASES}) to add the middleware once per client. Sets fake
 * credentials in the environment so that the default credential chain resolves without network;
 * restored by `stop()`.
 */
export function startRecording(options: RecordingOptions): RecordingSession {
  if (active) {
    throw new Error('a recording is already running: stop it first');
  }
  active = true;
  const calls: CallRecord[] = [];
  const problems: string[] = [];
  const clients: AnyClient[] = [];
  const principals = new Map<string, string>(Object.entries(options.principals ?? {}));
  const deployments = new Map<string, { application: string; group: string }>();
  const lookups: IamLookups = {
    deploymentGroupOf: (id) => deployments.get(id) ?? options.lookups?.deploymentGroupOf?.(id),
  };
  const savedEnv = { ...process.env };
  process.env.AWS_ACCESS_KEY_ID = OWN_ROLE_KEY;
  process.env.AWS_SECRET_ACCESS_KEY = 'wiring-recorder-fake-secret';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  let assumed = 0;

  /**
   * Records one call made with the credentials of `accessKeyId` and answers it: AssumeRole with
   * credentials of the role (their key names it), anything else from the scenario.
   */
  async function callAws(
    call: SdkCall,
    accessKeyId: string | undefined,
    target?: IamTarget,
  ): Promise<unknown> {
    const { serviceId, command, input } = call;
    const sdk = `${serviceId} ${command}`;
    const principal = accessKeyId && accessKeyId !== OWN_ROLE_KEY ? principals.get(accessKeyId) : undefined;
    if (accessKeyId && accessKeyId !== OWN_ROLE_KEY && principal === undefined) {
      problems.push(`${sdk}: made with credentials the scenario does not name (access key ${accessKeyId})`);
    }
    try {
      const mapped = iamCallOf(serviceId, command, input, target, lookups);
      calls.push({ ...mapped, ...(principal ? { principal } : {}), sdk });
    } catch (error) {
      problems.push(`${sdk}: ${(error as Error).message}`);
    }
    let output: unknown;
    if (serviceId === 'STS' && command === 'AssumeRole') {
      assumed += 1;
      const key = `WIRINGRECORDERASSUMED${assumed}`;
      principals.set(key, String(input.RoleArn));
      output = {
        Credentials: {
          AccessKeyId: key,
          SecretAccessKey: 'wiring-recorder-fake-secret',
          SessionToken: 'wiring-recorder-fake-token',
          Expiration: new Date(Date.now() + 3_600_000),
        },
        AssumedRoleUser: { Arn: String(input.RoleArn), AssumedRoleId: 'AROAWIRING:recorder' },
      };
    } else {
      output = await options.respond(call);
    }
    if (output === undefined) {
      problems.push(`${sdk}: the scenario has no canned response for it`);
      throw new Error(`wiring recorder: no canned response for ${sdk}`);
    }
    learnDeployments(call, output);
    return output;
  }

  /**
   * IAM authorizes GetDeployment on the deployment group, which its input does not name: the
   * deployments the code learnt of from a group (made there, listed there, or its last ones) belong
   * to it.
   */
  function learnDeployments({ serviceId, command, input }: SdkCall, output: unknown): void {
    if (serviceId !== 'CodeDeploy') return;
    const group = { application: String(input.applicationName), group: String(input.deploymentGroupName) };
    const ids =
      command === 'CreateDeployment'
        ? [(output as { deploymentId?: string }).deploymentId]
        : command === 'ListDeployments'
          ? ((output as { deployments?: string[] }).deployments ?? [])
          : command === 'GetDeploymentGroup'
            ? ['lastSuccessfulDeployment', 'lastAttemptedDeployment'].map(
                (field) =>
                  (
                    (
                      output as {
                        deploymentGroupInfo?: Record<string, { deploymentId?: string } | undefined>;
                      }
                    ).deploymentGroupInfo?.[field] ?? {}
                  ).deploymentId,
              )
            : [];
    for (const id of ids) {
      if (id) deployments.set(id, group);
    }
  }

  const middleware =
    (client: AnyClient) =>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the stack's generic handler types
    (_next: unknown, context: any) =>
    async (args: { input: Record<string, unknown> }) => {
      const serviceId = client.config.serviceId ?? String(context.clientName).replace(/Client$/, '');
      const command = String(context.commandName).replace(/Command$/, '');
      // Whose credentials: resolving them is how an assumed role's AssumeRole call is made (and recorded).
      const identity = await client.config.credentials?.();
      const output = await callAws({ serviceId, command, input: args.input }, identity?.accessKeyId);
      return { output: { $metadata: { httpStatusCode: 200 }, ...(output as object) }, response: {} };
    };

  const originals = CLIENT_BASES.map((base) => base.prototype.send);
  CLIENT_BASES.forEach((base, i) => {
    const original = originals[i] as (...a: unknown[]) => unknown;
    base.prototype.send = function (this: AnyClient, ...args: unknown[]) {
      if (!clients.includes(this)) {
        clients.push(this);
        this.middlewareStack.add(middleware(this) as never, {
          step: 'initialize',
          priority: 'high',
          name: 'wiringRecorder',
          tags: [TAG],
        });
      }
      return original.apply(this, args);
    };
  });

  return {
    calls,
    problems,
    async cli(argv) {
      const words = argv.slice(0, 2).join(' ');
      let request: ReturnType<typeof cliRequest>;
      try {
        request = cliRequest(argv);
      } catch (error) {
        problems.push(`aws ${words}: ${(error as Error).message}`);
        return { status: 252, stdout: '', stderr: `aws ${words}: not recorded\n` };
      }
      const target = request.region ? { ...TOKEN_TARGET, region: request.region } : undefined;
      try {
        const output = await callAws(request.call, OWN_ROLE_KEY, target);
        return { status: 0, stdout: cliOutput(output, request), stderr: '' };
      } catch (error) {
        const failed = serviceError(error);
        if (!failed) {
          return { status: 255, stdout: '', stderr: `${(error as Error).message}\n` };
        }
        // As the CLI v2 reports a service error.
        return {
          status: 254,
          stdout: '',
          stderr: `\nAn error occurred (${failed.name}) when calling the ${request.call.command} operation: ${failed.message}\n`,
        };
      }
    },
    stop() {
      CLIENT_BASES.forEach((base, i) => {
        base.prototype.send = originals[i];
      });
      for (const client of clients) {
        client.middlewareStack.removeByTag(TAG);
      }
      for (const key of [
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'AWS_SESSION_TOKEN',
        'AWS_PROFILE',
      ] as const) {
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- one of the four names above
        if (savedEnv[key] === undefined) delete process.env[key];
        else process.env[key] = savedEnv[key];
      }
      active = false;
    },
  };
}
