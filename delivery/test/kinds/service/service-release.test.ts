import type { Stack, StackEvent } from '@aws-sdk/client-cloudformation';
import {
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import type { ParameterType } from '@aws-sdk/client-ssm';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ensureServiceDelivered,
  followServiceUpdate,
  recordServiceImage,
} from '../../../src/kinds/service/service-release.js';
import { clients, mocks, sent } from '../../aws.js';
import { awsError, fakeClock, rejectionOf } from '../../support.js';
import { IMAGE, SERVICE, serviceStack } from './support.js';

const { cloudformation: cfnMock, ssm: ssmMock } = mocks;

const { stackName, stackId, imageParameter } = SERVICE;
const input = { stackName, imageParameter, imageUri: IMAGE };
const OLD_IMAGE = IMAGE.replace(':3f2c1ab', ':0a0a0a0');

function stack(status: Stack['StackStatus'], resolved = 'none'): { Stacks: Stack[] } {
  return serviceStack(status, resolved, { ParameterKey: 'DesiredCount', ParameterValue: '2' });
}

function parameter(value: string, type: ParameterType = 'String') {
  return { Parameter: { Name: imageParameter, Type: type, Value: value } };
}

function puts(): unknown[] {
  return sent(ssmMock, PutParameterCommand);
}

function event(token: string | undefined, fields: Partial<StackEvent>): StackEvent {
  return {
    StackId: stackId,
    StackName: stackName,
    EventId: String(Math.random()),
    Timestamp: new Date(0),
    ClientRequestToken: token,
    ...fields,
  };
}

beforeEach(() => {
  cfnMock.on(DescribeStacksCommand, { StackName: stackName }).resolves(stack('CREATE_COMPLETE'));
  cfnMock.on(UpdateStackCommand).resolves({ StackId: stackId });
  ssmMock.on(GetParameterCommand).resolves(parameter('none'));
  ssmMock.on(PutParameterCommand).resolves({ Version: 2 });
});

