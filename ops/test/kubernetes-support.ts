/**
 * Stubs of a Kubernetes application's deploy project (CodeBuild) and of the release ledger, for the
 * kind's tests: the project inventory-api-k8s-deploy of an environment, its builds, and releases that
 * record which color served what.
 */
import { type Build } from '@aws-sdk/client-codebuild';
import {
  BatchGetBuildsCommand,
  ListBuildsForProjectCommand,
  StartBuildCommand,
  StopBuildCommand,
} from '@aws-sdk/client-codebuild';
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { prefix, type stubbedAws } from './helpers';

type Aws = ReturnType<typeof stubbedAws>;

/** The deploy project of inventory-api in `env`. */
export const project = (env = 'dev') => `${prefix}-${env}-inventory-api-k8s-deploy`;

/** A build ID of the project: `<project>:<uuid>`, the uuid ending in `n`. */
export const buildId = (n: number, env = 'dev') =>
  `${project(env)}:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** An image by digest of the application's repository. */
export const image = (c: string, env = 'dev') =>
  `123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/${prefix}-${env}-inventory-api@sha256:${c.repeat(64)}`;

/** A build as CodeBuild describes it. */
export function build(
  n: number,
  status: Build['buildStatus'],
  options: {
    env?: string;
    action?: 'deploy' | 'switch-back';
    image?: string;
    to?: string;
    exported?: Record<string, string>;
    started?: string;
  } = {},
): Build {
  const env = options.env ?? 'dev';
  return {
    id: buildId(n, env),
    buildStatus: status,
    currentPhase: status === 'IN_PROGRESS' ? 'BUILD' : 'COMPLETED',
    startTime: new Date(options.started ?? `2026-12-0${Math.min(n, 9)}T12:00:00Z`),
    environment: {
      type: 'ARM_CONTAINER',
      image: 'aws/codebuild/amazonlinux-aarch64-standard:3.0',
      computeType: 'BUILD_GENERAL1_SMALL',
      environmentVariables: [
        { name: 'ACTION', value: options.action ?? 'deploy' },
        { name: 'IMAGE', value: options.image ?? '' },
        { name: 'TO', value: options.to ?? '' },
      ],
    },
    exportedEnvironmentVariables: Object.entries(options.exported ?? {}).map(([name, value]) => ({
      name,
      value,
    })),
  };
}

/** The project lists these builds, newest first, and describes each. */
export function builds(aws: Aws, ...list: Build[]): void {
  aws.mocks.codebuild.on(ListBuildsForProjectCommand).resolves({ ids: list.map((b) => b.id ?? '') });
  aws.mocks.codebuild.on(BatchGetBuildsCommand).callsFake((input: { ids?: string[] }) => ({
    builds: list.filter((b) => input.ids?.includes(b.id ?? '')),
  }));
}

/**
 * StartBuild starts build `n`, which BatchGetBuilds then describes as `ended` (the project's other
 * builds as `before`, listed after it).
 */
export function starts(aws: Aws, ended: Build, ...before: Build[]): void {
  builds(aws, ...before);
  aws.mocks.codebuild.on(StartBuildCommand).resolves({ build: { id: ended.id, buildStatus: 'IN_PROGRESS' } });
  aws.mocks.codebuild.on(BatchGetBuildsCommand).callsFake((input: { ids?: string[] }) => ({
    builds: [ended, ...before].filter((b) => input.ids?.includes(b.id ?? '')),
  }));
  aws.mocks.codebuild.on(StopBuildCommand).resolves({});
}

/** A release of the ledger recording what serves inventory-api. */
export function release(
  number: number,
  app: { color: 'blue' | 'green'; image: string; revision: string } | undefined,
  at = `2026-12-0${Math.min(number, 9)}T00:00:00.000Z`,
) {
  const body = {
    number,
    at,
    by: 'CodePipeline job 1',
    source: 'pipeline',
    summary: `release ${number}`,
    functions: {},
    services: {},
    ...(app ? { applications: { 'inventory-api': app } } : {}),
    parameters: {},
    secrets: {},
  };
  return { pk: { S: 'release' }, number: { N: String(number) }, release: { S: JSON.stringify(body) } };
}

/**
 * The ledger holds these releases (newest first) and takes the next; the recording's reads answer. A
 * build's canary looks (partition `canary#<build>`) are `looks`, by build ID: none by default.
 */
export function ledger(
  aws: Aws,
  ...items: (ReturnType<typeof release> | { looks: Record<string, readonly object[]> })[]
): void {
  const releases = items.filter((i): i is ReturnType<typeof release> => 'pk' in i);
  const looks = items.flatMap((i) => ('looks' in i ? Object.entries(i.looks) : []));
  aws.mocks.dynamodb
    .on(QueryCommand)
    .callsFake((input: { ExpressionAttributeValues?: Record<string, { S?: string }> }) => {
      const pk = input.ExpressionAttributeValues?.[':pk']?.S ?? '';
      if (pk === 'release') return { Items: releases };
      const kept = looks.find(([id]) => pk === `canary#${id}`)?.[1] ?? [];
      // The latest look first, as the evidence's Query asks.
      return {
        Items: [...kept].reverse().map((look) => ({
          number: { N: String((look as { look: number }).look) },
          evidence: { S: JSON.stringify(look) },
        })),
      };
    });
  aws.mocks.dynamodb.on(PutItemCommand).resolves({});
  aws.mocks.sts
    .on(GetCallerIdentityCommand)
    .resolves({ Arn: 'arn:aws:iam::123456789012:user/ops', Account: '123456789012' });
  aws.mocks.ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
  aws.mocks.secrets.on(ListSecretsCommand).resolves({ SecretList: [] });
}

/** The releases the run wrote, as JSON. */
export function written(aws: Aws): Record<string, unknown>[] {
  return aws.mocks.dynamodb
    .commandCalls(PutItemCommand)
    .map((c) => JSON.parse(c.args[0].input.Item?.release?.S ?? '{}') as Record<string, unknown>);
}

/** The environment-variable overrides StartBuild was given, by name. */
export function startedWith(aws: Aws): Record<string, string>[] {
  return aws.mocks.codebuild
    .commandCalls(StartBuildCommand)
    .map((c) =>
      Object.fromEntries(
        (c.args[0].input.environmentVariablesOverride ?? []).map((v) => [v.name ?? '', v.value ?? '']),
      ),
    );
}
