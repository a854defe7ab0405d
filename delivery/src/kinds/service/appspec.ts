import { z } from 'zod';
import { appSpecDocumentSchema, checkFields, readAppSpec, yamlScalar } from '../../appspec-document.js';
import { DeliveryError } from '../../errors.js';
import { describeIssues, functionNameSchema } from '../../schemas.js';
import { imageUriSchema } from './image-uri.js';

/** The placeholder CodePipeline's CodeDeployToECS action replaces with the registered task definition's ARN. */
export const TASK_DEFINITION_PLACEHOLDER = '<TASK_DEFINITION>';

/**
 * The lifecycle hooks of a CodeDeploy ECS deployment: the names of the Lambda functions CodeDeploy calls.
 * Each is optional (@default - no hook).
 */
export interface EcsLifecycleHooks {
  /** Before the replacement (green) task set is created. */
  readonly beforeInstall?: string;
  /** After the green task set is created and registered with the test target group. */
  readonly afterInstall?: string;
  /** After the test listener sends traffic to the green task set: the place to check green. */
  readonly afterAllowTestTraffic?: string;
  /** Before production traffic moves to the green task set. */
  readonly beforeAllowTraffic?: string;
  /** After all production traffic has moved. */
  readonly afterAllowTraffic?: string;
}

/** What the appspec of an ECS deployment says. */
export interface EcsAppSpecInput {
  /** The container the load balancer sends traffic to. */
  readonly containerName: string;
  /** That container's port. */
  readonly containerPort: number;
  /**
   * The Fargate platform version of the green task set.
   * @default 'LATEST'
   */
  readonly platformVersion?: string;
  /**
   * The lifecycle hooks.
   * @default - no hooks
   */
  readonly hooks?: EcsLifecycleHooks;
}

/** An ECS appspec read back by {@link parseEcsAppSpec}. */
export interface EcsAppSpec extends EcsAppSpecInput {
  /** `<TASK_DEFINITION>`, or the task definition ARN the action put in its place. */
  readonly taskDefinition: string;
  /** The platform version (always present once read). */
  readonly platformVersion: string;
}

// Lifecycle order: the order CodeDeploy runs them, and the order they are written in.
const HOOK_KEYS = [
  ['beforeInstall', 'BeforeInstall'],
  ['afterInstall', 'AfterInstall'],
  ['afterAllowTestTraffic', 'AfterAllowTestTraffic'],
  ['beforeAllowTraffic', 'BeforeAllowTraffic'],
  ['afterAllowTraffic', 'AfterAllowTraffic'],
] as const;

/** An ECS container name: 1-255 letters, digits, hyphens or underscores. */
export const containerNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,255}$/, 'must be a container name: 1-255 letters, digits, - or _');

/** A container port: an integer from 1 to 65535. */
export const containerPortSchema = z
  .number()
  .int('must be an integer')
  .min(1, 'must be a port from 1 to 65535')
  .max(65_535, 'must be a port from 1 to 65535');

const platformVersionSchema = z
  .string()
  .regex(/^(LATEST|[0-9]+\.[0-9]+\.[0-9]+)$/, 'must be LATEST or a version such as 1.4.0');

/** The lifecycle hooks of an ECS deployment, each a Lambda function name. */
export const ecsLifecycleHooksSchema = z.strictObject({
  beforeInstall: functionNameSchema.optional(),
  afterInstall: functionNameSchema.optional(),
  afterAllowTestTraffic: functionNameSchema.optional(),
  beforeAllowTraffic: functionNameSchema.optional(),
  afterAllowTraffic: functionNameSchema.optional(),
});

const ecsAppSpecInputSchema = z.object({
  containerName: containerNameSchema,
  containerPort: containerPortSchema,
  platformVersion: platformVersionSchema.default('LATEST'),
  hooks: ecsLifecycleHooksSchema.optional(),
});

/**
 * Renders the appspec YAML of a CodeDeploy ECS (blue/green) deployment.
 *
 * The one resource is `TargetService` (`AWS::ECS::Service`) whose task definition is the
 * `<TASK_DEFINITION>` placeholder, with the load balancer's container and port and the platform version
 * (`LATEST` unless given); `Hooks` lists the given hooks in lifecycle order and is left out when there is
 * none. Throws {@link DeliveryError} `BAD_INPUT`, quoting the bad value, on an invalid container name,
 * port, platform version or hook function name.
 */
export function renderEcsAppSpec(input: EcsAppSpecInput): string {
  const spec = checkFields(ecsAppSpecInputSchema, input, 'cannot render the ECS appspec');
  const lines = [
    'version: 0.0',
    'Resources:',
    '  - TargetService:',
    '      Type: AWS::ECS::Service',
    '      Properties:',
    `        TaskDefinition: ${TASK_DEFINITION_PLACEHOLDER}`,
    '        LoadBalancerInfo:',
    `          ContainerName: ${yamlScalar(spec.containerName)}`,
    `          ContainerPort: ${spec.containerPort}`,
    `        PlatformVersion: ${yamlScalar(spec.platformVersion)}`,
  ];
  const hooks = HOOK_KEYS.flatMap(([field, key]) => {
    const name = spec.hooks?.[field];
    return name ? [`  - ${key}: ${yamlScalar(name)}`] : [];
  });
  if (hooks.length > 0) {
    lines.push('Hooks:', ...hooks);
  }
  return `${lines.join('\n')}\n`;
}

