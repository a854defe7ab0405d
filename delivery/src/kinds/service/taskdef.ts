import { execFile } from 'node:child_process';
import { z } from 'zod';
import { DeliveryError, isAwsError, oneLine } from '../../errors.js';
import { describeIssues } from '../../schemas.js';

/** The placeholder CodePipeline's CodeDeployToECS action replaces with the image of `imageDetail.json`. */
export const IMAGE_PLACEHOLDER = '<IMAGE1_NAME>';

/**
 * The ECS call {@link describeTemplate} makes, shaped like the method of the AWS SDK v3 aggregated
 * `ECS` client (`new ECS({})` from `@aws-sdk/client-ecs` fits it as is).
 *
 * A port rather than the SDK client: the build reads with {@link awsCliTaskDefinitionReader} (the
 * AWS CLI is on every CodeBuild image, so the one call needs no extra client in the bundle), and
 * tests stub it.
 */
export interface TaskDefinitionReader {
  /** `DescribeTaskDefinition`: the task definition (latest ACTIVE revision of a family) and its tags. */
  describeTaskDefinition(input: { taskDefinition: string; include: 'TAGS'[] }): Promise<unknown>;
}

const containerSchema = z.looseObject({
  name: z.string().min(1),
  image: z.string().optional(),
});

const tagSchema = z.object({ key: z.string().min(1), value: z.string().optional() });

/**
 * A task definition as DescribeTaskDefinition returns it: `{ taskDefinition, tags }`. Only the fields
 * this code reads are checked; every other field is kept as is.
 */
export const describedTaskDefinitionSchema = z.object({
  taskDefinition: z.looseObject({
    family: z.string().min(1),
    containerDefinitions: z.array(containerSchema).min(1),
  }),
  tags: z.array(tagSchema).optional(),
});

/** A task definition as DescribeTaskDefinition returns it. */
export type DescribedTaskDefinition = z.input<typeof describedTaskDefinitionSchema>;

/** A task definition as RegisterTaskDefinition (and CodeDeployToECS's `taskdef.json`) accepts it. */
export type RenderedTaskDefinition = Record<string, unknown> & {
  readonly family: string;
  readonly containerDefinitions: readonly Record<string, unknown>[];
  readonly tags?: readonly { key: string; value?: string }[];
};

/** Options of {@link renderTaskDefinition}. */
export interface RenderTaskDefinitionOptions {
  /** The container whose image the delivery sets (the one behind the load balancer). */
  readonly containerName: string;
  /**
   * The image to write into that container.
   * @default '<IMAGE1_NAME>' - the placeholder CodeDeployToECS replaces with `imageDetail.json`'s image
   */
  readonly image?: string;
}

// Fields DescribeTaskDefinition returns that RegisterTaskDefinition refuses (they describe a registered
// revision, not the definition).
const READ_ONLY_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
] as const;

/**
 * Turns a registered task definition into the JSON RegisterTaskDefinition and CodeDeployToECS accept.
 *
 * `registered` is DescribeTaskDefinition's answer (`{ taskDefinition, tags }`): the SDK's output, the
 * CLI's JSON or a {@link DescribedTaskDefinition}; it is checked here.
 * Removes the read-only fields (`taskDefinitionArn`, `revision`, `status`, `requiresAttributes`,
 * `compatibilities`, `registeredAt`, `registeredBy`, `deregisteredAt`), keeps every other field and the
 * tags (when there are any), and sets the image of container `containerName` to `image`. Throws
 * {@link DeliveryError} `CONTAINER_MISSING`, naming the containers it has, when there is no such
 * container, and `BAD_INPUT` when `registered` is not a DescribeTaskDefinition answer.
 */
