/**
 * What the delivery steps read of a CloudFormation stack: the stack itself (or that there is none),
 * the first resource that failed in its events, and what a person does with a stack stuck in a
 * failed state. Shared by the function check (creates a function's stack) and the service release
 * (updates a service's stack with its first image).
 */
import type { CloudFormationClient, Stack, StackEvent } from '@aws-sdk/client-cloudformation';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { isAwsError } from './errors.js';

/** The stack named (or with the id) `stack`, or undefined when there is none. */
export async function describeStack(
  cloudformation: CloudFormationClient,
  stack: string,
): Promise<Stack | undefined> {
  try {
    const found = await cloudformation.send(new DescribeStacksCommand({ StackName: stack }));
    return found.Stacks?.[0];
  } catch (error) {
    // CloudFormation has no not-found error: it answers a ValidationError "Stack with id X does not exist".
    if (isAwsError(error, 'ValidationError') && /does not exist/i.test(error.message)) {
      return undefined;
    }
    throw error;
  }
}

/**
 * The root cause among a stack operation's events (newest first, as CloudFormation returns them): the
 * oldest failure of a resource (not of the stack itself), skipping the "Resource … cancelled" echoes
 * of resources stopped because of it; `fallback` when no resource failed.
 */
export function firstFailure(events: readonly StackEvent[], fallback: string | undefined): string {
  const failures = events
    .filter(
      (event) =>
        event.ResourceStatus?.endsWith('_FAILED') && event.ResourceType !== 'AWS::CloudFormation::Stack',
    )
    .reverse();
  const first = failures.find((event) => !/cancelled/i.test(event.ResourceStatusReason ?? '')) ?? failures[0];
  return first
    ? `${first.LogicalResourceId ?? '?'} (${first.ResourceType ?? '?'}) ${first.ResourceStatus ?? ''}: ${first.ResourceStatusReason ?? 'no reason given'}`
    : (fallback ?? 'no failed resource reported');
}

/**
 * What a person does with stack `stackName` stuck in `status`. `redeploy` says how its infrastructure is
 * deployed (e.g. "its pipeline or cdk deploy"); `recreates` whether the step creates the stack itself
 * once it is deleted (else the advice says to deploy it again first).
 */
export function repairAdvice(
  stackName: string,
  status: string,
  redeploy: string,
  recreates: boolean,
): string {
  if (status === 'UPDATE_ROLLBACK_FAILED') {
    return `continue the rollback (aws cloudformation continue-update-rollback --stack-name ${stackName}) or deploy the infrastructure, then re-run`;
  }
  if (status === 'UPDATE_FAILED') {
    return `deploy the infrastructure (${redeploy}) to repair it, then re-run`;
  }
  const again = recreates ? '' : `, deploy the infrastructure (${redeploy})`;
  return `delete it (aws cloudformation delete-stack --stack-name ${stackName})${again} and re-run`;
}
