/**
 * The CodeDeploy application and deployment group of a function or service (seed 003's
 * `${ProjectName}-app` and `${ProjectName}-group`), from its physical name.
 */
export function codeDeployNames(workloadName: string): { application: string; deploymentGroup: string } {
  return { application: `${workloadName}-app`, deploymentGroup: `${workloadName}-group` };
}

/** The CodeDeploy statuses of a deployment that has not ended (it may still move the traffic). */
export const DEPLOYMENT_STATUSES_IN_FLIGHT = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'] as const;
