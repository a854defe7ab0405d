import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { WORKLOAD_KIND_IDS, WORKLOAD_KINDS, type TargetEnvironment } from '../src';

const prod: TargetEnvironment = {
  prefix: 'ias',
  name: 'prod',
  profile: {
    account: '222222222222',
    lambda: { deployment: 'canary' },
    service: { deployment: { strategy: 'codedeploy-blue-green', traffic: 'linear' } },
  },
};

describe('workload targets', () => {
  it("build a function's names in an environment, with the delivery role of another account", () => {
    expect(WORKLOAD_KINDS.function.target(prod, { name: 'allocate-order' }, '111111111111')).toEqual({
      environment: 'prod',
      functionName: 'ias-prod-allocate-order',
      alias: 'live',
      stackName: 'ias-prod-fn-allocate-order',
      application: 'ias-prod-allocate-order-app',
      deploymentGroup: 'ias-prod-allocate-order-group',
      deploymentConfig: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
      strategy: 'canary',
      alarms: [
        'ias-prod-allocate-order-errors',
        'ias-prod-allocate-order-throttles',
        'ias-prod-allocate-order-duration',
      ],
      hooks: {
        beforeAllowTraffic: 'ias-prod-pre-traffic-hook',
        afterAllowTraffic: 'ias-prod-post-traffic-hook',
      },
      account: '222222222222',
      roleArn: 'arn:aws:iam::222222222222:role/ias-prod-delivery',
    });
  });

  it("build a service's names, and no role when the pipelines share the environment's account", () => {
    const target = WORKLOAD_KINDS.service.target(
      prod,
      { name: 'inventory-api', manifest: { containerPort: 8080 } },
      '222222222222',
    );
    expect(target).toMatchObject({
      serviceName: 'ias-prod-inventory-api',
      clusterName: 'ias-prod-cluster',
      stackName: 'ias-prod-svc-inventory-api',
      imageParameter: '/ias/prod/services/inventory-api/image',
      application: 'ias-prod-inventory-api-app',
      deploymentGroup: 'ias-prod-inventory-api-group',
      deploymentConfig: 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
      greenCheck: 'ias-prod-inventory-api-green-check',
      roleArn: undefined,
    });
  });

  it('name a canary gate only for the service that ships the canary, where a hook runs after production traffic moves', () => {
    const api = { name: 'inventory-api', manifest: { containerPort: 8080, canary: 'canary/api-canary.js' } };
    expect(WORKLOAD_KINDS.service.target(prod, api)).toMatchObject({
      canaryGate: 'ias-prod-inventory-api-canary-gate',
      hooks: {
        afterAllowTestTraffic: 'ias-prod-inventory-api-green-check',
        afterAllowTraffic: 'ias-prod-inventory-api-canary-gate',
      },
    });
    // Without a canary, CodeDeploy's appspec keeps the green check alone.
    expect(
      WORKLOAD_KINDS.service.target(prod, { name: 'worker', manifest: { containerPort: 8080 } }),
    ).toMatchObject({
      canaryGate: undefined,
      hooks: { afterAllowTestTraffic: 'ias-prod-worker-green-check' },
    });
    const withStrategy = (strategy: 'ecs-linear' | 'rolling'): TargetEnvironment => ({
      ...prod,
      profile: { ...prod.profile, service: { deployment: { strategy, traffic: 'linear' } } },
    });
    // Amazon ECS invokes the gate as the service's own hook: no appspec.
    expect(WORKLOAD_KINDS.service.target(withStrategy('ecs-linear'), api)).toMatchObject({
      canaryGate: 'ias-prod-inventory-api-canary-gate',
      hooks: undefined,
    });
    // A rolling update has no hook after traffic moves: no gate.
    expect(WORKLOAD_KINDS.service.target(withStrategy('rolling'), api)).toMatchObject({
      canaryGate: undefined,
      hooks: undefined,
    });
  });

  it('register every kind under its own id, each with its folder and manifest file', () => {
    expect(Object.keys(WORKLOAD_KINDS)).toEqual([...WORKLOAD_KIND_IDS]);
    expect(
      WORKLOAD_KIND_IDS.map((id) => [WORKLOAD_KINDS[id].folder, WORKLOAD_KINDS[id].manifestFile]),
    ).toEqual([
      ['app/functions', 'function.json'],
      ['app/services', 'service.json'],
      ['app/services', 'kubernetes.json'],
      ['app/services', 'ec2.json'],
    ]);
  });
});

describe('the package', () => {
  it('imports no other package (no aws-cdk-lib, esbuild or AWS SDK): the CLI and the steps pay for names only', () => {
    const { metafile } = buildSync({
      entryPoints: [join(__dirname, '..', 'src', 'index.ts')],
      // Input paths in the metafile are relative to this, whichever folder runs the tests.
      absWorkingDir: join(__dirname, '..'),
      bundle: true,
      platform: 'node',
      packages: 'external',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const imported = Object.values(metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
    expect(imported).toEqual([]);
    expect(Object.keys(metafile.inputs).every((f) => f.startsWith('src/'))).toBe(true);
  });
});
