import { CreateDeploymentCommand, ListDeploymentsCommand } from '@aws-sdk/client-codedeploy';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { GetAliasCommand, GetFunctionCommand, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import {
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { DescribeParametersCommand, GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { beforeEach, describe, expect, it } from 'vitest';
import { formatRestore, restoreRelease, type RestoreResult } from '../src/commands/restore';
import type { DryRunResult } from '../src/context';
import { EXIT } from '../src/errors';
import { awsError, context, prefix, runMain, stubbedAws } from './helpers';

const FN = `${prefix}-dev-allocate-order`;
const SVC = `${prefix}-dev-inventory-api`;
const TABLE = `${prefix}-dev-releases`;
const IN_FLIGHT = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'];
const RUNNING = `arn:aws:ecs:ap-northeast-1:123456789012:task-definition/${SVC}:9`;
const REGISTERED = `arn:aws:ecs:ap-northeast-1:123456789012:task-definition/${SVC}:10`;

/** Release 4 of dev: one function, one parameter, one secret, one service. */
const snapshot = {
  number: 4,
  at: '2026-11-20T00:00:00.000Z',
  by: 'CodePipeline job 1',
  source: 'pipeline',
  summary: 'deployment d-1 succeeded',
  functions: { [FN]: '5' },
  services: { [SVC]: { image: 'repo@sha256:old' } },
  parameters: { [`/${prefix}/dev/db/port`]: 2 },
  secrets: { [`/${prefix}/dev/db/password`]: 'v-old' },
};

const getItemCall = (n: number) => ({
  command: 'dynamodb GetItem',
  input: { TableName: TABLE, Key: { pk: { S: 'release' }, number: { N: String(n) } }, ConsistentRead: true },
});
const functionReads = [
  {
    command: 'codedeploy ListDeployments',
    input: {
      applicationName: `${FN}-app`,
      deploymentGroupName: `${FN}-group`,
      includeOnlyStatuses: IN_FLIGHT,
    },
  },
  { command: 'lambda GetAlias', input: { FunctionName: FN, Name: 'live' } },
];
const serviceReads = [
  { command: 'ecs DescribeServices', input: { cluster: `${prefix}-dev-cluster`, services: [SVC] } },
  { command: 'ecs DescribeTaskDefinition', input: { taskDefinition: RUNNING, include: ['TAGS'] } },
];

let aws: ReturnType<typeof stubbedAws>;

/** The ledger holds `release` (or nothing). */
function ledger(release: object | undefined) {
  aws.mocks.dynamodb
    .on(GetItemCommand)
    .resolves(
      release === undefined
        ? {}
        : { Item: { pk: { S: 'release' }, number: { N: '4' }, release: { S: JSON.stringify(release) } } },
    );
}

/** Everything as release 4 records, except what a test changes. */
beforeEach(() => {
  aws = stubbedAws();
  ledger(snapshot);
  aws.mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: [] });
  aws.mocks.lambda.on(GetAliasCommand).resolves({ FunctionVersion: '5' });
  aws.mocks.lambda.on(GetFunctionCommand).resolves({});
  aws.mocks.lambda.on(UpdateAliasCommand).resolves({});
  aws.mocks.ssm
    .on(GetParameterCommand)
    .resolves({ Parameter: { Name: `/${prefix}/dev/db/port`, Type: 'String', Value: '5432', Version: 2 } });
  aws.mocks.ssm.on(PutParameterCommand).resolves({ Version: 4 });
  aws.mocks.secrets.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { 'v-old': ['AWSCURRENT'] } });
  aws.mocks.secrets.on(UpdateSecretVersionStageCommand).resolves({});
  aws.mocks.ecs.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceName: SVC,
        status: 'ACTIVE',
        taskDefinition: RUNNING,
        deploymentController: { type: 'ECS' },
        deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }],
      },
    ],
  });
  runningImage('repo@sha256:old');
  aws.mocks.ecs
    .on(RegisterTaskDefinitionCommand)
    .resolves({ taskDefinition: { taskDefinitionArn: REGISTERED } });
  aws.mocks.ecs.on(UpdateServiceCommand).resolves({});
});

