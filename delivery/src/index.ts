/**
 * Delivery: publish a function's new version, deploy it with CodeDeploy, check it with traffic hooks;
 * deliver a container service's image and check its green tasks; run those steps from CodePipeline.
 * Every function takes the AWS SDK v3 clients it uses.
 *
 * Laid out by concern: `pipeline/` runs a CodePipeline job (its schema, artifacts, continuation
 * tokens, reporting) through a table of steps that each kind contributes; `kinds/<kind>/` holds what
 * delivering one kind of workload takes; the shared pieces (errors, ledger, database roles, stacks,
 * lifecycle hook events) sit at the top; `canary/` is the canary judge (pure statistics) and its CloudWatch reader;
 * `handlers/` are the Lambda entry points infra bundles by path.
 */
// Shared: errors, CodeDeploy and Amazon ECS lifecycle hook events, database roles, the release ledger.
export { type DeliveryErrorCode, DeliveryError } from './errors.js';
export {
  type EcsHookResponse,
  type EcsLifecycleHookEvent,
  type TrafficHookEvent,
  ecsLifecycleHookEventSchema,
  lifecycleHookSource,
  trafficHookEventSchema,
} from './lifecycle-hook.js';
export { dbRolesEnvironmentSchema } from './db-roles.js';
export {
  type Release as LedgerRelease,
  type ReleaseChange,
  type ReleaseSnapshot,
  type SbomLocation,
  configurationSnapshot,
  getRelease,
  listReleases,
  recordRelease,
  releaseSchema,
  sbomLocationSchema,
  sbomUri,
} from './ledger.js';
// Automated canary analysis: the judge of a canary against its baseline (also `@ias/delivery/canary`).
export * from './canary/index.js';
// Software bills of materials: built with each artifact, referenced from the ledger, asked what they hold.
export {
  type BuildSbomOptions,
  type BuiltSbom,
  type PackageSpec,
  type Sbom,
  type SbomComponent,
  buildSbom,
  findComponents,
  parsePackageSpec,
  readSbom,
  sbomComponents,
  SBOM_CONTENT_TYPE,
  SBOM_FILE,
  storeSbom,
  type StoreSbomOptions,
  type StoredSbom,
} from './sbom/index.js';

// The Kubernetes kind: its manifest (kubernetes.json), the objects it renders, the review copy and
// the deploy file the infrastructure writes for the deploy project.
export * from './kinds/kubernetes/index.js';
export { type DeployFile, deployFileSchema } from './kinds/kubernetes/deploy-cli.js';

// The EC2 kind: what a fleet's deployment group runs (the ec2-record step), and the blue/green
// deployment group's custom resource (its properties, which infra writes).
export { type FleetRevision, lastSuccessfulRevision } from './kinds/ec2/pipeline-steps.js';
export {
  type Ec2DeploymentGroupProperties,
  type Ec2DeploymentGroupSettings,
  codeDeployCopyPrefix,
  DEFAULT_ROLLBACK_EVENTS,
  ec2DeploymentGroupPropertiesSchema,
} from './kinds/ec2/deployment-group-properties.js';
export {
  type DeploymentGroupClients,
  type DeploymentGroupRequest,
  type DeploymentGroupResult,
  onDeploymentGroupRequest,
} from './kinds/ec2/deployment-group.js';
export { type AutoScalingGroups, sdkAutoScalingGroups } from './kinds/ec2/auto-scaling.js';

// The CodePipeline job and its step table.
export {
  type ArtifactCredentials,
  type PipelineJob,
  type PipelineJobClients,
  type PipelineJobOutcome,
  pipelineJobSchema,
} from './pipeline/job.js';
export { type PipelineJobOptions, runPipelineJob } from './pipeline/run.js';
export { type UserParameters, userParametersSchema } from './pipeline/steps.js';
export { zipTextFiles } from './pipeline/artifacts.js';

