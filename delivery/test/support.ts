import type { Parameter, Stack } from '@aws-sdk/client-cloudformation';
import type { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { DeliveryError } from '../src/errors.js';

/** An AWS service error as the SDK throws it: what the code under test branches on is its name. */
export function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

/** A clock that only moves when the code under test sleeps: no real waiting. */
export function fakeClock(start = 1_700_000_000_000): {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  sleeps: number[];
  advance: (ms: number) => void;
} {
  let time = start;
  const sleeps: number[] = [];
  return {
    now: () => time,
    sleep: (ms) => {
      sleeps.push(ms);
      time += ms;
      return Promise.resolve();
    },
    sleeps,
    advance: (ms) => {
      time += ms;
    },
  };
}

/** A Lambda Invoke answer's payload (the SDK's adapter is a Uint8Array with helpers we do not use). */
export function payload(value: unknown): InvokeCommandOutput['Payload'] {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return new TextEncoder().encode(text) as InvokeCommandOutput['Payload'];
}

/** An S3 GetObject body holding `bytes` (only `transformToByteArray` is used). */
export function s3Body(bytes: Uint8Array): GetObjectCommandOutput['Body'] {
  return { transformToByteArray: () => Promise.resolve(bytes) } as unknown as GetObjectCommandOutput['Body'];
}

/** `code: message` of the DeliveryError `action` throws (or says it threw something else / nothing). */
export function failureOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof DeliveryError
      ? `${error.code}: ${error.message}`
      : `not a DeliveryError: ${String(error)}`;
  }
  return undefined;
}

/** `code: message` of the DeliveryError `promise` rejects with. */
export async function rejectionOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof DeliveryError
      ? `${error.code}: ${error.message}`
      : `not a DeliveryError: ${String(error)}`;
  }
  return 'resolved';
}

/** The lifecycle hook event CodeDeploy sends (deployment d-ABC, hook hook-1). */
export const CODEDEPLOY_HOOK_EVENT = { DeploymentId: 'd-ABC', LifecycleEventHookExecutionId: 'hook-1' };

/** What was reported to CodeDeploy through `codedeploy`: the PutLifecycleEventHookExecutionStatus inputs. */
export function hookStatuses(codedeploy: AwsClientStub<CodeDeployClient>): unknown[] {
  return codedeploy
    .commandCalls(PutLifecycleEventHookExecutionStatusCommand)
    .map((call) => call.args[0].input);
}

/** The id CloudFormation gives the dev account's stack `stackName` in the tests. */
export function stackArn(stackName: string): string {
  return `arn:aws:cloudformation:ap-northeast-1:123456789012:stack/${stackName}/abc`;
}

/** A DescribeStacks answer: the stack `stackName` in `status`, with `parameters` if any are given. */
export function describedStack(
  stackName: string,
  status: Stack['StackStatus'],
  parameters?: Parameter[],
): { Stacks: Stack[] } {
  const stack: Stack = {
    StackName: stackName,
    StackId: stackArn(stackName),
    StackStatus: status,
    CreationTime: new Date(0),
  };
  return { Stacks: [parameters ? { ...stack, Parameters: parameters } : stack] };
}
