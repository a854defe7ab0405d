/**
 * What a workload's code does in AWS, as recorded from running it (see `wiring/calls/*.json`).
 *
 * A recording is symbolic, so that one file holds for every prefix, environment, account and region:
 * a value the scenario took from its surroundings is written as a token, and the check replaces each
 * token with what the synthesized assembly gives that workload.
 *
 * Tokens inside {@link RecordedCall.resources} and {@link RecordedCall.passRoles}:
 * - `${partition}`, `${region}`, `${account}` — the deployment target's;
 * - `${env:NAME}` — the workload's environment variable NAME (function configuration, container
 *   definition, CodeBuild project environment);
 * - `${param:PATH}` — a field of the CodePipeline action's UserParameters JSON that invoked the
 *   workload (dot path, e.g. `${param:functionName}`); the check expands the call once per action
 *   that invokes the workload;
 * - `${event:bucket}` — the bucket whose events reach the workload (its trigger);
 * - `${event:functionName}`, `${event:functionAlias}`, `${event:functionVersion}` — the function,
 *   alias and version a CodeDeploy deployment shifts, for a lifecycle hook: the functions of the
 *   deployment groups whose hooks name the workload;
 * - `${event:artifactBucket}` — the artifact bucket of the pipeline whose job invokes the workload;
 * - `*` in place of an object key or version the event chooses (any);
 * - `${prefix}` — the project's prefix (README.md), where the code builds a name from the project
 *   configuration itself (infra/scripts/check-function.ts);
 * - `${source:FILE:PATH}` — a field of the JSON file FILE in the CodeBuild project's S3 source, as
 *   the assembly holds that asset (dot path, arrays by index: `${source:deploy.json:target.clusterName}`);
 *   a path ending in `.*` stands for each element of the array or object there, the resource
 *   repeated once per element (`${source:deploy.json:alarms.*}`).
 * - `${resource:PATH}` — a property of the CloudFormation custom resource whose requests the
 *   workload answers (its `ResourceProperties`, dot path: `${resource:DeploymentGroupName}`), directly
 *   or through aws-cdk-lib's provider framework; the call is expanded once per such resource;
 * - `${param:PATH.*}` — each element of the array at PATH of the UserParameters (`${param:alarms.*}`),
 *   the resource repeated once per element;
 * - `${setting:ssm.*}` — the name (without its leading `/`) of each setting an EC2 instance reads from
 *   an SSM parameter (`NAME=ssm:<parameter>` in the settings file its launch template's user data
 *   writes), the resource repeated once per setting, none when it has none.
 *
 * A CodeBuild project's `${env:NAME}` may also be set by the pipeline action that starts it
 * (`TARGET_ENV`, `DELIVERY_ROLE_ARN`): the check reads the action's environment variables too.
 */

/** One AWS API call, as IAM sees it (made by an SDK client, or by the AWS CLI in a script). */
export interface RecordedCall {
  /** The IAM service prefix, e.g. `lambda`, `secretsmanager`, `events`. */
  readonly service: string;
  /** The IAM action name without the prefix, e.g. `UpdateFunctionCode`. */
  readonly action: string;
  /** The resources the call acts on, as ARNs with tokens; `*` where the action takes no resource. */
  readonly resources: readonly string[];
  /** Roles the call hands on (`iam:PassRole`), as ARNs with tokens. */
  readonly passRoles?: readonly string[];
  /**
   * Whose credentials make the call, when not the workload's own role: a role ARN with tokens that
   * the code assumed (its `sts:AssumeRole` is recorded as a call of its own), or
   * `codepipeline:artifact-credentials` for the short-lived credentials CodePipeline hands a job to
   * read and write its artifacts.
   * @default - the workload's own role
   */
  readonly principal?: string;
  /**
   * The pipeline steps that make the call (their UserParameters `step`), for a workload that runs
   * several (the steps functions): the check expands it only for the actions that run one of them,
   * so that a step no action of the assembly runs (e.g. `judged-deploy` where no environment deploys
   * judged) needs no permission there.
   * @default - every context that gives its tokens
   */
  readonly steps?: readonly string[];
}

/** The calls of one workload, as checked into `wiring/calls/<workload>.json`. */
export interface WorkloadRecording {
  /** The workload's id, e.g. `fn:allocate-order`, `svc:inventory-api`, `delivery:pipeline-step`. */
  readonly workload: string;
  /** How the calls were obtained: the scenario's or test file's name. */
  readonly source: string;
  /** Every distinct call, sorted by service, action, resources, then principal. */
  readonly calls: readonly RecordedCall[];
}
