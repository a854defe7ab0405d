import type { DeployFile } from '@ias/delivery';
import { kubernetesTarget, Naming, workloadHealthAlarmName } from '@ias/targets';
import { environmentCanaryAnalysis } from '../../config/canary-analysis-schema';
import type { KubernetesDefinition } from '../../config/kubernetes';
import type { EnvironmentConfig } from '../../config/load';

/**
 * The settings the ConfigMap takes from SSM at each deploy (the environment's database writer
 * endpoint, port and name, under `/<prefix>/<env>/db/`), by setting.
 */
function ssmSettings(naming: Naming): Record<string, string> {
  return {
    // The writer, never the RDS Proxy: the proxy admits IAM logins only, and this one is a password's.
    PGHOST: naming.path('db', 'writer-endpoint'),
    PGPORT: naming.path('db', 'port'),
    PGDATABASE: naming.path('db', 'name'),
  };
}

/**
 * What the application's deploy project deploys in an environment (the deploy file of
 * delivery/src/kinds/kubernetes/deploy-cli.ts): its names, the profile's switch, the alarm that
 * switches back (its composite `<…>-k8s-health`, in ALARM while any of its alarms is), the SSM
 * settings and the fixed ones of the ConfigMap, the render input, and — where the profile judges
 * Kubernetes deployments (`kubernetes.canaryAnalysis`) — the canary judge's analysis. Written at
 * synth beside the review copy (`infra/cdk.out/k8s/<env>/<app>.deploy.json`) and into the project's
 * source.
 */
export function kubernetesDeployFile(env: EnvironmentConfig, definition: KubernetesDefinition): DeployFile {
  const naming = new Naming(env.prefix, env.name);
  const target = kubernetesTarget(env, definition);
  const k = env.profile.kubernetes;
  if (target.switches === undefined) {
    throw new Error(`${env.name}: the profile has no kubernetes.deployment`);
  }
  const analysis = environmentCanaryAnalysis(env.profile).kubernetes;
  return {
    version: 1,
    environment: env.name,
    region: env.profile.region,
    target: { ...target, switches: target.switches },
    settings: {
      strategy: k.deployment.strategy,
      steps: [...k.deployment.steps],
      bakeMinutes: k.deployment.bakeMinutes,
      oldColorRetentionMinutes: k.deployment.oldColorRetentionMinutes,
    },
    alarms: [workloadHealthAlarmName(target.monitoringName)],
    parameters: ssmSettings(naming),
    input: {
      prefix: env.prefix,
      manifest: definition.manifest,
      container: {
        containerPort: definition.service.manifest.containerPort,
        environment: { ...definition.service.manifest.environment },
      },
      replicas: { ...k.replicas },
      config: {
        // TLS with the certificate checked (the image carries the RDS CA bundle).
        PGSSLMODE: 'verify-full',
        // The schema is the ECS service's to migrate (as its owner role); the login here is DML only.
        MIGRATE_ON_START: 'false',
      },
      region: env.profile.region,
    },
    ...(analysis ? { canary: { analysis } } : {}),
  };
}
