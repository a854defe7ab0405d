import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ensureFunction } from '@ias/delivery';
import { AssetManifestArtifact, CloudAssembly, type CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import { buildApp } from './app';
import { ConfigError } from './config/errors';
import type { ProjectConfig } from './config/load';
import { functionTarget } from '@ias/targets';

/** CloudFormation takes a template body of up to 51,200 bytes in CreateStack. */
const TEMPLATE_BODY_MAX_BYTES = 51_200;

/** What {@link checkFunction} needs. */
export interface CheckFunctionOptions {
  /** The project configuration (this revision's). */
  readonly config: ProjectConfig;
  /** The target environment's name. */
  readonly env: string;
  /** The function's folder name. */
  readonly fn: string;
  /** The account and region the stack goes to (file assets are looked up in its bootstrap bucket). */
  readonly account: string;
  readonly region: string;
  /** The CloudFormation execution role CreateStack passes (the CDK bootstrap's). */
  readonly executionRoleArn?: string;
  /** cdk.json's context, for the synth. */
  readonly context: Record<string, unknown>;
  readonly clients: { lambda: LambdaClient; cloudformation: CloudFormationClient; s3: S3Client };
  /** Progress lines. @default - none */
  readonly log?: (line: string) => void;
  /** Waits between polls (tests pass a no-op). @default - a real timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The CheckLambdaFunction step: when the function does not exist in the environment, creates its
 * stack, `<prefix>-<env>-fn-<name>`, synthesized from this revision, through CloudFormation
 * (seed 003's `CICDLambdaCreateOnPipeline.yml`), and waits for it. An existing function is left
 * alone, and the template is not even synthesized.
 *
 * @throws ConfigError for an unknown environment or function
 * @throws DeliveryError when the stack cannot be created (the message says why and what to do)
 */
export async function checkFunction(options: CheckFunctionOptions) {
  const { config } = options;
  const env = config.environments.find((e) => e.name === options.env);
  if (!env) {
    throw new ConfigError(
      `--env ${options.env}: no such environment; use one of ${config.environments.map((e) => e.name).join(', ')}`,
    );
  }
  const definition = config.functions.find((f) => f.name === options.fn);
  if (!definition) {
    throw new ConfigError(
      `--function ${options.fn}: no app/functions/${options.fn}/function.json; use one of ${config.functions.map((f) => f.name).join(', ')}`,
    );
  }
  const target = functionTarget(env, definition);
  return ensureFunction({
    lambda: options.clients.lambda,
    cloudformation: options.clients.cloudformation,
    functionName: target.functionName,
    stackName: target.stackName,
    roleArn: options.executionRoleArn,
    sleep: options.sleep,
    tags: { Project: config.prefix, Environment: env.name, ManagedBy: 'CheckLambdaFunction' },
    template: async () => {
      options.log?.(`${target.functionName} does not exist: synthesizing ${target.stackName}`);
      // Only this environment, without the pipelines: the same stack, in a fraction of the time.
      const body = synthesizeStackTemplate(
        { ...config, environments: [env], delivery: undefined },
        target.stackName,
        options.context,
      );
      await requirePublishedAssets(body, options);
      if (Buffer.byteLength(body.template) > TEMPLATE_BODY_MAX_BYTES) {
        throw new ConfigError(
          `${target.stackName}: the template is ${Buffer.byteLength(body.template)} bytes, over CloudFormation's ${TEMPLATE_BODY_MAX_BYTES} for a direct CreateStack; deploy it with \`npx cdk deploy '${config.prefix}-${env.name}/fn-${definition.name}'\``,
        );
      }
      options.log?.(`creating ${target.stackName} with CloudFormation`);
      return { body: body.template };
    },
  });
}

/** Synthesizes the app (no policy gates: CI ran them) and returns one stack's template. */
/** A synthesized stack: its template and the file assets it needs published. */
interface SynthesizedStack {
  readonly stackName: string;
  readonly stageId: string;
  readonly template: string;
  readonly fileAssets: readonly { id: string; bucketName: string; objectKey: string }[];
}

function synthesizeStackTemplate(
  config: ProjectConfig,
  stackName: string,
  context: Record<string, unknown>,
): SynthesizedStack {
  const outdir = mkdtempSync(join(tmpdir(), 'check-function-'));
  try {
    buildApp(config, { outdir, context, policyGates: false }).app.synth();
    const assembly = new CloudAssembly(outdir);
    const stack = assembly.nestedAssemblies
      .flatMap((n) => n.nestedAssembly.stacks)
      .find((s) => s.stackName === stackName);
    if (!stack) {
      throw new ConfigError(`${stackName}: not in the synthesized app; is the function's manifest valid?`);
    }
    // Everything is read before the folder goes away.
    return {
      stackName,
      stageId: stack.hierarchicalId.split('/')[0] ?? '',
      // Whitespace is not CloudFormation's: minified, the body stays under CreateStack's limit longer.
      template: JSON.stringify(JSON.parse(readFileSync(stack.templateFullPath, 'utf8'))),
      fileAssets: fileAssetsOf(stack),
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The file assets a stack needs, besides its own template. */
function fileAssetsOf(stack: CloudFormationStackArtifact): SynthesizedStack['fileAssets'] {
  const manifests = stack.dependencies.filter(
    (d): d is AssetManifestArtifact => d instanceof AssetManifestArtifact,
  );
  return manifests.flatMap((manifest) =>
    Object.entries(manifest.contents.files ?? {})
      .filter(([, asset]) => asset.source.path !== stack.templateFile) // the template goes in CreateStack
      .flatMap(([id, asset]) =>
        Object.values(asset.destinations).map((d) => ({
          id,
          bucketName: d.bucketName,
          objectKey: d.objectKey,
        })),
      ),
  );
}

/**
 * A stack's file assets (custom-resource handlers) must already be in the bootstrap bucket:
 * CreateStack does not publish them. They are, once the environment's infrastructure was deployed
 * with the same aws-cdk-lib, since the handlers are shared; if not, it says what to run.
 */
async function requirePublishedAssets(stack: SynthesizedStack, options: CheckFunctionOptions): Promise<void> {
  for (const asset of stack.fileAssets) {
    const bucket = asset.bucketName
      .replaceAll('${AWS::AccountId}', options.account)
      .replaceAll('${AWS::Region}', options.region);
    try {
      await options.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: asset.objectKey }));
    } catch {
      throw new ConfigError(
        `${stack.stackName} needs file asset ${asset.id} (s3://${bucket}/${asset.objectKey}), which is not published; deploy the environment's infrastructure first (npx cdk deploy '${stack.stageId}/*')`,
      );
    }
  }
}
