import { ListDeploymentsCommand } from '@aws-sdk/client-codedeploy';
import {
  GetAliasCommand,
  GetFunctionCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { promote, publish, rollback, shift } from '../src/commands/lambda';
import { EXIT } from '../src/errors';
import { awsError, context, prefix, runMain, stubbedAws } from './helpers';

const FN = `${prefix}-dev-allocate-order`;
const IN_FLIGHT = {
  applicationName: `${FN}-app`,
  deploymentGroupName: `${FN}-group`,
  includeOnlyStatuses: ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'],
};
const args = { function: 'allocate-order', env: 'dev' };

/** UpdateAlias's input that points live at `version`, with `weights` of the traffic to other versions. */
const liveAt = (version: string, weights: Record<string, number> = {}) => ({
  FunctionName: FN,
  Name: 'live',
  FunctionVersion: version,
  RoutingConfig: { AdditionalVersionWeights: weights },
});

let aws: ReturnType<typeof stubbedAws>;
beforeEach(() => {
  aws = stubbedAws();
  aws.mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
  aws.mocks.lambda.on(GetFunctionCommand).resolves({});
  aws.mocks.lambda.on(GetAliasCommand).resolves({ FunctionVersion: '7' });
  aws.mocks.lambda.on(UpdateAliasCommand).resolves({});
});

describe('lambda publish', () => {
  it('publishes a version of the environment function, in the profile region', async () => {
    aws.mocks.lambda.on(PublishVersionCommand).resolves({ Version: '8' });
    const result = await publish(context(aws), args);
    expect(result).toEqual({
      environment: 'dev',
      functionName: FN,
      version: '8',
      summary: `published ${FN} version 8`,
    });
    expect(aws.calls()).toEqual([{ command: 'lambda PublishVersion', input: { FunctionName: FN } }]);
    expect(aws.regions).toEqual(['ap-northeast-1']);
  });

  it('fails with exit 1 naming the stack when the function is not deployed', async () => {
    aws.mocks.lambda.on(PublishVersionCommand).rejects(awsError('ResourceNotFoundException'));
    await expect(publish(context(aws), args)).rejects.toMatchObject({
      exitCode: EXIT.failed,
      message: expect.stringContaining(
        `deploy the environment (stack ${prefix}-dev-fn-allocate-order) first`,
      ),
    });
  });

  it('fails with exit 2 listing the functions for an unknown function', async () => {
    await expect(publish(context(aws), { function: 'nope', env: 'dev' })).rejects.toMatchObject({
      exitCode: EXIT.badInput,
      message: expect.stringContaining('use one of allocate-order, import-stock'),
    });
    expect(aws.calls()).toEqual([]);
  });

  it('fails with exit 2 listing the environments for an unknown or missing environment', async () => {
    await expect(publish(context(aws), { function: 'allocate-order', env: 'qa' })).rejects.toMatchObject({
      exitCode: EXIT.badInput,
      message: 'unknown environment "qa": use one of dev, staging, prod',
    });
    await expect(publish(context(aws), { function: 'allocate-order', env: undefined })).rejects.toMatchObject(
      {
        exitCode: EXIT.badInput,
        message: '--env is required: one of dev, staging, prod',
      },
    );
  });
});

describe('lambda shift', () => {
  it('sends the weight to the version, keeping the alias version (seed 000 routing-config)', async () => {
    const result = await shift(context(aws), { ...args, to: '8', weight: '10' });
    expect(aws.calls()).toEqual([
      { command: 'lambda GetFunction', input: { FunctionName: FN, Qualifier: '8' } },
      { command: 'lambda GetAlias', input: { FunctionName: FN, Name: 'live' } },
      {
        command: 'lambda UpdateAlias',
        input: liveAt('7', { '8': 0.1 }),
      },
      { command: 'codedeploy ListDeployments', input: IN_FLIGHT },
    ]);
    expect(result).toMatchObject({ version: '7', additionalVersionWeights: { '8': 0.1 }, changed: true });
  });

  it('fails as unsafe when the version does not exist, changing nothing', async () => {
    aws.mocks.lambda.on(GetFunctionCommand).rejects(awsError('ResourceNotFoundException'));
    await expect(shift(context(aws), { ...args, to: '9', weight: '10' })).rejects.toMatchObject({
      exitCode: EXIT.unsafe,
      message: expect.stringContaining(`version 9 of ${FN} does not exist`),
    });
    expect(aws.mocks.lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });

  it('fails as unsafe when the version already is the alias version', async () => {
    await expect(shift(context(aws), { ...args, to: '7', weight: '10' })).rejects.toMatchObject({
      exitCode: EXIT.unsafe,
      message: expect.stringContaining(`version 7 already is ${FN}:live's version`),
    });
    expect(aws.mocks.lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });

  it('fails as unsafe while a CodeDeploy deployment moves the alias', async () => {
    aws.mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-ABC'] });
    await expect(shift(context(aws), { ...args, to: '8', weight: '10' })).rejects.toMatchObject({
      exitCode: EXIT.unsafe,
      message: expect.stringContaining(
        `deployment d-ABC of ${prefix}-dev-allocate-order-group is in progress`,
      ),
    });
    expect(aws.mocks.lambda.calls()).toHaveLength(0);
  });

  it.each(['0', '100', '10.5', 'ten'])('fails with exit 2 for weight %s, making no call', async (weight) => {
    await expect(shift(context(aws), { ...args, to: '8', weight })).rejects.toMatchObject({
      exitCode: EXIT.badInput,
      message: expect.stringContaining('--weight must be a whole percent from 1 to 99'),
    });
    expect(aws.calls()).toEqual([]);
  });

  it.each(['$LATEST', '0', 'v8'])('fails with exit 2 for version %s', async (to) => {
    await expect(shift(context(aws), { ...args, to, weight: '10' })).rejects.toMatchObject({
      exitCode: EXIT.badInput,
    });
  });

  it('makes no call under --dry-run and lists the calls it would make', async () => {
    const result = await shift(context(aws, { dryRun: true }), { ...args, to: '8', weight: '25' });
    expect(aws.calls()).toEqual([]);
    expect(aws.regions).toEqual([]);
    expect(result).toEqual({
      dryRun: true,
      calls: [
        { service: 'codedeploy', command: 'ListDeployments', input: IN_FLIGHT },
        { service: 'lambda', command: 'GetFunction', input: { FunctionName: FN, Qualifier: '8' } },
        { service: 'lambda', command: 'GetAlias', input: { FunctionName: FN, Name: 'live' } },
        {
          service: 'lambda',
          command: 'UpdateAlias',
          input: liveAt('<FunctionVersion from GetAlias>', { '8': 0.25 }),
        },
      ],
    });
  });
});

describe('lambda promote', () => {
  it('sends all traffic to the version and clears the routing', async () => {
    aws.mocks.lambda.on(GetAliasCommand).resolves({
      FunctionVersion: '7',
      RoutingConfig: { AdditionalVersionWeights: { '8': 0.1 } },
    });
    const result = await promote(context(aws), { ...args, to: '8' });
    expect(aws.mocks.lambda.commandCalls(UpdateAliasCommand).map((c) => c.args[0].input)).toEqual([
      liveAt('8'),
    ]);
    expect(result).toMatchObject({ version: '8', additionalVersionWeights: {}, changed: true });
  });

  it('changes nothing when the alias already sends all traffic to the version', async () => {
    const result = await promote(context(aws), { ...args, to: '7' });
    expect(aws.mocks.lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0);
    expect(result).toMatchObject({
      changed: false,
      summary: `${FN}:live already sends all traffic to version 7`,
    });
  });

  it('fails as unsafe when the version does not exist', async () => {
    aws.mocks.lambda.on(GetFunctionCommand).rejects(awsError('ResourceNotFoundException'));
    await expect(promote(context(aws), { ...args, to: '12' })).rejects.toMatchObject({
      exitCode: EXIT.unsafe,
    });
    expect(aws.mocks.lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });
});

describe('lambda rollback', () => {
  it('clears a shift in progress back to the alias version', async () => {
    aws.mocks.lambda.on(GetAliasCommand).resolves({
      FunctionVersion: '7',
      RoutingConfig: { AdditionalVersionWeights: { '8': 0.1 } },
    });
    const result = await rollback(context(aws), args);
    expect(aws.mocks.lambda.commandCalls(ListVersionsByFunctionCommand)).toHaveLength(0);
    expect(aws.mocks.lambda.commandCalls(UpdateAliasCommand).map((c) => c.args[0].input)).toEqual([
      liveAt('7'),
    ]);
    expect(result).toMatchObject({
      version: '7',
      summary: expect.stringContaining('shift to version 8 cleared'),
    });
  });

  it('goes to the highest published version below the current one, across pages', async () => {
    aws.mocks.lambda
      .on(ListVersionsByFunctionCommand, { FunctionName: FN, Marker: undefined })
      .resolves({ Versions: [{ Version: '$LATEST' }, { Version: '3' }, { Version: '5' }], NextMarker: 'm1' })
      .on(ListVersionsByFunctionCommand, { FunctionName: FN, Marker: 'm1' })
      .resolves({ Versions: [{ Version: '6' }, { Version: '7' }, { Version: '8' }] });
    const result = await rollback(context(aws), args);
    expect(aws.mocks.lambda.commandCalls(ListVersionsByFunctionCommand)).toHaveLength(2);
    expect(aws.mocks.lambda.commandCalls(UpdateAliasCommand).map((c) => c.args[0].input)).toEqual([
      liveAt('6'),
    ]);
    expect(result).toMatchObject({ version: '6', summary: `${FN}:live: rolled back from version 7 to 6` });
  });

  it('fails as unsafe at the first version', async () => {
    aws.mocks.lambda.on(GetAliasCommand).resolves({ FunctionVersion: '1' });
    aws.mocks.lambda
      .on(ListVersionsByFunctionCommand)
      .resolves({ Versions: [{ Version: '$LATEST' }, { Version: '1' }] });
    await expect(rollback(context(aws), args)).rejects.toMatchObject({
      exitCode: EXIT.unsafe,
      message: expect.stringContaining('already at the first version (1)'),
    });
    expect(aws.mocks.lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });

  it('fails with exit 1 when the alias does not exist', async () => {
    aws.mocks.lambda.on(GetAliasCommand).rejects(awsError('ResourceNotFoundException'));
    await expect(rollback(context(aws), args)).rejects.toMatchObject({ exitCode: EXIT.failed });
  });
});

describe('lambda through main', () => {
  it('prints the result as JSON, and only that, on stdout', async () => {
    const run = await runMain(
      ['--json', 'lambda', 'shift', 'allocate-order', '--env', 'dev', '--to', '8', '--weight', '10'],
      aws,
    );
    expect(run.code).toBe(EXIT.ok);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      environment: 'dev',
      functionName: FN,
      alias: 'live',
      version: '7',
      additionalVersionWeights: { '8': 0.1 },
      changed: true,
      summary: `${FN}:live: 10 % to version 8, 90 % on version 7`,
    });
  });

  it('prints one error line and exits 4 when refused', async () => {
    aws.mocks.lambda.on(GetAliasCommand).resolves({ FunctionVersion: '1' });
    aws.mocks.lambda.on(ListVersionsByFunctionCommand).resolves({ Versions: [{ Version: '1' }] });
    const run = await runMain(['lambda', 'rollback', 'allocate-order', '--env', 'dev'], aws);
    expect(run.code).toBe(EXIT.unsafe);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `error: ${FN}:live is already at the first version (1): there is no previous version to roll back to\n`,
    );
  });

  it('maps a credentials failure of the SDK to exit 5', async () => {
    aws.mocks.lambda
      .on(PublishVersionCommand)
      .rejects(awsError('CredentialsProviderError', 'Could not load credentials from any providers'));
    const run = await runMain(['lambda', 'publish', 'allocate-order', '--env', 'dev'], aws);
    expect(run.code).toBe(EXIT.noCredentials);
    expect(run.stderr).toMatch(/^error: no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/);
  });

  it('exits 1 with the AWS error name for any other failure', async () => {
    aws.mocks.lambda.on(PublishVersionCommand).rejects(awsError('TooManyRequestsException', 'Rate exceeded'));
    const run = await runMain(['lambda', 'publish', 'allocate-order', '--env', 'dev'], aws);
    expect(run).toMatchObject({
      code: EXIT.failed,
      stderr: 'error: TooManyRequestsException: Rate exceeded\n',
    });
  });
});
