import { DeliveryError } from '../../../src/errors.js';

/** The image the ECS tests deliver: tagged with a commit, as the build tags it. */
export const IMAGE = '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/ias-dev-inventory-api:3f2c1ab';

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
