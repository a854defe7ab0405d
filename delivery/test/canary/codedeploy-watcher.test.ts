import { GetMetricDataCommand, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import {
  BatchGetDeploymentTargetsCommand,
  ContinueDeploymentCommand,
  type DeploymentTarget,
  GetDeploymentCommand,
  type LifecycleEvent,
  type LifecycleEventStatus,
  ListDeploymentsCommand,
  ListDeploymentTargetsCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { describe, expect, it } from 'vitest';
import {
  type CanaryLook,
  type WatchedGroup,
  parseWatchedGroups,
  sweepCodeDeploy,
} from '../../src/canary/index.js';
import { clients, mocks, sent } from '../aws.js';

const T0 = Date.parse('2026-03-02T10:00:00Z');
const MINUTE = 60_000;
/** Ten complete minutes after T0 (the watcher's `now` is 10:11:30: 10:00 to 10:09 are read). */
const NOW = T0 + 11 * MINUTE + 30_000;

const analysis = { judge: {}, bakeMinutes: 10, inconclusive: 'rollback', earlyPromotion: true } as const;
const LB = 'arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188';
const TG = 'arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup';
const BLUE = `${TG}/ias-dev-api-blue/73e2d6bc24d8a067`;
const GREEN = `${TG}/ias-dev-api-green/0f1e2d3c4b5a6978`;

const LAMBDA: WatchedGroup = {
  kind: 'lambda',
  application: 'ias-dev-orders',
  deploymentGroup: 'ias-dev-orders-group',
  analysis,
};
const ECS: WatchedGroup = {
  kind: 'ecs',
  application: 'ias-dev-api',
  deploymentGroup: 'ias-dev-api-group',
  loadBalancer: LB,
  targetGroups: [BLUE, GREEN],
  analysis,
};
const EC2: WatchedGroup = {
  kind: 'ec2',
  application: 'ias-dev-fleet-app',
  deploymentGroup: 'ias-dev-fleet-group',
  loadBalancer: LB,
  targetGroup: BLUE,
  analysis,
};

/** Per-minute answers of GetMetricData: each side's requests and errors every minute since T0. */
function metrics(sides: Record<'baseline' | 'canary', { requests: number; errors: number }>) {
  mocks.cloudwatch.on(GetMetricDataCommand).callsFake((input: { StartTime: Date; EndTime: Date }) => {
    const times: Date[] = [];
    for (let t = input.StartTime.getTime(); t < input.EndTime.getTime(); t += MINUTE) times.push(new Date(t));
    const results: MetricDataResult[] = (['baseline', 'canary'] as const).flatMap((side) =>
      (['requests', 'errors'] as const).map((field) => ({
        Id: `${side}_${field}`,
        StatusCode: 'Complete' as const,
        Timestamps: times,
        Values: times.map(() => sides[side][field]),
      })),
    );
    return { MetricDataResults: results };
  });
}

function deployments(ids: string[]) {
  mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: ids });
}

function targets(deploymentTargets: DeploymentTarget[]) {
  mocks.codedeploy
    .on(ListDeploymentTargetsCommand)
    .resolves({ targetIds: deploymentTargets.map((_, i) => `target-${i}`) });
  mocks.codedeploy.on(BatchGetDeploymentTargetsCommand).resolves({ deploymentTargets });
}

const shifting = (status: LifecycleEventStatus = 'InProgress'): LifecycleEvent[] => [
  { lifecycleEventName: 'BeforeAllowTraffic', status: 'Succeeded', startTime: new Date(T0 - MINUTE) },
  { lifecycleEventName: 'AllowTraffic', status, startTime: new Date(T0 + 20_000) },
];

const lambdaTarget = (status: LifecycleEventStatus = 'InProgress'): DeploymentTarget => ({
  deploymentTargetType: 'LambdaTarget',
  lambdaTarget: {
    lambdaFunctionInfo: {
      functionName: 'ias-dev-orders',
      functionAlias: 'live',
      currentVersion: '6',
      targetVersion: '7',
      targetVersionWeight: 0.1,
    },
    lifecycleEvents: shifting(status),
  },
});

const BAD = { baseline: { requests: 900, errors: 9 }, canary: { requests: 100, errors: 20 } };
const GOOD = { baseline: { requests: 900, errors: 9 }, canary: { requests: 400, errors: 0 } };

async function sweep(groups: WatchedGroup[], record?: (id: string, look: CanaryLook) => Promise<void>) {
  return sweepCodeDeploy(
    {
      codedeploy: clients.codedeploy,
      cloudwatch: clients.cloudwatch,
      now: () => NOW,
      ...(record && { record }),
    },
    groups,
  );
}

