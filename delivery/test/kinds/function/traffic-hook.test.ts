import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  GetDeploymentTargetCommand,
  ListDeploymentTargetsCommand,
  PutLifecycleEventHookExecutionStatusCommand,
} from '@aws-sdk/client-codedeploy';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { beforeEach, describe, expect, it } from 'vitest';
import type { TrafficHookConfig } from '../../../src/kinds/function/traffic-hook.js';
import { readTrafficHookConfig, runTrafficHook } from '../../../src/kinds/function/traffic-hook.js';
import { clients, mocks, sent } from '../../aws.js';
import { awsError, CODEDEPLOY_HOOK_EVENT, hookStatuses, payload } from '../../support.js';

const { codedeploy: codedeployMock, lambda: lambdaMock, cloudwatch: cloudwatchMock, ssm: ssmMock } = mocks;
const event = CODEDEPLOY_HOOK_EVENT;
const pre: TrafficHookConfig = { phase: 'pre-traffic', smokeEventsPath: '/ias/dev/smoke-events/' };
const post: TrafficHookConfig = { phase: 'post-traffic', smokeEventsPath: '/ias/dev/smoke-events/' };
const smokeEvent = '{"smoke":true}';

const reported = () => hookStatuses(codedeployMock);

beforeEach(() => {
  codedeployMock.on(ListDeploymentTargetsCommand).resolves({ targetIds: ['ias-dev-allocate-order'] });
  codedeployMock.on(GetDeploymentTargetCommand).resolves({
    deploymentTarget: {
      deploymentTargetType: 'LambdaTarget',
      lambdaTarget: {
        lambdaFunctionInfo: {
          functionName: 'ias-dev-allocate-order',
          functionAlias: 'live',
          currentVersion: '7',
          targetVersion: '8',
        },
      },
    },
  });
  codedeployMock
    .on(PutLifecycleEventHookExecutionStatusCommand)
    .resolves({ lifecycleEventHookExecutionId: 'hook-1' });
  ssmMock.on(GetParameterCommand).resolves({ Parameter: { Value: smokeEvent } });
  lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload({ status: 'ok', checks: 3 }) });
  cloudwatchMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
});

describe('runTrafficHook, pre-traffic', () => {
  it('invokes the target version with the smoke event and reports Succeeded', async () => {
    const result = await runTrafficHook(clients, event, pre);

    expect(result).toEqual({
      status: 'Succeeded',
      reason: 'pre-traffic check of ias-dev-allocate-order version 8 passed',
    });
    expect(sent(codedeployMock, GetDeploymentTargetCommand)[0]).toEqual({
      deploymentId: 'd-ABC',
      targetId: 'ias-dev-allocate-order',
    });
    expect(sent(ssmMock, GetParameterCommand)[0]).toEqual({
      Name: '/ias/dev/smoke-events/ias-dev-allocate-order',
      WithDecryption: true,
    });
    const invoke = sent(lambdaMock, InvokeCommand)[0];
    expect(invoke?.FunctionName).toBe('ias-dev-allocate-order');
    expect(invoke?.Qualifier).toBe('8');
    expect(new TextDecoder().decode(invoke?.Payload as Uint8Array)).toBe(smokeEvent);
    expect(cloudwatchMock.calls()).toHaveLength(0);
    expect(reported()).toEqual([
      { deploymentId: 'd-ABC', lifecycleEventHookExecutionId: 'hook-1', status: 'Succeeded' },
    ]);
  });

  it('reports Failed with the error message when the function errors', async () => {
    lambdaMock.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: payload({ errorType: 'TypeError', errorMessage: 'Cannot read properties of undefined' }),
    });
    const result = await runTrafficHook(clients, event, pre);
    expect(result.status).toBe('Failed');
    expect(result.reason).toBe(
      'pre-traffic check of ias-dev-allocate-order version 8 failed: function error (Unhandled): TypeError: Cannot read properties of undefined',
    );
    expect(reported()).toEqual([expect.objectContaining({ status: 'Failed' })]);
  });

  it.each([
    ['a status other than ok', { status: 'degraded' }],
    ['no status', { allocated: 1 }],
    ['text that is not JSON', 'OK'],
  ])('reports Failed when the function answers %s', async (_, answer) => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload(answer) });
    const result = await runTrafficHook(clients, event, pre);
    expect(result.status).toBe('Failed');
    expect(result.reason).toContain('not JSON with status "ok"');
    expect(reported()).toEqual([expect.objectContaining({ status: 'Failed' })]);
  });

  it('reports Failed, and still reports it, when the invoke throws', async () => {
    lambdaMock.on(InvokeCommand).rejects(awsError('TooManyRequestsException', 'Rate exceeded'));
    const result = await runTrafficHook(clients, event, pre);
    expect(result).toEqual({
      status: 'Failed',
      reason:
        'pre-traffic check of ias-dev-allocate-order version 8 failed: invoke failed: TooManyRequestsException: Rate exceeded',
    });
    expect(reported()).toHaveLength(1);
  });

  it('reports Failed when the smoke event parameter is missing', async () => {
    ssmMock.on(GetParameterCommand).rejects(awsError('ParameterNotFound', ''));
    const result = await runTrafficHook(clients, event, pre);
    expect(result.status).toBe('Failed');
    expect(result.reason).toContain(
      'smoke event parameter /ias/dev/smoke-events/ias-dev-allocate-order does not exist',
    );
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
    expect(reported()).toEqual([expect.objectContaining({ status: 'Failed' })]);
  });

  it('reports Failed when the smoke event is not JSON', async () => {
    ssmMock.on(GetParameterCommand).resolves({ Parameter: { Value: 'smoke' } });
    const result = await runTrafficHook(clients, event, pre);
    expect(result.reason).toContain('does not hold JSON');
    expect(reported()).toEqual([expect.objectContaining({ status: 'Failed' })]);
  });

  it('reports Failed when the deployment has no Lambda target', async () => {
    codedeployMock.on(ListDeploymentTargetsCommand).resolves({ targetIds: [] });
    expect((await runTrafficHook(clients, event, pre)).reason).toContain('deployment d-ABC has no target');
    codedeployMock.on(ListDeploymentTargetsCommand).resolves({ targetIds: ['t'] });
    codedeployMock
      .on(GetDeploymentTargetCommand)
      .resolves({ deploymentTarget: { deploymentTargetType: 'ECSTarget' } });
    expect((await runTrafficHook(clients, event, pre)).reason).toContain('is not a Lambda function target');
    expect(reported()).toEqual([
      expect.objectContaining({ status: 'Failed' }),
      expect.objectContaining({ status: 'Failed' }),
    ]);
  });

  it('throws only when reporting the status fails', async () => {
    codedeployMock
      .on(PutLifecycleEventHookExecutionStatusCommand)
      .rejects(awsError('LifecycleEventAlreadyCompletedException', 'already completed'));
    await expect(runTrafficHook(clients, event, pre)).rejects.toThrow(
      /could not report Succeeded .* for hook hook-1 of deployment d-ABC: LifecycleEventAlreadyCompletedException/,
    );
    expect(reported()).toHaveLength(1);
  });
});

