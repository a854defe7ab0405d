import { describe, expect, it } from 'vitest';
import {
  parseEcsAppSpec,
  renderEcsAppSpec,
  renderImageDefinitions,
  renderImageDetail,
} from '../../../src/kinds/service/appspec.js';
import { IMAGE } from './support.js';
import { failureOf } from '../../support.js';

const allHooks = {
  afterAllowTraffic: 'ias-dev-after-traffic',
  beforeInstall: 'ias-dev-before-install',
  afterAllowTestTraffic: 'ias-dev-green-check',
  afterInstall: 'ias-dev-after-install',
  beforeAllowTraffic: 'ias-dev-before-traffic',
};

describe('renderEcsAppSpec', () => {
  it('writes the ECS appspec CodeDeploy reads, hooks in lifecycle order', () => {
    expect(renderEcsAppSpec({ containerName: 'inventory-api', containerPort: 8080, hooks: allHooks })).toBe(
      [
        'version: 0.0',
        'Resources:',
        '  - TargetService:',
        '      Type: AWS::ECS::Service',
        '      Properties:',
        '        TaskDefinition: <TASK_DEFINITION>',
        '        LoadBalancerInfo:',
        '          ContainerName: inventory-api',
        '          ContainerPort: 8080',
        '        PlatformVersion: LATEST',
        'Hooks:',
        '  - BeforeInstall: ias-dev-before-install',
        '  - AfterInstall: ias-dev-after-install',
        '  - AfterAllowTestTraffic: ias-dev-green-check',
        '  - BeforeAllowTraffic: ias-dev-before-traffic',
        '  - AfterAllowTraffic: ias-dev-after-traffic',
        '',
      ].join('\n'),
    );
  });

  it('leaves Hooks out when there is none, and writes the platform version given', () => {
    const spec = renderEcsAppSpec({
      containerName: 'inventory-api',
      containerPort: 8080,
      platformVersion: '1.4.0',
    });
    expect(spec).not.toContain('Hooks');
    expect(spec.trimEnd().split('\n').at(-1)).toBe('        PlatformVersion: 1.4.0');
  });

  it('fails on a bad value, quoting it', () => {
    const base = { containerName: 'inventory-api', containerPort: 8080 };
    expect(failureOf(() => renderEcsAppSpec({ ...base, containerPort: 0 }))).toBe(
      'BAD_INPUT: cannot render the ECS appspec: containerPort 0 must be a port from 1 to 65535',
    );
    expect(failureOf(() => renderEcsAppSpec({ ...base, containerName: 'inventory api' }))).toBe(
      'BAD_INPUT: cannot render the ECS appspec: containerName "inventory api" must be a container name: 1-255 letters, digits, - or _',
    );
    expect(failureOf(() => renderEcsAppSpec({ ...base, platformVersion: 'newest' }))).toMatch(
      /^BAD_INPUT: cannot render the ECS appspec: platformVersion "newest" must be LATEST or a version/,
    );
    expect(
      failureOf(() => renderEcsAppSpec({ ...base, hooks: { afterAllowTestTraffic: 'arn:aws:lambda:x' } })),
    ).toMatch(
      /^BAD_INPUT: cannot render the ECS appspec: hooks\.afterAllowTestTraffic "arn:aws:lambda:x" must be a Lambda function name/,
    );
  });
});

