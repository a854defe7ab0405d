import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { delivery } from '../../lib/config/delivery';
import { parseDelivery } from '../../lib/config/load';
import { cdkContext, FUNCTIONS_DIR, REPO_ROOT } from '../../lib/config/project';
import { loadFunctions } from '../../lib/config/functions';
import { DeliveryStage } from '../../lib/delivery-stage';
import { environmentConfig, SERVICES, TEST_PREFIX } from '../support/stages';

const envs = ['dev', 'staging', 'prod'].map((e) => environmentConfig(e));
const stage = new DeliveryStage(new App({ context: cdkContext() }), `${TEST_PREFIX}-delivery`, {
  prefix: TEST_PREFIX,
  delivery: parseDelivery(delivery, envs),
  environments: envs,
  functions: loadFunctions(FUNCTIONS_DIR, REPO_ROOT),
  services: SERVICES,
});
const t = Template.fromStack(stage.github);
const roles = Object.values(t.findResources('AWS::IAM::Role')).map((r) => r.Properties);
const role = (name: string) => roles.find((r) => r.RoleName === name);

describe('GitHub Actions through OIDC (one account)', () => {
  it("creates the account's GitHub OIDC provider for the sts.amazonaws.com audience", () => {
    t.hasResourceProperties('AWS::IAM::OIDCProvider', {
      Url: 'https://token.actions.githubusercontent.com',
      ClientIdList: ['sts.amazonaws.com'],
    });
  });

  it("pins each deploy role's trust to this repository's GitHub environment of the same name", () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const trust = role(`ias-${env}-github-deploy`)?.AssumeRolePolicyDocument.Statement[0];
      expect(trust.Action).toBe('sts:AssumeRoleWithWebIdentity');
      expect(trust.Condition).toEqual({
        StringEquals: {
          'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
          'token.actions.githubusercontent.com:sub': [
            `repo:${delivery.source.repository}:environment:${env}`,
          ],
        },
      });
    }
  });

  it('lets pull requests only diff: the diff role may assume the lookup roles and nothing else', () => {
    const diff = role('ias-github-diff');
    expect(
      diff?.AssumeRolePolicyDocument.Statement[0].Condition.StringEquals[
        'token.actions.githubusercontent.com:sub'
      ],
    ).toEqual([`repo:${delivery.source.repository}:pull_request`]);
    const policies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes('iasgithubdiff'),
    );
    const statements = policies.flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: string; Resource: unknown }[],
    );
    expect(statements.map((s) => s.Action)).toEqual(['sts:AssumeRole']);
    expect(JSON.stringify(statements[0]?.Resource)).toMatch(/cdk-hnb659fds-lookup-role-/);
  });

  it("gives each deploy role its own environment's functions and services only", () => {
    const policies = Object.values(t.findResources('AWS::IAM::Policy'));
    const of = (env: string) =>
      JSON.stringify(
        policies.filter((p) => JSON.stringify(p.Properties.Roles).includes(`ias${env}githubdeploy`)),
      );
    expect(of('prod')).toContain('function:ias-prod-allocate-order');
    expect(of('prod')).not.toContain('ias-dev-allocate-order');
    expect(of('dev')).toContain('repository/ias-dev-inventory-api');
    expect(of('dev')).not.toContain('ias-prod-');
  });

  it("lets each deploy role append to its own environment's release ledger only (ias-ops releases record)", () => {
    const policies = Object.values(t.findResources('AWS::IAM::Policy'));
    const ledger = (env: string) =>
      policies
        .filter((p) => JSON.stringify(p.Properties.Roles).includes(`ias${env}githubdeploy`))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[])
        .filter((st) => JSON.stringify(st.Action).includes('dynamodb:'));
    for (const env of ['dev', 'staging', 'prod']) {
      const statements = ledger(env);
      expect(statements.map((st) => st.Action)).toEqual([
        ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
      ]);
      const resources = JSON.stringify(statements[0]?.Resource);
      expect(resources).toContain(`table/ias-${env}-releases`);
      expect(resources.match(/table\//g)).toHaveLength(1);
    }
  });
});