describe('runTrafficHook, post-traffic', () => {
  it('invokes the alias, finds no alarm in ALARM and reports Succeeded', async () => {
    const result = await runTrafficHook(clients, event, post);
    expect(result).toEqual({
      status: 'Succeeded',
      reason: 'post-traffic check of ias-dev-allocate-order:live (version 8) passed',
    });
    expect(sent(lambdaMock, InvokeCommand)[0]?.Qualifier).toBe('live');
    expect(sent(cloudwatchMock, DescribeAlarmsCommand)[0]).toEqual({
      AlarmNamePrefix: 'ias-dev-allocate-order-',
      StateValue: 'ALARM',
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    });
    expect(reported()).toEqual([expect.objectContaining({ status: 'Succeeded' })]);
  });

  it('reports Failed naming the alarms in ALARM', async () => {
    cloudwatchMock.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: 'ias-dev-allocate-order-throttles' },
        { AlarmName: 'ias-dev-allocate-order-errors' },
      ],
    });
    const result = await runTrafficHook(clients, event, post);
    expect(result).toEqual({
      status: 'Failed',
      reason:
        'post-traffic check of ias-dev-allocate-order:live (version 8) failed: alarms in ALARM: ias-dev-allocate-order-errors, ias-dev-allocate-order-throttles',
    });
    expect(reported()).toEqual([expect.objectContaining({ status: 'Failed' })]);
  });

  it('reports both a failed invoke and alarms', async () => {
    lambdaMock
      .on(InvokeCommand)
      .resolves({ FunctionError: 'Unhandled', Payload: payload({ errorMessage: 'db down' }) });
    cloudwatchMock
      .on(DescribeAlarmsCommand)
      .resolves({ CompositeAlarms: [{ AlarmName: 'ias-dev-allocate-order-health' }] });
    const result = await runTrafficHook(clients, event, post);
    expect(result.reason).toContain(
      'function error (Unhandled): db down; alarms in ALARM: ias-dev-allocate-order-health',
    );
  });

  it('reports Failed when the alarm check throws', async () => {
    cloudwatchMock
      .on(DescribeAlarmsCommand)
      .rejects(awsError('AccessDenied', 'no cloudwatch:DescribeAlarms'));
    const result = await runTrafficHook(clients, event, post);
    expect(result).toEqual({
      status: 'Failed',
      reason: 'post-traffic check failed: AccessDenied: no cloudwatch:DescribeAlarms',
    });
    expect(reported()).toEqual([expect.objectContaining({ status: 'Failed' })]);
  });
});

describe('readTrafficHookConfig', () => {
  it('reads the phase and the smoke events path', () => {
    expect(
      readTrafficHookConfig({ HOOK_PHASE: 'post-traffic', SMOKE_EVENTS_PATH: '/ias/dev/smoke-events/' }),
    ).toEqual(post);
  });

  it.each([
    [{ SMOKE_EVENTS_PATH: '/ias/dev/smoke-events/' }, 'HOOK_PHASE'],
    [{ HOOK_PHASE: 'during-traffic', SMOKE_EVENTS_PATH: '/ias/dev/smoke-events/' }, 'HOOK_PHASE'],
    [{ HOOK_PHASE: 'pre-traffic', SMOKE_EVENTS_PATH: '/ias/dev/smoke-events' }, 'SMOKE_EVENTS_PATH'],
    [{ HOOK_PHASE: 'pre-traffic' }, 'SMOKE_EVENTS_PATH'],
  ])('fails naming the bad variable in %j', (env, name) => {
    expect(() => readTrafficHookConfig(env)).toThrow(new RegExp(`^traffic hook misconfigured: ${name}: `));
  });
});
