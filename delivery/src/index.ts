/**
 * Delivery: publish a function's new version, deploy it with CodeDeploy, check it with traffic hooks;
 * deliver a container service's image and check its green tasks; run those steps from CodePipeline.
 * Every function takes the AWS SDK v3 clients it uses.
 *
 * Laid out by concern: `pipeline/` runs a CodePipeline job (its schema, artifacts, continuation
 * tokens, reporting) through a table of steps that each kind contributes; `kinds/<kind>/` holds what
 * delivering one kind of workload takes; the shared pieces (errors, ledger, database roles, stacks,
 * lifecycle hook events) sit at the top; `handlers/` are the Lambda entry points infra bundles by path.
 */
// Shared: errors, CodeDeploy lifecycle hook events, database roles, the release ledger.
export type { DeliveryErrorCode } from './errors.js';
export { DeliveryError } from './errors.js';
export type { TrafficHookEvent } from './lifecycle-hook.js';
export { trafficHookEventSchema } from './lifecycle-hook.js';
export { dbRolesEnvironmentSchema } from './db-roles.js';
export type { Release as LedgerRelease, ReleaseChange, ReleaseSnapshot } from './ledger.js';
export { configurationSnapshot, getRelease, listReleases, recordRelease, releaseSchema } from './ledger.js';

// The CodePipeline job and its step table.
export type {
  ArtifactCredentials,
  PipelineJob,
  PipelineJobClients,
  PipelineJobOutcome,
} from './pipeline/job.js';
export { pipelineJobSchema } from './pipeline/job.js';
export type { PipelineJobOptions } from './pipeline/run.js';
export { runPipelineJob } from './pipeline/run.js';
export type { UserParameters } from './pipeline/steps.js';
export { userParametersSchema } from './pipeline/steps.js';
export { zipTextFiles } from './pipeline/artifacts.js';

// Lambda function delivery: appspec, function check, release, deployment, traffic hooks, pipeline steps.
export type { AppSpecInput, TrafficHooks } from './kinds/function/appspec.js';
export { parseAppSpec, renderAppSpec } from './kinds/function/appspec.js';
export type {
  EnsureFunctionOptions,
  EnsureFunctionResult,
  StackTemplate,
} from './kinds/function/check-function.js';
export { ensureFunction } from './kinds/function/check-function.js';
export type {
  CheckDeploymentOptions,
  DeployFunctionOptions,
  DeployFunctionResult,
  DeploymentState,
  DeployProgress,
  StartDeploymentOptions,
  WaitForDeploymentOptions,
} from './kinds/function/deployment.js';
export {
  checkDeployment,
  deployFunction,
  startDeployment,
  stopTimedOutDeployment,
  waitForDeployment,
} from './kinds/function/deployment.js';
export type { ReleaseRecord } from './kinds/function/pipeline-steps.js';
export { releaseRecordSchema } from './kinds/function/pipeline-steps.js';
export type { Release, ReleaseOptions } from './kinds/function/release.js';
export { prepareRelease } from './kinds/function/release.js';
export type {
  TrafficHookClients,
  TrafficHookConfig,
  TrafficHookResult,
  TrafficPhase,
} from './kinds/function/traffic-hook.js';
export {
  hookEnvironmentSchema,
  readTrafficHookConfig,
  runTrafficHook,
} from './kinds/function/traffic-hook.js';

// Container service (ECS) delivery: build files, first delivery, green check, pipeline steps.
export type {
  EcsAppSpec,
  EcsAppSpecInput,
  EcsLifecycleHooks,
  ImageDefinition,
  ImageDetail,
} from './kinds/service/appspec.js';
export {
  parseEcsAppSpec,
  renderEcsAppSpec,
  renderImageDefinitions,
  renderImageDetail,
  TASK_DEFINITION_PLACEHOLDER,
} from './kinds/service/appspec.js';
export type {
  BuildEnvironment,
  BuildFilesInput,
  WriteBuildFilesOptions,
} from './kinds/service/build-files.js';
export { readBuildFilesInput, writeBuildFiles } from './kinds/service/build-files.js';
export type {
  EcsHookResponse,
  EcsLifecycleHookEvent,
  GreenCheckConfig,
  GreenCheckHookDependencies,
  GreenCheckHookOutcome,
  GreenCheckOptions,
  GreenCheckResult,
  HttpGet,
} from './kinds/service/green-check.js';
export {
  checkGreen,
  ecsLifecycleHookEventSchema,
  greenCheckEnvironmentSchema,
  readGreenCheckConfig,
  runGreenCheckHook,
} from './kinds/service/green-check.js';
export type { ImageReference } from './kinds/service/image-uri.js';
export { imageUriSchema, parseImageUri } from './kinds/service/image-uri.js';
export type {
  EnsureServiceOptions,
  EnsureServiceResult,
  FollowServiceUpdateOptions,
  ServiceDeliveryInput,
  ServiceDeliveryStart,
  ServiceReleaseClients,
  ServiceStackUpdate,
  StartServiceDeliveryOptions,
} from './kinds/service/service-release.js';
export {
  ensureServiceDelivered,
  followServiceUpdate,
  recordServiceImage,
  startServiceDelivery,
} from './kinds/service/service-release.js';
export type {
  DescribedTaskDefinition,
  RenderedTaskDefinition,
  RenderTaskDefinitionOptions,
  RunProgram,
  TaskDefinitionReader,
} from './kinds/service/taskdef.js';
export {
  awsCliTaskDefinitionReader,
  describeTemplate,
  IMAGE_PLACEHOLDER,
  renderTaskDefinition,
} from './kinds/service/taskdef.js';
