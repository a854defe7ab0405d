/**
 * What IAM sees of an `aws …` CLI command line (as CodeBuild projects run them): the calls the CLI
 * makes for it, with shell variables as `${env:NAME}` tokens.
 */
import type { RecordedCall } from '../calls';
import { TOKEN_TARGET, UnmappedCallError, type IamTarget } from './iam';

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
 * The calls of every `aws <service> <command>` in a shell script (a buildspec command).
 *
 * @throws UnmappedCallError naming the command when no mapping covers it
 */
export function awsCliCalls(script: string, target: IamTarget = TOKEN_TARGET): RecordedCall[] {
  const calls: RecordedCall[] = [];
  for (const match of script.matchAll(/(?:^|[\s|;&(`])aws\s+([a-z0-9-]+)\s+([a-z0-9-]+)([^\n|;&)]*)/g)) {
    const name = `${match[1]} ${match[2]}`;
    const mapping = CLI_COMMANDS[name];
    if (!mapping) {
      throw new UnmappedCallError(
        `no IAM mapping for \`aws ${name}\`: add it to CLI_COMMANDS in wiring/src/record/aws-cli.ts`,
      );
    }
    calls.push(...mapping(match[3] ?? '', target));
  }
  return calls;
}
