/**
 * `rollback --release N` of services: the running task definition registered again with the recorded image,
 * rolled out by UpdateService (ECS controller) or a CodeDeploy deployment (CODE_DEPLOY).
 */
import {
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { DeliveryError, renderTaskDefinition, type LedgerRelease } from '@ias/delivery';
import type { ServiceTarget } from '@ias/targets';
import { listInProgress } from '../../aws/codedeploy';
import { createEcsDeployment, describeService, ecsDeploymentInProgress, updateService } from '../../aws/ecs';
import type { AwsClients } from '../../context';
import { refuse, type RestorePlan, type ServiceChange } from '../../restore-plan';
import type { KindRestore } from '../kind';

async function planServices(
  aws: AwsClients,
  targets: readonly ServiceTarget[],
  release: LedgerRelease,
  plan: RestorePlan,
) {
  for (const target of targets) {
    const recorded = release.services[target.serviceName]?.image ?? '';
    const service = (await aws.ecs.send(describeService(target))).services?.find(
      (s) => s.status !== 'INACTIVE',
    );
    if (service?.taskDefinition === undefined) {
      throw refuse(
        release.number,
        `service ${target.serviceName} is not deployed in cluster ${target.clusterName}`,
      );
    }
    const running = service.taskDefinition;
    const described = await aws.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: running, include: ['TAGS'] }),
    );
    const image = described.taskDefinition?.containerDefinitions?.find(
      (c) => c.name === target.containerName,
    )?.image;
    if (image === recorded) {
      plan.unchanged.services.push(target.serviceName);
      continue;
    }
    let definition: Record<string, unknown>;
    try {
      definition = renderTaskDefinition(described, { containerName: target.containerName, image: recorded });
    } catch (err) {
      throw err instanceof DeliveryError ? refuse(release.number, err.message) : err;
    }
    const codeDeploy = service.deploymentController?.type === 'CODE_DEPLOY';
    if (codeDeploy) {
      const id = (await aws.codedeploy.send(listInProgress(target))).deployments?.[0];
      if (id !== undefined) {
        throw refuse(
          release.number,
          `deployment ${id} of ${target.deploymentGroup} is in progress: wait for it to end or stop it first`,
        );
      }
    } else if (ecsDeploymentInProgress(service)) {
      throw refuse(
        release.number,
        `${target.serviceName} has an ECS deployment in progress: wait for it to end`,
      );
    }
    const change: ServiceChange = {
      name: target.serviceName,
      from: image ?? '',
      to: recorded,
      taskDefinition: '',
      action: codeDeploy ? 'created-deployment' : 'updated-service',
      deploymentId: undefined,
    };
    plan.changed.services.push(change);
    plan.actions.push({
      title: `${target.serviceName} → ${recorded}`,
      run: async (a) => {
        const registered = await a.ecs.send(
          new RegisterTaskDefinitionCommand(definition as unknown as RegisterTaskDefinitionCommandInput),
        );
        const arn = registered.taskDefinition?.taskDefinitionArn ?? '';
        Object.assign(change, { taskDefinition: arn });
        if (codeDeploy) {
          const created = await a.codedeploy.send(
            createEcsDeployment(target, arn, `ias-ops rollback to release ${release.number}`),
          );
          Object.assign(change, { deploymentId: created.deploymentId });
        } else {
          await a.ecs.send(updateService(target, arn));
        }
      },
    });
  }
}

/** The service kind's part of `rollback --release N`. */
export const serviceRestore: KindRestore<ServiceTarget> = {
  phase: 'after-configuration',
  recorded: (release) => Object.keys(release.services),
  physicalName: (t) => t.serviceName,
  plan: planServices,
};
