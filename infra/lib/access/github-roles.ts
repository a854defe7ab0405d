import { Duration, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Naming } from '@ias/targets';
import { ackAccount } from '../aspects/acknowledgements';
import type { EnvironmentConfig } from '../config/load';
import { ReleaseLedger } from '../constructs/release-ledger';
import { KIND_LIST, type Workloads } from '../kinds';
import { bootstrapOf } from '../stacks/arns';
import type { GithubRoleSpec } from '../stacks/github-oidc-stack';

/** What the roles are built from. */
export interface GithubRolesInput extends Workloads {
  /** `owner/name` of the repository whose workflows may assume the roles. */
  readonly repository: string;
}

/**
 * `<prefix>-<env>-github-deploy`: what `.github/workflows/*-deploy.yml` do in one environment, for
 * jobs that run in the GitHub environment of that name only: deliver its workloads (each kind's
 * grants: functions updated, published and shifted by CodeDeploy; services' images pushed, task
 * definitions registered and deployed, images recorded), record each deployment in the release
 * ledger, and deploy its infrastructure through the CDK bootstrap's roles.
 */
export function githubDeployRole(
  stack: Stack,
  env: EnvironmentConfig,
  input: GithubRolesInput,
): GithubRoleSpec {
  const naming = new Naming(env.prefix, env.name);
  const grants = KIND_LIST.map((kind) => kind.githubDeploy(stack, env, input));
  const { qualifier } = bootstrapOf(stack);
  const account = env.profile.account ?? stack.account;
  const statements: iam.PolicyStatement[] = grants.flatMap((g) => g.statements);
  // Each deployment is recorded in the environment's release ledger (`ias-ops releases record`).
  statements.push(...ReleaseLedger.recordStatements(stack, [naming]));
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
  const wildcardReasons = grants.flatMap((g) => (g.wildcardReason ? [g.wildcardReason] : []));
  return {
    roleName: naming.name('github-deploy'),
    description: `${naming.base}: GitHub Actions deploys to ${env.name}, from ${input.repository}'s GitHub environment ${env.name} only`,
    subjects: [`repo:${input.repository}:environment:${env.name}`],
    statements,
    // Long enough for a canary deployment followed to its end (the workflows' job time-outs).
    maxSessionDuration: Duration.hours(3),
    acknowledgements: [
      ...(wildcardReasons.length > 0
        ? [{ id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: wildcardReasons.join('; ') }]
        : []),
      ...grants.flatMap((g) => g.acknowledgements ?? []),
      ...ReleaseLedger.recordAcknowledgements(stack, [naming], ackAccount(stack)),
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
