import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { PutJobFailureResultCommand } from '@aws-sdk/client-codepipeline';
import {
  BatchGetDeploymentTargetsCommand,
  ListDeploymentsCommand,
  ListDeploymentTargetsCommand,
  PutLifecycleEventHookExecutionStatusCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { createServer, type AddressInfo } from 'node:net';
import { mocks, sent } from './aws.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/**
 * Each test loads a handler module afresh (its clients and settings are read at load): the first
 * load of a handler's SDK clients takes seconds on a loaded 2-core runner, past vitest's 5.
 */
const HANDLER_LOAD_MS = 60_000;

const codepipelineMock = mocks.codepipeline;
const codedeployMock = mocks.codedeploy;

beforeEach(() => {
  vi.resetModules();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('pipeline-step handler', { timeout: HANDLER_LOAD_MS }, () => {
  it('reports a job whose UserParameters are missing as failed', async () => {
    codepipelineMock.on(PutJobFailureResultCommand).resolves({});
    const { handler } = await import('../src/handlers/pipeline-step.js');
    const outcome = await handler({
      'CodePipeline.job': {
        id: 'job-1',
        data: {
          actionConfiguration: { configuration: {} },
          inputArtifacts: [],
          outputArtifacts: [],
          artifactCredentials: { accessKeyId: 'a', secretAccessKey: 'b', sessionToken: 'c' },
        },
      },
    });
    expect(outcome).toMatchObject({ result: 'failed', jobId: 'job-1' });
    expect(codepipelineMock.commandCalls(PutJobFailureResultCommand)).toHaveLength(1);
  });

  it('throws on an event that is not a CodePipeline job', async () => {
    const { handler } = await import('../src/handlers/pipeline-step.js');
    await expect(handler({ Records: [] })).rejects.toThrow(/no job id/);
  });
});

describe('traffic-hook handler', { timeout: HANDLER_LOAD_MS }, () => {
  it('fails at load with a clear message when its environment is wrong', async () => {
    vi.stubEnv('HOOK_PHASE', 'sometime');
    vi.stubEnv('SMOKE_EVENTS_PATH', '/ias/dev/smoke-events/');
    await expect(import('../src/handlers/traffic-hook.js')).rejects.toThrow(
      /^traffic hook misconfigured: HOOK_PHASE: /,
    );
  });

  it('rejects an event that is not a lifecycle hook event, reporting nothing', async () => {
    vi.stubEnv('HOOK_PHASE', 'pre-traffic');
    vi.stubEnv('SMOKE_EVENTS_PATH', '/ias/dev/smoke-events/');
    const { handler } = await import('../src/handlers/traffic-hook.js');
    await expect(handler({ DeploymentId: 'd-ABC' })).rejects.toThrow(/LifecycleEventHookExecutionId/);
    expect(codedeployMock.commandCalls(PutLifecycleEventHookExecutionStatusCommand)).toHaveLength(0);
  });
});

describe('db-roles handler', { timeout: HANDLER_LOAD_MS }, () => {
  const MASTER = 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:/ias/dev/db/credentials-AbCdEf';
  const LOGIN_SECRET =
    'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:/ias/dev/db/inventory-api-login-AbCdEf';
  const closedPort = async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  };
  const create = (properties: Record<string, unknown>) =>
    ({
      RequestType: 'Create',
      ResourceProperties: {
        ServiceToken: 'test',
        Host: '127.0.0.1',
        Port: '5432',
        DatabaseName: 'inventory',
        OwnerRole: 'inventory_owner',
        AppRole: 'inventory_app',
        ...properties,
      },
    }) as never;

  it('refuses a login it could not provision before reading any secret, naming the property', async () => {
    vi.stubEnv('MASTER_SECRET_ARN', MASTER);
    const { handler } = await import('../src/handlers/db-roles.js');
    await expect(
      handler(create({ Logins: [{ Name: 'Inventory-API', SecretArn: LOGIN_SECRET }] })),
    ).rejects.toThrow(
      /^the custom resource's properties are invalid: Logins\.0\.Name: must be a lower-case PostgreSQL identifier/,
    );
    expect(mocks.secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('reads the master secret before connecting, and a login’s only once connected (to create it)', async () => {
    vi.stubEnv('MASTER_SECRET_ARN', MASTER);
    mocks.secrets.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ username: 'inventory_admin', password: 'master-pw' }),
    });
    const { handler } = await import('../src/handlers/db-roles.js');
    const event = create({
      Port: String(await closedPort()),
      Logins: [{ Name: 'inventory_api_login', SecretArn: LOGIN_SECRET }],
    });
    await expect(handler(event)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(mocks.secrets.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.SecretId)).toEqual([
      MASTER,
    ]);
  });

  it('names the secret, never its value, when it holds no password', async () => {
    vi.stubEnv('MASTER_SECRET_ARN', MASTER);
    mocks.secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: '{"username":"inventory_admin","pass":"hunter2"}' });
    const { handler } = await import('../src/handlers/db-roles.js');
    const error = await handler(create({})).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error?.message).toBe(`the secret ${MASTER} is not JSON with a username and a password`);
  });

  it('does nothing on Delete: the roles go with the cluster', async () => {
    vi.stubEnv('MASTER_SECRET_ARN', MASTER);
    const { handler } = await import('../src/handlers/db-roles.js');
    await expect(
      handler({
        RequestType: 'Delete',
        PhysicalResourceId: 'database-roles',
        ResourceProperties: {},
      } as never),
    ).resolves.toEqual({ PhysicalResourceId: 'database-roles' });
    expect(mocks.secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });
});

