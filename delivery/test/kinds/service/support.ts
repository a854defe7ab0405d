import type { Parameter, Stack } from '@aws-sdk/client-cloudformation';
import { type CanaryRun, GetCanaryRunsCommand } from '@aws-sdk/client-synthetics';
import { mocks } from '../../aws.js';
import { describedStack, stackArn } from '../../support.js';

/** The image the ECS tests deliver: tagged with a commit, as the build tags it. */
export const IMAGE = '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/ias-dev-inventory-api:3f2c1ab';

/** The service's stack and the SSM parameter that holds its image, as the service tests deliver to them. */
export const SERVICE = {
  stackName: 'ias-dev-inventory-api',
  stackId: stackArn('ias-dev-inventory-api'),
  imageParameter: '/ias/dev/inventory-api/image',
};

/**
 * A DescribeStacks answer for the service's stack in `status`, its image parameter resolved to
 * `resolved`, followed by the `other` parameters.
 */
export function serviceStack(
  status: Stack['StackStatus'],
  resolved = 'none',
  ...other: Parameter[]
): { Stacks: Stack[] } {
  return describedStack(SERVICE.stackName, status, [
    { ParameterKey: 'ImageUri', ParameterValue: SERVICE.imageParameter, ResolvedValue: resolved },
    ...other,
  ]);
}

/** A task definition as DescribeTaskDefinition returns it (SDK shape: dates as Date objects). */
export function describedTaskDefinition(family = 'ias-dev-inventory-api') {
  return {
    taskDefinition: {
      taskDefinitionArn: `arn:aws:ecs:ap-northeast-1:123456789012:task-definition/${family}:7`,
      family,
      revision: 7,
      status: 'ACTIVE',
      taskRoleArn: 'arn:aws:iam::123456789012:role/task',
      executionRoleArn: 'arn:aws:iam::123456789012:role/execution',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      compatibilities: ['EC2', 'FARGATE'],
      requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.task-iam-role' }],
      cpu: '256',
      memory: '512',
      runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
      containerDefinitions: [
        {
          name: 'inventory-api',
          image: '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/ias-dev-inventory-api:0a0a0a0',
          essential: true,
          portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
          environment: [{ name: 'PORT', value: '8080' }],
        },
        {
          name: 'log-router',
          image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
          essential: true,
        },
      ],
      volumes: [],
      placementConstraints: [],
      registeredAt: new Date('2026-01-01T00:00:00Z'),
      registeredBy: 'arn:aws:sts::123456789012:assumed-role/cdk-exec/session',
    },
    tags: [{ key: 'project', value: 'ias' }],
  };
}

/** The lifecycle hook event Amazon ECS sends a green check after test traffic shifted. */
export const ECS_HOOK_EVENT = {
  executionId: '3a0345ba-b029-404b-890d-7da2a4b266aa',
  lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT',
  resourceArn:
    'arn:aws:ecs:ap-northeast-1:123456789012:service-deployment/ias-dev/inventory-api/EZe5RNVLH6PPzHXINuP28',
  executionDetails: {
    serviceArn: 'arn:aws:ecs:ap-northeast-1:123456789012:service/ias-dev/inventory-api',
    targetServiceRevisionArn:
      'arn:aws:ecs:ap-northeast-1:123456789012:service-revision/ias-dev/inventory-api/93',
    testTrafficWeights: {},
    productionTrafficWeights: {},
  },
};

/** The answers of the Synthetics stub that the canary gate's tests set (aws-sdk-client-mock's, untyped). */
interface CanaryRunsAnswers {
  resolves(output: { CanaryRuns: CanaryRun[] }): CanaryRunsAnswers;
  resolvesOnce(output: { CanaryRuns: CanaryRun[] }): CanaryRunsAnswers;
  rejects(error: Error): CanaryRunsAnswers;
  rejectsOnce(error: Error): CanaryRunsAnswers;
}

/**
 * What GetCanaryRuns answers, call after call: each entry the runs listed (or the error thrown), the
 * last one from then on.
 */
export function answerCanaryRuns(...answers: (CanaryRun[] | Error)[]): void {
  const stub = (mocks.synthetics as unknown as { on(command: unknown): CanaryRunsAnswers }).on(
    GetCanaryRunsCommand,
  );
  answers.forEach((answer, i) => {
    const last = i === answers.length - 1;
    if (answer instanceof Error) {
      if (last) stub.rejects(answer);
      else stub.rejectsOnce(answer);
    } else if (last) {
      stub.resolves({ CanaryRuns: answer });
    } else {
      stub.resolvesOnce({ CanaryRuns: answer });
    }
  });
}
