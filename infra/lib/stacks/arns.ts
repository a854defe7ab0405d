import { ArnFormat, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/** The CDK bootstrap's qualifier and CloudFormation execution role in `stack`'s account and region. */
export function bootstrapOf(stack: Stack): { qualifier: string; execRoleArn: string } {
  const qualifier =
    (stack.node.tryGetContext('@aws-cdk/core:bootstrapQualifier') as string | undefined) ?? 'hnb659fds';
  const execRoleArn = stack.formatArn({
    service: 'iam',
    region: '',
    resource: 'role',
    resourceName: `cdk-${qualifier}-cfn-exec-role-${stack.account}-${stack.region}`,
  });
  return { qualifier, execRoleArn };
}

/** A stack of `stack`'s account and region by name, any stack ID. */
export function stackArn(stack: Stack, name: string): string {
  return stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${name}/*` });
}

/** Passing the CDK bootstrap's execution role to CloudFormation, and nothing else. */
export function passExecutionRole(stack: Stack): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['iam:PassRole'],
    resources: [bootstrapOf(stack).execRoleArn],
    conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
  });
}

/** A CodeDeploy application, deployment group or configuration of `stack`'s account and region. */
export function codeDeployArn(
  stack: Stack,
  resource: 'application' | 'deploymentgroup' | 'deploymentconfig',
  resourceName: string,
): string {
  return stack.formatArn({
    service: 'codedeploy',
    resource,
    resourceName,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}
