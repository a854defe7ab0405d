/**
 * `deploy service <service> --env E --image <uri>`: what the pipeline's (and the GitHub workflow's) ECS
 * delivery does once the image is pushed, from one command: check the service is ACTIVE, register a new
 * revision of its task definition with the image, deploy it through the controller the profile's strategy
 * names (`SERVICE_STRATEGIES[strategy].cliController`: a CodeDeploy blue/green deployment with the
 * pipeline's appspec and green check, or an UpdateService that Amazon ECS rolls out with the service's own
 * strategy), follow it to its end, then write the image to the service's image parameter (so re-deploying
 * the infrastructure renders what runs). The run records the release in the ledger, as `deploy lambda`'s does,
 * with the image's SBOM (`--sbom`, stored just before: `../sbom`).
 */
import { GetDeploymentCommand } from '@aws-sdk/client-codedeploy';
import {
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { DeliveryError, renderTaskDefinition, sbomUri } from '@ias/delivery';
import { SERVICE_STRATEGIES, type ServiceTarget } from '@ias/targets';
import { listInProgress } from '../aws/codedeploy';
import { createEcsDeployment, describeService, ecsDeploymentInProgress, updateService } from '../aws/ecs';
import { stoppableServiceDeployments } from '../aws/ecs-deployments';
import { rollOut } from '../aws/ecs-rollout';
import { dryRun, planned, serviceIn, type AwsClients, type DryRunResult, type OpsContext } from '../context';
import { badInput, EXIT, OpsError, unsafe } from '../errors';
import { following, goesOn, type Waits } from '../follow';
import { runSteps } from '../progress';
import { plannedSbomPut, readGivenSbom, storeSbomSteps, type SbomOutcome } from '../sbom';

/** Arguments of `deploy service`. */
export interface DeployServiceArgs {
  /** The service's folder name under app/services. */
  readonly service: string;
  readonly env: string | undefined;
  /** The image to run, as the service's repository holds it (by digest: `<registry>/<repository>@sha256:…`). */
  readonly image: string;
  /** Path of the image's CycloneDX SBOM, stored once deployed. @default - none stored */
  readonly sbom?: string;
  /** The commit the image was built from, which names the SBOM (required with `sbom`). @default - none */
  readonly commit?: string;
}

/** What `deploy service` did, once the deployment succeeded; with `--sbom`, where the SBOM went. */
export interface DeployServiceResult extends SbomOutcome {
  readonly environment: string;
  readonly serviceName: string;
  readonly clusterName: string;
  /** Who rolled it out: CodeDeploy or Amazon ECS (the strategy's `cliController`). */
  readonly controller: 'codedeploy' | 'ecs';
  /** The task definition the service ran before. */
  readonly previousTaskDefinition: string;
  /** The CodeDeploy deployment ID or Amazon ECS service deployment ARN, when one showed. */
  readonly deploymentId: string | undefined;
  /** The SSM parameter now naming the image. */
  readonly imageParameter: string;
  /** What runs now (recorded in the ledger). */
  readonly live: { readonly image: string; readonly taskDefinition: string };
  readonly summary: string;
}

/** The image argument: one word, no spaces. */
function parseImage(image: string): string {
  if (!/^\S+$/.test(image)) {
    throw badInput(
      `--image must be an image URI such as <registry>/<repository>@sha256:<digest> (got "${image}")`,
    );
  }
  return image;
}

function describeFamily(t: ServiceTarget) {
  return new DescribeTaskDefinitionCommand({ taskDefinition: t.family, include: ['TAGS'] });
}

function putImage(t: ServiceTarget, image: string) {
  return new PutParameterCommand({ Name: t.imageParameter, Value: image, Type: 'String', Overwrite: true });
}

/**
 * Refuses (exit 4) while another deployment moves the service, and fails (exit 1) when the service is not
 * ACTIVE; returns the task definition it runs.
 */
async function assertDeployable(
  aws: AwsClients,
  t: ServiceTarget,
  controller: 'codedeploy' | 'ecs',
  env: string,
): Promise<string> {
  const service = (await aws.ecs.send(describeService(t))).services?.find((s) => s.status === 'ACTIVE');
  if (service === undefined) {
    throw new OpsError(
      `no service ${t.serviceName} in ${t.clusterName}: write the image to ${t.imageParameter} and deploy the infrastructure to create it`,
      EXIT.failed,
    );
  }
  if (controller === 'codedeploy') {
    const id = (await aws.codedeploy.send(listInProgress(t))).deployments?.[0];
    if (id !== undefined) {
      throw unsafe(
        `deployment ${id} of ${t.deploymentGroup} is in progress: wait for it to end or stop it ("ias-ops deployments stop ${id} --env ${env}"), then deploy again`,
      );
    }
  } else if (ecsDeploymentInProgress(service)) {
    throw unsafe(
      `${t.serviceName} is still being deployed or rolled back by Amazon ECS: wait until it settles ("ias-ops deployments list --env ${env}" shows it), then deploy again`,
    );
  }
  return service.taskDefinition ?? '';
}

/** Registers the family's latest revision again with `image` in the service's container. */
async function register(aws: AwsClients, t: ServiceTarget, image: string): Promise<string> {
  const described = await aws.ecs.send(describeFamily(t));
  let definition: Record<string, unknown>;
  try {
    definition = renderTaskDefinition(described, { containerName: t.containerName, image });
  } catch (err) {
    throw err instanceof DeliveryError ? new OpsError(err.message, EXIT.failed) : err;
  }
  const registered = await aws.ecs.send(
    new RegisterTaskDefinitionCommand(definition as unknown as RegisterTaskDefinitionCommandInput),
  );
  return registered.taskDefinition?.taskDefinitionArn ?? '';
}

/** How a rollout ended, as an error when it did not succeed: rolled back exit 3, else exit 1. */
function notDeployed(t: ServiceTarget, rolledBack: boolean, detail: string, previous: string): OpsError {
  return rolledBack
    ? new OpsError(
        `${t.serviceName}: the deployment was rolled back (${detail}); it runs ${previous} still`,
        EXIT.rolledBack,
      )
    : new OpsError(`${t.serviceName}: the deployment did not complete (${detail})`, EXIT.failed);
}

/** `deploy service`: the image to the service, through its strategy's controller. */
export async function deployService(
  ctx: OpsContext,
  args: DeployServiceArgs,
  waits: Waits = {},
): Promise<DeployServiceResult | DryRunResult> {
  const { env, target } = serviceIn(ctx, args.env, args.service);
  const image = parseImage(args.image);
  const sbom = readGivenSbom(args.service, args.sbom, args.commit);
  const controller = SERVICE_STRATEGIES[target.strategy].cliController;
  const description = `ias-ops deploy service ${image}`.slice(0, 256);
  const revision = '<the revision RegisterTaskDefinition returns>';
  if (ctx.dryRun) {
    return dryRun(
      planned('ecs', describeService(target)),
      controller === 'codedeploy'
        ? planned('codedeploy', listInProgress(target))
        : planned('ecs', stoppableServiceDeployments(target)),
      planned('ecs', describeFamily(target)),
      {
        service: 'ecs',
        command: 'RegisterTaskDefinition',
        input: {
          '<the latest revision of the family, read-only fields removed>': '…',
          containerDefinitions: `<its containers, ${target.containerName} with ${image}>`,
        },
      },
      ...(controller === 'codedeploy'
        ? [
            planned('codedeploy', createEcsDeployment(target, revision, description)),
            planned('codedeploy', new GetDeploymentCommand({ deploymentId: '<until it ends>' })),
          ]
        : [
            planned('ecs', updateService(target, revision)),
            {
              service: 'ecs' as const,
              command: 'DescribeServiceDeployments',
              input: { serviceDeploymentArns: ['<the deployment UpdateService started, until it ends>'] },
            },
          ]),
      planned('ssm', putImage(target, image)),
      ...(sbom ? [plannedSbomPut(env, sbom)] : []),
    );
  }
  const aws = await ctx.awsFor(env);
  let previous = '';
  let taskDefinition = '';
  let deploymentId: string | undefined;
  let stored: SbomOutcome = {};
  const follow = following(waits, goesOn(env.name));
  await runSteps(ctx, [
    {
      title: `${target.serviceName} is ACTIVE in ${target.clusterName}, with no deployment in progress`,
      task: async () => {
        previous = await assertDeployable(aws, target, controller, env.name);
      },
    },
    {
      title: `register ${target.family} with ${image}`,
      task: async (report) => {
        taskDefinition = await register(aws, target, image);
        report(`registered ${taskDefinition}`);
      },
    },
    {
      title:
        controller === 'codedeploy'
          ? `deploy through CodeDeploy (${target.application} / ${target.deploymentGroup})`
          : `deploy through Amazon ECS (${target.strategy})`,
      task: async (report) => {
        const end = await rollOut(aws, target, taskDefinition, {
          codeDeploy: controller === 'codedeploy',
          description,
          follow: (timeoutMs) => follow(report, timeoutMs),
        });
        deploymentId = end.deploymentId;
        if (end.outcome !== 'succeeded') {
          throw notDeployed(target, end.outcome === 'reverted', end.detail, previous);
        }
      },
    },
    {
      title: `write the image to ${target.imageParameter}`,
      task: async () => {
        await aws.ssm.send(putImage(target, image));
      },
    },
    ...storeSbomSteps(aws, env, sbom, (outcome) => (stored = outcome)),
  ]);
  return {
    environment: env.name,
    serviceName: target.serviceName,
    clusterName: target.clusterName,
    controller,
    previousTaskDefinition: previous,
    deploymentId,
    imageParameter: target.imageParameter,
    live: { image, taskDefinition },
    summary: `${target.serviceName} runs ${image} (${taskDefinition}), deployed through ${controller === 'codedeploy' ? `CodeDeploy deployment ${deploymentId ?? '?'}` : `Amazon ECS (${target.strategy})`}${stored.sbom ? `; SBOM at ${sbomUri(stored.sbom)}` : ''}`,
    ...stored,
  };
}

/** Text of `deploy service`: the summary. */
export function formatDeployService(r: DeployServiceResult): string {
  return r.summary;
}
