/**
 * Lambda delivery: publish a function's new version, deploy it with CodeDeploy, check it with traffic
 * hooks, and run those steps from CodePipeline. Every function takes the AWS SDK v3 clients it uses.
 */
export type { AppSpecInput, TrafficHooks } from './appspec.js';
export { parseAppSpec, renderAppSpec } from './appspec.js';
export type { EnsureFunctionOptions, EnsureFunctionResult, StackTemplate } from './check-function.js';
export { ensureFunction } from './check-function.js';
export type {
  CheckDeploymentOptions,
  DeployFunctionOptions,
  DeployFunctionResult,
  DeploymentState,
  DeployProgress,
  StartDeploymentOptions,
  WaitForDeploymentOptions,
} from './deployment.js';
export {
  checkDeployment,
  deployFunction,
  startDeployment,
  stopTimedOutDeployment,
  waitForDeployment,
} from './deployment.js';
export type { DeliveryErrorCode } from './errors.js';
export { DeliveryError } from './errors.js';
export type {
  ArtifactCredentials,
  PipelineJob,
  PipelineJobClients,
  PipelineJobOptions,
  PipelineJobOutcome,
  ReleaseRecord,
  UserParameters,
} from './pipeline-job.js';
export {
  pipelineJobSchema,
  releaseRecordSchema,
  runPipelineJob,
  userParametersSchema,
} from './pipeline-job.js';
export type { Release, ReleaseOptions } from './release.js';
export { prepareRelease } from './release.js';
export type {
  TrafficHookClients,
  TrafficHookConfig,
  TrafficHookEvent,
  TrafficHookResult,
  TrafficPhase,
} from './traffic-hook.js';
export { readTrafficHookConfig, runTrafficHook, trafficHookEventSchema } from './traffic-hook.js';

// Container service (ECS) delivery: build files, first delivery, green check.
export type {
  EcsAppSpec,
  EcsAppSpecInput,
  EcsLifecycleHooks,
  ImageDefinition,
  ImageDetail,
} from './ecs/appspec.js';
export {
  parseEcsAppSpec,
  renderEcsAppSpec,
  renderImageDefinitions,
  renderImageDetail,
  TASK_DEFINITION_PLACEHOLDER,
} from './ecs/appspec.js';
export type { BuildEnvironment, BuildFilesInput, WriteBuildFilesOptions } from './ecs/build-files.js';
export { readBuildFilesInput, writeBuildFiles } from './ecs/build-files.js';
export type {
  EcsHookResponse,
  EcsLifecycleHookEvent,
  GreenCheckConfig,
  GreenCheckHookDependencies,
  GreenCheckHookOutcome,
  GreenCheckOptions,
  GreenCheckResult,
  HttpGet,
} from './ecs/green-check.js';
export {
  checkGreen,
  ecsLifecycleHookEventSchema,
  readGreenCheckConfig,
  runGreenCheckHook,
} from './ecs/green-check.js';
export type { ImageReference } from './ecs/image-uri.js';
export { imageUriSchema, parseImageUri } from './ecs/image-uri.js';
export type {
  EnsureServiceOptions,
  EnsureServiceResult,
  FollowServiceUpdateOptions,
  ServiceDeliveryInput,
  ServiceDeliveryStart,
  ServiceReleaseClients,
  ServiceStackUpdate,
  StartServiceDeliveryOptions,
} from './ecs/service-release.js';
export {
  ensureServiceDelivered,
  followServiceUpdate,
  recordServiceImage,
  startServiceDelivery,
} from './ecs/service-release.js';
export type {
  DescribedTaskDefinition,
  RenderedTaskDefinition,
  RenderTaskDefinitionOptions,
  RunProgram,
  TaskDefinitionReader,
} from './ecs/taskdef.js';
export {
  awsCliTaskDefinitionReader,
  describeTemplate,
  IMAGE_PLACEHOLDER,
  renderTaskDefinition,
} from './ecs/taskdef.js';
export type { Release as LedgerRelease, ReleaseChange, ReleaseSnapshot } from './ledger.js';
export { configurationSnapshot, getRelease, listReleases, recordRelease, releaseSchema } from './ledger.js';
