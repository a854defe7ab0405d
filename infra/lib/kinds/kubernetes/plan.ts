import { eksClusterName, KUBERNETES_STRATEGIES, kubernetesTarget, Naming } from '@ias/targets';
import type { KubernetesDefinition } from '../../config/kubernetes';
import type { EnvironmentConfig } from '../../config/load';

/** How a Kubernetes application switches colors in an environment, in the plan's words. */
export function kubernetesDeployWords(env: EnvironmentConfig): string {
  const d = env.profile.kubernetes.deployment;
  return KUBERNETES_STRATEGIES[d.strategy].words(d);
}

/** The cluster and its applications in an environment's section of the plan. */
export function kubernetesPlanLines(env: EnvironmentConfig, apps: readonly KubernetesDefinition[]): string[] {
  const k = env.profile.kubernetes;
  if (apps.length === 0) return [];
  if (!k.enabled) {
    return [
      `  kubernetes: off (kubernetes.enabled: false): no cluster, ${apps.map((a) => a.name).join(', ')} not run here`,
    ];
  }
  const capacity =
    k.capacity.type === 'auto'
      ? "EKS Auto Mode's node pools"
      : `a managed node group of ${k.capacity.instanceType}, ${k.capacity.minSize}-${k.capacity.maxSize} nodes (${k.capacity.desiredSize} at creation)`;
  return [
    `  kubernetes: cluster ${eksClusterName(new Naming(env.prefix, env.name))} (EKS ${k.version}, Auto Mode: AWS runs the load balancer controller and Pod Identity), private endpoint only, pods on ${capacity}; add-ons: Secrets Store CSI driver with the AWS provider, Container Insights`,
    ...apps.flatMap((app) => {
      const t = kubernetesTarget(env, app);
      const colors = `${t.deployments.blue} / ${t.deployments.green}`;
      const routing =
        t.switches === 'service-selector'
          ? `Service ${t.stableService} (selector version: blue|green), test Service ${t.testService}`
          : `Ingress ${t.ingress} → Services ${t.colorServices.blue} / ${t.colorServices.green} by weight, test Service ${t.testService}`;
      return [
        `    application: ${t.app} in namespace ${t.namespace}, Deployments ${colors}, ${k.replicas.min}-${k.replicas.max} pods on CPU ${k.replicas.cpuTargetPercent} %; ${routing}; load balancer ${t.loadBalancerName}`,
        `      delivery: ${kubernetesDeployWords(env)}; by ${t.deployProject} in the VPC; switches back on ${t.monitoringName}-* alarms (restarts ≥ ${k.alarms.restartsPer5Minutes}/5 min per color, errors logged ≥ ${k.alarms.loggedErrorsPer5Minutes}/5 min)`,
        `      pods: service account ${t.serviceAccount} → role ${t.podRoleName} (Pod Identity); database login ${t.databaseLogin} from ${t.databaseSecret}, mounted by the secrets provider, read per connection`,
      ];
    }),
  ];
}
