import type { TargetEnvironment } from './environment';
import { Naming } from './naming';

/** The pipelines' own names: the stage `<prefix>-delivery` and its shared resources. */
export function deliveryNaming(prefix: string): Naming {
  return new Naming(prefix, 'delivery');
}

/**
 * Seed 003's names for one function's pipeline, with `${ProjectName}` = `<prefix>-<function>`:
 * `-pipeline`, `-build`, `-artifact-store` (plus account and region, for a globally unique bucket).
 */
export function pipelineNames(prefix: string, functionName: string) {
  const project = `${prefix}-${functionName}`;
  return {
    project,
    pipeline: `${project}-pipeline`,
    stack: `${project}-pipeline`,
    build: `${project}-build`,
    check: `${project}-check`,
    steps: `${project}-pipeline-steps`,
    artifactStore: `${project}-artifact-store`,
  };
}

/**
 * The bucket of a pipeline's artifact store: seed 003's `${ProjectName}-artifact-store`, made
 * globally unique by the tooling account (the pipelines live in one region, so the region is not
 * needed, and leaving it out keeps room for the prefix and the name within S3's 63 characters).
 */
export function artifactStoreBucketName(artifactStore: string, account: string): string {
  return `${artifactStore}-${account}`;
}

/** S3's limit on a bucket name. */
const BUCKET_NAME_MAX = 63;

/**
 * Why a function's or service's pipeline names cannot be built with a prefix, one line each (empty
 * when they can): its artifact store bucket, the longest name, must fit S3's limit.
 */
export function pipelineNameProblems(prefix: string, names: readonly string[]): string[] {
  const room =
    BUCKET_NAME_MAX - artifactStoreBucketName(pipelineNames(prefix, '').artifactStore, '123456789012').length;
  return names
    .filter((name) => name.length > room)
    .map(
      (name) =>
        `${name}: ${artifactStoreBucketName(pipelineNames(prefix, name).artifactStore, '<account>')} would be ${artifactStoreBucketName(pipelineNames(prefix, name).artifactStore, '123456789012').length} characters, over S3's ${BUCKET_NAME_MAX}: with the prefix "${prefix}", a function or service name may have at most ${room} characters`,
    );
}

/**
 * The role a pipeline's steps assume to act in an environment's account, `<prefix>-<env>-delivery`,
 * when that account is not the pipelines' (the tooling account); undefined when they share one.
 */
export function crossAccountRoleArn(
  env: TargetEnvironment,
  toolingAccount: string | undefined,
): string | undefined {
  const account = env.profile.account;
  if (account === undefined || account === toolingAccount) {
    return undefined;
  }
  return `arn:aws:iam::${account}:role/${deliveryRoleName(new Naming(env.prefix, env.name))}`;
}

/** The name of an environment's delivery role (see {@link crossAccountRoleArn}). */
export function deliveryRoleName(naming: Naming): string {
  return naming.name('delivery');
}