describe('sweepCodeDeploy', () => {
  it('stops a Lambda deployment with rollback when the new version is shown worse, judging it by ExecutedVersion since AllowTraffic began', async () => {
    deployments(['d-AAAAAAAAA']);
    targets([lambdaTarget()]);
    metrics(BAD);
    const looks: CanaryLook[] = [];
    const { watched, errors } = await sweep([LAMBDA], async (_, look) => {
      looks.push(look);
    });
    expect(errors).toEqual([]);
    expect(watched).toMatchObject([{ deploymentId: 'd-AAAAAAAAA', judged: true, acted: 'stopped' }]);
    expect(sent(mocks.codedeploy, StopDeploymentCommand)).toEqual([
      { deploymentId: 'd-AAAAAAAAA', autoRollbackEnabled: true },
    ]);
    expect(sent(mocks.codedeploy, ListDeploymentsCommand)).toEqual([
      {
        applicationName: 'ias-dev-orders',
        deploymentGroupName: 'ias-dev-orders-group',
        includeOnlyStatuses: ['InProgress'],
      },
    ]);
    const [read] = sent(mocks.cloudwatch, GetMetricDataCommand);
    expect(read?.StartTime).toEqual(new Date(T0));
    expect(read?.MetricDataQueries?.[4]?.MetricStat?.Metric?.Dimensions).toContainEqual({
      Name: 'ExecutedVersion',
      Value: '7',
    });
    expect(looks).toHaveLength(1);
    expect(looks[0]?.judgement.verdict).toBe('fail');
  });

  it('lets a passing Lambda deployment go on: CodeDeploy cannot shorten its interval', async () => {
    deployments(['d-AAAAAAAAA']);
    targets([lambdaTarget()]);
    metrics(GOOD);
    const { watched } = await sweep([LAMBDA]);
    expect(watched).toMatchObject([{ judged: true, acted: 'none' }]);
    expect(watched[0]?.detail).toMatch(/CodeDeploy cannot shorten its interval/);
    expect(sent(mocks.codedeploy, StopDeploymentCommand)).toEqual([]);
    expect(sent(mocks.codedeploy, ContinueDeploymentCommand)).toEqual([]);
  });

  it('does not judge a deployment whose traffic is not split, nor one in its first minute', async () => {
    deployments(['d-AAAAAAAAA']);
    targets([lambdaTarget('Pending')]);
    const before = await sweep([LAMBDA]);
    expect(before.watched).toMatchObject([
      { judged: false, detail: expect.stringMatching(/AllowTraffic not in progress/) },
    ]);
    targets([lambdaTarget()]);
    const early = await sweepCodeDeploy(
      { codedeploy: clients.codedeploy, cloudwatch: clients.cloudwatch, now: () => T0 + MINUTE + 5_000 },
      [LAMBDA],
    );
    expect(early.watched).toMatchObject([{ judged: false, detail: 'no complete minute of both sides yet' }]);
    expect(sent(mocks.cloudwatch, GetMetricDataCommand)).toEqual([]);
  });

  it('judges an ECS blue/green deployment by its task sets’ target groups, blue the baseline', async () => {
    deployments(['d-BBBBBBBBB']);
    targets([
      {
        deploymentTargetType: 'ECSTarget',
        ecsTarget: {
          lifecycleEvents: shifting(),
          taskSetsInfo: [
            { taskSetLabel: 'Green', trafficWeight: 10, targetGroup: { name: 'ias-dev-api-green' } },
            { taskSetLabel: 'Blue', trafficWeight: 90, targetGroup: { name: 'ias-dev-api-blue' } },
          ],
        },
      },
    ]);
    metrics(BAD);
    const { watched } = await sweep([ECS]);
    expect(watched).toMatchObject([{ acted: 'stopped' }]);
    const queries = sent(mocks.cloudwatch, GetMetricDataCommand)[0]?.MetricDataQueries ?? [];
    const groupOf = (id: string) =>
      queries.find((q) => q.Id === id)?.MetricStat?.Metric?.Dimensions?.find((d) => d.Name === 'TargetGroup')
        ?.Value;
    expect(groupOf('baseline_requests')).toBe('targetgroup/ias-dev-api-blue/73e2d6bc24d8a067');
    expect(groupOf('canary_requests')).toBe('targetgroup/ias-dev-api-green/0f1e2d3c4b5a6978');
  });

  it('reports a target group the watcher does not know, and still judges the other groups', async () => {
    mocks.codedeploy
      .on(ListDeploymentsCommand, { applicationName: 'ias-dev-api' })
      .resolves({ deployments: ['d-BBBBBBBBB'] })
      .on(ListDeploymentsCommand, { applicationName: 'ias-dev-orders' })
      .resolves({ deployments: ['d-AAAAAAAAA'] });
    mocks.codedeploy.on(ListDeploymentTargetsCommand).resolves({ targetIds: ['t'] });
    mocks.codedeploy
      .on(BatchGetDeploymentTargetsCommand, { deploymentId: 'd-BBBBBBBBB' })
      .resolves({
        deploymentTargets: [
          {
            ecsTarget: {
              lifecycleEvents: shifting(),
              taskSetsInfo: [
                { taskSetLabel: 'Green', trafficWeight: 10, targetGroup: { name: 'other-green' } },
                { taskSetLabel: 'Blue', trafficWeight: 90, targetGroup: { name: 'other-blue' } },
              ],
            },
          },
        ],
      })
      .on(BatchGetDeploymentTargetsCommand, { deploymentId: 'd-AAAAAAAAA' })
      .resolves({ deploymentTargets: [lambdaTarget()] });
    metrics(BAD);
    const { watched, errors } = await sweep([ECS, LAMBDA]);
    expect(errors).toEqual([
      {
        where: 'ias-dev-api/ias-dev-api-group d-BBBBBBBBB',
        error: expect.stringMatching(
          /other-blue, other-green.*not the watcher's.*deploy the service's stack again/,
        ),
      },
    ]);
    expect(watched).toMatchObject([{ deploymentId: 'd-AAAAAAAAA', acted: 'stopped' }]);
  });

  describe('EC2 blue/green', () => {
    const created = new Date(T0 - 8 * MINUTE);
    const green = (end?: Date): DeploymentTarget => ({
      instanceTarget: {
        instanceLabel: 'Green',
        lifecycleEvents: [
          { lifecycleEventName: 'AllowTraffic', status: 'Succeeded', ...(end && { endTime: end }) },
        ],
      },
    });
    function deployment(waiting: boolean, type = 'BLUE_GREEN') {
      deployments(['d-CCCCCCCCC']);
      mocks.codedeploy.on(GetDeploymentCommand).resolves({
        deploymentInfo: {
          createTime: created,
          deploymentStyle: { deploymentType: type as 'BLUE_GREEN' },
          instanceTerminationWaitTimeStarted: waiting,
        },
      });
    }

    it('judges the new fleet alone against the same target group just before the deployment, ending the wait early on a pass', async () => {
      deployment(true);
      targets([green(new Date(T0 - 20_000)), green(new Date(T0 + 10_000))]);
      metrics(GOOD);
      const { watched } = await sweep([EC2]);
      expect(watched).toMatchObject([{ acted: 'continued', look: { action: 'promote' } }]);
      expect(sent(mocks.codedeploy, ContinueDeploymentCommand)).toEqual([
        { deploymentId: 'd-CCCCCCCCC', deploymentWaitType: 'TERMINATION_WAIT' },
      ]);
      const [baseline, canary] = sent(mocks.cloudwatch, GetMetricDataCommand);
      // The window: from the last new instance's AllowTraffic (10:00) to 10:11, 11 minutes; the
      // baseline: as many minutes ending where the deployment began (09:52).
      expect(canary?.StartTime).toEqual(new Date(T0));
      expect(baseline?.EndTime).toEqual(created);
    });

    it('stops it with rollback when the new fleet is worse', async () => {
      deployment(true);
      targets([green(new Date(T0))]);
      metrics(BAD);
      const { watched } = await sweep([EC2]);
      expect(watched).toMatchObject([{ acted: 'stopped' }]);
      expect(sent(mocks.codedeploy, StopDeploymentCommand)).toHaveLength(1);
    });

    it('waits for the termination wait, and never judges an in-place deployment', async () => {
      deployment(false);
      targets([green(new Date(T0))]);
      expect((await sweep([EC2])).watched[0]?.detail).toMatch(/do not serve alone yet/);
      deployment(true, 'IN_PLACE');
      expect((await sweep([EC2])).watched[0]?.detail).toMatch(/in-place deployment has no two sides/);
      deployment(true);
      targets([green(new Date(T0)), green()]);
      expect((await sweep([EC2])).watched[0]?.detail).toMatch(/not every new instance has taken traffic/);
      expect(sent(mocks.cloudwatch, GetMetricDataCommand)).toEqual([]);
    });
  });
});

describe('parseWatchedGroups', () => {
  it('names what is wrong in the watcher’s groups', () => {
    expect(() => parseWatchedGroups([{ ...ECS, targetGroups: [BLUE] }], 'CANARY_WATCHER_GROUPS')).toThrow(
      /CANARY_WATCHER_GROUPS: 0\.targetGroups: /,
    );
    expect(parseWatchedGroups([LAMBDA, ECS, EC2], 'x')).toHaveLength(3);
  });
});
