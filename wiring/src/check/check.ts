import type { WorkloadRecording } from '../calls';
import type { AssemblyModel, StageModel } from './assembly';
import { RUNTIME_VARIABLES, type WorkloadContract } from './contracts';
import { checkDatabase } from './database';
import { StageNetwork } from './network';
import {
  callNeeds,
  evaluate,
  functionRuntimeNeeds,
  podRuntimeNeeds,
  taskRuntimeNeeds,
  type Need,
} from './permissions';
import { INSTANCE_AGENT_ENDPOINTS, instanceRuntimeNeeds } from './instances';
import { expandCalls } from './recordings';
import { buildspecCommands } from '../record/buildspecs';
import { awsCliCalls } from '../record/aws-cli';
import { CODE_ROLE, INLINE_BUILDSPEC, type UnknownWorkload, type Workload } from './workloads';
import { resolveString } from './resolve';

/** The four things checked for each workload. */
export const CHECKS = ['permissions', 'configuration', 'network', 'database'] as const;
export type CheckName = (typeof CHECKS)[number];

/** One break: what would fail at run time, and what is missing. */
export interface Finding {
  readonly stage: string;
  readonly workload: string;
  readonly check: CheckName;
  /** What would fail at run time. */
  readonly fails: string;
  /** What is missing: the statement, the variable, the endpoint, the rule. */
  readonly missing: string;
}

/** One workload's row: per check, passed, not applicable, or its findings. */
export interface WorkloadRow {
  readonly workload: string;
  readonly cells: Readonly<Record<CheckName, 'ok' | 'n/a' | readonly Finding[]>>;
}

/** The whole check: a table per stage, and every finding. */
export interface WiringReport {
  readonly stages: readonly { readonly stageId: string; readonly rows: readonly WorkloadRow[] }[];
  readonly findings: readonly Finding[];
}

/** Inputs the check takes besides the assembly. */
export interface CheckInputs {
  readonly workloads: readonly Workload[];
  readonly unknown: readonly UnknownWorkload[];
  readonly recordings: ReadonlyMap<string, WorkloadRecording>;
  /** Each recording's contract (its settings schema and database client), by workload id. */
  readonly contracts: Readonly<Record<string, WorkloadContract>>;
}

function describeNeed(
  need: Need,
  roleName: string | undefined,
  result: string,
): { fails: string; missing: string } {
  if (!roleName) {
    return {
      fails: `${need.why}: ${need.action} on ${need.resource} is denied (${result})`,
      missing: `its ${need.role}`,
    };
  }
  const who = `${need.role} ${roleName}`;
  const keyOrPass = need.action.startsWith('kms:')
    ? ' (in its policies, and in the key policy)'
    : need.action === 'iam:PassRole'
      ? ` (to ${need.context?.['iam:PassedToService'] ?? 'the service'})`
      : '';
  return {
    fails: `${need.why}: ${need.action} on ${need.resource} is denied (${result})`,
    missing: `a statement allowing ${who} ${need.action} on ${need.resource}${keyOrPass}`,
  };
}

/** The `aws …` commands of a buildspec the template holds, as a recording. */
function inlineBuildspecRecording(workload: Workload): WorkloadRecording {
  const source = workload.resource.Properties?.Source as { BuildSpec?: unknown };
  const text = resolveString(workload.scope, source.BuildSpec);
  return {
    workload: INLINE_BUILDSPEC,
    source: `${workload.scope.stack.stackName}/${workload.logicalId}`,
    calls: buildspecCommands(text, workload.name).flatMap((command) => awsCliCalls(command)),
  };
}

