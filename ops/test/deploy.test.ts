import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateDeploymentCommand,
  GetDeploymentCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { GetAliasCommand, PublishVersionCommand, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { renderAppSpec } from '@ias/delivery';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { deployLambda } from '../src/commands/deploy';
import { createContext } from '../src/context';
import { EXIT } from '../src/errors';
import { awsError, context, prefix, project, runMain, stubbedAws } from './helpers';

const FN = `${prefix}-dev-allocate-order`;
const dir = mkdtempSync(join(tmpdir(), 'ias-ops-deploy-'));
const ZIP = join(dir, 'allocate-order.zip');
const ZIP_BYTES = Buffer.from('PK\x03\x04 a deployment package', 'latin1');
writeFileSync(ZIP, ZIP_BYTES);
const NOT_ZIP = join(dir, 'handler.js');
writeFileSync(NOT_ZIP, 'export const handler = () => 1;\n');
const DESCRIPTION = 'ias-ops deploy lambda allocate-order.zip';
const HOOKS = {
  beforeAllowTraffic: `${prefix}-dev-pre-traffic-hook`,
  afterAllowTraffic: `${prefix}-dev-post-traffic-hook`,
};
const IN_PROGRESS = {
  applicationName: `${FN}-app`,
  deploymentGroupName: `${FN}-group`,
  includeOnlyStatuses: ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'],
};
const args = { function: 'allocate-order', env: 'dev', zip: ZIP };
const noWait = { sleep: async () => undefined };

let aws: ReturnType<typeof stubbedAws>;
beforeEach(() => {
  aws = stubbedAws();
  aws.mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
  aws.mocks.lambda.on(GetAliasCommand).resolves({ FunctionVersion: '7' });
  aws.mocks.lambda
    .on(UpdateFunctionCodeCommand)
    .resolves({ CodeSha256: 'sha', LastUpdateStatus: 'Successful', State: 'Active' });
  aws.mocks.lambda.on(PublishVersionCommand).resolves({ Version: '8' });
  aws.mocks.codedeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-NEW' });
  aws.mocks.codedeploy.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: 'Succeeded' } });
});