describe('canary-watcher handler', { timeout: HANDLER_LOAD_MS }, () => {
  it('refuses to start without its path and table, naming them', async () => {
    vi.stubEnv('CANARY_WATCH_PATH', '/ias/dev/canary-watch/');
    await expect(import('../src/handlers/canary-watcher.js')).rejects.toThrow(
      /the canary watcher is misconfigured: CANARY_WATCH_PATH: must be an SSM path such as \/ias\/dev\/canary-watch \(no trailing slash\).*RELEASES_TABLE: is required/,
    );
  });

  it('judges the groups its parameters describe, stops a failing deployment and keeps the look', async () => {
    vi.stubEnv('CANARY_WATCH_PATH', '/ias/dev/canary-watch');
    vi.stubEnv('RELEASES_TABLE', 'ias-dev-releases');
    const group = {
      kind: 'lambda',
      application: 'ias-dev-orders',
      deploymentGroup: 'ias-dev-orders-group',
      analysis: { judge: {}, bakeMinutes: 5, inconclusive: 'continue', earlyPromotion: true },
    };
    mocks.ssm.on(GetParametersByPathCommand).resolves({
      Parameters: [
        { Name: '/ias/dev/canary-watch/ias-dev-orders-group', Value: JSON.stringify(group) },
        { Name: '/ias/dev/canary-watch/broken', Value: '{' },
      ],
    });
    mocks.codedeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-AAAAAAAAA'] });
    mocks.codedeploy.on(ListDeploymentTargetsCommand).resolves({ targetIds: ['ias-dev-orders:live'] });
    const started = new Date(Date.now() - 6 * 60_000);
    mocks.codedeploy.on(BatchGetDeploymentTargetsCommand).resolves({
      deploymentTargets: [
        {
          lambdaTarget: {
            lambdaFunctionInfo: {
              functionName: 'ias-dev-orders',
              functionAlias: 'live',
              currentVersion: '6',
              targetVersion: '7',
            },
            lifecycleEvents: [
              { lifecycleEventName: 'AllowTraffic', status: 'InProgress', startTime: started },
            ],
          },
        },
      ],
    });
    mocks.cloudwatch.on(GetMetricDataCommand).callsFake((input: { StartTime: Date; EndTime: Date }) => {
      const times: Date[] = [];
      for (let t = input.StartTime.getTime(); t < input.EndTime.getTime(); t += 60_000)
        times.push(new Date(t));
      const series = (id: string, value: number) => ({
        Id: id,
        StatusCode: 'Complete' as const,
        Timestamps: times,
        Values: times.map(() => value),
      });
      return {
        MetricDataResults: [
          series('baseline_requests', 900),
          series('baseline_errors', 9),
          series('canary_requests', 100),
          series('canary_errors', 30),
        ],
      };
    });
    const { handler } = await import('../src/handlers/canary-watcher.js');
    const result = await handler({});
    expect(result).toEqual({ groups: 1, judged: 1, stopped: ['d-AAAAAAAAA'], errors: 1 });
    expect(sent(mocks.codedeploy, StopDeploymentCommand)).toEqual([
      { deploymentId: 'd-AAAAAAAAA', autoRollbackEnabled: true },
    ]);
    const [put] = sent(mocks.dynamodb, PutItemCommand);
    expect(put?.TableName).toBe('ias-dev-releases');
    expect(put?.Item?.pk).toEqual({ S: 'canary#d-AAAAAAAAA' });
  });
});