async function checkWorkload(
  workload: Workload,
  inputs: CheckInputs,
  network: StageNetwork,
): Promise<WorkloadRow> {
  const stage = workload.stage.stageId;
  const finding = (check: CheckName, fails: string, missing: string): Finding => ({
    stage,
    workload: workload.name,
    check,
    fails,
    missing,
  });
  const contract = inputs.contracts[workload.recordings[0] ?? ''] ?? {};
  const permissions: Finding[] = [];
  const configuration: Finding[] = [];
  const networkFindings: Finding[] = [];
  const database: Finding[] = [];
  const codeRole = CODE_ROLE[workload.kind];
  // What reading the workload from the assembly found wrong.
  const cells = { permissions, configuration, network: networkFindings, database };
  for (const problem of workload.problems ?? []) {
    cells[problem.check].push(finding(problem.check, problem.fails, problem.missing));
  }

  // Configuration: the code's own schema over what the template sets, plus what the runtime sets.
  const env = { ...RUNTIME_VARIABLES[workload.kind], ...workload.environment };
  let parsedSettings: unknown;
  let settingsOk = contract.settings !== undefined;
  if (contract.settings) {
    const parsed = contract.settings.safeParse(env);
    settingsOk = parsed.success;
    parsedSettings = parsed.data;
    for (const issue of parsed.success ? [] : parsed.error.issues) {
      const variable = issue.path.join('.') || '(settings)';
      configuration.push(
        finding(
          'configuration',
          `it stops at start: ${variable} ${issue.message}`,
          `the environment variable ${variable}, which the template ${variable in env ? 'sets wrongly' : 'does not set'}`,
        ),
      );
    }
  }
  for (const [variable, { rule, why }] of Object.entries(contract.deployed ?? {})) {
    if (rule === 'required' && !env[variable]) {
      configuration.push(
        finding(
          'configuration',
          `it quietly does without ${variable} (${why})`,
          `the environment variable ${variable}`,
        ),
      );
    }
    if (rule === 'forbidden' && env[variable]) {
      configuration.push(
        finding(
          'configuration',
          `it takes a local-only path: ${variable} is set (${why})`,
          `nothing: ${variable} must not be set when deployed`,
        ),
      );
    }
  }

  // Permissions: every recorded call, what it needs beyond its action, and what the runtime does.
  const needs: Need[] = [];
  const services = new Set<string>();
  for (const id of workload.recordings) {
    const recording =
      id === INLINE_BUILDSPEC ? inlineBuildspecRecording(workload) : inputs.recordings.get(id);
    if (!recording) {
      permissions.push(
        finding(
          'permissions',
          'its calls cannot be checked',
          `a recording wiring/calls/*.json for ${id} (npm run record -w @ias/wiring)`,
        ),
      );
      continue;
    }
    const { calls, missing } = expandCalls(workload, recording.calls);
    for (const m of missing) {
      const envVar = /^\$\{env:(.+)\}$/.exec(m.token)?.[1];
      (envVar ? configuration : permissions).push(
        finding(
          envVar ? 'configuration' : 'permissions',
          `its call ${m.call.service}:${m.call.action} has no target: ${m.token} has no value here`,
          envVar ? `the environment variable ${envVar}` : `what gives ${m.token}`,
        ),
      );
    }
    needs.push(...callNeeds(workload.scope.assembly, calls, codeRole));
    for (const call of calls) {
      services.add(call.action.split(':')[0] ?? '');
    }
  }
  if (workload.kind === 'function') {
    needs.push(...functionRuntimeNeeds(workload));
  }
  if (workload.kind === 'pods') {
    needs.push(...podRuntimeNeeds(workload));
    // The secrets provider calls Secrets Manager from the pods' node, with the credentials the Pod
    // Identity agent gets from EKS Auth.
    // @see https://docs.aws.amazon.com/eks/latest/userguide/pod-id-agent-setup.html
    services.add('secretsmanager');
    services.add('eks-auth');
    // Their nodes pull the image from ECR (its API, its registry, the layers in S3) on that network.
    services.add('ecr');
    services.add('ecr.dkr');
    services.add('s3');
  }
  if (workload.kind === 'build' && workload.network) {
    // In a VPC, CodeBuild downloads an S3 source and sends its logs through the project's interface.
    // @see https://docs.aws.amazon.com/codebuild/latest/userguide/vpc-support.html
    const props = workload.resource.Properties ?? {};
    if ((props.Source as { Type?: unknown } | undefined)?.Type === 'S3') services.add('s3');
    const logs = props.LogsConfig as { CloudWatchLogs?: { Status?: unknown } } | undefined;
    if (logs?.CloudWatchLogs?.Status !== 'DISABLED') services.add('logs');
  }
  if (workload.kind === 'instances') {
    const runtime = instanceRuntimeNeeds(workload);
    needs.push(...runtime);
    // The agents call from the instances' own interfaces; a key is used through S3, not called.
    for (const need of runtime) {
      if (!need.action.startsWith('kms:')) services.add(need.action.split(':')[0] ?? '');
    }
    for (const endpoint of INSTANCE_AGENT_ENDPOINTS) services.add(endpoint);
  }
  if (workload.kind === 'task') {
    const runtime = taskRuntimeNeeds(workload);
    needs.push(...runtime);
    // Fargate pulls, logs and injects through the task's own network interface.
    for (const need of runtime) {
      services.add(need.action.split(':')[0] ?? '');
      if (need.action === 'ecr:BatchGetImage') {
        services.add('ecr.dkr');
        services.add('s3');
      }
    }
  }

  // Database: the client its settings make, against the proxy or cluster it reaches.
  let usesDatabase = false;
  if (contract.database && settingsOk) {
    const client = contract.database(parsedSettings, workload);
    if (client) {
      usesDatabase = true;
      const verdict = checkDatabase(workload, client);
      for (const text of verdict.findings) {
        database.push(finding('database', text, 'the authentication the client and the database agree on'));
      }
      needs.push(...verdict.needs);
      if (verdict.target && workload.network) {
        const closed = network.portClosed(
          workload,
          verdict.target.groups,
          verdict.target.port,
          verdict.target.name,
        );
        if (closed) {
          networkFindings.push(
            finding(
              'network',
              `it cannot connect to ${verdict.target.name}: the connection times out`,
              closed,
            ),
          );
        }
      }
    }
  }

  for (const denial of await evaluate(workload, needs)) {
    const { fails, missing } = describeNeed(denial.need, denial.role?.name, denial.result);
    const check: CheckName = denial.need.action === 'rds-db:connect' ? 'database' : 'permissions';
    (check === 'database' ? database : permissions).push(finding(check, fails, missing));
  }

  for (const connection of workload.network ? (workload.connects ?? []) : []) {
    const closed = network.portClosed(workload, connection.groups, connection.port, connection.name);
    if (closed) {
      networkFindings.push(
        finding('network', `it cannot connect to ${connection.name}: the connection times out`, closed),
      );
    }
  }

  for (const service of [...services].sort()) {
    const why = workload.network
      ? network.unreachable(workload, service, workload.scope.stack.region)
      : undefined;
    if (why) {
      networkFindings.push(finding('network', `its calls to ${service} time out`, why));
    }
  }

  const cell = (list: Finding[], applies: boolean): 'ok' | 'n/a' | Finding[] =>
    list.length > 0 ? list : applies ? 'ok' : 'n/a';
  return {
    workload: workload.name,
    cells: {
      permissions: cell(permissions, true),
      configuration: cell(
        configuration,
        contract.settings !== undefined || workload.settingsFrom !== undefined,
      ),
      network: cell(networkFindings, workload.network !== undefined),
      database: cell(database, usesDatabase),
    },
  };
}

