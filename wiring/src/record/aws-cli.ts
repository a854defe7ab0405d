/**
 * What IAM sees of an `aws …` CLI command line: the calls the CLI makes for it. Read from the text of
 * a buildspec's commands (shell variables as `${env:NAME}` tokens), or from the arguments of a run
 * (a hook script's, through the recorder's stand-in for the CLI).
 *
 * A command of a service in {@link CLI_SERVICES} is one API operation (`aws ssm get-parameter` is
 * SSM's GetParameter, its options the operation's input members): it maps as the SDK's call does
 * (iam.ts). The CLI's own commands that make other calls are in {@link CLI_COMMANDS}.
 *
 * @see https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-options.html
 */
import type { RecordedCall } from '../calls';
import { iamCallOf, TOKEN_TARGET, UnmappedCallError, type IamTarget } from './iam';
import type { SdkCall } from './recorder';

/** The `--name value` options of a command line (values unquoted, variables as tokens). */
export function cliOptions(args: string): Map<string, string> {
  const options = new Map<string, string>();
  const words = [...args.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (word.startsWith('--')) {
      const next = words[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        options.set(word.slice(2), shellToTokens(next));
        i++;
      } else {
        options.set(word.slice(2), '');
      }
    }
  }
  return options;
}

/** Shell variables (`$NAME`, `${NAME}`) as `${env:NAME}`. */
export function shellToTokens(text: string): string {
  return text.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, '${env:$1}');
}

function required(options: Map<string, string>, name: string, what: string): string {
  const value = options.get(name);
  if (!value) throw new UnmappedCallError(`${what} has no --${name}: its resource needs it`);
  return value;
}

/** An S3 URL (`s3://bucket/key`) as the object's ARN. */
function s3Arn(url: string, target: IamTarget): string {
  return `arn:${target.partition}:s3:::${shellToTokens(url.replace(/^s3:\/\//, ''))}`;
}

type CliMapping = (args: string, target: IamTarget) => RecordedCall[];

/** Each `aws <service> <command>` the buildspecs run. */
const CLI_COMMANDS: Readonly<Record<string, CliMapping>> = {
  // Gets a token for the domain and the repository's npm endpoint, and writes them to .npmrc.
  // @see https://docs.aws.amazon.com/codeartifact/latest/ug/auth-and-access-control-iam-access-control-identity-based.html
  'codeartifact login': (args, t) => {
    const o = cliOptions(args);
    const domain = required(o, 'domain', 'aws codeartifact login');
    const repository = required(o, 'repository', 'aws codeartifact login');
    const owner = o.get('domain-owner') || t.account;
    const base = `arn:${t.partition}:codeartifact:${t.region}:${owner}`;
    const repo = `${base}:repository/${domain}/${repository}`;
    return [
      { service: 'codeartifact', action: 'GetAuthorizationToken', resources: [`${base}:domain/${domain}`] },
      { service: 'codeartifact', action: 'GetRepositoryEndpoint', resources: [repo] },
      // npm ci then reads packages through the endpoint with that token.
      { service: 'codeartifact', action: 'ReadFromRepository', resources: [repo] },
      { service: 'sts', action: 'GetServiceBearerToken', resources: ['*'] },
    ];
  },
  'ecr get-login-password': () => [{ service: 'ecr', action: 'GetAuthorizationToken', resources: ['*'] }],
  's3 cp': (args, t) => {
    const urls = [...args.matchAll(/"?(s3:\/\/[^\s"]+)"?/g)].map((m) => m[1] as string);
    const [source, destination] = args
      .trim()
      .split(/\s+/)
      .filter((w) => !w.startsWith('--'));
    return urls.map((url) => ({
      service: 's3',
      action: source?.includes(url) && !destination?.includes(url) ? 'GetObject' : 'PutObject',
      resources: [s3Arn(url, t)],
    }));
  },
};

/**
 * The CLI's services whose commands are API operations, by the CLI's name: the SDK's service id and
 * how the service spells its input members (`--with-decryption` is SSM's `WithDecryption`).
 */
const CLI_SERVICES: Readonly<
  Record<string, { readonly serviceId: string; readonly members: 'Pascal' | 'camel' }>
> = { ssm: { serviceId: 'SSM', members: 'Pascal' } };

/** The CLI's global options: how it runs a command, not the operation's input. */
const GLOBAL_OPTIONS = new Set([
  'region',
  'profile',
  'output',
  'query',
  'endpoint-url',
  'no-cli-pager',
  'no-paginate',
  'no-verify-ssl',
  'debug',
  'color',
  'no-sign-request',
  'cli-read-timeout',
  'cli-connect-timeout',
  'cli-binary-format',
]);

