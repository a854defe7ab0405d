import {
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import type { Stack, StackEvent } from '@aws-sdk/client-cloudformation';
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { describe, expect, it, vi } from 'vitest';
import { ensureFunction } from '../../../src/kinds/function/check-function.js';
import { clients, mocks, sent } from '../../aws.js';
import { awsError, describedStack, fakeClock, stackArn } from '../../support.js';

const { lambda: lambdaMock, cloudformation: cfnMock } = mocks;

const stackId = stackArn('ias-dev-allocate-order');
const notFound = awsError('ResourceNotFoundException', 'Function not found: ias-dev-allocate-order');
const noStack = awsError('ValidationError', 'Stack with id ias-dev-allocate-order does not exist');

function stack(status: Stack['StackStatus']): { Stacks: Stack[] } {
  return describedStack('ias-dev-allocate-order', status);
}

/** A stack event of the function's stack, `time` ms after the epoch. */
function stackEvent(
  eventId: string,
  time: number,
  fields: Omit<StackEvent, 'StackId' | 'StackName' | 'EventId' | 'Timestamp'>,
): StackEvent {
  return { ...fields, StackId: stackId, StackName: 'x', EventId: eventId, Timestamp: new Date(time) };
}

function options(clock = fakeClock()) {
  return {
    lambda: clients.lambda,
    cloudformation: clients.cloudformation,
    functionName: 'ias-dev-allocate-order',
    stackName: 'ias-dev-allocate-order',
    template: vi.fn(() => Promise.resolve({ body: '{"Resources":{}}' })),
    ...clock,
  };
}

describe('ensureFunction', () => {
  it('reports an existing function without reading the stack or the template', async () => {
    lambdaMock.on(GetFunctionCommand).resolves({ Configuration: { FunctionName: 'ias-dev-allocate-order' } });
    const opts = options();
    await expect(ensureFunction(opts)).resolves.toEqual({
      status: 'exists',
      functionName: 'ias-dev-allocate-order',
      stackName: 'ias-dev-allocate-order',
    });
    expect(opts.template).not.toHaveBeenCalled();
    expect(cfnMock.calls()).toHaveLength(0);
  });

  it('creates the missing stack, waits for CREATE_COMPLETE and checks the function again', async () => {
    lambdaMock.on(GetFunctionCommand).rejectsOnce(notFound).resolves({});
    cfnMock.on(DescribeStacksCommand, { StackName: 'ias-dev-allocate-order' }).rejects(noStack);
    cfnMock.on(CreateStackCommand).resolves({ StackId: stackId });
    cfnMock
      .on(DescribeStacksCommand, { StackName: stackId })
      .resolvesOnce(stack('CREATE_IN_PROGRESS'))
      .resolves(stack('CREATE_COMPLETE'));
    const clock = fakeClock();

    const result = await ensureFunction({
      ...options(clock),
      roleArn: 'arn:aws:iam::123456789012:role/cfn-exec',
      tags: { project: 'ias', environment: 'dev' },
    });

    expect(result.status).toBe('created');
    expect(sent(cfnMock, CreateStackCommand)[0]).toEqual({
      StackName: 'ias-dev-allocate-order',
      TemplateBody: '{"Resources":{}}',
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
      RoleARN: 'arn:aws:iam::123456789012:role/cfn-exec',
      OnFailure: 'DELETE',
      Tags: [
        { Key: 'project', Value: 'ias' },
        { Key: 'environment', Value: 'dev' },
      ],
    });
    expect(cfnMock.commandCalls(DescribeStacksCommand, { StackName: stackId })).toHaveLength(2);
    expect(clock.sleeps).toEqual([10_000]);
    expect(lambdaMock.commandCalls(GetFunctionCommand)).toHaveLength(2);
  });

  it('creates the stack from a template URL', async () => {
    lambdaMock.on(GetFunctionCommand).rejectsOnce(notFound).resolves({});
    cfnMock.on(DescribeStacksCommand, { StackName: 'ias-dev-allocate-order' }).rejects(noStack);
    cfnMock.on(CreateStackCommand).resolves({ StackId: stackId });
    cfnMock.on(DescribeStacksCommand, { StackName: stackId }).resolves(stack('CREATE_COMPLETE'));
    const url = 'https://s3.ap-northeast-1.amazonaws.com/assets/template.json';
    await ensureFunction({ ...options(), template: () => Promise.resolve({ url }) });
    const input = sent(cfnMock, CreateStackCommand)[0];
    expect(input?.TemplateURL).toBe(url);
    expect(input?.TemplateBody).toBeUndefined();
  });

  it('fails STACK_FAILED naming the first resource that failed and its reason', async () => {
    lambdaMock.on(GetFunctionCommand).rejects(notFound);
    cfnMock.on(DescribeStacksCommand, { StackName: 'ias-dev-allocate-order' }).rejects(noStack);
    cfnMock.on(CreateStackCommand).resolves({ StackId: stackId });
    cfnMock
      .on(DescribeStacksCommand, { StackName: stackId })
      .resolvesOnce(stack('CREATE_IN_PROGRESS'))
      .resolvesOnce(stack('DELETE_IN_PROGRESS'))
      .resolves(stack('DELETE_COMPLETE'));
    // Newest first, as CloudFormation lists them.
    cfnMock.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        stackEvent('5', 5, {
          LogicalResourceId: 'ias-dev-allocate-order',
          ResourceType: 'AWS::CloudFormation::Stack',
          ResourceStatus: 'DELETE_COMPLETE',
        }),
        stackEvent('4b', 4, {
          LogicalResourceId: 'Logs',
          ResourceType: 'AWS::Logs::LogGroup',
          ResourceStatus: 'DELETE_FAILED',
          ResourceStatusReason: 'a later failure, not the cause',
        }),
        stackEvent('4', 4, {
          LogicalResourceId: 'ias-dev-allocate-order',
          ResourceType: 'AWS::CloudFormation::Stack',
          ResourceStatus: 'CREATE_FAILED',
          ResourceStatusReason: 'The following resource(s) failed to create: [Queue, Role].',
        }),
        stackEvent('3', 3, {
          LogicalResourceId: 'Queue',
          ResourceType: 'AWS::SQS::Queue',
          ResourceStatus: 'CREATE_FAILED',
          ResourceStatusReason: 'Resource creation cancelled',
        }),
        stackEvent('2', 2, {
          LogicalResourceId: 'Role',
          ResourceType: 'AWS::IAM::Role',
          ResourceStatus: 'CREATE_FAILED',
          ResourceStatusReason: 'ias-dev-allocate-order-role already exists',
        }),
        stackEvent('1', 1, {
          LogicalResourceId: 'Role',
          ResourceType: 'AWS::IAM::Role',
          ResourceStatus: 'CREATE_IN_PROGRESS',
        }),
      ],
    });

    await expect(ensureFunction(options())).rejects.toMatchObject({
      code: 'STACK_FAILED',
      message:
        'creating stack ias-dev-allocate-order failed (DELETE_COMPLETE): Role (AWS::IAM::Role) CREATE_FAILED: ias-dev-allocate-order-role already exists; fix the template or the account and re-run',
    });
    expect(sent(cfnMock, DescribeStackEventsCommand)[0]).toMatchObject({
      StackName: stackId,
    });
  });

  it('reads every page of stack events', async () => {
    lambdaMock.on(GetFunctionCommand).rejects(notFound);
    cfnMock.on(DescribeStacksCommand, { StackName: 'ias-dev-allocate-order' }).rejects(noStack);
    cfnMock.on(CreateStackCommand).resolves({ StackId: stackId });
    cfnMock.on(DescribeStacksCommand, { StackName: stackId }).resolves(stack('ROLLBACK_COMPLETE'));
    cfnMock
      .on(DescribeStackEventsCommand)
      .resolvesOnce({ StackEvents: [], NextToken: 'page-2' })
      .resolves({
        StackEvents: [
          stackEvent('1', 1, {
            LogicalResourceId: 'Fn',
            ResourceType: 'AWS::Lambda::Function',
            ResourceStatus: 'CREATE_FAILED',
            ResourceStatusReason: 'bad runtime',
          }),
        ],
      });
    await expect(ensureFunction(options())).rejects.toMatchObject({
      code: 'STACK_FAILED',
      message: expect.stringContaining('Fn (AWS::Lambda::Function) CREATE_FAILED: bad runtime'),
    });
    expect(sent(cfnMock, DescribeStackEventsCommand)[1]?.NextToken).toBe('page-2');
  });

  it('fails TIMED_OUT when the created stack does not settle in time', async () => {
    lambdaMock.on(GetFunctionCommand).rejects(notFound);
    cfnMock.on(DescribeStacksCommand, { StackName: 'ias-dev-allocate-order' }).rejects(noStack);
    cfnMock.on(CreateStackCommand).resolves({ StackId: stackId });
    cfnMock.on(DescribeStacksCommand, { StackName: stackId }).resolves(stack('CREATE_IN_PROGRESS'));
    await expect(ensureFunction({ ...options(), timeoutMs: 60_000, pollMs: 20_000 })).rejects.toMatchObject({
      code: 'TIMED_OUT',
      message: expect.stringContaining('stack ias-dev-allocate-order still CREATE_IN_PROGRESS after 1 min'),
    });
    expect(cfnMock.commandCalls(DescribeStacksCommand, { StackName: stackId })).toHaveLength(4);
  });

  it('fails FUNCTION_MISSING when the created stack has no such function', async () => {
    lambdaMock.on(GetFunctionCommand).rejects(notFound);
    cfnMock.on(DescribeStacksCommand, { StackName: 'ias-dev-allocate-order' }).rejects(noStack);
    cfnMock.on(CreateStackCommand).resolves({ StackId: stackId });
    cfnMock.on(DescribeStacksCommand, { StackName: stackId }).resolves(stack('CREATE_COMPLETE'));
    await expect(ensureFunction(options())).rejects.toMatchObject({
      code: 'FUNCTION_MISSING',
      message: expect.stringContaining('was created but has no function ias-dev-allocate-order'),
    });
  });

  it('fails FUNCTION_MISSING, without touching the stack, when a stable stack lacks the function', async () => {
    lambdaMock.on(GetFunctionCommand).rejects(notFound);
    cfnMock.on(DescribeStacksCommand).resolves(stack('UPDATE_COMPLETE'));
    const opts = options();
    await expect(ensureFunction(opts)).rejects.toMatchObject({
      code: 'FUNCTION_MISSING',
      message:
        'stack ias-dev-allocate-order exists but has no function ias-dev-allocate-order: deploy the infrastructure (its pipeline or cdk deploy) to repair it',
    });
    expect(opts.template).not.toHaveBeenCalled();
    expect(cfnMock.commandCalls(CreateStackCommand)).toHaveLength(0);
  });

  it('fails STACK_FAILED on a stack in ROLLBACK_COMPLETE, telling how to delete it', async () => {
    lambdaMock.on(GetFunctionCommand).rejects(notFound);
    cfnMock.on(DescribeStacksCommand).resolves(stack('ROLLBACK_COMPLETE'));
    await expect(ensureFunction(options())).rejects.toMatchObject({
      code: 'STACK_FAILED',
      message:
        'stack ias-dev-allocate-order is in ROLLBACK_COMPLETE: delete it (aws cloudformation delete-stack --stack-name ias-dev-allocate-order) and re-run',
    });
    expect(cfnMock.commandCalls(CreateStackCommand)).toHaveLength(0);
  });

  it('fails STACK_FAILED on a stack whose update rollback failed, pointing at continue-update-rollback', async () => {
    lambdaMock.on(GetFunctionCommand).rejects(notFound);
    cfnMock.on(DescribeStacksCommand).resolves(stack('UPDATE_ROLLBACK_FAILED'));
    await expect(ensureFunction(options())).rejects.toMatchObject({
      code: 'STACK_FAILED',
      message: expect.stringContaining('continue-update-rollback'),
    });
  });

  it('waits for a stack in progress and then finds the function', async () => {
    lambdaMock.on(GetFunctionCommand).rejectsOnce(notFound).resolves({});
    cfnMock
      .on(DescribeStacksCommand)
      .resolvesOnce(stack('UPDATE_IN_PROGRESS'))
      .resolvesOnce(stack('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'))
      .resolves(stack('UPDATE_COMPLETE'));
    const clock = fakeClock();
    await expect(ensureFunction(options(clock))).resolves.toMatchObject({ status: 'exists' });
    expect(cfnMock.commandCalls(DescribeStacksCommand).at(-1)?.args[0].input).toEqual({ StackName: stackId });
    expect(cfnMock.commandCalls(CreateStackCommand)).toHaveLength(0);
  });

  it('creates the stack when the one in progress was being deleted', async () => {
    lambdaMock.on(GetFunctionCommand).rejectsOnce(notFound).rejectsOnce(notFound).resolves({});
    cfnMock
      .on(DescribeStacksCommand)
      .resolvesOnce(stack('DELETE_IN_PROGRESS'))
      .resolvesOnce(stack('DELETE_COMPLETE'))
      .resolves(stack('CREATE_COMPLETE'));
    cfnMock.on(CreateStackCommand).resolves({ StackId: stackId });
    await expect(ensureFunction(options())).resolves.toMatchObject({ status: 'created' });
  });

  it('passes unexpected CloudFormation errors through', async () => {
    lambdaMock.on(GetFunctionCommand).rejects(notFound);
    cfnMock.on(DescribeStacksCommand).rejects(awsError('AccessDenied', 'not authorized'));
    await expect(ensureFunction(options())).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});
