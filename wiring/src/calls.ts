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
 * - `${event:bucket}` — the bucket whose events reach the workload (its trigger).
 */

/** One AWS API call, as IAM sees it. */
export interface RecordedCall {
  /** The IAM service prefix, e.g. `lambda`, `secretsmanager`, `events`. */
  readonly service: string;
  /** The IAM action name without the prefix, e.g. `UpdateFunctionCode`. */
  readonly action: string;
  /** The resources the call acts on, as ARNs with tokens; `*` where the action takes no resource. */
  readonly resources: readonly string[];
  /** Roles the call hands on (`iam:PassRole`), as ARNs with tokens. */
  readonly passRoles?: readonly string[];
}

/** The calls of one workload, as checked into `wiring/calls/<workload>.json`. */
export interface WorkloadRecording {
  /** The workload's id, e.g. `fn:allocate-order`, `svc:inventory-api`, `delivery:pipeline-step`. */
  readonly workload: string;
  /** How the calls were obtained: the scenario's or test file's name. */
  readonly source: string;
  /** Every distinct call, sorted by service, action, then resources. */
  readonly calls: readonly RecordedCall[];
}