// Lambda function delivery: appspec, function check, release, deployment, traffic hooks, pipeline steps.
export {
  type AppSpecInput,
  type TrafficHooks,
  parseAppSpec,
  renderAppSpec,
} from './kinds/function/appspec.js';
export {
  type EnsureFunctionOptions,
  type EnsureFunctionResult,
  type StackTemplate,
  ensureFunction,
} from './kinds/function/check-function.js';
export {
  type CheckDeploymentOptions,
  type DeployFunctionOptions,
  type DeployFunctionResult,
  type DeploymentState,
  type DeployProgress,
  type StartDeploymentOptions,
  type WaitForDeploymentOptions,
  checkDeployment,
  deployFunction,
  startDeployment,
  stopTimedOutDeployment,
  waitForDeployment,
} from './kinds/function/deployment.js';
export { type ReleaseRecord, releaseRecordSchema } from './kinds/function/pipeline-steps.js';
export {
  type CanaryJudge,
  type DeployJudgedOptions,
  type DeployJudgedResult,
  type JudgedMinute,
  type JudgedRelease,
  deployJudged,
  judgedPlan,
  judgedStepsSchema,
  shiftAlias,
} from './kinds/function/judged.js';
export { type Release, type ReleaseOptions, prepareRelease } from './kinds/function/release.js';
export {
  type TrafficHookClients,
  type TrafficHookConfig,
  type TrafficHookResult,
  type TrafficPhase,
  hookEnvironmentSchema,
  readTrafficHookConfig,
  runTrafficHook,
} from './kinds/function/traffic-hook.js';

// Container service (ECS) delivery: build files, first delivery, green check, canary gate, pipeline steps.
export {
  type EcsAppSpec,
  type EcsAppSpecInput,
  type EcsLifecycleHooks,
  type ImageDefinition,
  type ImageDetail,
  parseEcsAppSpec,
  renderEcsAppSpec,
  renderImageDefinitions,
  renderImageDetail,
  TASK_DEFINITION_PLACEHOLDER,
} from './kinds/service/appspec.js';
export {
  type BuildEnvironment,
  type BuildFilesInput,
  type WriteBuildFilesOptions,
  readBuildFilesInput,
  writeBuildFiles,
} from './kinds/service/build-files.js';
export {
  type GreenCheckConfig,
  type GreenCheckHookDependencies,
  type GreenCheckHookOutcome,
  type GreenCheckOptions,
  type GreenCheckResult,
  type HttpGet,
  checkGreen,
  greenCheckEnvironmentSchema,
  readGreenCheckConfig,
  runGreenCheckHook,
} from './kinds/service/green-check.js';
export {
  type CanaryGateConfig,
  type CanaryGateDecision,
  type CanaryGateHookDependencies,
  type CanaryGateHookOutcome,
  type CanaryGateOptions,
  type CanaryGateOutcome,
  type WaitForCanaryGateOptions,
  canaryGateEnvironmentSchema,
  checkCanaryGate,
  gatePasses,
  readCanaryGateConfig,
  runCanaryGateHook,
  waitForCanaryGate,
} from './kinds/service/canary-gate.js';
export { type ImageReference, imageUriSchema, parseImageUri } from './kinds/service/image-uri.js';
export {
  type EnsureServiceOptions,
  type EnsureServiceResult,
  type FollowServiceUpdateOptions,
  type ServiceDeliveryInput,
  type ServiceDeliveryStart,
  type ServiceReleaseClients,
  type ServiceStackUpdate,
  type StartServiceDeliveryOptions,
  ensureServiceDelivered,
  followServiceUpdate,
  recordServiceImage,
  startServiceDelivery,
} from './kinds/service/service-release.js';
export {
  type DescribedTaskDefinition,
  type RenderedTaskDefinition,
  type RenderTaskDefinitionOptions,
  type RunProgram,
  type TaskDefinitionReader,
  awsCliTaskDefinitionReader,
  describeTemplate,
  IMAGE_PLACEHOLDER,
  renderTaskDefinition,
} from './kinds/service/taskdef.js';
export * from './supply-chain/index.js';
