/**
 * The Kubernetes kind through the commands that act on every workload of an environment (`status`,
 * `deployments`, `rollback --release N`): they read the registry, so these run once the kind is
 * registered (`WORKLOAD_KIND_IDS` of @ias/targets and `KIND_CONTROLLERS` of ops/src/kinds).
 */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  BatchGetBuildsCommand,
  ListBuildsForProjectCommand,
  StartBuildCommand,
  StopBuildCommand,
} from '@aws-sdk/client-codebuild';
import { ListDeploymentsCommand } from '@aws-sdk/client-codedeploy';
import { ListPipelineExecutionsCommand } from '@aws-sdk/client-codepipeline';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand, ListServiceDeploymentsCommand } from '@aws-sdk/client-ecs';
import { GetAliasCommand } from '@aws-sdk/client-lambda';
import { WORKLOAD_KIND_IDS } from '@ias/targets';
import { beforeEach, describe, expect, it } from 'vitest';
import { formatStatus, status, type StatusResult } from '../src/commands/status';
import { EXIT } from '../src/errors';
import { KIND_CONTROLLERS } from '../src/kinds';
import { stubLooks } from './canary-support';
import { awsError, context, kubernetesProject, prefix, runMain, stubCanary, stubbedAws } from './helpers';
import {
  build,
  buildId,
  builds,
  image,
  ledger,
  project,
  release,
  startedWith,
  starts,
  written,
} from './kubernetes-support';

const registered = (WORKLOAD_KIND_IDS as readonly string[]).includes('kubernetes');

let aws: ReturnType<typeof stubbedAws>;
beforeEach(() => {
  aws = stubbedAws();
});

const run = (argv: string[]) => runMain(argv, aws, '', kubernetesProject);
const BLUE = { color: 'blue', image: image('a'), revision: 'sha256:r1' } as const;
const GREEN = { color: 'green', image: image('b'), revision: 'sha256:r2' } as const;

