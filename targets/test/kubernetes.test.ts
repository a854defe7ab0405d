import { describe, expect, it } from 'vitest';
import {
  DATABASE_SECRET_FILE,
  KUBERNETES_STRATEGIES,
  kubernetesTarget,
  otherColor,
  type TargetEnvironment,
} from '../src/index';

const prod: TargetEnvironment = {
  prefix: 'ias',
  name: 'prod',
  profile: {
    account: '222222222222',
    lambda: { deployment: 'canary' },
    service: { deployment: { strategy: 'codedeploy-blue-green', traffic: 'canary' } },
    kubernetes: {
      enabled: true,
      deployment: {
        strategy: 'ingress-switch',
        steps: [5, 100],
        bakeMinutes: 10,
        oldColorRetentionMinutes: 60,
      },
    },
  },
};

describe('kubernetesTarget', () => {
  it('names the cluster, the namespace, the AWS and the Kubernetes objects of an application', () => {
    expect(kubernetesTarget(prod, { name: 'inventory-api' }, '111111111111')).toEqual({
      environment: 'prod',
      app: 'inventory-api',
      clusterName: 'ias-prod-eks',
      namespace: 'ias-prod',
      stackName: 'ias-prod-k8s-inventory-api',
      repositoryName: 'ias-prod-inventory-api',
      imageParameter: '/ias/prod/kubernetes/inventory-api/image',
      podRoleName: 'ias-prod-inventory-api-pod',
      serviceAccount: 'inventory-api',
      loadBalancerName: 'ias-prod-inventory-api',
      deployments: { blue: 'inventory-api-blue', green: 'inventory-api-green' },
      colorServices: { blue: 'inventory-api-blue', green: 'inventory-api-green' },
      stableService: 'inventory-api',
      testService: 'inventory-api-test',
      ingress: 'inventory-api',
      configMap: 'inventory-api-config',
      secretProviderClass: 'inventory-api-db',
      databaseSecret: '/ias/prod/db/inventory-api-login',
      databaseLogin: 'inventory_api_login',
      deployProject: 'ias-prod-inventory-api-k8s-deploy',
      monitoringName: 'ias-prod-inventory-api-k8s',
      strategy: 'ingress-switch',
      switches: 'ingress-weights',
      account: '222222222222',
      roleArn: 'arn:aws:iam::222222222222:role/ias-prod-delivery',
    });
    expect(DATABASE_SECRET_FILE).toBe('/mnt/secrets/db/login.json');
  });

  it('keeps the load balancer name within the 32 characters ELB allows, never ending with a hyphen', () => {
    const long = kubernetesTarget(prod, { name: 'a-very-long-application-name-indeed' });
    expect(long.loadBalancerName).toBe('ias-prod-a-very-long-application');
    // Cut at 32, the name would end with the hyphen after "…uv".
    expect(kubernetesTarget(prod, { name: 'abcdefghijklmnopqrstuv-wxyz' }).loadBalancerName).toBe(
      'ias-prod-abcdefghijklmnopqrstuv',
    );
  });

  it('describes each strategy for the plan, and alternates the colors', () => {
    const settings = { steps: [5, 100], bakeMinutes: 10, oldColorRetentionMinutes: 60 };
    expect(KUBERNETES_STRATEGIES['ingress-switch'].words({ strategy: 'ingress-switch', ...settings })).toBe(
      'blue/green by Ingress backend, 5 % → 100 %, bake 10 min each, old color kept 60 min',
    );
    expect(
      KUBERNETES_STRATEGIES['service-switch'].words({
        strategy: 'service-switch',
        ...settings,
        steps: [100],
      }),
    ).toBe('blue/green by Service selector, all at once, bake 10 min, old color kept 60 min');
    expect(otherColor('blue')).toBe('green');
    expect(otherColor('green')).toBe('blue');
  });
});