/** One AWS CLI command line as the API call it makes, and how the CLI prints the answer. */
export interface CliRequest {
  readonly call: SdkCall;
  /** `--region`, when given. */
  readonly region?: string;
  /** `--query`: a dotted path into the answer (the JMESPath the scripts use). */
  readonly query?: string;
  /** `--output`. @default json */
  readonly output: string;
}

/** `with-decryption` as `WithDecryption` or `withDecryption`. */
function member(option: string, style: 'Pascal' | 'camel'): string {
  const pascal = option.replace(/(^|-)([a-z0-9])/g, (_, _dash: string, c: string) => c.toUpperCase());
  return style === 'Pascal' ? pascal : pascal.charAt(0).toLowerCase() + pascal.slice(1);
}

/**
 * The API call of an `aws <service> <operation> [--option value | --flag | --no-flag]…` command line
 * (its arguments after `aws`), for the services of {@link CLI_SERVICES}.
 *
 * @throws UnmappedCallError naming the command when its service is not one of them
 */
export function cliRequest(argv: readonly string[]): CliRequest {
  const [service = '', operation = '', ...rest] = argv;
  const known = CLI_SERVICES[service];
  if (!known || !/^[a-z0-9-]+$/.test(operation)) {
    throw new UnmappedCallError(
      `no IAM mapping for \`aws ${service} ${operation}\`: add the service to CLI_SERVICES (an API operation) or the command to CLI_COMMANDS in wiring/src/record/aws-cli.ts`,
    );
  }
  const input: Record<string, unknown> = {};
  const globals = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i] ?? '';
    if (!word.startsWith('--')) {
      throw new UnmappedCallError(`aws ${service} ${operation}: "${word}" is not an --option`);
    }
    const option = word.slice(2);
    const next = rest[i + 1];
    const value = next !== undefined && !next.startsWith('--') ? next : undefined;
    if (value !== undefined) i++;
    if (GLOBAL_OPTIONS.has(option)) {
      globals.set(option, value ?? '');
    } else if (value !== undefined) {
      input[member(option, known.members)] = value;
    } else {
      // A boolean member: `--flag` is true, `--no-flag` false.
      const negated = option.startsWith('no-');
      input[member(negated ? option.slice(3) : option, known.members)] = !negated;
    }
  }
  return {
    call: { serviceId: known.serviceId, command: member(operation, 'Pascal'), input },
    ...(globals.get('region') ? { region: globals.get('region') } : {}),
    ...(globals.get('query') ? { query: globals.get('query') } : {}),
    output: globals.get('output') || 'json',
  };
}

/**
 * The answer as the CLI prints it: `--query` (a dotted path), then `--output text` (a scalar as it
 * is) or JSON.
 *
 * @throws UnmappedCallError on a query that is not a dotted path, or text output of a structure
 */
export function cliOutput(output: unknown, request: CliRequest): string {
  let value = output;
  if (request.query !== undefined) {
    if (!request.query.split('.').every((key) => /^[A-Za-z0-9_]+$/.test(key))) {
      throw new UnmappedCallError(`--query ${request.query}: the stand-in reads dotted paths only`);
    }
    for (const key of request.query.split('.')) {
      value =
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    }
  }
  if (request.output === 'text') {
    if (value !== null && typeof value === 'object') {
      throw new UnmappedCallError('--output text of a structure: the stand-in prints scalars only');
    }
    return `${value === undefined || value === null ? 'None' : String(value)}\n`;
  }
  return `${JSON.stringify(value ?? null, null, 4)}\n`;
}

/**
 * The calls of every `aws <service> <command>` in a shell script (a buildspec command).
 *
 * @throws UnmappedCallError naming the command when no mapping covers it
 */
export function awsCliCalls(script: string, target: IamTarget = TOKEN_TARGET): RecordedCall[] {
  const calls: RecordedCall[] = [];
  for (const match of script.matchAll(/(?:^|[\s|;&(`])aws\s+([a-z0-9-]+)\s+([a-z0-9-]+)([^\n|;&)]*)/g)) {
    const name = `${match[1]} ${match[2]}`;
    const mapping = CLI_COMMANDS[name];
    if (mapping) {
      calls.push(...mapping(match[3] ?? '', target));
      continue;
    }
    const words = [...(match[3] ?? '').matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)]
      // A redirection (`2>"$error"`) is the shell's, not the command's.
      .filter((m) => m[3] === undefined || !/^\d*[<>]/.test(m[3]))
      .map((m) => shellToTokens(m[1] ?? m[2] ?? m[3] ?? ''));
    const { call, region } = cliRequest([match[1] ?? '', match[2] ?? '', ...words]);
    calls.push(iamCallOf(call.serviceId, call.command, call.input, region ? { ...target, region } : target));
  }
  return calls;
}