export function renderTaskDefinition(
  registered: unknown,
  options: RenderTaskDefinitionOptions,
): RenderedTaskDefinition {
  const parsed = describedTaskDefinitionSchema.safeParse(registered);
  if (!parsed.success) {
    throw new DeliveryError(
      'BAD_INPUT',
      `not a DescribeTaskDefinition answer: ${describeIssues(parsed.error)}`,
    );
  }
  const { taskDefinition, tags } = parsed.data;
  const names = taskDefinition.containerDefinitions.map((container) => container.name);
  if (!names.includes(options.containerName)) {
    throw new DeliveryError(
      'CONTAINER_MISSING',
      `task definition ${taskDefinition.family} has no container ${JSON.stringify(options.containerName)} (its containers: ${names.join(', ')}): set the container name the service's load balancer targets`,
    );
  }
  const readOnly: readonly string[] = READ_ONLY_FIELDS;
  const definition = Object.fromEntries(
    Object.entries(taskDefinition).filter(([field]) => !readOnly.includes(field)),
  );
  const image = options.image ?? IMAGE_PLACEHOLDER;
  return {
    ...definition,
    family: taskDefinition.family,
    containerDefinitions: taskDefinition.containerDefinitions.map((container) =>
      container.name === options.containerName ? { ...container, image } : { ...container },
    ),
    ...(tags && tags.length > 0 ? { tags: tags.map((tag) => ({ ...tag })) } : {}),
  };
}

/**
 * Reads the latest ACTIVE revision of a task definition family, with its tags: the template the
 * delivery renders its `taskdef.json` from.
 *
 * Calls DescribeTaskDefinition(`{ taskDefinition: family, include: ['TAGS'] }`) and returns its answer
 * after checking its shape. Throws {@link DeliveryError} `SERVICE_MISSING` when the family does not
 * exist (the infrastructure registers it) and `BAD_INPUT` when the answer is not a task definition.
 */
export async function describeTemplate(
  ecs: TaskDefinitionReader,
  family: string,
): Promise<DescribedTaskDefinition> {
  let answer: unknown;
  try {
    answer = await ecs.describeTaskDefinition({ taskDefinition: family, include: ['TAGS'] });
  } catch (error) {
    // ECS has no not-found error: it answers ClientException "Unable to describe task definition.".
    if (isAwsError(error, 'ClientException') && /unable to describe task definition/i.test(error.message)) {
      throw new DeliveryError(
        'SERVICE_MISSING',
        `task definition family ${family} does not exist: deploy the service's infrastructure first (it registers the family)`,
        { cause: error },
      );
    }
    throw error;
  }
  const parsed = describedTaskDefinitionSchema.safeParse(answer);
  if (!parsed.success) {
    throw new DeliveryError(
      'BAD_INPUT',
      `DescribeTaskDefinition of ${family} did not return a task definition: ${describeIssues(parsed.error)}`,
    );
  }
  return answer as DescribedTaskDefinition;
}

/** Runs a program and returns its standard output; rejects with its standard error when it fails. */
export type RunProgram = (file: string, args: readonly string[]) => Promise<string>;

/** {@link RunProgram} with `child_process.execFile` (no shell, so arguments are never interpreted). */
export const runProgram: RunProgram = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, [...args], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(Object.assign(error, { stderr: String(stderr) }));
      } else {
        resolve(String(stdout));
      }
    });
  });

/**
 * A {@link TaskDefinitionReader} that runs `aws ecs describe-task-definition --include TAGS`: the AWS
 * CLI is on every CodeBuild standard image, and it takes the build's credentials and region.
 *
 * A failing call rejects with an error named like the SDK's (`ClientException`, …), parsed from the
 * CLI's `An error occurred (Name) when calling …: message` line, so callers branch the same way.
 */
export function awsCliTaskDefinitionReader(run: RunProgram = runProgram): TaskDefinitionReader {
  return {
    async describeTaskDefinition(input) {
      let stdout: string;
      try {
        stdout = await run('aws', [
          'ecs',
          'describe-task-definition',
          '--task-definition',
          input.taskDefinition,
          ...input.include.flatMap((field) => ['--include', field]),
          '--output',
          'json',
        ]);
      } catch (error) {
        const stderr = z.object({ stderr: z.string() }).safeParse(error);
        const text = stderr.success ? stderr.data.stderr : String(error);
        const aws = /An error occurred \((?<name>[A-Za-z]+)\)[^:]*:\s*(?<message>.*)/s.exec(text)?.groups;
        const failure = new Error(
          oneLine(aws?.['message'] ?? `aws ecs describe-task-definition failed: ${text}`),
          {
            cause: error,
          },
        );
        failure.name = aws?.['name'] ?? 'Error';
        throw failure;
      }
      try {
        return JSON.parse(stdout) as unknown;
      } catch {
        throw new Error(
          `aws ecs describe-task-definition printed something other than JSON: ${oneLine(stdout, 200)}`,
        );
      }
    },
  };
}
