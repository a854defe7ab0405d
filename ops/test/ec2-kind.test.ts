/**
 * The EC2 kind: its controller, and the commands that act on it (`status`, `targets`, `deployments`,
 * `ec2 rollback`, `rollback --release N`), against {@link ec2Project}: dev deploys inventory-api's
 * fleet in place, staging blue/green, prod holds none.
 */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  BatchGetDeploymentsCommand,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { ListPipelineExecutionsCommand } from '@aws-sdk/client-codepipeline';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand, ListServiceDeploymentsCommand } from '@aws-sdk/client-ecs';
import { GetAliasCommand } from '@aws-sdk/client-lambda';
import type { EnvironmentConfig } from '@ias/infra/config';
import { ec2Target } from '@ias/targets';
import { beforeEach, describe, expect, it } from 'vitest';
import { formatStatus, status, type StatusResult } from '../src/commands/status';
import { EXIT } from '../src/errors';
import { KIND_CONTROLLERS } from '../src/kinds';
import { stubLooks } from './canary-support';
import { awsError, context, ec2Project, prefix, runMain, stubCanary, stubbedAws } from './helpers';
import {
  created,
  creates,
  deployment,
  deployments,
  group,
  IN_FLIGHT,
  ledger,
  names,
  release,
  revision,
  targets,
  written,
} from './ec2-support';

let aws: ReturnType<typeof stubbedAws>;
beforeEach(() => {
  aws = stubbedAws();
});

const run = (argv: string[]) => runMain(argv, aws, '', ec2Project);
const { application: APP, deploymentGroup: GROUP } = names();
const words = (n: number) => `s3://${prefix}-artifacts/inventory-api/bundle-${n}.zip (version v${n})`;

function environmentOf(name: string): EnvironmentConfig {
  const found = ec2Project.environments.find((e) => e.name === name);
  if (found === undefined) throw new Error(`no environment ${name}`);
  return found;
}

