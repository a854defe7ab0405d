import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { operatorPolicyDocument, type IamStatement } from '../../lib/config/operator-access';
import { buildStage, environmentConfig } from '../support/stages';

type Json = Record<string, unknown>;

/** A statement as the template writes it, with Action and Resource as sorted lists (IAM policy minimizing sorts and unwraps them). */
function normalized(statement: Json): Json {
  const list = (v: unknown) => (Array.isArray(v) ? v : [v]).map((x) => JSON.stringify(x)).sort();
  return { ...statement, Action: list(statement.Action), Resource: list(statement.Resource) };
}

function synthesized(env: string, prefix?: string) {
  const config = environmentConfig(env, prefix);
  const stage = buildStage(env, config);
  const stack = stage.configuration;
  return { config, stack, template: Template.fromStack(stack) };
}

describe.each(['dev', 'staging', 'prod'])('the operator policy of %s', (env) => {
  const { config, stack, template } = synthesized(env);
  const policies = template.findResources('AWS::IAM::ManagedPolicy');

  it(`is one managed policy, ias-${env}-operator, attached to nothing`, () => {
    expect(Object.values(policies).map((p) => (p.Properties as Json).ManagedPolicyName)).toEqual([
      `ias-${env}-operator`,
    ]);
    const properties = Object.values(policies)[0].Properties as Json;
    expect(properties.Roles ?? properties.Users ?? properties.Groups).toBeUndefined();
  });

  it("holds exactly the source's statements, with the environment key from the foundation stack", () => {
    const statements = ((Object.values(policies)[0].Properties as Json).PolicyDocument as Json)
      .Statement as Json[];
    const key = statements.find((s) => s.Sid === 'EnvironmentKeyThroughServices');
    // A reference to the foundation stack's key (resolved at deployment), not a pattern.
    expect(JSON.stringify(key?.Resource)).toMatch(/foundation/);
    const actual = statements.map((s) => normalized(s === key ? { ...s, Resource: 'KEY' } : s));
    const expected = operatorPolicyDocument(config, {
      partition: stack.partition,
      region: stack.region,
      account: stack.account,
      urlSuffix: stack.urlSuffix,
      keyArn: 'KEY',
    }).Statement.map((s: IamStatement) => normalized(Stack.of(stack).resolve(s) as Json));
    expect(actual).toEqual(expected);
  });

  it(`publishes its ARN at /ias/${env}/ops/operator-policy-arn`, () => {
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: `/ias/${env}/ops/operator-policy-arn`,
      Value: { Ref: Match.stringLikeRegexp('^OperatorPolicy') },
    });
  });
});

describe('the operator policy under another prefix', () => {
  it('is named and scoped from that prefix', () => {
    const { template } = synthesized('dev', 'acme');
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', { ManagedPolicyName: 'acme-dev-operator' });
    const [policy] = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
    const json = JSON.stringify((policy.Properties as Json).PolicyDocument);
    expect(json).toContain('parameter/acme/dev/*');
    expect(json).not.toMatch(/(^|[^a-z])ias[-/]/);
  });
});
