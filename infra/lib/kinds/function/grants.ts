import { Aws, ArnFormat, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { FunctionTarget } from '@ias/targets';
import { bootstrapOf, codeDeployArn, passExecutionRole, stackArn } from '../../stacks/arns';

/*
 * What a function's delivery may do in an environment's account, as policy statements scoped to the
 * named functions: the same statements whether they go on a pipeline's own roles (one account) or
 * on the environment's delivery role that those roles assume (separate accounts). Resources are
 * formatted in `stack`'s account and region.
 */

function functionArn(stack: Stack, name: string): string {
  return stack.formatArn({
    service: 'lambda',
    resource: 'function',
    resourceName: name,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** CheckLambdaFunction: look up each function, create its stack if missing (seed 003). */
export function functionCheckStatements(
  stack: Stack,
  targets: readonly FunctionTarget[],
): iam.PolicyStatement[] {
  const { qualifier } = bootstrapOf(stack);
  return [
    new iam.PolicyStatement({
      actions: ['lambda:GetFunction'],
      resources: targets.map((t) => functionArn(stack, t.functionName)),
    }),
    new iam.PolicyStatement({
      actions: [
        'cloudformation:DescribeStacks',
        'cloudformation:DescribeStackEvents',
        'cloudformation:CreateStack',
      ],
      resources: targets.map((t) => stackArn(stack, t.stackName)),
    }),
    passExecutionRole(stack),
    // The template's file assets (if any) must already be in the bootstrap bucket; it checks, read-only.
    new iam.PolicyStatement({
      actions: ['s3:GetObject'],
      resources: [`arn:${Aws.PARTITION}:s3:::cdk-${qualifier}-assets-${stack.account}-${stack.region}/*`],
    }),
  ];
}

/** CreateAppSpecFile and Deploy: update, publish and deploy these functions, nothing else. */
export function functionStepStatements(
  stack: Stack,
  targets: readonly FunctionTarget[],
): iam.PolicyStatement[] {
  const codedeploy = (resource: Parameters<typeof codeDeployArn>[1], names: string[]) =>
    names.map((name) => codeDeployArn(stack, resource, name));
  return [
    new iam.PolicyStatement({
      actions: [
        'lambda:GetFunction',
        'lambda:GetFunctionConfiguration',
        'lambda:UpdateFunctionCode',
        'lambda:PublishVersion',
        'lambda:GetAlias',
      ],
      resources: targets.flatMap((t) => [
        functionArn(stack, t.functionName),
        `${functionArn(stack, t.functionName)}:${t.alias}`,
      ]),
    }),
    new iam.PolicyStatement({
      actions: ['codedeploy:CreateDeployment', 'codedeploy:GetDeployment'],
      resources: codedeploy(
        'deploymentgroup',
        targets.map((t) => `${t.application}/${t.deploymentGroup}`),
      ),
    }),
    // StopDeployment takes a deployment ID and no resource: IAM authorizes it on `*` only, so a
    // statement naming the deployment group would never let a timed-out deployment be stopped.
    // @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodedeploy.html
    new iam.PolicyStatement({ actions: ['codedeploy:StopDeployment'], resources: ['*'] }),
    new iam.PolicyStatement({
      actions: ['codedeploy:RegisterApplicationRevision', 'codedeploy:GetApplicationRevision'],
      resources: codedeploy(
        'application',
        targets.map((t) => t.application),
      ),
    }),
    new iam.PolicyStatement({
      actions: ['codedeploy:GetDeploymentConfig'],
      resources: codedeploy('deploymentconfig', [...new Set(targets.map((t) => t.deploymentConfig))]),
    }),
  ];
}