describe('the EC2 kind', () => {
  const controller = KIND_CONTROLLERS.ec2;

  it('has one workload per EC2 application where the profile enables the kind, none elsewhere', () => {
    const dev = environmentOf('dev');
    expect(controller.workloads(ec2Project, dev)).toEqual([
      {
        kind: 'ec2',
        name: 'inventory-api',
        target: ec2Target(dev, { name: 'inventory-api' }, ec2Project.delivery?.account),
      },
    ]);
    expect(controller.workloads(ec2Project, environmentOf('prod'))).toEqual([]);
  });

  it('describes the fleet and deploys it through its CodeDeploy group', () => {
    for (const [env, how] of [
      ['dev', 'in-place, CodeDeployDefault.AllAtOnce'],
      ['staging', 'blue-green, CodeDeployDefault.HalfAtATime'],
    ] as const) {
      const where = environmentOf(env);
      const [workload] = controller.workloads(ec2Project, where);
      if (workload === undefined) throw new Error(`no EC2 workload in ${env}`);
      expect(controller.describe(workload.target)).toBe(
        `EC2 fleet ${prefix}-${env}-inventory-api-ec2 through ${names(env).application} / ${names(env).deploymentGroup} (${how})`,
      );
      expect(controller.deployment(workload, where)).toEqual({
        controller: 'codedeploy',
        group: {
          kind: 'ec2',
          name: 'inventory-api',
          application: names(env).application,
          deploymentGroup: names(env).deploymentGroup,
        },
      });
    }
  });

  it('lists its fleets in targets, where the kind is enabled, with no AWS call', async () => {
    const result = await run(['targets', '--kind', 'ec2', '--json']);
    expect(result.code).toBe(EXIT.ok);
    const entries = JSON.parse(result.stdout) as { environment: string; kind: string; name: string }[];
    expect(entries.map((e) => `${e.environment} ${e.kind} ${e.name}`)).toEqual([
      'dev ec2 inventory-api',
      'staging ec2 inventory-api',
    ]);
    const table = await run(['targets', '--env', 'dev']);
    expect(table.stdout).toContain(
      `dev          ec2       inventory-api   EC2 fleet ${prefix}-dev-inventory-api-ec2 through ${APP} / ${GROUP} (in-place, CodeDeployDefault.AllAtOnce)`,
    );
    expect(aws.calls()).toEqual([]);
  });

  describe('status', () => {
    beforeEach(() => {
      // Nothing else of dev is deployed: only the fleet answers.
      aws.mocks.lambda.on(GetAliasCommand).rejects(awsError('ResourceNotFoundException'));
      aws.mocks.ecs.on(DescribeServicesCommand).rejects(awsError('ClusterNotFoundException'));
      aws.mocks.codepipeline.on(ListPipelineExecutionsCommand).rejects(awsError('PipelineNotFoundException'));
      aws.mocks.cloudwatch.on(DescribeAlarmsCommand).resolves({
        CompositeAlarms: [
          { AlarmName: `${prefix}-dev-health`, StateValue: 'OK' },
          { AlarmName: names().healthAlarm, StateValue: 'ALARM' },
        ],
      });
      stubCanary(aws, []);
    });

    it("reads the group's Auto Scaling groups, its last deployments, the revision installed and the targets' health", async () => {
      const ok = deployment('d-OK', 'Succeeded', 2, 2, { completeTime: new Date('2026-12-02T00:10:00Z') });
      const running = deployment('d-RUN', 'InProgress', 3, 3);
      // Blue/green has replaced the stack's Auto Scaling group with CodeDeploy's copy.
      const copy = `CodeDeploy_${GROUP}_d-OK`;
      group(aws, { lastSuccessful: ok, lastAttempted: running, autoScalingGroups: [{ name: copy }] });
      deployments(aws, [ok, running], ['d-RUN']);
      targets(aws, [
        { Target: { Id: 'i-1' }, TargetHealth: { State: 'healthy' } },
        { Target: { Id: 'i-2' }, TargetHealth: { State: 'unhealthy', Reason: 'Target.FailedHealthChecks' } },
      ]);
      const result = (await status(context(aws, { project: ec2Project }), { env: 'dev' })) as StatusResult;
      expect(result.fleets).toEqual([
        {
          name: 'inventory-api',
          application: APP,
          deploymentGroup: GROUP,
          deployed: true,
          deploymentType: 'IN_PLACE',
          autoScalingGroups: [copy],
          lastSuccessful: {
            id: 'd-OK',
            status: 'Succeeded',
            created: '2026-12-02T00:00:00.000Z',
            ended: '2026-12-02T00:10:00.000Z',
            revision: revision(2),
          },
          lastAttempted: {
            id: 'd-RUN',
            status: 'InProgress',
            created: '2026-12-03T00:00:00.000Z',
            ended: undefined,
          },
          targetGroups: [
            {
              name: names().targetGroup,
              targets: [
                { id: 'i-1', state: 'healthy', reason: undefined },
                { id: 'i-2', state: 'unhealthy', reason: 'Target.FailedHealthChecks' },
              ],
            },
          ],
          health: { alarm: names().healthAlarm, state: 'ALARM' },
        },
      ]);
      expect(aws.mocks.codedeploy.commandCalls(GetDeploymentGroupCommand)[0]?.args[0].input).toEqual({
        applicationName: APP,
        deploymentGroupName: GROUP,
      });
      expect(aws.mocks.codedeploy.commandCalls(GetDeploymentCommand).map((c) => c.args[0].input)).toEqual([
        { deploymentId: 'd-OK' },
      ]);
      expect(formatStatus(result)).toContain(
        [
          'fleets:',
          `  inventory-api: ${words(2)}, deployed by d-OK (2026-12-02T00:10:00.000Z)`,
          '    health: ALARM',
          `    fleet: ${copy} (IN_PLACE)`,
          '    last attempted: d-RUN InProgress 2026-12-03T00:00:00.000Z',
          `    targets ${names().targetGroup}: 1 healthy (i-1), 1 unhealthy (i-2: Target.FailedHealthChecks)`,
        ].join('\n'),
      );
    });

    it('shows a fleet without a deployment group as not deployed', async () => {
      aws.mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
      aws.mocks.codedeploy
        .on(GetDeploymentGroupCommand)
        .rejects(awsError('DeploymentGroupDoesNotExistException'));
      const result = (await status(context(aws, { project: ec2Project }), { env: 'dev' })) as StatusResult;
      expect(formatStatus(result)).toContain(
        `fleets:\n  inventory-api: not deployed (no deployment group ${APP} / ${GROUP})`,
      );
    });

    it('lists its reads under --dry-run', async () => {
      const result = await run(['--dry-run', 'status', '--env', 'dev']);
      expect(result.stdout).toContain(
        `codedeploy GetDeploymentGroup {"applicationName":"${APP}","deploymentGroupName":"${GROUP}"}`,
      );
      expect(result.stdout).toContain('elbv2 DescribeTargetGroups');
      expect(aws.calls()).toEqual([]);
    });
  });

  describe('deployments', () => {
    beforeEach(() => {
      // dev's and staging's service deploy with Amazon ECS: no deployment of theirs.
      aws.mocks.ecs.on(ListServiceDeploymentsCommand).resolves({ serviceDeployments: [] });
      // No watcher judges these deployments.
      stubLooks(aws);
    });

    it("lists the group's deployments with their instances and revisions", async () => {
      const running = deployment('d-RUN', 'InProgress', 3, 3, {
        deploymentOverview: { Pending: 1, InProgress: 1, Succeeded: 0, Failed: 0, Skipped: 0, Ready: 0 },
      });
      const ok = deployment('d-OK', 'Succeeded', 2, 2, { deploymentOverview: { Succeeded: 2 } });
      deployments(aws, [running, ok], ['d-RUN']);
      aws.mocks.codedeploy.on(BatchGetDeploymentsCommand).resolves({ deploymentsInfo: [ok, running] });
      const result = await run(['deployments', 'list', '--env', 'dev']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(EXIT.ok);
      expect(result.stdout).toContain(
        [
          `ec2 inventory-api: ${APP} / ${GROUP} (CodeDeploy on its Auto Scaling group)`,
          `  d-RUN InProgress 2026-12-03T00:00:00.000Z — in progress; canary -; instances: 1 Pending, 1 InProgress; ${words(3)}`,
          `  d-OK Succeeded 2026-12-02T00:00:00.000Z — instances: 2 Succeeded; ${words(2)}`,
        ].join('\n'),
      );
    });

    it('says what a blue/green deployment waits for, and how to end the wait', async () => {
      const kept = deployment(
        'd-BG',
        'InProgress',
        3,
        3,
        { instanceTerminationWaitTimeStarted: true, deploymentOverview: { Succeeded: 2 } },
        'staging',
      );
      deployments(aws, [kept], ['d-BG']);
      aws.mocks.codedeploy.on(BatchGetDeploymentsCommand).resolves({ deploymentsInfo: [kept] });
      const result = await run(['deployments', 'list', '--env', 'staging']);
      expect(result.stdout).toContain(
        `  d-BG InProgress 2026-12-03T00:00:00.000Z — in progress; canary -; the green fleet serves, the blue one is kept: ias-ops deployments continue|stop d-BG --env staging; instances: 2 Succeeded; ${words(3)}`,
      );
    });

    it('stops the deployment in flight named by its deployment group (exit 3 once rolled back)', async () => {
      const running = deployment('d-RUN', 'InProgress', 3, 3);
      deployments(aws, [running], ['d-RUN']);
      aws.mocks.codedeploy.on(StopDeploymentCommand).resolves({ status: 'Pending' });
      aws.mocks.codedeploy
        .on(GetDeploymentCommand)
        .resolvesOnce({ deploymentInfo: running })
        .resolves({
          deploymentInfo: { ...running, status: 'Stopped', rollbackInfo: { rollbackDeploymentId: 'd-BACK' } },
        });
      const result = await run(['deployments', 'stop', GROUP, '--env', 'dev']);
      expect(result.code).toBe(EXIT.rolledBack);
      expect(aws.mocks.codedeploy.commandCalls(StopDeploymentCommand)[0]?.args[0].input).toEqual({
        deploymentId: 'd-RUN',
        autoRollbackEnabled: true,
      });
    });

    it("leaves the name to the service whose bundle the fleet runs: its Amazon ECS deployment, not the fleet's", async () => {
      deployments(aws, [deployment('d-RUN', 'InProgress', 3, 3)], ['d-RUN']);
      const result = await run(['deployments', 'stop', 'inventory-api', '--env', 'dev']);
      expect(result).toMatchObject({
        code: EXIT.unsafe,
        stderr: 'error: inventory-api has no deployment in progress in dev: there is nothing to act on\n',
      });
      expect(aws.mocks.ecs.commandCalls(ListServiceDeploymentsCommand)).toHaveLength(1);
      expect(aws.mocks.codedeploy.commandCalls(StopDeploymentCommand)).toHaveLength(0);
    });

    it('names the EC2 deployment groups among the names it takes', async () => {
      const result = await run(['deployments', 'continue', 'nope', '--env', 'dev']);
      expect(result.code).toBe(EXIT.badInput);
      expect(result.stderr).toContain(
        `nor a function, service or EC2 deployment group (allocate-order, import-stock, inventory-api, ${GROUP})`,
      );
    });
  });

  describe('ec2 rollback', () => {
    it('stops the deployment in flight with rollback and follows it (exit 0), recording nothing', async () => {
      const running = deployment('d-RUN', 'InProgress', 3, 3);
      creates(aws, running, [], ['d-RUN']);
      aws.mocks.codedeploy.on(GetDeploymentCommand).resolves({
        deploymentInfo: { ...running, status: 'Stopped', rollbackInfo: { rollbackDeploymentId: 'd-UNDO' } },
      });
      const result = await run(['ec2', 'rollback', 'inventory-api', '--env', 'dev']);
      expect(aws.calls()).toEqual([
        {
          command: 'codedeploy ListDeployments',
          input: { applicationName: APP, deploymentGroupName: GROUP, includeOnlyStatuses: IN_FLIGHT },
        },
        { command: 'codedeploy StopDeployment', input: { deploymentId: 'd-RUN', autoRollbackEnabled: true } },
        { command: 'codedeploy GetDeployment', input: { deploymentId: 'd-RUN' } },
      ]);
      expect(result.code).toBe(EXIT.ok);
      expect(result.stdout).toBe(
        `${GROUP}: deployment d-RUN stopped and rolled back (deployment d-RUN was stopped; rolled back by d-UNDO)\n`,
      );
    });

    it('deploys again the revision of the previous successful deployment that installed another, and records it', async () => {
      const d1 = deployment('d-1', 'Succeeded', 1, 1);
      const d2 = deployment('d-2', 'Succeeded', 2, 2);
      // d-3 deployed revision 3 too: the fleet ran it before d-4, so it is not a way back.
      const d3 = deployment('d-3', 'Succeeded', 3, 3);
      const d4 = deployment('d-4', 'Succeeded', 3, 4);
      const failed = deployment('d-5', 'Failed', 4, 5);
      group(aws, { lastSuccessful: d4, lastAttempted: failed });
      creates(aws, deployment('d-NEW', 'Succeeded', 2, 6), [d1, d2, d3, d4, failed]);
      ledger(aws, release(7, { id: 'd-4', n: 3 }));
      const result = await run(['ec2', 'rollback', 'inventory-api', '--env', 'dev']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(EXIT.ok);
      expect(aws.mocks.codedeploy.commandCalls(ListDeploymentsCommand).map((c) => c.args[0].input)).toEqual([
        { applicationName: APP, deploymentGroupName: GROUP, includeOnlyStatuses: IN_FLIGHT },
        { applicationName: APP, deploymentGroupName: GROUP, includeOnlyStatuses: ['Succeeded'] },
      ]);
      expect(aws.mocks.codedeploy.commandCalls(GetDeploymentCommand).map((c) => c.args[0].input)).toEqual([
        { deploymentId: 'd-4' },
        { deploymentId: 'd-3' },
        { deploymentId: 'd-2' },
        { deploymentId: 'd-NEW' },
      ]);
      expect(created(aws)).toEqual([
        {
          applicationName: APP,
          deploymentGroupName: GROUP,
          description: 'ias-ops ec2 rollback to d-2',
          revision: { revisionType: 'S3', s3Location: revision(2) },
        },
      ]);
      expect(result.stdout).toBe(
        [
          `inventory-api: rolled back from ${words(3)} to ${words(2)} by deployment d-NEW (deployment d-NEW succeeded)`,
          'recorded as release 8 of dev',
          '',
        ].join('\n'),
      );
      expect(written(aws)[0]).toMatchObject({
        source: 'cli',
        fleets: { 'inventory-api': { deploymentId: 'd-NEW', revision: revision(2) } },
      });
    });

    it('says so (exit 1) when the redeployment was itself rolled back, recording nothing', async () => {
      const d1 = deployment('d-1', 'Succeeded', 1, 1);
      const d2 = deployment('d-2', 'Succeeded', 2, 2);
      group(aws, { lastSuccessful: d2 });
      creates(
        aws,
        deployment('d-NEW', 'Failed', 1, 3, {
          errorInformation: { code: 'ALARM_ACTIVE', message: 'alarm' },
          rollbackInfo: { rollbackDeploymentId: 'd-BACK' },
        }),
        [d1, d2],
      );
      ledger(aws);
      const result = await run(['ec2', 'rollback', 'inventory-api', '--env', 'dev']);
      expect(result.code).toBe(EXIT.failed);
      expect(result.stdout).toContain(`the rollback from ${words(2)} to ${words(1)} was itself rolled back`);
      expect(aws.mocks.dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
    });

    it('refuses (exit 4) when no earlier successful deployment installed another revision, changing nothing', async () => {
      const d1 = deployment('d-1', 'Succeeded', 1, 1);
      const again = deployment('d-2', 'Succeeded', 1, 2);
      group(aws, { lastSuccessful: again });
      creates(aws, deployment('d-NEW', 'Succeeded', 1, 3), [d1, again]);
      const result = await run(['ec2', 'rollback', 'inventory-api', '--env', 'dev']);
      expect(result.code).toBe(EXIT.unsafe);
      expect(result.stderr).toBe(
        `error: ${GROUP} has no successful deployment before d-2 that installed another revision than ${words(1)} (the last 25 read): there is nothing earlier to roll back to\n`,
      );
      expect(created(aws)).toEqual([]);
    });

    it('refuses (exit 4) a group that never deployed successfully', async () => {
      group(aws, { lastAttempted: deployment('d-1', 'Failed', 1, 1) });
      creates(aws, deployment('d-NEW', 'Succeeded', 1, 3), []);
      const result = await run(['ec2', 'rollback', 'inventory-api', '--env', 'dev']);
      expect(result).toEqual({
        code: EXIT.unsafe,
        stdout: '',
        stderr: `error: ${GROUP} has no successful deployment: there is no earlier revision to roll back to\n`,
      });
      expect(created(aws)).toEqual([]);
    });

    it('fails with exit 2 on an unknown application, or an environment without EC2 applications', async () => {
      expect(await run(['ec2', 'rollback', 'nope', '--env', 'dev'])).toEqual({
        code: EXIT.badInput,
        stdout: '',
        stderr:
          'error: unknown EC2 application "nope": use one of inventory-api (service folders with an ec2.json)\n',
      });
      expect(await run(['ec2', 'rollback', 'inventory-api', '--env', 'prod'])).toEqual({
        code: EXIT.badInput,
        stdout: '',
        stderr:
          "error: prod runs no EC2 application: its profile's ec2.enabled is false (infra/lib/config/environments.ts)\n",
      });
      expect(aws.calls()).toEqual([]);
    });

    it('lists its calls under --dry-run, and makes none', async () => {
      const result = await run(['--dry-run', 'ec2', 'rollback', 'inventory-api', '--env', 'staging']);
      expect(result.code).toBe(EXIT.ok);
      expect(result.stdout.split('\n').map((l) => l.trim().split(' ').slice(0, 2).join(' '))).toEqual([
        'dry run:',
        'codedeploy ListDeployments',
        'codedeploy StopDeployment',
        'codedeploy GetDeploymentGroup',
        'codedeploy GetDeployment',
        'codedeploy ListDeployments',
        'codedeploy GetDeployment',
        'codedeploy CreateDeployment',
        'codedeploy GetDeployment',
        '',
      ]);
      expect(result.stdout).toContain(`"deploymentGroupName":"${names('staging').deploymentGroup}"`);
      expect(aws.calls()).toEqual([]);
    });
  });

  it('shows what each release recorded of the fleet', async () => {
    ledger(aws, release(7, { id: 'd-4', n: 3 }));
    const result = await run(['releases', '--env', 'dev']);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain(`  EC2 application inventory-api: ${words(3)} (deployment d-4)`);
  });

  describe('rollback --release', () => {
    /** Release 5 of dev recorded the fleet running revision 2 (deployed by d-2). */
    beforeEach(() => {
      aws.mocks.dynamodb.on(GetItemCommand).resolves({ Item: release(5, { id: 'd-2', n: 2 }) });
      ledger(aws, release(7, { id: 'd-4', n: 3 }));
    });

    it('deploys the recorded revision again where the group last installed another, and records it', async () => {
      const d4 = deployment('d-4', 'Succeeded', 3, 4);
      group(aws, { lastSuccessful: d4 });
      creates(aws, deployment('d-NEW', 'Succeeded', 2, 6), [deployment('d-2', 'Succeeded', 2, 2), d4]);
      const result = await run(['rollback', '--release', '5', '--env', 'dev']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(EXIT.ok);
      expect(created(aws)).toEqual([
        {
          applicationName: APP,
          deploymentGroupName: GROUP,
          description: 'ias-ops rollback to release 5',
          revision: { revisionType: 'S3', s3Location: revision(2) },
        },
      ]);
      expect(result.stdout).toContain(
        [
          'dev restored to release 5: 0 functions, 0 parameters, 0 secrets, 0 services, 1 EC2 application changed; 0 unchanged',
          `  EC2 application inventory-api: ${words(3)} → ${words(2)} (deployed again by d-NEW)`,
        ].join('\n'),
      );
      expect(written(aws)[0]).toMatchObject({
        fleets: { 'inventory-api': { deploymentId: 'd-NEW', revision: revision(2) } },
      });
    });

    it('leaves a fleet whose last successful deployment installed the recorded revision', async () => {
      const d2 = deployment('d-2', 'Succeeded', 2, 2);
      group(aws, { lastSuccessful: d2 });
      creates(aws, deployment('d-NEW', 'Succeeded', 2, 6), [d2]);
      const result = await run(['rollback', '--release', '5', '--env', 'dev']);
      expect(result.code).toBe(EXIT.ok);
      expect(result.stdout).toContain('unchanged: EC2 application inventory-api');
      expect(created(aws)).toEqual([]);
      expect(aws.mocks.dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
    });

    it('refuses (exit 4) while a deployment is in flight on the group, changing nothing', async () => {
      const d4 = deployment('d-4', 'Succeeded', 3, 4);
      group(aws, { lastSuccessful: d4 });
      creates(
        aws,
        deployment('d-NEW', 'Succeeded', 2, 6),
        [d4, deployment('d-RUN', 'InProgress', 4, 5)],
        ['d-RUN'],
      );
      const result = await run(['rollback', '--release', '5', '--env', 'dev']);
      expect(result.code).toBe(EXIT.unsafe);
      expect(result.stderr).toBe(
        `error: rollback to release 5 refused, nothing changed: deployment d-RUN of ${GROUP} is in progress: wait for it to end or stop it ("ias-ops deployments stop d-RUN --env dev")\n`,
      );
      expect(aws.mocks.codedeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
      expect(aws.mocks.dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
    });

    it("lists the fleets' calls under --dry-run", async () => {
      const result = await run(['--dry-run', 'rollback', '--release', '5', '--env', 'dev']);
      expect(result.code).toBe(EXIT.ok);
      expect(result.stdout).toContain('codedeploy GetDeploymentGroup');
      expect(result.stdout).toContain('"revisionType":"S3"');
      expect(aws.calls()).toEqual([]);
    });
  });
});
