/**
 * Every kind of workload the CLI acts on, one line each, in `@ias/targets`' `WORKLOAD_KIND_IDS` order: a
 * new kind is a folder here and one line below.
 */
import { WORKLOAD_KIND_IDS, type WorkloadKindId } from '@ias/targets';
import type { EnvironmentConfig } from '@ias/infra/config';
import type { DeployProject } from '../aws/codebuild';
import type { CodeDeployGroup } from '../aws/codedeploy';
import type { EcsService } from '../aws/ecs-deployments';
import type { OpsContext } from '../context';
import { ec2Controller } from './ec2';
import { functionController } from './function';
import type { KindController, Workload } from './kind';
import { kubernetesController } from './kubernetes';
import { serviceController } from './service';

export type { DeploymentHandle, KindController, KindPlural, Workload } from './kind';

/** The controllers, by kind. */
export const KIND_CONTROLLERS: Readonly<Record<WorkloadKindId, KindController>> = {
  function: functionController as KindController,
  service: serviceController as KindController,
  kubernetes: kubernetesController as KindController,
  ec2: ec2Controller as KindController,
};

/** Every controller, in registry order. */
export const KINDS: readonly KindController[] = WORKLOAD_KIND_IDS.map((id) => KIND_CONTROLLERS[id]);

/** Every workload of the environment with its controller, kind by kind. */
export function allWorkloads(
  ctx: OpsContext,
  env: EnvironmentConfig,
): { readonly controller: KindController; readonly workload: Workload<unknown> }[] {
  return KINDS.flatMap((controller) =>
    controller.workloads(ctx.project, env).map((workload) => ({ controller, workload })),
  );
}

/** The environment's CodeDeploy groups: every workload's whose strategy CodeDeploy runs. */
export function codeDeployGroups(ctx: OpsContext, env: EnvironmentConfig): CodeDeployGroup[] {
  return allWorkloads(ctx, env).flatMap(({ controller, workload }) => {
    const handle = controller.deployment(workload, env);
    return handle.controller === 'codedeploy' ? [handle.group] : [];
  });
}

/** The environment's services Amazon ECS deploys itself (not CodeDeploy). */
export function ecsServices(ctx: OpsContext, env: EnvironmentConfig): EcsService[] {
  return allWorkloads(ctx, env).flatMap(({ controller, workload }) => {
    const handle = controller.deployment(workload, env);
    return handle.controller === 'ecs' ? [handle.service] : [];
  });
}

/** The environment's deploy projects: each Kubernetes application's, which runs its switch. */
export function deployProjects(ctx: OpsContext, env: EnvironmentConfig): DeployProject[] {
  return allWorkloads(ctx, env).flatMap(({ controller, workload }) => {
    const handle = controller.deployment(workload, env);
    return handle.controller === 'codebuild' ? [handle.project] : [];
  });
}
