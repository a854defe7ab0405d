import { describe, expect, it } from 'vitest';
import { parseAppSpec, renderAppSpec } from '../../../src/kinds/function/appspec.js';
import { failureOf } from '../../support.js';

const input = {
  functionName: 'ias-dev-allocate-order',
  alias: 'live',
  currentVersion: '7',
  targetVersion: '8',
  beforeAllowTraffic: 'ias-dev-pre-traffic-hook',
  afterAllowTraffic: 'ias-dev-post-traffic-hook',
};

describe('renderAppSpec', () => {
  it('writes the Lambda appspec CodeDeploy reads, versions quoted', () => {
    expect(renderAppSpec(input)).toBe(
      [
        'version: 0.0',
        'Resources:',
        '  - ias-dev-allocate-order:',
        '      Type: AWS::Lambda::Function',
        '      Properties:',
        '        Name: ias-dev-allocate-order',
        '        Alias: live',
        '        CurrentVersion: "7"',
        '        TargetVersion: "8"',
        'Hooks:',
        '  - BeforeAllowTraffic: ias-dev-pre-traffic-hook',
        '  - AfterAllowTraffic: ias-dev-post-traffic-hook',
        '',
      ].join('\n'),
    );
  });

  it('leaves Hooks out when there is no hook, and keeps the one given', () => {
    const bare = renderAppSpec({ ...input, beforeAllowTraffic: undefined, afterAllowTraffic: undefined });
    expect(bare).not.toContain('Hooks');
    expect(bare.trimEnd().split('\n').at(-1)).toBe('        TargetVersion: "8"');
    const after = renderAppSpec({ ...input, beforeAllowTraffic: undefined });
    expect(after).toContain('Hooks:\n  - AfterAllowTraffic: ias-dev-post-traffic-hook\n');
    expect(after).not.toContain('BeforeAllowTraffic');
  });

  it('round-trips through parseAppSpec', () => {
    expect(parseAppSpec(renderAppSpec(input))).toEqual(input);
    const bare = { functionName: 'fn_1', alias: 'blue-green', currentVersion: '1', targetVersion: '12' };
    expect(parseAppSpec(renderAppSpec(bare))).toEqual(bare);
  });

  it('quotes a name YAML would otherwise read as a number', () => {
    const spec = renderAppSpec({ ...input, functionName: '123' });
    expect(parseAppSpec(spec).functionName).toBe('123');
  });

  it.each([
    [
      { currentVersion: '8' },
      'BAD_INPUT: cannot render appspec: targetVersion "8" must differ from currentVersion',
    ],
    [{ currentVersion: '0' }, 'currentVersion "0" must be a published version number'],
    [{ targetVersion: '$LATEST' }, 'targetVersion "$LATEST" must be a published version number'],
    [{ targetVersion: '8.1' }, 'targetVersion "8.1"'],
    [
      { functionName: 'arn:aws:lambda:ap-northeast-1:123456789012:function:x' },
      'functionName "arn:aws:lambda',
    ],
    [{ functionName: 'a'.repeat(65) }, 'must be a Lambda function name'],
    [{ alias: '42' }, 'alias "42" must be a Lambda alias name'],
    [{ beforeAllowTraffic: 'bad name' }, 'beforeAllowTraffic "bad name"'],
  ])('fails on bad input %j', (override, message) => {
    const error = failureOf(() => renderAppSpec({ ...input, ...override }));
    expect(error).toMatch(/^BAD_INPUT: /);
    expect(error).toContain(message);
  });
});

describe('parseAppSpec', () => {
  it('accepts unquoted versions (read as numbers) as strings', () => {
    const yaml = renderAppSpec(input).replace('"7"', '7').replace('"8"', '8');
    expect(parseAppSpec(yaml)).toMatchObject({ currentVersion: '7', targetVersion: '8' });
  });

  it('fails on text that is not YAML', () => {
    expect(failureOf(() => parseAppSpec('version: [0.0'))).toMatch(/^BAD_INPUT: appspec is not valid YAML/);
  });

  it('fails on an appspec of something other than one Lambda function', () => {
    const ecs = renderAppSpec(input).replace('AWS::Lambda::Function', 'AWS::ECS::Service');
    expect(failureOf(() => parseAppSpec(ecs))).toMatch(
      /^BAD_INPUT: appspec is not the appspec of one Lambda function: Resources\.0/,
    );
    expect(failureOf(() => parseAppSpec('version: 0.0\nResources: []\n'))).toContain(
      'must hold exactly one function',
    );
    expect(failureOf(() => parseAppSpec('just text'))).toMatch(/^BAD_INPUT/);
  });

  it('fails on values renderAppSpec would refuse', () => {
    const same = renderAppSpec(input).replace('TargetVersion: "8"', 'TargetVersion: "7"');
    expect(failureOf(() => parseAppSpec(same))).toContain(
      'targetVersion "7" must differ from currentVersion',
    );
  });
});
