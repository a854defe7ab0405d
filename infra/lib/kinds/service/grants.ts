import type { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { ServiceTarget } from '@ias/targets';
import { codeDeployArn, passExecutionRole, stackArn } from '../../stacks/arns';

/*
 * What a service's delivery may do in an environment's account, as policy statements scoped to the
 * named services: the same statements on a pipeline's own roles (one account), on the environment's
 * delivery role (separate accounts) and on GitHub Actions' deploy role. Resources are formatted in
 * `stack`'s account and region.
 */

/** The SSM parameter holding the image a service runs, in `stack`'s account and region. */
export function imageParameterArn(stack: Stack, target: ServiceTarget): string {
  return stack.formatArn({
    service: 'ssm',
    resource: 'parameter',
    resourceName: target.imageParameter.slice(1),
  });
}

/** EnsureService and RecordImage: these services' stacks and image parameters only. */
export function serviceStepStatements(
  stack: Stack,
  targets: readonly ServiceTarget[],
): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      actions: [
        'cloudformation:DescribeStacks',
        'cloudformation:DescribeStackEvents',
        'cloudformation:UpdateStack',
      ],
      resources: targets.map((t) => stackArn(stack, t.stackName)),
    }),
    new iam.PolicyStatement({
      actions: ['ssm:GetParameter', 'ssm:PutParameter'],
      resources: targets.map((t) => imageParameterArn(stack, t)),
    }),
    // UpdateStack keeps the stack's role (the CDK bootstrap's execution role), which it passes.
    passExecutionRole(stack),
  ];
}

/** CodePipeline's (or a workflow's) ECS and CodeDeploy-to-ECS deploys of these services. */
export function serviceDeployStatements(
  stack: Stack,
  targets: readonly ServiceTarget[],
): iam.PolicyStatement[] {
  const codedeploy = (resource: Parameters<typeof codeDeployArn>[1], name: string) =>
    codeDeployArn(stack, resource, name);
  return [
    new iam.PolicyStatement({
      actions: ['ecs:DescribeServices', 'ecs:UpdateService'],
      resources: targets.map((s) =>
        stack.formatArn({
          service: 'ecs',
          resource: 'service',
          resourceName: `${s.clusterName}/${s.serviceName}`,
        }),
      ),
    }),
    new iam.PolicyStatement({
      // Task definitions are registered before they have an ARN; AWS does not scope these.
      actions: [
        'ecs:RegisterTaskDefinition',
        'ecs:DescribeTaskDefinition',
        'ecs:DescribeTasks',
        'ecs:ListTasks',
      ],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: ['*'],
      conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    }),
    new iam.PolicyStatement({
      actions: [
        'codedeploy:CreateDeployment',
        'codedeploy:GetDeployment',
        'codedeploy:GetApplication',
        'codedeploy:GetApplicationRevision',
        'codedeploy:GetDeploymentGroup',
        'codedeploy:RegisterApplicationRevision',
        'codedeploy:GetDeploymentConfig',
      ],
      resources: [
        ...targets.flatMap((s) => [
          codedeploy('application', s.application),
          codedeploy('deploymentgroup', `${s.application}/${s.deploymentGroup}`),
        ]),
        ...[...new Set(targets.map((s) => s.deploymentConfig))].map((name) =>
          codedeploy('deploymentconfig', name),
        ),
      ],
    }),
  ];
}

/** The reason to give for the unscoped resources of {@link serviceDeployStatements}. */
export const SERVICE_DEPLOY_WILDCARD_REASON =
  'ecs:RegisterTaskDefinition/DescribeTaskDefinition/DescribeTasks/ListTasks (not scoped by AWS), iam:PassRole only to ecs-tasks.amazonaws.com, for the ECS deploys, and secretsmanager:ListSecrets for the release ledger (names and version IDs, never values)';
