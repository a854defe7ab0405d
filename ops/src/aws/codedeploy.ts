/** CodeDeploy deployments of a group, as every command that finds one in flight lists them. */
import { ListDeploymentsCommand, type DeploymentStatus } from '@aws-sdk/client-codedeploy';
import { DEPLOYMENT_STATUSES_IN_FLIGHT, type WorkloadKindId } from '@ias/targets';

/** CodeDeploy statuses of a deployment that still holds its group. */
export const IN_PROGRESS: DeploymentStatus[] = [...DEPLOYMENT_STATUSES_IN_FLIGHT];

/** ListDeployments of a group's deployments in flight (the newest first). */
export function listInProgress(group: { readonly application: string; readonly deploymentGroup: string }) {
  return new ListDeploymentsCommand({
    applicationName: group.application,
    deploymentGroupName: group.deploymentGroup,
    includeOnlyStatuses: IN_PROGRESS,
  });
}

/** A workload's CodeDeploy deployment group in one environment. */
export interface CodeDeployGroup {
  readonly kind: WorkloadKindId;
  /** The function's or service's folder name. */
  readonly name: string;
  readonly application: string;
  readonly deploymentGroup: string;
}