describe('parseEcsAppSpec', () => {
  it('reads back what renderEcsAppSpec writes', () => {
    const input = {
      containerName: 'inventory-api',
      containerPort: 8080,
      platformVersion: '1.4.0',
      hooks: allHooks,
    };
    expect(parseEcsAppSpec(renderEcsAppSpec(input))).toEqual({
      ...input,
      taskDefinition: '<TASK_DEFINITION>',
    });
    expect(parseEcsAppSpec(renderEcsAppSpec({ containerName: 'api', containerPort: 80 }))).toEqual({
      containerName: 'api',
      containerPort: 80,
      platformVersion: 'LATEST',
      taskDefinition: '<TASK_DEFINITION>',
    });
  });

  it('reads the ARN the pipeline action put in place of the placeholder', () => {
    const arn = 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/ias-dev-inventory-api:8';
    const yaml = renderEcsAppSpec({ containerName: 'api', containerPort: 80 }).replace(
      '<TASK_DEFINITION>',
      `"${arn}"`,
    );
    expect(parseEcsAppSpec(yaml).taskDefinition).toBe(arn);
  });

  it('fails on text that is not YAML, or not the appspec of one ECS service', () => {
    expect(failureOf(() => parseEcsAppSpec('version: [0'))).toMatch(
      /^BAD_INPUT: ECS appspec is not valid YAML: /,
    );
    const lambda = [
      'version: 0.0',
      'Resources:',
      '  - fn:',
      '      Type: AWS::Lambda::Function',
      '      Properties: { Name: fn, Alias: live, CurrentVersion: "1", TargetVersion: "2" }',
    ].join('\n');
    expect(failureOf(() => parseEcsAppSpec(lambda))).toMatch(
      /^BAD_INPUT: ECS appspec is not the appspec of one ECS service: Resources\.0\.fn\.Type: /,
    );
  });

  it('fails on an unknown or repeated hook, and on values the renderer refuses', () => {
    const spec = renderEcsAppSpec({ containerName: 'api', containerPort: 80, hooks: { afterInstall: 'a' } });
    expect(failureOf(() => parseEcsAppSpec(`${spec}  - AfterInstall: b\n`))).toBe(
      'BAD_INPUT: ECS appspec names hook AfterInstall twice',
    );
    expect(failureOf(() => parseEcsAppSpec(`${spec}  - BeforeBlockTraffic: b\n`))).toMatch(
      /^BAD_INPUT: ECS appspec is not the appspec of one ECS service: Hooks\.1: must be one hook, one of BeforeInstall, /,
    );
    expect(failureOf(() => parseEcsAppSpec(spec.replace('ContainerPort: 80', 'ContainerPort: 70000')))).toBe(
      'BAD_INPUT: ECS appspec is invalid: containerPort 70000 must be a port from 1 to 65535',
    );
  });
});

describe('renderImageDetail and renderImageDefinitions', () => {
  it('write the files the ECS deploy actions read', () => {
    expect(renderImageDetail(IMAGE)).toEqual({ ImageURI: IMAGE });
    expect(renderImageDefinitions([{ name: 'inventory-api', imageUri: IMAGE }])).toEqual([
      { name: 'inventory-api', imageUri: IMAGE },
    ]);
  });

  it('fail on an image that is untagged or latest, quoting it', () => {
    const latest = IMAGE.replace(':3f2c1ab', ':latest');
    expect(failureOf(() => renderImageDetail(latest))).toMatch(
      /^BAD_INPUT: cannot render imageDetail\.json: ImageURI: ".*:latest" is tagged latest, which moves/,
    );
    expect(
      failureOf(() => renderImageDefinitions([{ name: 'api', imageUri: IMAGE.replace(':3f2c1ab', '') }])),
    ).toMatch(
      /^BAD_INPUT: cannot render imagedefinitions\.json: 0\.imageUri: ".*inventory-api" has no tag or digest/,
    );
  });

  it('fail on an empty list or a container named twice', () => {
    expect(failureOf(() => renderImageDefinitions([]))).toBe(
      'BAD_INPUT: cannot render imagedefinitions.json: (root): must name at least one container',
    );
    expect(
      failureOf(() =>
        renderImageDefinitions([
          { name: 'api', imageUri: IMAGE },
          { name: 'api', imageUri: IMAGE },
        ]),
      ),
    ).toBe('BAD_INPUT: cannot render imagedefinitions.json: (root): must name each container once');
  });
});
