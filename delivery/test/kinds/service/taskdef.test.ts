import { describe, expect, it, vi } from 'vitest';
import type { RunProgram, TaskDefinitionReader } from '../../../src/kinds/service/taskdef.js';
import {
  awsCliTaskDefinitionReader,
  describeTemplate,
  renderTaskDefinition,
} from '../../../src/kinds/service/taskdef.js';
import { awsError, failureOf, rejectionOf } from '../../support.js';
import { describedTaskDefinition, IMAGE } from './support.js';

describe('renderTaskDefinition', () => {
  it('strips the read-only fields, keeps the rest and the tags, and sets the placeholder image', () => {
    const described = describedTaskDefinition();
    const rendered = renderTaskDefinition(described, { containerName: 'inventory-api' });

    expect(rendered).toEqual({
      family: 'ias-dev-inventory-api',
      taskRoleArn: 'arn:aws:iam::123456789012:role/task',
      executionRoleArn: 'arn:aws:iam::123456789012:role/execution',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
      containerDefinitions: [
        {
          name: 'inventory-api',
          image: '<IMAGE1_NAME>',
          essential: true,
          portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
          environment: [{ name: 'PORT', value: '8080' }],
        },
        described.taskDefinition.containerDefinitions[1],
      ],
      volumes: [],
      placementConstraints: [],
      tags: [{ key: 'project', value: 'ias' }],
    });
    // The input is left as it was.
    expect(described.taskDefinition.containerDefinitions[0]?.image).toMatch(/:0a0a0a0$/);
    expect(described.taskDefinition.revision).toBe(7);
  });

  it('sets the image given, and leaves tags out when there are none', () => {
    const { taskDefinition } = describedTaskDefinition();
    const rendered = renderTaskDefinition(
      { taskDefinition, tags: [] },
      { containerName: 'inventory-api', image: IMAGE },
    );
    expect(rendered.containerDefinitions[0]).toMatchObject({ name: 'inventory-api', image: IMAGE });
    expect(rendered).not.toHaveProperty('tags');
    expect(renderTaskDefinition({ taskDefinition }, { containerName: 'inventory-api' })).not.toHaveProperty(
      'tags',
    );
  });

  it('fails CONTAINER_MISSING naming the containers it has', () => {
    expect(failureOf(() => renderTaskDefinition(describedTaskDefinition(), { containerName: 'api' }))).toBe(
      'CONTAINER_MISSING: task definition ias-dev-inventory-api has no container "api" (its containers: inventory-api, log-router): set the container name the service\'s load balancer targets',
    );
  });

  it('fails BAD_INPUT on something that is not a DescribeTaskDefinition answer', () => {
    expect(
      failureOf(() => renderTaskDefinition({ family: 'x' }, { containerName: 'inventory-api' })),
    ).toMatch(/^BAD_INPUT: not a DescribeTaskDefinition answer: taskDefinition: /);
    expect(
      failureOf(() =>
        renderTaskDefinition(
          { taskDefinition: { family: 'x', containerDefinitions: [] } },
          { containerName: 'a' },
        ),
      ),
    ).toMatch(/^BAD_INPUT: not a DescribeTaskDefinition answer: taskDefinition\.containerDefinitions: /);
  });
});

describe('describeTemplate', () => {
  function reader(answer: () => Promise<unknown>) {
    return { describeTaskDefinition: vi.fn(answer) } satisfies TaskDefinitionReader;
  }

  it('reads the family with its tags', async () => {
    const ecs = reader(() => Promise.resolve(describedTaskDefinition()));
    await expect(describeTemplate(ecs, 'ias-dev-inventory-api')).resolves.toEqual(describedTaskDefinition());
    expect(ecs.describeTaskDefinition.mock.calls).toEqual([
      [{ taskDefinition: 'ias-dev-inventory-api', include: ['TAGS'] }],
    ]);
  });

  it('fails SERVICE_MISSING when the family does not exist', async () => {
    const ecs = reader(() =>
      Promise.reject(awsError('ClientException', 'Unable to describe task definition.')),
    );
    expect(await rejectionOf(describeTemplate(ecs, 'ias-dev-inventory-api'))).toBe(
      "SERVICE_MISSING: task definition family ias-dev-inventory-api does not exist: deploy the service's infrastructure first (it registers the family)",
    );
  });

  it('passes other errors through', async () => {
    const denied = awsError('AccessDeniedException', 'not authorized to perform ecs:DescribeTaskDefinition');
    await expect(
      describeTemplate(
        reader(() => Promise.reject(denied)),
        'f',
      ),
    ).rejects.toBe(denied);
  });

  it('fails BAD_INPUT when the answer holds no task definition', async () => {
    expect(
      await rejectionOf(
        describeTemplate(
          reader(() => Promise.resolve({})),
          'f',
        ),
      ),
    ).toMatch(/^BAD_INPUT: DescribeTaskDefinition of f did not return a task definition: taskDefinition: /);
  });
});

describe('awsCliTaskDefinitionReader', () => {
  it('runs aws ecs describe-task-definition and parses its JSON', async () => {
    const run = vi.fn<RunProgram>(() => Promise.resolve(JSON.stringify({ taskDefinition: { family: 'f' } })));
    const answer = await awsCliTaskDefinitionReader(run).describeTaskDefinition({
      taskDefinition: 'f',
      include: ['TAGS'],
    });
    expect(answer).toEqual({ taskDefinition: { family: 'f' } });
    expect(run.mock.calls).toEqual([
      [
        'aws',
        [
          'ecs',
          'describe-task-definition',
          '--task-definition',
          'f',
          '--include',
          'TAGS',
          '--output',
          'json',
        ],
      ],
    ]);
  });

  it('names its errors like the SDK, so a missing family is SERVICE_MISSING', async () => {
    const run = vi.fn<RunProgram>(() =>
      Promise.reject(
        Object.assign(new Error('Command failed'), {
          stderr:
            '\nAn error occurred (ClientException) when calling the DescribeTaskDefinition operation: Unable to describe task definition.\n',
        }),
      ),
    );
    expect(await rejectionOf(describeTemplate(awsCliTaskDefinitionReader(run), 'f'))).toMatch(
      /^SERVICE_MISSING: /,
    );
    const error = await awsCliTaskDefinitionReader(run)
      .describeTaskDefinition({ taskDefinition: 'f', include: ['TAGS'] })
      .catch((caught: unknown) => caught as Error);
    expect(error).toMatchObject({ name: 'ClientException', message: 'Unable to describe task definition.' });
  });

  it('fails clearly when the CLI is missing or prints no JSON', async () => {
    const missing = vi.fn<RunProgram>(() => Promise.reject(new Error('spawn aws ENOENT')));
    await expect(
      awsCliTaskDefinitionReader(missing).describeTaskDefinition({ taskDefinition: 'f', include: ['TAGS'] }),
    ).rejects.toThrow('aws ecs describe-task-definition failed: Error: spawn aws ENOENT');
    const garbled = vi.fn<RunProgram>(() => Promise.resolve('not json'));
    await expect(
      awsCliTaskDefinitionReader(garbled).describeTaskDefinition({ taskDefinition: 'f', include: ['TAGS'] }),
    ).rejects.toThrow('aws ecs describe-task-definition printed something other than JSON: not json');
  });
});