function runningImage(image: string) {
  aws.mocks.ecs.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: {
      taskDefinitionArn: RUNNING,
      family: SVC,
      revision: 9,
      status: 'ACTIVE',
      cpu: '256',
      containerDefinitions: [
        { name: 'inventory-api', image, essential: true },
        { name: 'log-router', image: 'fluent-bit' },
      ],
    },
    tags: [{ key: 'team', value: 'ops' }],
  });
}

const restore = () => restoreRelease(context(aws), { env: 'dev', release: '4' });
const writes = () =>
  aws
    .calls()
    .filter((c) =>
      /UpdateAlias|PutParameter|UpdateSecretVersionStage|RegisterTaskDefinition|UpdateService|CreateDeployment/.test(
        c.command,
      ),
    );

describe('rollback --release', () => {
  it('skips every item already as recorded, listing it as unchanged (exit 0)', async () => {
    const result = (await restore()) as RestoreResult;
    // aws.calls() groups by client (lambda, codedeploy, ecs, ssm, secrets, dynamodb).
    expect(aws.calls()).toEqual([
      functionReads[1],
      functionReads[0],
      ...serviceReads,
      { command: 'ssm GetParameter', input: { Name: `/${prefix}/dev/db/port`, WithDecryption: true } },
      { command: 'secrets DescribeSecret', input: { SecretId: `/${prefix}/dev/db/password` } },
      getItemCall(4),
    ]);
    expect(writes()).toEqual([]);
    expect(result.changed).toEqual({
      functions: [],
      parameters: [],
      secrets: [],
      services: [],
      applications: [],
      fleets: [],
    });
    expect(result.unchanged).toEqual({
      functions: [FN],
      parameters: [`/${prefix}/dev/db/port`],
      secrets: [`/${prefix}/dev/db/password`],
      services: [SVC],
      applications: [],
      fleets: [],
    });
    expect(result.summary).toBe('dev already is as release 4 records: nothing changed (4 items checked)');
    expect(aws.regions).toEqual(['ap-northeast-1']);
  });

  it('moves a function alias back to the recorded version, clearing its routing', async () => {
    aws.mocks.lambda
      .on(GetAliasCommand)
      .resolves({ FunctionVersion: '7', RoutingConfig: { AdditionalVersionWeights: { '8': 0.1 } } });
    const result = (await restore()) as RestoreResult;
    expect(aws.mocks.lambda.calls().map((c) => c.args[0].input)).toEqual([
      { FunctionName: FN, Name: 'live' },
      { FunctionName: FN, Qualifier: '5' },
      {
        FunctionName: FN,
        Name: 'live',
        FunctionVersion: '5',
        RoutingConfig: { AdditionalVersionWeights: {} },
      },
    ]);
    expect(writes().map((c) => c.command)).toEqual(['lambda UpdateAlias']);
    expect(result.changed.functions).toEqual([{ name: FN, from: '7 (shifting to 8)', to: '5' }]);
    expect(formatRestore(result)).toContain(`function ${FN}: version 7 (shifting to 8) → 5`);
  });

  it('writes the value of the recorded parameter version as a new version, of the same type, never printed', async () => {
    aws.mocks.ssm
      .on(GetParameterCommand, { Name: `/${prefix}/dev/db/port`, WithDecryption: true })
      .resolves({ Parameter: { Type: 'SecureString', Value: 'new-secret', Version: 3 } })
      .on(GetParameterCommand, { Name: `/${prefix}/dev/db/port:2`, WithDecryption: true })
      .resolves({ Parameter: { Type: 'SecureString', Value: 'old-secret', Version: 2 } });
    aws.mocks.ssm.on(DescribeParametersCommand).resolves({
      Parameters: [{ Name: `/${prefix}/dev/db/port`, KeyId: `alias/${prefix}-dev-key` }],
    });
    const result = (await restore()) as RestoreResult;
    expect(aws.mocks.ssm.calls().map((c) => c.args[0].input)).toEqual([
      { Name: `/${prefix}/dev/db/port`, WithDecryption: true },
      { Name: `/${prefix}/dev/db/port:2`, WithDecryption: true },
      { ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [`/${prefix}/dev/db/port`] }] },
      // Under the key it has now, not the account's default aws/ssm key.
      {
        Name: `/${prefix}/dev/db/port`,
        Value: 'old-secret',
        Type: 'SecureString',
        KeyId: `alias/${prefix}-dev-key`,
        Overwrite: true,
      },
    ]);
    expect(writes().map((c) => c.command)).toEqual(['ssm PutParameter']);
    expect(result.changed.parameters).toEqual([
      { name: `/${prefix}/dev/db/port`, from: 3, restored: 2, version: 4 },
    ]);
    const printed = `${formatRestore(result)}${JSON.stringify(result)}`;
    expect(printed).not.toContain('secret-');
    expect(formatRestore(result)).toContain(
      `parameter /${prefix}/dev/db/port: version 3 → value of version 2 (now version 4)`,
    );
  });

  it("moves a secret's AWSCURRENT back to the recorded version", async () => {
    aws.mocks.secrets
      .on(DescribeSecretCommand)
      .resolves({ VersionIdsToStages: { 'v-new': ['AWSCURRENT'], 'v-old': ['AWSPREVIOUS'] } });
    const result = (await restore()) as RestoreResult;
    expect(aws.mocks.secrets.calls().map((c) => c.args[0].input)).toEqual([
      { SecretId: `/${prefix}/dev/db/password` },
      {
        SecretId: `/${prefix}/dev/db/password`,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: 'v-old',
        RemoveFromVersionId: 'v-new',
      },
    ]);
    expect(writes().map((c) => c.command)).toEqual(['secrets UpdateSecretVersionStage']);
    expect(result.changed.secrets).toEqual([
      { name: `/${prefix}/dev/db/password`, from: 'v-new', to: 'v-old' },
    ]);
  });

  it('registers the running task definition with the recorded image and updates the service (ECS controller)', async () => {
    runningImage('repo@sha256:new');
    const result = (await restore()) as RestoreResult;
    expect(aws.mocks.ecs.calls().map((c) => c.args[0].input)).toEqual([
      serviceReads[0]?.input,
      serviceReads[1]?.input,
      {
        family: SVC,
        cpu: '256',
        containerDefinitions: [
          { name: 'inventory-api', image: 'repo@sha256:old', essential: true },
          { name: 'log-router', image: 'fluent-bit' },
        ],
        tags: [{ key: 'team', value: 'ops' }],
      },
      { cluster: `${prefix}-dev-cluster`, service: SVC, taskDefinition: REGISTERED },
    ]);
    expect(writes().map((c) => c.command)).toEqual(['ecs RegisterTaskDefinition', 'ecs UpdateService']);
    expect(aws.mocks.codedeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    expect(result.changed.services).toEqual([
      {
        name: SVC,
        from: 'repo@sha256:new',
        to: 'repo@sha256:old',
        taskDefinition: REGISTERED,
        action: 'updated-service',
        deploymentId: undefined,
      },
    ]);
    expect(result.summary).toBe(
      'dev restored to release 4: 0 functions, 0 parameters, 0 secrets, 1 service changed; 3 unchanged',
    );
  });

  it('rolls the new revision out with a CodeDeploy deployment under the CODE_DEPLOY controller', async () => {
    runningImage('repo@sha256:new');
    aws.mocks.ecs.on(DescribeServicesCommand).resolves({
      services: [
        { status: 'ACTIVE', taskDefinition: RUNNING, deploymentController: { type: 'CODE_DEPLOY' } },
      ],
    });
    aws.mocks.codedeploy.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-BACK' });
    const result = (await restore()) as RestoreResult;
    expect(writes().map((c) => c.command)).toEqual([
      'codedeploy CreateDeployment',
      'ecs RegisterTaskDefinition',
    ]);
    const create = aws.mocks.codedeploy.commandCalls(CreateDeploymentCommand)[0]?.args[0].input;
    expect(create).toMatchObject({
      applicationName: `${SVC}-app`,
      deploymentGroupName: `${SVC}-group`,
      description: 'ias-ops rollback to release 4',
    });
    expect(create?.revision?.appSpecContent?.content).toContain(REGISTERED);
    expect(result.changed.services[0]).toMatchObject({
      action: 'created-deployment',
      deploymentId: 'd-BACK',
    });
  });

  it('fails with exit 2 naming the problem when release N does not exist', async () => {
    ledger(undefined);
    const run = await runMain(['rollback', '--env', 'dev', '--release', '9'], aws);
    expect(run).toEqual({
      code: EXIT.badInput,
      stdout: '',
      stderr: `error: there is no release 9 in ${TABLE}: list them with \`releases\`\n`,
    });
    expect(aws.calls()).toEqual([getItemCall(9)]);
    const bad = await runMain(['rollback', '--env', 'dev', '--release', 'latest'], aws);
    expect(bad.code).toBe(EXIT.badInput);
    expect(bad.stderr).toContain('--release must be a release number such as 12 (got "latest")');
  });

  it('refuses the whole rollback (exit 4, no write) when a recorded function version is gone', async () => {
    aws.mocks.lambda.on(GetAliasCommand).resolves({ FunctionVersion: '7' });
    aws.mocks.lambda.on(GetFunctionCommand).rejects(awsError('ResourceNotFoundException'));
    // Other kinds differ too: nothing of them may change either.
    runningImage('repo@sha256:new');
    aws.mocks.secrets.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { 'v-new': ['AWSCURRENT'] } });
    const run = await runMain(['rollback', '--env', 'dev', '--release', '4'], aws);
    expect(run.code).toBe(EXIT.unsafe);
    expect(run.stderr).toBe(
      `error: rollback to release 4 refused, nothing changed: version 5 of ${FN} does not exist: publish one with "ias-ops lambda publish" and use the version it prints\n`,
    );
    expect(writes()).toEqual([]);
  });

  it('refuses (exit 4) a recorded secret version that no longer exists, and a deployment in flight', async () => {
    aws.mocks.secrets.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { 'v-new': ['AWSCURRENT'] } });
    aws.mocks.secrets.on(ListSecretVersionIdsCommand).resolves({ Versions: [{ VersionId: 'v-new' }] });
    await expect(restore()).rejects.toMatchObject({
      exitCode: EXIT.unsafe,
      message: `rollback to release 4 refused, nothing changed: version v-old of secret /${prefix}/dev/db/password no longer exists`,
    });
    aws.mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-RUN'] });
    await expect(restore()).rejects.toMatchObject({
      exitCode: EXIT.unsafe,
      message: expect.stringContaining(`deployment d-RUN of ${FN}-group is in progress`),
    });
    expect(writes()).toEqual([]);
  });

  it('makes no call under --dry-run, printing the reads and writes it would make', async () => {
    const run = await runMain(['--dry-run', 'rollback', '--env', 'dev', '--release', '4'], aws);
    expect(aws.calls()).toEqual([]);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain(
      `dynamodb GetItem {"TableName":"${TABLE}","Key":{"pk":{"S":"release"},"number":{"N":"4"}},"ConsistentRead":true}`,
    );
    const planned = await restoreRelease(context(aws, { dryRun: true }), { env: 'dev', release: '4' });
    expect(aws.calls()).toEqual([]);
    expect(planned).toMatchObject({ dryRun: true });
    expect((planned as DryRunResult).calls.map((c) => c.command)).toEqual([
      'GetItem',
      'ListDeployments',
      'GetAlias',
      'GetFunction',
      'GetParameter',
      'GetParameter',
      'DescribeParameters',
      'DescribeSecret',
      'DescribeServices',
      'DescribeTaskDefinition',
      'UpdateAlias',
      'PutParameter',
      'UpdateSecretVersionStage',
      'RegisterTaskDefinition',
      'UpdateService',
      'CreateDeployment',
    ]);
  });
});
