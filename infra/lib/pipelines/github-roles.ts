import { Duration, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ackAccount } from '../aspects/acknowledgements';
import type { EnvironmentConfig } from '../config/load';
import type { FunctionDefinition } from '../config/functions';
import { Naming } from '@ias/targets';
import type { ServiceDefinition } from '../config/services';
import type { GithubRoleSpec } from '../stacks/github-oidc-stack';
import {
  bootstrapOf,
  functionStepStatements,
  ledgerAcknowledgements,
  ledgerStatements,
  SERVICE_DEPLOY_WILDCARD_REASON,
  serviceDeployStatements,
} from './delivery-grants';
import { functionTarget, serviceTarget } from '@ias/targets';

/** What the roles are built from. */
export interface GithubRolesInput {
  /** `owner/name` of the repository whose workflows may assume the roles. */
  readonly repository: string;
  readonly functions: readonly FunctionDefinition[];
  readonly services: readonly ServiceDefinition[];
}

/**
 * `<prefix>-<env>-github-deploy`: what `.github/workflows/*-deploy.yml` do in one environment, for
 * jobs that run in the GitHub environment of that name only: deliver its functions (update,
 * publish, CodeDeploy) and services (push the image, register and deploy the task definition,
 * record the image), record each deployment in the release ledger, and deploy its infrastructure
 * through the CDK bootstrap's roles.
 */
export function githubDeployRole(
  stack: Stack,
  env: EnvironmentConfig,
  input: GithubRolesInput,
): GithubRoleSpec {
  const naming = new Naming(env.prefix, env.name);
  const functions = input.functions.map((f) => functionTarget(env, f));
  const services = input.services.map((s) => serviceTarget(env, s));
  const { qualifier } = bootstrapOf(stack);
  const account = env.profile.account ?? stack.account;
  const statements: iam.PolicyStatement[] = [
    ...(functions.length > 0 ? functionStepStatements(stack, functions) : []),
    ...(services.length > 0 ? serviceDeployStatements(stack, services) : []),
  ];
  if (services.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        actions: [
          'ecr:BatchCheckLayerAvailability',
          'ecr:BatchGetImage',
          'ecr:CompleteLayerUpload',
          'ecr:DescribeImages',
          'ecr:GetDownloadUrlForLayer',
          'ecr:InitiateLayerUpload',
          'ecr:PutImage',
          'ecr:UploadLayerPart',
        ],
        resources: services.map((s) =>
          stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: s.repositoryName }),
        ),
      }),
      new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
      new iam.PolicyStatement({
        actions: ['ssm:PutParameter', 'ssm:GetParameter'],
        resources: services.map((s) =>
          stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: s.imageParameter.slice(1) }),
        ),
      }),
    );
  }
  // Each deployment is recorded in the environment's release ledger (`ias-ops releases record`).
  statements.push(...ledgerStatements(stack, [naming]));
  // `cdk deploy` of this environment: the bootstrap's roles do the work.
  statements.push(
    new iam.PolicyStatement({
      actions: ['sts:AssumeRole'],
      resources: ['deploy', 'file-publishing', 'image-publishing', 'lookup'].map((kind) =>
        stack.formatArn({
          service: 'iam',
          region: '',
          resource: 'role',
          resourceName: `cdk-${qualifier}-${kind}-role-${account}-${env.profile.region}`,
          account,
        }),
      ),
    }),
  );
  return {
    roleName: naming.name('github-deploy'),
    description: `${naming.base}: GitHub Actions deploys to ${env.name}, from ${input.repository}'s GitHub environment ${env.name} only`,
    subjects: [`repo:${input.repository}:environment:${env.name}`],
    statements,
    // Long enough for a canary deployment followed to its end (the workflows' job time-outs).
    maxSessionDuration: Duration.hours(3),
    acknowledgements: [
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: `${SERVICE_DEPLOY_WILDCARD_REASON}; ecr:GetAuthorizationToken, which AWS does not scope`,
      },
      ...ledgerAcknowledgements(stack, [naming], ackAccount(stack)),
    ],
  };
}

/**
 * `<prefix>-github-diff`: pull requests' `cdk diff`, read-only: it may only assume the CDK
 * bootstrap's lookup role of each environment's account.
 */
export function githubDiffRole(
  stack: Stack,
  prefix: string,
  envs: readonly EnvironmentConfig[],
  repository: string,
): GithubRoleSpec {
  const { qualifier } = bootstrapOf(stack);
  return {
    roleName: `${prefix}-github-diff`,
    description: `${prefix}: cdk diff for pull requests of ${repository} (read-only)`,
    subjects: [`repo:${repository}:pull_request`],
    statements: [
      new iam.PolicyStatement({
        actions: ['sts:AssumeRole'],
        resources: [
          ...new Set(
            envs.map((env) => {
              const account = env.profile.account ?? stack.account;
              return `arn:${stack.partition}:iam::${account}:role/cdk-${qualifier}-lookup-role-${account}-${env.profile.region}`;
            }),
          ),
        ],
      }),
    ],
  };
}