describe('deploy lambda', () => {
  it('checks the group, updates the code, publishes, deploys with the hooks and follows it', async () => {
    const result = await deployLambda(context(aws), args, noWait);
    expect(aws.calls()).toEqual([
      { command: 'lambda GetAlias', input: { FunctionName: FN, Name: 'live' } },
      { command: 'lambda UpdateFunctionCode', input: { FunctionName: FN, ZipFile: ZIP_BYTES } },
      {
        command: 'lambda PublishVersion',
        input: { FunctionName: FN, CodeSha256: 'sha', Description: DESCRIPTION },
      },
      { command: 'codedeploy ListDeployments', input: IN_PROGRESS },
      {
        command: 'codedeploy CreateDeployment',
        input: {
          applicationName: `${FN}-app`,
          deploymentGroupName: `${FN}-group`,
          revision: {
            revisionType: 'AppSpecContent',
            appSpecContent: {
              content: renderAppSpec({
                functionName: FN,
                alias: 'live',
                currentVersion: '7',
                targetVersion: '8',
                ...HOOKS,
              }),
            },
          },
          description: DESCRIPTION,
        },
      },
      { command: 'codedeploy GetDeployment', input: { deploymentId: 'd-NEW' } },
    ]);
    expect(aws.regions).toEqual(['ap-northeast-1']);
    expect(result).toEqual({
      environment: 'dev',
      functionName: FN,
      alias: 'live',
      application: `${FN}-app`,
      deploymentGroup: `${FN}-group`,
      currentVersion: '7',
      targetVersion: '8',
      deploymentId: 'd-NEW',
      outcome: 'succeeded',
      summary: `${FN}:live: version 7 → 8, deployment d-NEW succeeded`,
    });
  });

  it('follows a running deployment until it succeeds', async () => {
    aws.mocks.codedeploy
      .on(GetDeploymentCommand)
      .resolvesOnce({ deploymentInfo: { status: 'InProgress' } })
      .resolves({ deploymentInfo: { status: 'Succeeded' } });
    const slept: number[] = [];
    await deployLambda(context(aws), args, {
      pollMs: 10,
      sleep: async (ms) => {
        slept.push(ms);
      },
    });
    expect(aws.mocks.codedeploy.commandCalls(GetDeploymentCommand)).toHaveLength(2);
    expect(slept).toEqual([10]);
  });

  it('deploys nothing when the zip is the code the alias already runs', async () => {
    aws.mocks.lambda.on(PublishVersionCommand).resolves({ Version: '7' });
    const result = await deployLambda(context(aws), args, noWait);
    expect(aws.mocks.codedeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    expect(result).toMatchObject({ outcome: 'unchanged', deploymentId: undefined, targetVersion: '7' });
  });

  it('fails with exit 2 before any call when the zip does not exist', async () => {
    await expect(deployLambda(context(aws), { ...args, zip: join(dir, 'nope.zip') })).rejects.toMatchObject({
      exitCode: EXIT.badInput,
      message: `--zip ${join(dir, 'nope.zip')} does not exist: give the path of the function's deployment package (a .zip)`,
    });
    expect(aws.calls()).toEqual([]);
    expect(aws.regions).toEqual([]);
  });

  it('fails with exit 2 before any call when the file is not a zip', async () => {
    await expect(deployLambda(context(aws), { ...args, zip: NOT_ZIP })).rejects.toMatchObject({
      exitCode: EXIT.badInput,
      message: expect.stringContaining(`--zip ${NOT_ZIP} is not a zip (no PK header)`),
    });
    await expect(deployLambda(context(aws), { ...args, zip: dir })).rejects.toMatchObject({
      exitCode: EXIT.badInput,
      message: expect.stringContaining('cannot be read (EISDIR)'),
    });
    expect(aws.calls()).toEqual([]);
  });

  it('fails with exit 2 for an unknown function or environment, making no call', async () => {
    await expect(deployLambda(context(aws), { ...args, function: 'nope' })).rejects.toMatchObject({
      exitCode: EXIT.badInput,
    });
    await expect(deployLambda(context(aws), { ...args, env: 'qa' })).rejects.toMatchObject({
      exitCode: EXIT.badInput,
    });
    expect(aws.calls()).toEqual([]);
  });

  it('refuses (exit 4) while another deployment of the group is in progress, changing nothing', async () => {
    aws.mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-OTHER'] });
    await expect(deployLambda(context(aws), args, noWait)).rejects.toMatchObject({
      exitCode: EXIT.unsafe,
      message: `deployment d-OTHER of ${FN}-group is in progress: wait for it to end or stop it ("ias-ops deployments stop d-OTHER --env dev"), then deploy again`,
    });
    expect(aws.calls()).toEqual([{ command: 'codedeploy ListDeployments', input: IN_PROGRESS }]);
  });

  it('exits 3 when the deployment was stopped and rolled back', async () => {
    aws.mocks.codedeploy.on(GetDeploymentCommand).resolves({
      deploymentInfo: {
        status: 'Stopped',
        errorInformation: { code: 'ALARM_ACTIVE', message: 'alarm errors' },
        rollbackInfo: { rollbackDeploymentId: 'd-BACK' },
      },
    });
    await expect(deployLambda(context(aws), args, noWait)).rejects.toMatchObject({
      exitCode: EXIT.rolledBack,
      message: 'deployment d-NEW stopped on alarm (ALARM_ACTIVE: alarm errors); rolled back by d-BACK',
    });
  });

  it('exits 1 when the deployment failed without rollback', async () => {
    aws.mocks.codedeploy.on(GetDeploymentCommand).resolves({
      deploymentInfo: {
        status: 'Failed',
        errorInformation: { code: 'HOOK_EXECUTION_FAILURE', message: 'hook failed' },
      },
    });
    await expect(deployLambda(context(aws), args, noWait)).rejects.toMatchObject({
      exitCode: EXIT.failed,
      message: 'deployment d-NEW failed (HOOK_EXECUTION_FAILURE: hook failed)',
    });
  });

  it('exits 1 when the deployment timed out (stopped with rollback by the follower)', async () => {
    aws.mocks.codedeploy.on(GetDeploymentCommand).resolves({ deploymentInfo: { status: 'InProgress' } });
    aws.mocks.codedeploy.on(StopDeploymentCommand).resolves({ status: 'Pending' });
    let t = 0;
    await expect(
      deployLambda(context(aws), args, {
        sleep: async () => undefined,
        now: () => (t += 60 * 60_000),
      }),
    ).rejects.toMatchObject({
      exitCode: EXIT.failed,
      message: 'deployment d-NEW still running after 90 min: stopped it with rollback',
    });
    expect(aws.mocks.codedeploy.commandCalls(StopDeploymentCommand)[0]?.args[0].input).toEqual({
      deploymentId: 'd-NEW',
      autoRollbackEnabled: true,
    });
  });

  it('refuses (exit 4) an alias mid-shift before updating the code', async () => {
    aws.mocks.lambda
      .on(GetAliasCommand)
      .resolves({ FunctionVersion: '7', RoutingConfig: { AdditionalVersionWeights: { '8': 0.1 } } });
    await expect(deployLambda(context(aws), args, noWait)).rejects.toMatchObject({
      exitCode: EXIT.unsafe,
      message: expect.stringContaining('is mid-shift (version 8 at 10 %)'),
    });
    expect(aws.mocks.lambda.commandCalls(UpdateFunctionCodeCommand)).toHaveLength(0);
  });

  it('exits 1 naming the missing function', async () => {
    aws.mocks.lambda.on(GetAliasCommand).rejects(awsError('ResourceNotFoundException', 'Function not found'));
    await expect(deployLambda(context(aws), args, noWait)).rejects.toMatchObject({
      exitCode: EXIT.failed,
      message: expect.stringContaining(`function ${FN} does not exist`),
    });
  });

  it('makes no call under --dry-run and lists the calls it would make', async () => {
    const result = await deployLambda(context(aws, { dryRun: true }), args);
    expect(aws.calls()).toEqual([]);
    expect(aws.regions).toEqual([]);
    expect(result).toMatchObject({ dryRun: true });
    const calls = (result as unknown as { calls: { service: string; command: string; input: unknown }[] })
      .calls;
    expect(calls.map((c) => `${c.service} ${c.command}`)).toEqual([
      'codedeploy ListDeployments',
      'lambda GetAlias',
      'lambda UpdateFunctionCode',
      'lambda PublishVersion',
      'codedeploy CreateDeployment',
      'codedeploy GetDeployment',
    ]);
    expect(calls[0]?.input).toEqual(IN_PROGRESS);
    expect(calls[2]?.input).toEqual({ FunctionName: FN, ZipFile: `<${ZIP_BYTES.length} bytes of ${ZIP}>` });
  });

  it('still validates the zip under --dry-run', async () => {
    await expect(
      deployLambda(context(aws, { dryRun: true }), { ...args, zip: NOT_ZIP }),
    ).rejects.toMatchObject({ exitCode: EXIT.badInput });
  });

  it('runs its steps under listr2 progress (on stderr) too', async () => {
    const ctx = createContext({ project, clients: aws.factory, progress: true });
    let stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr += String(chunk);
      return true;
    });
    await expect(deployLambda(ctx, args, noWait)).resolves.toMatchObject({ outcome: 'succeeded' });
    aws.mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-OTHER'] });
    await expect(deployLambda(ctx, args, noWait)).rejects.toMatchObject({ exitCode: EXIT.unsafe });
    vi.restoreAllMocks();
    expect(stderr).toContain('deployment d-NEW succeeded');
    expect(stderr).toContain('[FAILED: deployment d-OTHER');
  });
});

