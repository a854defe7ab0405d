import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { colorTargetGroups, targetGroupCanaryWatch } from '../../../src/kinds/kubernetes/target-groups.js';
import { clients, mocks, sent } from '../../aws.js';
import { application, FakeKubernetesApi, INGRESS_SWITCH } from './fake-api.js';
import {
  analysis,
  answerMetricsWith,
  ARN,
  binding,
  BLUE_TG,
  FAILING,
  GREEN_TG,
  LOAD_BALANCER,
} from './fake-canary.js';

const { switchTarget: target } = application(INGRESS_SWITCH);

describe('colorTargetGroups', () => {
  it('finds each color Service’s target group among the namespace’s TargetGroupBindings', async () => {
    const api = new FakeKubernetesApi().seed([
      binding('inventory-api-green', GREEN_TG),
      binding('inventory-api-blue', BLUE_TG),
      binding('orders-api', `${ARN}:targetgroup/k8s-orders/1111111111111111`),
      binding('inventory-api-blue', `${ARN}:targetgroup/k8s-elsewhere/2222222222222222`, 'ias-prod'),
    ]);
    expect(await colorTargetGroups(api, target)).toEqual({ blue: BLUE_TG, green: GREEN_TG });
    expect(api.calls.map((c) => `${c.op} ${c.target}`)).toEqual(['list TargetGroupBinding ias-dev']);
  });

  it('fails naming the Service and the namespace, and how to fix it, when a binding is missing', async () => {
    const api = new FakeKubernetesApi().seed([binding('inventory-api-blue', BLUE_TG)]);
    await expect(colorTargetGroups(api, target)).rejects.toMatchObject({
      code: 'SERVICE_MISSING',
      message:
        "no TargetGroupBinding in namespace ias-dev for Service inventory-api-green: the canary judge reads each color's target group from the binding the AWS Load Balancer Controller makes for every Service an Ingress forwards to; check that the controller runs and that Ingress ias-dev/inventory-api forwards to inventory-api-green (kubectl get targetgroupbindings -n ias-dev -o wide), or remove the canary setting",
    });
    await expect(colorTargetGroups(new FakeKubernetesApi(), target)).rejects.toThrow(
      'no TargetGroupBinding in namespace ias-dev for Services inventory-api-blue and inventory-api-green',
    );
  });

  it('fails when a color Service is bound to two target groups', async () => {
    const other = `${ARN}:targetgroup/k8s-other/3333333333333333`;
    const api = new FakeKubernetesApi().seed([
      binding('inventory-api-blue', BLUE_TG),
      binding('inventory-api-green', GREEN_TG),
      { ...binding('inventory-api-green', other), metadata: { name: 'second', namespace: 'ias-dev' } },
    ]);
    await expect(colorTargetGroups(api, target)).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining(
        `Service ias-dev/inventory-api-green has TargetGroupBindings to 2 target groups (${GREEN_TG}, ${other})`,
      ),
    });
  });
});

describe('targetGroupCanaryWatch', () => {
  it('judges the baseline’s target group against the canary’s, read from CloudWatch over the window', async () => {
    answerMetricsWith(FAILING);
    const api = new FakeKubernetesApi().seed([
      binding('inventory-api-blue', BLUE_TG),
      binding('inventory-api-green', GREEN_TG),
    ]);
    const watch = await targetGroupCanaryWatch({
      api,
      target,
      cloudwatch: clients.cloudwatch,
      loadBalancer: LOAD_BALANCER,
      analysis: analysis(),
    });
    const start = Date.parse('2026-01-05T09:00:20Z');
    const look = await watch.judge(
      { start: new Date(start), end: new Date(start + 4 * 60_000) },
      { baseline: 'green', canary: 'blue' },
    );
    expect(look).toMatchObject({ look: 3, looks: 10, action: 'rollback', judgement: { verdict: 'fail' } });
    const [request] = sent(mocks.cloudwatch, GetMetricDataCommand);
    const dimensions = (id: string) =>
      request?.MetricDataQueries?.find((q) => q.Id === id)?.MetricStat?.Metric?.Dimensions;
    expect(dimensions('baseline_requests')).toEqual([
      { Name: 'LoadBalancer', Value: 'app/ias-dev-inventory-api/50dc6c495c0c9188' },
      { Name: 'TargetGroup', Value: 'targetgroup/k8s-iasdev-inventor-6f7a8b9c0d/0f1e2d3c4b5a6978' },
    ]);
    expect(dimensions('canary_requests')).toEqual([
      { Name: 'LoadBalancer', Value: 'app/ias-dev-inventory-api/50dc6c495c0c9188' },
      { Name: 'TargetGroup', Value: 'targetgroup/k8s-iasdev-inventor-1a2b3c4d5e/73e2d6bc24d8a067' },
    ]);
    expect([request?.StartTime, request?.EndTime]).toEqual([
      new Date('2026-01-05T09:00:00Z'),
      new Date('2026-01-05T09:03:00Z'),
    ]);
  });

  it('fails before any look on a load balancer that is not one, naming the field', async () => {
    const api = new FakeKubernetesApi().seed([
      binding('inventory-api-blue', BLUE_TG),
      binding('inventory-api-green', GREEN_TG),
    ]);
    await expect(
      targetGroupCanaryWatch({
        api,
        target,
        cloudwatch: clients.cloudwatch,
        loadBalancer: 'ias-dev-inventory-api',
        analysis: analysis(),
      }),
    ).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(
        /^the canary judge cannot read inventory-api's target groups: loadBalancer: must be an Application Load Balancer ARN/,
      ),
    });
    expect(sent(mocks.cloudwatch, GetMetricDataCommand)).toEqual([]);
  });
});