describe.runIf(registered)('the Kubernetes kind', () => {
  it('deploys each application through its deploy project', () => {
    const controller = (KIND_CONTROLLERS as Record<string, (typeof KIND_CONTROLLERS)['function']>)[
      'kubernetes'
    ];
    const dev = kubernetesProject.environments[0];
    if (controller === undefined || dev === undefined) throw new Error('no kubernetes controller');
    const [workload] = controller.workloads(kubernetesProject, dev);
    expect(workload).toMatchObject({ kind: 'kubernetes', name: 'inventory-api' });
    if (workload === undefined) return;
    expect(controller.deployment(workload, dev)).toEqual({
      controller: 'codebuild',
      project: { name: 'inventory-api', projectName: project() },
    });
  });

  describe('status', () => {
    beforeEach(() => {
      // Nothing else of dev is deployed: only the application answers.
      aws.mocks.lambda.on(GetAliasCommand).rejects(awsError('ResourceNotFoundException'));
      aws.mocks.codedeploy.on(ListDeploymentsCommand).rejects(awsError('ApplicationDoesNotExistException'));
      aws.mocks.ecs.on(DescribeServicesCommand).rejects(awsError('ClusterNotFoundException'));
      aws.mocks.codepipeline.on(ListPipelineExecutionsCommand).rejects(awsError('PipelineNotFoundException'));
      aws.mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({
        CompositeAlarms: [
          { AlarmName: `${prefix}-dev-health`, StateValue: 'OK' },
          { AlarmName: `${prefix}-dev-inventory-api-k8s-health`, StateValue: 'ALARM' },
        ],
      });
      stubCanary(aws, []);
    });

    it('shows the color the ledger last recorded, its composite alarm and the switch in flight', async () => {
      ledger(aws, release(4, GREEN));
      builds(
        aws,
        build(6, 'IN_PROGRESS', { action: 'switch-back', to: 'blue', started: '2026-12-06T10:00:00Z' }),
        build(5, 'SUCCEEDED', { image: image('b') }),
      );
      const result = (await status(context(aws, { project: kubernetesProject }), {
        env: 'dev',
      })) as StatusResult;
      expect(result.applications).toEqual([
        {
          name: 'inventory-api',
          clusterName: `${prefix}-dev-eks`,
          namespace: `${prefix}-dev`,
          deployProject: project(),
          deployed: true,
          serving: { ...GREEN, release: 4 },
          inProgress: [expect.objectContaining({ id: buildId(6), action: 'switch-back', to: 'blue' })],
          health: { alarm: `${prefix}-dev-inventory-api-k8s-health`, state: 'ALARM' },
        },
      ]);
      const text = formatStatus(result);
      expect(text).toContain(
        `applications:\n  inventory-api: green serves ${image('b')} (manifests sha256:r2, release 4)\n    health: ALARM\n    in flight: ${buildId(6)} IN_PROGRESS BUILD since 2026-12-06T10:00:00.000Z — switch back to blue`,
      );
    });

    it('shows an application without a deploy project as not deployed', async () => {
      ledger(aws);
      aws.mocks.codebuild.on(ListBuildsForProjectCommand).rejects(awsError('ResourceNotFoundException'));
      const result = (await status(context(aws, { project: kubernetesProject }), {
        env: 'dev',
      })) as StatusResult;
      expect(formatStatus(result)).toContain(
        `  inventory-api: not deployed (no deploy project ${project()})`,
      );
    });

    it('lists its reads under --dry-run', async () => {
      const result = await run(['--dry-run', 'status', '--env', 'dev']);
      expect(result.stdout).toContain(`codebuild ListBuildsForProject {"projectName":"${project()}"`);
      expect(aws.calls()).toEqual([]);
    });
  });

  describe('deployments', () => {
    it("lists each deploy project's builds in progress and the last ones", async () => {
      aws.mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
      aws.mocks.ecs.on(ListServiceDeploymentsCommand).resolves({ serviceDeployments: [] });
      // The switch's watcher judged build 6 (keyed by its build ID); build 5 ended.
      stubLooks(aws, { [buildId(6)]: { verdict: 'inconclusive', action: 'wait', look: 4, looks: 10 } });
      builds(
        aws,
        build(6, 'IN_PROGRESS', { image: image('c') }),
        build(5, 'FAILED', { image: image('b'), exported: { RESULT: 'rolled-back', COLOR: 'green' } }),
      );
      const result = await run(['deployments', 'list', '--env', 'dev']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(EXIT.ok);
      expect(result.stdout).toContain(
        [
          `kubernetes inventory-api: ${project()} (CodeBuild; stop a build with ias-ops deployments stop <id> --env dev)`,
          `  ${buildId(6)} IN_PROGRESS 2026-12-06T12:00:00.000Z — deploy ${image('c')}; in BUILD; canary inconclusive 4/10`,
          `  ${buildId(5)} FAILED 2026-12-05T12:00:00.000Z — deploy ${image('b')}; RESULT=rolled-back`,
        ].join('\n'),
      );
    });

    it('stops a build: the switch puts the routing back (exit 3)', async () => {
      const running = build(6, 'IN_PROGRESS', { image: image('c') });
      builds(aws, running);
      aws.mocks.codebuild.on(StopBuildCommand).resolves({});
      aws.mocks.codebuild
        .on(BatchGetBuildsCommand)
        .resolvesOnce({ builds: [running] })
        .resolves({ builds: [build(6, 'STOPPED', { image: image('c') })] });
      const result = await run(['deployments', 'stop', buildId(6), '--env', 'dev']);
      expect(result.code).toBe(EXIT.rolledBack);
      expect(result.stdout).toBe(
        `rolled back: build ${buildId(6)} ended STOPPED, the switch left users on, or sent them back to, the color that served\n`,
      );
      expect(aws.mocks.codebuild.commandCalls(StopBuildCommand)[0]?.args[0].input).toEqual({
        id: buildId(6),
      });
    });

    it('stops the build in progress named by its deploy project, and says so when it had gone live (exit 1)', async () => {
      const running = build(6, 'IN_PROGRESS', { image: image('c') });
      builds(aws, running);
      aws.mocks.codebuild.on(StopBuildCommand).resolves({});
      // Found in progress by the project's name, checked in progress, then ended: it had gone live.
      const live = build(6, 'SUCCEEDED', {
        image: image('c'),
        exported: { RESULT: 'succeeded', COLOR: 'blue' },
      });
      aws.mocks.codebuild
        .on(BatchGetBuildsCommand)
        .resolvesOnce({ builds: [running] })
        .resolvesOnce({ builds: [running] })
        .resolves({ builds: [live] });
      const result = await run(['deployments', 'stop', project(), '--env', 'dev']);
      expect(result.code).toBe(EXIT.failed);
      expect(result.stdout).toContain(`went live before it stopped (blue serves)`);
    });

    it('refuses (exit 4) to continue a build: the switch holds no wait', async () => {
      const result = await run(['deployments', 'continue', buildId(6), '--env', 'dev']);
      expect(result.code).toBe(EXIT.unsafe);
      expect(result.stderr).toContain('whose switch holds no wait for an operator');
      expect(aws.calls()).toEqual([]);
    });

    it('refuses (exit 4) a build that already ended, and (exit 2) a build of another environment', async () => {
      builds(aws, build(6, 'SUCCEEDED', { image: image('c') }));
      const ended = await run(['deployments', 'stop', buildId(6), '--env', 'dev']);
      expect(ended).toMatchObject({ code: EXIT.unsafe });
      expect(ended.stderr).toContain('already ended (SUCCEEDED): there is nothing to stop');
      const other = await run(['deployments', 'stop', buildId(6, 'prod'), '--env', 'dev']);
      expect(other.code).toBe(EXIT.badInput);
      expect(other.stderr).toContain(`belongs to ${project('prod')}, not to a deploy project of dev`);
      expect(aws.mocks.codebuild.commandCalls(StopBuildCommand)).toHaveLength(0);
    });

    it('lists the stop under --dry-run', async () => {
      const result = await run(['--dry-run', 'deployments', 'stop', project(), '--env', 'dev']);
      expect(result.code).toBe(EXIT.ok);
      expect(result.stdout.split('\n').map((l) => l.trim().split(' ').slice(0, 2).join(' '))).toEqual([
        'dry run:',
        'codebuild ListBuildsForProject',
        'codebuild BatchGetBuilds',
        'codebuild BatchGetBuilds',
        'codebuild StopBuild',
        'codebuild BatchGetBuilds',
        '',
      ]);
      expect(aws.calls()).toEqual([]);
    });
  });

  describe('rollback --release', () => {
    /** Release `n` of dev as GetItem answers it. */
    function releaseToRestore(n: number, app: typeof BLUE | typeof GREEN) {
      aws.mocks.dynamodb.on(GetItemCommand).resolves({ Item: release(n, app) });
    }

    it('switches back to the recorded color when it still runs the recorded image, and records it', async () => {
      ledger(
        aws,
        release(3, GREEN, '2026-12-03T00:00:00.000Z'),
        release(2, BLUE, '2026-12-02T00:00:00.000Z'),
      );
      releaseToRestore(2, BLUE);
      starts(
        aws,
        build(9, 'SUCCEEDED', {
          action: 'switch-back',
          to: 'blue',
          exported: { RESULT: 'switched-back', COLOR: 'blue' },
        }),
      );
      const result = await run(['rollback', '--release', '2', '--env', 'dev']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(EXIT.ok);
      expect(startedWith(aws)).toEqual([{ ACTION: 'switch-back', TO: 'blue' }]);
      expect(result.stdout).toContain(
        `  Kubernetes application inventory-api: green ${image('b')} → blue ${image('a')} (switched back by build ${buildId(9)}; blue serves ${image('a')})`,
      );
      expect(written(aws)[0]).toMatchObject({ applications: { 'inventory-api': BLUE } });
    });

    it('deploys the recorded image again when its color has run another since', async () => {
      ledger(
        aws,
        release(3, GREEN, '2026-12-03T00:00:00.000Z'),
        release(2, BLUE, '2026-12-02T00:00:00.000Z'),
      );
      releaseToRestore(2, BLUE);
      // A failed deployment of image c rolled out to blue, idle since release 3.
      const failed = build(4, 'FAILED', { image: image('c'), started: '2026-12-04T00:00:00Z' });
      const redeployed = build(9, 'SUCCEEDED', {
        image: image('a'),
        exported: { RESULT: 'succeeded', COLOR: 'blue', IMAGE: image('a'), REVISION: 'sha256:r3' },
      });
      starts(aws, redeployed, failed);
      const result = await run(['rollback', '--release', '2', '--env', 'dev']);
      expect(result.code).toBe(EXIT.ok);
      expect(startedWith(aws)).toEqual([{ ACTION: 'deploy', IMAGE: image('a') }]);
      expect(written(aws)[0]).toMatchObject({
        applications: { 'inventory-api': { color: 'blue', image: image('a'), revision: 'sha256:r3' } },
      });
    });

    it('leaves an application already as recorded', async () => {
      ledger(aws, release(3, BLUE));
      releaseToRestore(2, BLUE);
      builds(aws);
      const result = await run(['rollback', '--release', '2', '--env', 'dev']);
      expect(result.code).toBe(EXIT.ok);
      expect(result.stdout).toContain('unchanged: Kubernetes application inventory-api');
      expect(aws.mocks.codebuild.commandCalls(StartBuildCommand)).toHaveLength(0);
      expect(aws.mocks.dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
    });

    it('refuses (exit 4) while a build of the project is in progress, changing nothing', async () => {
      ledger(aws, release(3, GREEN));
      releaseToRestore(2, BLUE);
      builds(aws, build(5, 'IN_PROGRESS', { image: image('c') }));
      const result = await run(['rollback', '--release', '2', '--env', 'dev']);
      expect(result.code).toBe(EXIT.unsafe);
      expect(result.stderr).toContain(
        `rollback to release 2 refused, nothing changed: build ${buildId(5)} of ${project()} is in progress`,
      );
      expect(aws.mocks.codebuild.commandCalls(StartBuildCommand)).toHaveLength(0);
    });

    it("lists the applications' calls under --dry-run", async () => {
      const result = await run(['--dry-run', 'rollback', '--release', '2', '--env', 'dev']);
      expect(result.code).toBe(EXIT.ok);
      expect(result.stdout).toContain('codebuild StartBuild');
      expect(result.stdout).toContain('"name":"ACTION","value":"switch-back"');
      expect(result.stdout).toContain('"name":"ACTION","value":"deploy"');
      expect(aws.calls()).toEqual([]);
    });
  });
});