describe('deploy lambda through main', () => {
  it('prints the result as JSON, records it as the next release of the ledger, and exits 0', async () => {
    aws.mocks.sts.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:iam::1:user/ops' });
    aws.mocks.ssm.on(GetParametersByPathCommand).resolves({});
    aws.mocks.secrets.on(ListSecretsCommand).resolves({});
    aws.mocks.dynamodb.on(QueryCommand).resolves({ Items: [] });
    aws.mocks.dynamodb.on(PutItemCommand).resolves({});
    const run = await runMain(
      ['--json', 'deploy', 'lambda', 'allocate-order', '--env', 'dev', '--zip', ZIP],
      aws,
    );
    expect(run.code).toBe(EXIT.ok);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({
      deploymentId: 'd-NEW',
      outcome: 'succeeded',
      ledger: { release: 1 },
    });
    const put = aws.mocks.dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(put?.TableName).toBe(`${prefix}-dev-releases`);
    expect(JSON.parse(put?.Item?.release?.S ?? '{}')).toMatchObject({
      source: 'cli',
      by: 'arn:aws:iam::1:user/ops',
    });
  });

  it("records the workflow run and the commit it was given as the release's provenance", async () => {
    aws.mocks.ssm.on(GetParametersByPathCommand).resolves({});
    aws.mocks.secrets.on(ListSecretsCommand).resolves({});
    aws.mocks.dynamodb.on(QueryCommand).resolves({ Items: [] });
    aws.mocks.dynamodb.on(PutItemCommand).resolves({});
    const by = 'https://github.com/o/r/actions/runs/1';
    const run = await runMain(
      [
        ...['--json', 'deploy', 'lambda', 'allocate-order', '--env', 'dev', '--zip', ZIP],
        ...['--source', 'workflow', '--by', by, '--commit', 'abc1234'],
      ],
      aws,
    );
    expect(run.code).toBe(EXIT.ok);
    const put = aws.mocks.dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(JSON.parse(put?.Item?.release?.S ?? '{}')).toMatchObject({
      source: 'workflow',
      by,
      commit: 'abc1234',
    });
    // Who the caller is was given, so it is not asked.
    expect(aws.mocks.sts.commandCalls(GetCallerIdentityCommand)).toEqual([]);
  });

  it('exits 2 on an unknown --source before any call', async () => {
    const run = await runMain(
      ['deploy', 'lambda', 'allocate-order', '--env', 'dev', '--zip', ZIP, '--source', 'laptop'],
      aws,
    );
    expect(run).toMatchObject({
      code: EXIT.badInput,
      stderr: 'error: --source must be one of pipeline, workflow, cli, got "laptop"\n',
    });
    expect(aws.calls()).toEqual([]);
  });

  it('still succeeds, with one warning, when the ledger cannot be written', async () => {
    const run = await runMain(
      ['--json', 'deploy', 'lambda', 'allocate-order', '--env', 'dev', '--zip', ZIP],
      aws,
    );
    expect(run.code).toBe(EXIT.ok);
    expect(run.stderr).toMatch(
      new RegExp(`^warning: the change is made, but it was not recorded in ${prefix}-dev-releases \\(`),
    );
  });

  it('prints one error line and exits 3 when rolled back', async () => {
    aws.mocks.codedeploy.on(GetDeploymentCommand).resolves({
      deploymentInfo: { status: 'Stopped', rollbackInfo: { rollbackDeploymentId: 'd-BACK' } },
    });
    const run = await runMain(['deploy', 'lambda', 'allocate-order', '--env', 'dev', '--zip', ZIP], aws);
    expect(run).toEqual({
      code: EXIT.rolledBack,
      stdout: '',
      stderr: 'error: deployment d-NEW was stopped; rolled back by d-BACK\n',
    });
  });

  it('exits 2 on a bad zip and 0 on a dry run, making no call', async () => {
    const bad = await runMain(['deploy', 'lambda', 'allocate-order', '--env', 'dev', '--zip', NOT_ZIP], aws);
    expect(bad.code).toBe(EXIT.badInput);
    const dry = await runMain(
      ['--dry-run', 'deploy', 'lambda', 'allocate-order', '--env', 'dev', '--zip', ZIP],
      aws,
    );
    expect(dry.code).toBe(EXIT.ok);
    expect(dry.stdout).toMatch(
      /^dry run: 6 AWS calls would be made, none was:\n {2}codedeploy ListDeployments /,
    );
    expect(aws.calls()).toEqual([]);
  });

  it('exits 2 when --zip is missing', async () => {
    const run = await runMain(['deploy', 'lambda', 'allocate-order', '--env', 'dev'], aws);
    expect(run.code).toBe(EXIT.badInput);
    expect(run.stderr).toContain("required option '--zip <path>' not specified");
  });
});
