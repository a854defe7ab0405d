import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeTargetGroupsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import {
  colorLoadBalancer,
  colorTargetGroups,
  targetGroupCanaryWatch,
} from '../../../src/kinds/kubernetes/target-groups.js';
import { clients, mocks, sent } from '../../aws.js';
import { application, FakeKubernetesApi, INGRESS_SWITCH } from './fake-api.js';
import {
  analysis,
  answerMetricsWith,
  answerTargetGroups,
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

const GROUPS = { blue: BLUE_TG, green: GREEN_TG } as const;
/** Another load balancer of the account. */
const OTHER_LB = `${ARN}:loadbalancer/app/ias-dev-other/1234567890abcdef`;

describe('colorLoadBalancer', () => {
  it('finds the load balancer both color target groups belong to, in one DescribeTargetGroups', async () => {
    answerTargetGroups({ [BLUE_TG]: [LOAD_BALANCER], [GREEN_TG]: [OTHER_LB, LOAD_BALANCER] });
    expect(await colorLoadBalancer(clients.elbv2, target, GROUPS)).toBe(LOAD_BALANCER);
    expect(sent(mocks.elbv2, DescribeTargetGroupsCommand)).toEqual([
      { TargetGroupArns: [BLUE_TG, GREEN_TG] },
    ]);
  });

  it('fails naming the Services when a target group belongs to no load balancer', async () => {
    answerTargetGroups({ [BLUE_TG]: [LOAD_BALANCER], [GREEN_TG]: [] });
    await expect(colorLoadBalancer(clients.elbv2, target, GROUPS)).rejects.toMatchObject({
      code: 'SERVICE_MISSING',
      message: expect.stringMatching(
        new RegExp(
          `^target group ${GREEN_TG} \\(of Service ias-dev/inventory-api-green\\) belongs to no load balancer: .*kubectl describe ingress -n ias-dev inventory-api\\), or remove the canary setting$`,
        ),
      ),
    });
  });

  it('fails when the two target groups share no load balancer, listing each one’s', async () => {
    answerTargetGroups({ [BLUE_TG]: [LOAD_BALANCER], [GREEN_TG]: [OTHER_LB] });
    await expect(colorLoadBalancer(clients.elbv2, target, GROUPS)).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining(
        "inventory-api's color target groups share no load balancer (ias-dev/inventory-api-blue → app/ias-dev-inventory-api/50dc6c495c0c9188; ias-dev/inventory-api-green → app/ias-dev-other/1234567890abcdef): the canary judge compares two target groups behind one Application Load Balancer",
      ),
    });
  });

  it('fails when the two target groups share more than one load balancer', async () => {
    answerTargetGroups({ [BLUE_TG]: [LOAD_BALANCER, OTHER_LB], [GREEN_TG]: [OTHER_LB, LOAD_BALANCER] });
    await expect(colorLoadBalancer(clients.elbv2, target, GROUPS)).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining(
        "inventory-api's color target groups share 2 load balancers (app/ias-dev-inventory-api/50dc6c495c0c9188, app/ias-dev-other/1234567890abcdef)",
      ),
    });
  });

  it('fails saying the bindings name a target group that is gone when elbv2 knows it not', async () => {
    answerTargetGroups({ [BLUE_TG]: [LOAD_BALANCER] });
    await expect(colorLoadBalancer(clients.elbv2, target, GROUPS)).rejects.toMatchObject({
      code: 'SERVICE_MISSING',
      message: expect.stringContaining("a target group of inventory-api's color Services does not exist"),
    });
  });

  it('fails naming what it was doing when elbv2 refuses the call', async () => {
    mocks.elbv2
      .on(DescribeTargetGroupsCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }));
    await expect(colorLoadBalancer(clients.elbv2, target, GROUPS)).rejects.toMatchObject({
      code: 'DEPLOYMENT_FAILED',
      message: `finding the load balancer of inventory-api's target groups (${BLUE_TG}, ${GREEN_TG}): AccessDenied: not authorized`,
    });
  });
});

describe('targetGroupCanaryWatch', () => {
  it('judges the baseline’s target group against the canary’s, read from CloudWatch over the window', async () => {
    answerMetricsWith(FAILING);
    answerTargetGroups();
    const api = new FakeKubernetesApi().seed([
      binding('inventory-api-blue', BLUE_TG),
      binding('inventory-api-green', GREEN_TG),
    ]);
    const watch = await targetGroupCanaryWatch({
      api,
      target,
      elbv2: clients.elbv2,
      cloudwatch: clients.cloudwatch,
      analysis: analysis(),
    });
    expect(watch).toMatchObject({ targetGroups: GROUPS, loadBalancer: LOAD_BALANCER });
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

  it('fails before any look on a load balancer that is not an Application Load Balancer, naming the field', async () => {
    const network = `${ARN}:loadbalancer/net/ias-dev-inventory-api/50dc6c495c0c9188`;
    answerTargetGroups({ [BLUE_TG]: [network], [GREEN_TG]: [network] });
    const api = new FakeKubernetesApi().seed([
      binding('inventory-api-blue', BLUE_TG),
      binding('inventory-api-green', GREEN_TG),
    ]);
    await expect(
      targetGroupCanaryWatch({
        api,
        target,
        elbv2: clients.elbv2,
        cloudwatch: clients.cloudwatch,
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