const HOOK_NAMES: readonly string[] = HOOK_KEYS.map(([, key]) => key);

// One hook per entry, `- AfterAllowTestTraffic: <function>`, as CodeDeploy writes them.
const hookEntrySchema = z
  .record(z.string(), z.string())
  .refine((entry) => Object.keys(entry).length === 1 && HOOK_NAMES.includes(Object.keys(entry)[0] ?? ''), {
    message: `must be one hook, one of ${HOOK_NAMES.join(', ')}`,
  });

const ecsAppSpecDocumentSchema = appSpecDocumentSchema(
  'AWS::ECS::Service',
  z.object({
    TaskDefinition: z.string().min(1),
    LoadBalancerInfo: z.object({ ContainerName: z.string(), ContainerPort: z.number() }),
    PlatformVersion: z.string().optional(),
  }),
  'service',
  hookEntrySchema,
);

/**
 * Reads back an ECS appspec written by {@link renderEcsAppSpec} (or by hand, in the same shape).
 *
 * Throws {@link DeliveryError} `BAD_INPUT` when the text is not YAML, is not the appspec of one ECS
 * service, names a hook twice, or holds a value {@link renderEcsAppSpec} would refuse.
 */
export function parseEcsAppSpec(yaml: string): EcsAppSpec {
  const { document, resource: service } = readAppSpec(yaml, ecsAppSpecDocumentSchema, {
    label: 'ECS appspec',
    holds: 'one ECS service',
    resource: 'service',
  });
  const hooks: Record<string, string> = {};
  for (const entry of document.Hooks ?? []) {
    for (const [key, name] of Object.entries(entry)) {
      const field = HOOK_KEYS.find(([, hookKey]) => hookKey === key)?.[0];
      if (field === undefined || field in hooks) {
        throw new DeliveryError('BAD_INPUT', `ECS appspec names hook ${key} twice`);
      }
      hooks[field] = name;
    }
  }
  const { TaskDefinition, LoadBalancerInfo, PlatformVersion } = service.Properties;
  const spec = checkFields(
    ecsAppSpecInputSchema,
    {
      containerName: LoadBalancerInfo.ContainerName,
      containerPort: LoadBalancerInfo.ContainerPort,
      platformVersion: PlatformVersion,
      ...(Object.keys(hooks).length > 0 ? { hooks } : {}),
    },
    'ECS appspec is invalid',
  );
  return { ...spec, taskDefinition: TaskDefinition };
}

/** `imageDetail.json`: the image CodeDeployToECS writes into the task definition's `<IMAGE1_NAME>`. */
export interface ImageDetail {
  /** The image URI (tagged with the commit, or pinned by digest). */
  readonly ImageURI: string;
}

/** `imageDetail.json`'s schema (its image URI is checked like {@link renderImageDetail} checks it). */
export const imageDetailSchema = z.object({ ImageURI: imageUriSchema });

/**
 * The content of `imageDetail.json` for the CodeDeployToECS action: `{ ImageURI }`.
 *
 * Throws {@link DeliveryError} `BAD_INPUT`, quoting the URI, when it is not an ECR image URI with a tag
 * (other than `latest`) or a digest.
 */
export function renderImageDetail(imageUri: string): ImageDetail {
  const parsed = imageDetailSchema.safeParse({ ImageURI: imageUri });
  if (!parsed.success) {
    throw new DeliveryError('BAD_INPUT', `cannot render imageDetail.json: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

/** One container of an ECS (rolling) deploy: the entry of `imagedefinitions.json`. */
export interface ImageDefinition {
  /** The container's name. */
  readonly name: string;
  /** Its new image. */
  readonly imageUri: string;
}

const imageDefinitionsSchema = z
  .array(z.object({ name: containerNameSchema, imageUri: imageUriSchema }))
  .min(1, 'must name at least one container')
  .refine((entries) => new Set(entries.map((entry) => entry.name)).size === entries.length, {
    message: 'must name each container once',
  });

/**
 * The content of `imagedefinitions.json` for CodePipeline's ECS (rolling) deploy action:
 * `[{ name, imageUri }]`, one entry per container to update.
 *
 * Throws {@link DeliveryError} `BAD_INPUT` when the list is empty, names a container twice, or holds an
 * invalid container name or image URI (quoted).
 */
export function renderImageDefinitions(containers: readonly ImageDefinition[]): ImageDefinition[] {
  const parsed = imageDefinitionsSchema.safeParse(containers);
  if (!parsed.success) {
    throw new DeliveryError(
      'BAD_INPUT',
      `cannot render imagedefinitions.json: ${describeIssues(parsed.error)}`,
    );
  }
  return parsed.data.map(({ name, imageUri }) => ({ name, imageUri }));
}