describe('ensureServiceDelivered', () => {
  it('changes nothing when the service already runs a delivered image', async () => {
    cfnMock.on(DescribeStacksCommand).resolves(stack('UPDATE_COMPLETE', OLD_IMAGE));
    ssmMock.on(GetParameterCommand).resolves(parameter(OLD_IMAGE));

    await expect(ensureServiceDelivered(clients, input, fakeClock())).resolves.toEqual({
      action: 'already-delivered',
      previousImage: OLD_IMAGE,
    });
    expect(sent(cfnMock, DescribeStacksCommand)).toEqual([{ StackName: stackName }]);
    expect(sent(ssmMock, GetParameterCommand)).toEqual([{ Name: imageParameter }]);
    expect(puts()).toEqual([]);
    expect(cfnMock.commandCalls(UpdateStackCommand)).toHaveLength(0);
  });

  it('delivers the first image: writes the parameter, updates the stack as it was, waits for it', async () => {
    cfnMock
      .on(DescribeStacksCommand, { StackName: stackId })
      .resolvesOnce(stack('UPDATE_IN_PROGRESS'))
      .resolvesOnce(stack('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'))
      .resolves(stack('UPDATE_COMPLETE', IMAGE));
    const clock = fakeClock();

    await expect(ensureServiceDelivered(clients, input, clock)).resolves.toEqual({
      action: 'delivered-first',
      previousImage: undefined,
    });
    expect(puts()).toEqual([{ Name: imageParameter, Value: IMAGE, Overwrite: true }]);
    expect(sent(cfnMock, UpdateStackCommand)).toEqual([
      {
        StackName: stackName,
        UsePreviousTemplate: true,
        Parameters: [
          { ParameterKey: 'ImageUri', UsePreviousValue: true },
          { ParameterKey: 'DesiredCount', UsePreviousValue: true },
        ],
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
        ClientRequestToken: `deliver-first-image-${clock.now() - 20_000}`,
      },
    ]);
    // The parameter is written before the update that resolves it.
    const put = ssmMock.commandCalls(PutParameterCommand)[0]!;
    expect(put.calledBefore(cfnMock.commandCalls(UpdateStackCommand)[0]!)).toBe(true);
    expect(clock.sleeps).toEqual([10_000, 10_000]);
  });

  it('delivers again when the stack never took an image although the parameter holds one', async () => {
    // An earlier first delivery that timed out: the parameter was written, the stack resolved none.
    ssmMock.on(GetParameterCommand).resolves(parameter(OLD_IMAGE));
    cfnMock.on(DescribeStacksCommand, { StackName: stackId }).resolves(stack('UPDATE_COMPLETE', IMAGE));
    await expect(ensureServiceDelivered(clients, input, fakeClock())).resolves.toMatchObject({
      action: 'delivered-first',
    });
    expect(puts()).toEqual([{ Name: imageParameter, Value: IMAGE, Overwrite: true }]);
  });

  it('counts "No updates are to be performed" as delivered, without waiting', async () => {
    cfnMock.on(UpdateStackCommand).rejects(awsError('ValidationError', 'No updates are to be performed.'));
    const clock = fakeClock();
    await expect(ensureServiceDelivered(clients, input, clock)).resolves.toEqual({
      action: 'delivered-first',
      previousImage: undefined,
    });
    expect(clock.sleeps).toEqual([]);
    expect(puts()).toHaveLength(1);
  });

  it('fails SERVICE_MISSING, writing nothing, when the stack does not exist', async () => {
    cfnMock
      .on(DescribeStacksCommand)
      .rejects(awsError('ValidationError', `Stack with id ${stackName} does not exist`));
    expect(await rejectionOf(ensureServiceDelivered(clients, input, fakeClock()))).toBe(
      `SERVICE_MISSING: stack ${stackName} does not exist: deploy the infrastructure first (npx cdk deploy ${stackName}), then re-run`,
    );
    expect(ssmMock.calls()).toHaveLength(0);
  });

  it('fails SERVICE_MISSING when the image parameter does not exist', async () => {
    ssmMock.on(GetParameterCommand).rejects(awsError('ParameterNotFound', ''));
    expect(await rejectionOf(ensureServiceDelivered(clients, input, fakeClock()))).toBe(
      `SERVICE_MISSING: SSM parameter ${imageParameter} does not exist: deploy the infrastructure first (npx cdk deploy ${stackName}), it creates the parameter`,
    );
    expect(puts()).toEqual([]);
  });

  it('fails BAD_INPUT when the stack does not read its image from that parameter', async () => {
    const other = stack('CREATE_COMPLETE');
    other.Stacks[0]!.Parameters = [{ ParameterKey: 'ImageUri', ParameterValue: '/ias/dev/other/image' }];
    cfnMock.on(DescribeStacksCommand).resolves(other);
    expect(await rejectionOf(ensureServiceDelivered(clients, input, fakeClock()))).toBe(
      `BAD_INPUT: stack ${stackName} reads its image from SSM parameter /ias/dev/other/image, not ${imageParameter}: fix the step's imageParameter`,
    );
    other.Stacks[0]!.Parameters = [];
    expect(await rejectionOf(ensureServiceDelivered(clients, input, fakeClock()))).toMatch(
      /^BAD_INPUT: stack ias-dev-inventory-api has no ImageUri parameter: is it the service's stack\?/,
    );
    expect(ssmMock.calls()).toHaveLength(0);
  });

  it('fails BAD_INPUT when the image parameter is not a String', async () => {
    ssmMock.on(GetParameterCommand).resolves(parameter('none', 'SecureString'));
    expect(await rejectionOf(ensureServiceDelivered(clients, input, fakeClock()))).toMatch(
      /^BAD_INPUT: SSM parameter \/ias\/dev\/inventory-api\/image is a SecureString: the image parameter must be a String/,
    );
  });

  it('fails UPDATE_CONFLICT when the stack is busy, and STACK_FAILED when it needs repair', async () => {
    cfnMock.on(DescribeStacksCommand).resolves(stack('UPDATE_IN_PROGRESS'));
    expect(await rejectionOf(ensureServiceDelivered(clients, input, fakeClock()))).toBe(
      `UPDATE_CONFLICT: stack ${stackName} is UPDATE_IN_PROGRESS: let that operation finish, then re-run`,
    );
    cfnMock.on(DescribeStacksCommand).resolves(stack('UPDATE_ROLLBACK_FAILED'));
    expect(await rejectionOf(ensureServiceDelivered(clients, input, fakeClock()))).toBe(
      `STACK_FAILED: stack ${stackName} is in UPDATE_ROLLBACK_FAILED: continue the rollback (aws cloudformation continue-update-rollback --stack-name ${stackName}) or deploy the infrastructure, then re-run`,
    );
    cfnMock.on(DescribeStacksCommand).resolves(stack('ROLLBACK_COMPLETE'));
    expect(await rejectionOf(ensureServiceDelivered(clients, input, fakeClock()))).toMatch(
      /^STACK_FAILED: stack ias-dev-inventory-api is in ROLLBACK_COMPLETE: delete it /,
    );
    expect(puts()).toEqual([]);
  });

  it('fails STACK_FAILED with the first failed resource and sets the parameter back to none', async () => {
    cfnMock
      .on(DescribeStacksCommand, { StackName: stackId })
      .resolvesOnce(stack('UPDATE_IN_PROGRESS'))
      .resolves(stack('UPDATE_ROLLBACK_COMPLETE'));
    const clock = fakeClock();
    const token = `deliver-first-image-${clock.now()}`;
    cfnMock.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        event(token, {
          LogicalResourceId: stackName,
          ResourceType: 'AWS::CloudFormation::Stack',
          ResourceStatus: 'UPDATE_ROLLBACK_COMPLETE',
        }),
        event(token, {
          LogicalResourceId: 'Listener',
          ResourceType: 'AWS::ElasticLoadBalancingV2::ListenerRule',
          ResourceStatus: 'CREATE_FAILED',
          ResourceStatusReason: 'Resource creation cancelled',
        }),
        event(token, {
          LogicalResourceId: 'Service',
          ResourceType: 'AWS::ECS::Service',
          ResourceStatus: 'CREATE_FAILED',
          ResourceStatusReason: 'ECS Deployment Circuit Breaker was triggered',
        }),
        event(token, {
          LogicalResourceId: stackName,
          ResourceType: 'AWS::CloudFormation::Stack',
          ResourceStatus: 'UPDATE_IN_PROGRESS',
        }),
        // An older operation's failure is not this update's cause.
        event('older', {
          LogicalResourceId: 'Old',
          ResourceType: 'AWS::ECS::TaskDefinition',
          ResourceStatus: 'UPDATE_FAILED',
          ResourceStatusReason: 'old failure',
        }),
      ],
      NextToken: 'more',
    });

    expect(await rejectionOf(ensureServiceDelivered(clients, input, clock))).toBe(
      `STACK_FAILED: delivering the first image to stack ${stackName} failed (UPDATE_ROLLBACK_COMPLETE): Service (AWS::ECS::Service) CREATE_FAILED: ECS Deployment Circuit Breaker was triggered; SSM parameter ${imageParameter} is back to none; fix the cause and re-run`,
    );
    expect(puts()).toEqual([
      { Name: imageParameter, Value: IMAGE, Overwrite: true },
      { Name: imageParameter, Value: 'none', Overwrite: true },
    ]);
    // The update's events were all on the first page: no second page was read.
    expect(sent(cfnMock, DescribeStackEventsCommand)).toEqual([{ StackName: stackId, NextToken: undefined }]);
  });

  it('says so when setting the parameter back fails too', async () => {
    cfnMock.on(DescribeStacksCommand, { StackName: stackId }).resolves(stack('UPDATE_ROLLBACK_COMPLETE'));
    cfnMock.on(DescribeStackEventsCommand).resolves({ StackEvents: [] });
    ssmMock
      .on(PutParameterCommand)
      .resolvesOnce({ Version: 2 })
      .rejects(awsError('AccessDeniedException', 'not allowed'));
    expect(await rejectionOf(ensureServiceDelivered(clients, input, fakeClock()))).toBe(
      `STACK_FAILED: delivering the first image to stack ${stackName} failed (UPDATE_ROLLBACK_COMPLETE): no failed resource reported; setting SSM parameter ${imageParameter} back to none failed too (AccessDeniedException: not allowed): set it by hand before re-running; fix the cause and re-run`,
    );
  });

  it('fails STACK_FAILED and sets the parameter back when CloudFormation refuses the update', async () => {
    cfnMock
      .on(UpdateStackCommand)
      .rejects(
        awsError('InsufficientCapabilitiesException', 'Requires capabilities : [CAPABILITY_AUTO_EXPAND]'),
      );
    expect(await rejectionOf(ensureServiceDelivered(clients, input, fakeClock()))).toBe(
      `STACK_FAILED: could not update stack ${stackName} to deliver its first image: InsufficientCapabilitiesException: Requires capabilities : [CAPABILITY_AUTO_EXPAND]; SSM parameter ${imageParameter} is back to none`,
    );
    expect(puts()).toEqual([
      { Name: imageParameter, Value: IMAGE, Overwrite: true },
      { Name: imageParameter, Value: 'none', Overwrite: true },
    ]);
  });

  it('fails TIMED_OUT past the time-out, leaving the parameter for the update still running', async () => {
    cfnMock.on(DescribeStacksCommand, { StackName: stackId }).resolves(stack('UPDATE_IN_PROGRESS'));
    const clock = fakeClock();
    expect(
      await rejectionOf(
        ensureServiceDelivered(clients, input, { ...clock, timeoutMs: 60_000, pollMs: 15_000 }),
      ),
    ).toBe(
      `TIMED_OUT: stack ${stackName} still UPDATE_IN_PROGRESS after 1 min: follow it in the CloudFormation console and re-run once it settles`,
    );
    expect(clock.sleeps).toEqual([15_000, 15_000, 15_000, 15_000]);
    expect(puts()).toEqual([{ Name: imageParameter, Value: IMAGE, Overwrite: true }]);
  });

  it('fails BAD_INPUT on invalid input before any call', async () => {
    expect(
      await rejectionOf(
        ensureServiceDelivered(
          clients,
          { stackName: '1stack', imageParameter: 'a b', imageUri: 'nginx' },
          fakeClock(),
        ),
      ),
    ).toMatch(
      /^BAD_INPUT: invalid service delivery: stackName: must be a CloudFormation stack name; imageParameter: must be an SSM parameter name .*; imageUri: "nginx" is not an ECR image URI/,
    );
    expect(cfnMock.calls()).toHaveLength(0);
    expect(ssmMock.calls()).toHaveLength(0);
  });
});

