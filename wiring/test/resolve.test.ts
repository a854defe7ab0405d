import { describe, expect, it } from 'vitest';
import type { AssemblyModel, CfnTemplate, StackModel } from '../src/check/assembly';
import { cidrContains } from '../src/check/network';
import { resolve, resolveString, UnresolvableError } from '../src/check/resolve';

function stack(stackName: string, template: CfnTemplate): StackModel {
  return { stackName, account: '123456789012', region: 'ap-northeast-1', partition: 'aws', template };
}

const producer = stack('p-dev-foundation', {
  Resources: {
    Key: { Type: 'AWS::KMS::Key', Properties: {} },
    Param: {
      Type: 'AWS::SSM::Parameter',
      Properties: { Name: '/p/dev/db/endpoint', Value: { 'Fn::GetAtt': ['Db', 'Endpoint.Address'] } },
    },
    Db: { Type: 'AWS::RDS::DBCluster', Properties: { DBClusterIdentifier: 'p-dev-db', Port: 5432 } },
    Role: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'p-dev-role' } },
    Unnamed: { Type: 'AWS::IAM::Role', Properties: {} },
  },
  Outputs: {
    KeyArn: { Value: { 'Fn::GetAtt': ['Key', 'Arn'] }, Export: { Name: 'p-dev-key-arn' } },
  },
});
const consumer = stack('p-dev-fn', {
  Parameters: { Endpoint: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/p/dev/db/endpoint' } },
  Resources: { Fn: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'p-dev-fn' } } },
});
const assembly: AssemblyModel = { stages: [{ stageId: 'p-dev', stacks: [producer, consumer] }] };
const at = (s: StackModel) => ({ assembly, stack: s });

describe('resolve', () => {
  it('gives ARNs built from explicit names, and stand-ins from the stack and logical ID otherwise', () => {
    expect(resolveString(at(producer), { 'Fn::GetAtt': ['Role', 'Arn'] })).toBe(
      'arn:aws:iam::123456789012:role/p-dev-role',
    );
    expect(resolveString(at(producer), { 'Fn::GetAtt': ['Unnamed', 'Arn'] })).toBe(
      'arn:aws:iam::123456789012:role/p-dev-foundation-Unnamed',
    );
  });

  it('follows Fn::GetStackOutput and Fn::ImportValue to the producing stack, resolved there', () => {
    const keyArn = resolveString(at(producer), { 'Fn::GetAtt': ['Key', 'Arn'] });
    expect(keyArn).toMatch(/^arn:aws:kms:ap-northeast-1:123456789012:key\/key-p-dev-foundation-key$/);
    expect(resolveString(at(consumer), { 'Fn::ImportValue': 'p-dev-key-arn' })).toBe(keyArn);
    expect(
      resolveString(at(consumer), {
        'Fn::GetStackOutput': { StackName: 'p-dev-foundation', OutputName: 'KeyArn' },
      }),
    ).toBe(keyArn);
  });

  it('reads an SSM-backed parameter from the parameter the assembly creates', () => {
    expect(resolveString(at(consumer), { Ref: 'Endpoint' })).toBe(
      'p-dev-db.cluster-stand-in.ap-northeast-1.rds.amazonaws.com',
    );
  });

  it('resolves Fn::Sub with pseudo parameters, attributes and its own variables, and Fn::Join/Select/Split', () => {
    expect(
      resolveString(at(consumer), {
        'Fn::Sub': [
          'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${Fn}:${Alias}',
          { Alias: 'live' },
        ],
      }),
    ).toBe('arn:aws:lambda:ap-northeast-1:123456789012:function:p-dev-fn:live');
    expect(
      resolve(at(consumer), {
        'Fn::Select': [1, { 'Fn::Split': [':', { 'Fn::Join': [':', ['a', 'b', 'c']] }] }],
      }),
    ).toBe('b');
  });

  it('fails on a reference to nothing, naming it', () => {
    expect(() => resolve(at(consumer), { Ref: 'Missing' })).toThrow(UnresolvableError);
    expect(() => resolve(at(consumer), { 'Fn::ImportValue': 'nobody-exports-this' })).toThrow(
      /no stack exports nobody-exports-this/,
    );
  });
});

describe('cidrContains', () => {
  it('holds for a subnet inside its VPC and fails outside it', () => {
    expect(cidrContains('10.10.0.0/16', '10.10.128.0/20')).toBe(true);
    expect(cidrContains('10.10.0.0/16', '10.20.0.0/20')).toBe(false);
    expect(cidrContains('0.0.0.0/0', '10.20.0.0/20')).toBe(true);
    expect(cidrContains('10.10.0.0/24', '10.10.0.0/16')).toBe(false);
  });
});