/** Checks every workload of the assembly. */
export async function checkWiring(assembly: AssemblyModel, inputs: CheckInputs): Promise<WiringReport> {
  const stages: { stageId: string; rows: WorkloadRow[] }[] = [];
  const findings: Finding[] = [];
  const networks = new Map<StageModel, StageNetwork>();
  for (const stage of assembly.stages) {
    const rows: WorkloadRow[] = [];
    for (const workload of inputs.workloads.filter((w) => w.stage === stage)) {
      let network = networks.get(stage);
      if (!network) {
        network = new StageNetwork(assembly, stage.stacks);
        networks.set(stage, network);
      }
      const row = await checkWorkload(workload, inputs, network);
      rows.push(row);
      for (const value of Object.values(row.cells)) {
        if (Array.isArray(value)) {
          findings.push(...(value as Finding[]));
        }
      }
    }
    for (const unknown of inputs.unknown.filter((u) => u.stage === stage)) {
      const f: Finding = {
        stage: stage.stageId,
        workload: unknown.name,
        check: 'permissions',
        fails: `a ${unknown.type} whose code the check does not know`,
        missing: 'an entry in the wiring registry (wiring/src/check/workloads.ts) and its recording',
      };
      findings.push(f);
      rows.push({
        workload: unknown.name,
        cells: { permissions: [f], configuration: 'n/a', network: 'n/a', database: 'n/a' },
      });
    }
    stages.push({ stageId: stage.stageId, rows });
  }
  return { stages, findings };
}
