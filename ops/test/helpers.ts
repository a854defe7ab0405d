import type { DeploymentInfo, DeploymentStatus } from '@aws-sdk/client-codedeploy';
import {
  DescribeServiceDeploymentsCommand,
  ListServiceDeploymentsCommand,
  type ServiceDeployment,
} from '@aws-sdk/client-ecs';
import {
  DescribeCanariesLastRunCommand,
  type DescribeCanariesLastRunCommandOutput,
} from '@aws-sdk/client-synthetics';
import { loadProject, type ProjectConfig } from '@ias/infra/config';
import type { Ec2DeploymentSettings } from '@ias/targets';
import { mockClient } from 'aws-sdk-client-mock';
import { vi } from 'vitest';
import { createAwsClients, createContext, type OpsContext } from '../src/context';
import { main } from '../src/main';

/** The repository's project as loaded, Kubernetes applications included (once the loader has them). */
const loaded = loadProject();

/**
 * The repository's own project: the README's prefix, dev/staging/prod, allocate-order, import-stock, the
 * inventory-api service; without Kubernetes and EC2 applications, which {@link kubernetesProject} and
 * {@link ec2Project} add.
 */
export const project: ProjectConfig = { ...loaded, kubernetes: [], ec2: [] } as ProjectConfig;

/**
 * The project with the Kubernetes application inventory-api (its service folder holds a kubernetes.json):
 * the kind's tests run against it, whatever the configuration loader reads.
 */
export const kubernetesProject: ProjectConfig = {
  ...loaded,
  ec2: [],
  // The kind's controller reads an application's name only.
  kubernetes: [{ name: 'inventory-api', folder: 'app/services/inventory-api' }],
} as unknown as ProjectConfig;

/**
 * How each environment of {@link ec2Project} deploys its EC2 applications: dev in place, staging
 * blue/green; prod holds none (`enabled: false`), whatever the profiles say.
 */
export const EC2_PROFILES: Readonly<Record<string, { enabled: boolean; deployment: Ec2DeploymentSettings }>> =
  {
    dev: { enabled: true, deployment: { style: 'in-place', hosts: 'AllAtOnce' } },
    staging: {
      enabled: true,
      deployment: { style: 'blue-green', hosts: 'HalfAtATime', terminateBlueAfterMinutes: 60 },
    },
    prod: {
      enabled: false,
      deployment: { style: 'blue-green', hosts: 'OneAtATime', terminateBlueAfterMinutes: 120 },
    },
  };

/**
 * The project with the EC2 application inventory-api (its service folder holds an ec2.json), each
 * environment's profile given {@link EC2_PROFILES}' settings: the kind's tests run against it,
 * whatever the configuration loader and the profiles read.
 */
export const ec2Project: ProjectConfig = {
  ...loaded,
  kubernetes: [],
  // The kind's controller reads an application's name only.
  ec2: [{ name: 'inventory-api', folder: 'app/services/inventory-api' }],
  environments: loaded.environments.map((env) => ({
    ...env,
    profile: {
      ...env.profile,
      ec2: { ...env.profile.ec2, ...EC2_PROFILES[env.name] },
    },
  })),
} as unknown as ProjectConfig;

/**
 * The prefix README.md holds, as the CLI loads it. Tests spell expected names as template literals over it
 * (`${prefix}-dev-allocate-order`, `/${prefix}/dev/`), so the suite passes whatever valid prefix a team writes.
 */
export const prefix = project.prefix;

/** What the operator-policy check reads of a stubbed set of clients. */
export interface RecordedClients {
  readonly clients: object;
  readonly mocks: Readonly<
    Record<string, { calls(): readonly { args: readonly unknown[]; returnValue: unknown }[] }>
  >;
}

/** Every stubbed set of clients this test file made: their calls are held against the operator policy. */
export const STUBBED: RecordedClients[] = [];