describe('followServiceUpdate', () => {
  it('returns in-progress once its budget is spent', async () => {
    cfnMock.on(DescribeStacksCommand, { StackName: stackId }).resolves(stack('UPDATE_IN_PROGRESS'));
    const clock = fakeClock();
    const update = { stackName, stackId, requestToken: 't', imageParameter };
    await expect(
      followServiceUpdate(clients, update, {
        ...clock,
        deadline: clock.now() + 30 * 60_000,
        timeoutMs: 30 * 60_000,
        budgetMs: 60_000,
        pollMs: 10_000,
      }),
    ).resolves.toBe('in-progress');
    expect(clock.sleeps.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(60_000);
    expect(puts()).toEqual([]);
  });
});

describe('recordServiceImage', () => {
  it('writes the image to the parameter', async () => {
    await recordServiceImage(clients.ssm, { imageParameter, imageUri: IMAGE });
    expect(puts()).toEqual([{ Name: imageParameter, Value: IMAGE, Overwrite: true }]);
  });

  it('fails BAD_INPUT on the latest tag, writing nothing', async () => {
    expect(
      await rejectionOf(
        recordServiceImage(clients.ssm, { imageParameter, imageUri: IMAGE.replace(':3f2c1ab', ':latest') }),
      ),
    ).toMatch(/^BAD_INPUT: cannot record the service image: imageUri: ".*:latest" is tagged latest/);
    expect(puts()).toEqual([]);
  });
});
