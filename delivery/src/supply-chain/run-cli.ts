import { ECRClient } from '@aws-sdk/client-ecr';
import { readFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { z } from 'zod';
import { DeliveryError, describeError } from '../errors.js';
import { decide } from './decide.js';
import { loadExceptions, type SupplyChainException } from './exceptions.js';
import { failOnSchema } from './findings.js';
import { gateImage } from './image-gate.js';
import { parseNpmAudit } from './npm-audit.js';

/** What the CLI reads and writes through: the process's, or a test's. */
export interface SupplyChainCliIo {
  /** The environment: `AWS_REGION` for the image command. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Prints one line of the summary. */
  readonly out: (line: string) => void;
  /** Prints the one line that says what is wrong. */
  readonly err: (line: string) => void;
  /**
   * Makes the ECR client of the image command.
   * @default - an ECRClient for `region`, with the default credentials
   */
  readonly ecr?: (region: string) => ECRClient;
  /**
   * Reads a file as text.
   * @default - node:fs
   */
  readonly readFile?: (path: string) => Promise<string>;
  /**
   * The current time in ms since the epoch: the day for the exceptions' expiry and the scan's deadline.
   * @default - the real time
   */
  readonly now?: () => number;
  /**
   * Waits `ms` milliseconds between two looks at the scan.
   * @default - a real timer
   */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Exit codes: the gate passed, it blocked (or could not decide), the input was bad. */
export const EXIT = { PASS: 0, BLOCKED: 1, BAD_INPUT: 2 } as const;

/** How to call the CLI, printed with `--help` and after a usage error. */
export const USAGE = [
  'usage: npx tsx delivery/src/supply-chain/cli.ts image --repository R --digest sha256:… --fail-on HIGH [--exceptions supply-chain/exceptions.json] [--deadline-seconds 600]',
  '       npx tsx delivery/src/supply-chain/cli.ts npm-audit --audit-file audit.json --fail-on HIGH [--exceptions supply-chain/exceptions.json]',
  'exit codes: 0 passed, 1 blocked (or the scan could not be decided on), 2 bad input',
];

const required = { error: 'is required' };

const commonOptions = {
  'fail-on': { type: 'string' },
  exceptions: { type: 'string' },
} as const;

const imageOptions = {
  ...commonOptions,
  repository: { type: 'string' },
  digest: { type: 'string' },
  'deadline-seconds': { type: 'string' },
} as const;

const npmAuditOptions = { ...commonOptions, 'audit-file': { type: 'string' } } as const;

const failOnOption = z
  .string(required)
  .transform((value) => value.toUpperCase())
  .pipe(failOnSchema);

const imageArgsSchema = z.object({
  repository: z.string(required).min(1, 'is required'),
  digest: z.string(required),
  'fail-on': failOnOption,
  exceptions: z.string().min(1).optional(),
  'deadline-seconds': z
    .string()
    .regex(/^[0-9]+$/, 'must be a whole number of seconds')
    .default('600')
    .transform(Number),
});

const npmAuditArgsSchema = z.object({
  'audit-file': z.string(required).min(1, 'is required'),
  'fail-on': failOnOption,
  exceptions: z.string().min(1).optional(),
});

/** `--name: problem; …` for the CLI's zod issues (the path is the option). */
function describeOptionIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `--${issue.path.map(String).join('.')}: ${issue.message}`).join('; ');
}

function parseOptions<S extends z.ZodType>(schema: S, values: unknown, command: string): z.output<S> {
  const result = schema.safeParse(values);
  if (!result.success) {
    throw new DeliveryError('BAD_INPUT', `${command}: ${describeOptionIssues(result.error)}`);
  }
  return result.data;
}

/** The node:util parseArgs of `args` against `options`; a usage error becomes `BAD_INPUT`. */
function readArgs<O extends NonNullable<ParseArgsConfig['options']>>(
  args: readonly string[],
  options: O,
  command: string,
) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new DeliveryError('BAD_INPUT', `${command}: ${(error as Error).message}`);
  }
}

/**
 * Runs the supply-chain gate as a command line (`image` or `npm-audit`, see {@link USAGE}): prints the
 * decision's summary and answers the exit code ({@link EXIT}). Bad input (an unknown command or option,
 * a missing or bad value, a bad exceptions or audit file, no AWS_REGION) prints one line naming it.
 */
export async function runSupplyChainCli(argv: readonly string[], io: SupplyChainCliIo): Promise<number> {
  const now = io.now ?? Date.now;
  const read = io.readFile ?? ((path: string) => readFile(path, 'utf8'));
  const [command, ...rest] = argv;
  try {
    if (command === '--help' || command === '-h') {
      USAGE.forEach((line) => io.out(line));
      return EXIT.PASS;
    }
    const today = new Date(now()).toISOString().slice(0, 10);
    const exceptionsOf = (path: string | undefined): Promise<SupplyChainException[]> =>
      path === undefined ? Promise.resolve([]) : loadExceptions(path, read);
    if (command === 'image') {
      const args = parseOptions(imageArgsSchema, readArgs(rest, imageOptions, 'image'), 'image');
      const region = io.env['AWS_REGION'];
      if (!region) {
        throw new DeliveryError('BAD_INPUT', 'image: AWS_REGION is not set: the region of the repository');
      }
      const exceptions = await exceptionsOf(args.exceptions);
      const result = await gateImage({
        ecr: io.ecr ? io.ecr(region) : new ECRClient({ region }),
        repository: args.repository,
        digest: args.digest,
        failOn: args['fail-on'],
        exceptions,
        today,
        deadlineSeconds: args['deadline-seconds'],
        now,
        ...(io.sleep ? { sleep: io.sleep } : {}),
      });
      result.summary.forEach((line) => io.out(line));
      return result.pass ? EXIT.PASS : EXIT.BLOCKED;
    }
    if (command === 'npm-audit') {
      const args = parseOptions(
        npmAuditArgsSchema,
        readArgs(rest, npmAuditOptions, 'npm-audit'),
        'npm-audit',
      );
      const exceptions = await exceptionsOf(args.exceptions);
      const file = args['audit-file'];
      const findings = parseNpmAudit(await readJsonFile(file, read), file);
      const decision = decide({ findings, failOn: args['fail-on'], exceptions, today });
      io.out(`npm audit ${file}`);
      decision.summary.forEach((line) => io.out(line));
      return decision.pass ? EXIT.PASS : EXIT.BLOCKED;
    }
    throw new DeliveryError(
      'BAD_INPUT',
      `${command === undefined ? 'no command' : `unknown command ${JSON.stringify(command)}`}: the commands are image and npm-audit (--help for the usage)`,
    );
  } catch (error) {
    io.err(`supply-chain: ${describeError(error)}`);
    return error instanceof DeliveryError && error.code === 'BAD_INPUT' ? EXIT.BAD_INPUT : EXIT.BLOCKED;
  }
}

/** The JSON of the file at `path`; a missing or unreadable file is `BAD_INPUT`. */
async function readJsonFile(path: string, read: (path: string) => Promise<string>): Promise<unknown> {
  let text: string;
  try {
    text = await read(path);
  } catch (error) {
    throw new DeliveryError('BAD_INPUT', `${path}: cannot read it: ${describeError(error)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new DeliveryError('BAD_INPUT', `${path}: not valid JSON (${(error as Error).message})`);
  }
}