/** Real SDK clients of one region, each stubbed by aws-sdk-client-mock, and the regions asked for. */
export function stubbedAws() {
  const clients = createAwsClients('ap-northeast-1');
  const mocks = {
    lambda: mockClient(clients.lambda),
    codedeploy: mockClient(clients.codedeploy),
    cloudwatch: mockClient(clients.cloudwatch),
    // The Synthetics client the registry serves is typed against an older @smithy/types than the
    // mock's: its stub is untyped, and stubCanary below is the one place that sets its answers.
    synthetics: mockClient(clients.synthetics as never),
    ecs: mockClient(clients.ecs),
    elbv2: mockClient(clients.elbv2),
    codepipeline: mockClient(clients.codepipeline),
    ssm: mockClient(clients.ssm),
    secrets: mockClient(clients.secrets),
    dynamodb: mockClient(clients.dynamodb),
    sts: mockClient(clients.sts),
    s3: mockClient(clients.s3),
    codebuild: mockClient(clients.codebuild),
  };
  const regions: string[] = [];
  const stubbed = {
    clients,
    mocks,
    regions,
    factory: (region: string) => {
      regions.push(region);
      return clients;
    },
    /** Every call made, as `service Command` and input, in order per service. */
    calls(): { command: string; input: unknown }[] {
      return Object.entries(mocks).flatMap(([service, mock]) =>
        mock.calls().map((c) => {
          const command = c.args[0] as { constructor: { name: string }; input: unknown };
          return {
            command: `${service} ${command.constructor.name.replace(/Command$/, '')}`,
            input: command.input,
          };
        }),
      );
    },
  };
  STUBBED.push(stubbed);
  return stubbed;
}

/** A context over stubbed clients. */
export function context(
  aws: ReturnType<typeof stubbedAws>,
  options: { dryRun?: boolean; stdin?: string; project?: ProjectConfig } = {},
): OpsContext {
  return createContext({
    project: options.project ?? project,
    clients: aws.factory,
    dryRun: options.dryRun,
    readStdin: async () => options.stdin ?? '',
  });
}

/** An AWS service error as the SDK throws it (its `name` is the exception's). */
export function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: {} });
}

/**
 * What Synthetics answers to DescribeCanariesLastRun (the only Synthetics call the CLI makes): the
 * environment's canary and its last run, an empty list (no canary of that name), or an error.
 */
export function stubCanary(
  aws: ReturnType<typeof stubbedAws>,
  answer: DescribeCanariesLastRunCommandOutput['CanariesLastRun'] | Error,
): void {
  const stub = aws.mocks.synthetics.on(DescribeCanariesLastRunCommand as never);
  if (answer instanceof Error) stub.rejects(answer);
  else stub.resolves({ CanariesLastRun: answer } as never);
}

/** A CodeDeploy deployment as BatchGetDeployments describes it, created at midnight UTC of `day`. */
export function codeDeployDeployment(
  deploymentId: string,
  status: DeploymentStatus,
  day: string,
  more: Partial<DeploymentInfo> = {},
): DeploymentInfo {
  return { deploymentId, status, createTime: new Date(`${day}T00:00:00Z`), ...more };
}

/**
 * Amazon ECS lists `arn` as the service's deployment in progress, and describes it as each of `states` in
 * turn, the last one from then on.
 */
export function serviceDeployment(
  aws: ReturnType<typeof stubbedAws>,
  arn: string,
  ...states: Partial<ServiceDeployment>[]
): void {
  aws.mocks.ecs
    .on(ListServiceDeploymentsCommand)
    .resolves({ serviceDeployments: [{ serviceDeploymentArn: arn }] });
  const described = (state: Partial<ServiceDeployment> = {}) => ({
    serviceDeployments: [{ serviceDeploymentArn: arn, ...state }],
  });
  states
    .slice(0, -1)
    .reduce(
      (mock, state) => mock.resolvesOnce(described(state)),
      aws.mocks.ecs.on(DescribeServiceDeploymentsCommand),
    )
    .resolves(described(states.at(-1)));
}

/** Runs `run` (a `main`), capturing what it writes to stdout and stderr. */
export async function captureOutput(run: () => Promise<number>) {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await run();
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** Runs `main` in-process, capturing stdout and stderr. */
export async function runMain(
  argv: string[],
  aws: ReturnType<typeof stubbedAws>,
  stdin = '',
  loadedProject: ProjectConfig = project,
) {
  return captureOutput(() =>
    main(argv, {
      clients: aws.factory,
      loadProject: () => loadedProject,
      readStdin: async () => stdin,
    }),
  );
}
