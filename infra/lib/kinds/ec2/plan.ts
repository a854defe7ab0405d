import { EC2_STYLE_TRAITS, ec2Target } from '@ias/targets';
import type { Ec2Definition } from '../../config/ec2';
import type { EnvironmentConfig } from '../../config/load';

/** How CodeDeploy deploys an EC2 application in an environment, in the plan's words. */
export function ec2DeployWords(env: EnvironmentConfig): string {
  const d = env.profile.ec2.deployment;
  return EC2_STYLE_TRAITS[d.style].words(d);
}

/** The EC2 applications of an environment, in its section of the plan. */
export function ec2PlanLines(env: EnvironmentConfig, apps: readonly Ec2Definition[]): string[] {
  const p = env.profile.ec2;
  if (apps.length === 0) return [];
  if (!p.enabled) {
    return [`  ec2: off (ec2.enabled: false): ${apps.map((a) => a.name).join(', ')} not run on EC2 here`];
  }
  return apps.flatMap((app) => {
    const t = ec2Target(env, app);
    const weighted = p.route53
      ? `; Route 53 weighted record ${p.route53.recordName}.${p.route53.zoneName} → ${t.loadBalancerName}, weight ${p.route53.weight}`
      : '';
    return [
      `  ec2: ${t.app}: Auto Scaling group ${t.autoScalingGroupName}, ${p.capacity.min}-${p.capacity.max} × ${p.instanceType} (Amazon Linux 2023 arm64, IMDSv2, encrypted volume, no SSH: Session Manager), CPU ${p.scaling.cpuTargetPercent} %, ${p.scaling.requestsPerTarget} requests per target; load balancer ${t.loadBalancerName} checking ${app.manifest.readinessPath}${weighted}`,
      `    delivery: CodeDeploy ${t.application} / ${t.deploymentGroup}: ${ec2DeployWords(env)} (${t.deploymentConfig}); rolls back on a failed hook, a stop, or a ${t.monitoringName}-* alarm (5xx ≥ ${p.alarms.target5xxPer5Minutes}/5 min, p99 ≥ ${p.alarms.p99LatencyMs} ms, errors logged; unhealthy hosts ≥ ${p.alarms.unhealthyHosts} notifies only)`,
      `    instances: role ${t.instanceRoleName}: settings from SSM at each deployment, database by IAM login (the application and owner roles), revisions from the pipeline's artifact store; agent kept current by ${t.agentAssociation}; logs to ${t.logGroups.application}`,
    ];
  });
}
