import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app';
import { delivery } from '../../lib/config/delivery';
import { environments } from '../../lib/config/environments';
import { ConfigError } from '../../lib/config/errors';
import { parseDelivery, parseEnvironments, type ProjectConfig } from '../../lib/config/load';
import { cdkContext, FUNCTIONS_DIR, REPO_ROOT } from '../../lib/config/project';
import { loadFunctions } from '../../lib/config/functions';
import { loadEc2 } from '../../lib/config/ec2';
import { SERVICES_DIR } from '../../lib/config/project';
import { SERVICES, TEST_PREFIX } from '../support/stages';

const ACCOUNTS = {
  tooling: '111111111111',
  dev: '222222222222',
  staging: '333333333333',
  prod: '444444444444',
};
const functions = loadFunctions(FUNCTIONS_DIR, REPO_ROOT);

function profiles(multi: boolean) {
  const raw = structuredClone(environments) as unknown as Record<string, Record<string, unknown>>;
  if (multi) {
    for (const env of ['dev', 'staging', 'prod'] as const)
      (raw[env] as Record<string, unknown>).account = ACCOUNTS[env];
  }
  return parseEnvironments(raw, TEST_PREFIX);
}

function build(multi: boolean) {
  const envs = profiles(multi);
  const config: ProjectConfig = {
    prefix: TEST_PREFIX,
    environments: envs,
    functions,
    services: SERVICES,
    ec2: loadEc2(SERVICES_DIR, REPO_ROOT, SERVICES),
    delivery: parseDelivery({ ...delivery, ...(multi ? { account: ACCOUNTS.tooling } : {}) }, envs),
  };
  return buildApp(config, { context: cdkContext(), policyGates: false });
}

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
}
const statementsOf = (t: Template): Statement[] =>
  Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
    (p) => p.Properties.PolicyDocument.Statement as Statement[],
  );

describe('one account (the default)', () => {
  const single = build(false);

  it('needs no delivery role: the pipelines act with their own, and name no role in their steps', () => {
    expect(single.stages.every((s) => s.deliveryAccess === undefined)).toBe(true);
    const t = Template.fromStack(single.delivery?.pipelines.function.get('allocate-order') as never);
    expect(JSON.stringify(t.toJSON())).not.toContain('roleArn');
  });
});

describe('an account per environment, pipelines in a tooling account', () => {
  const multi = build(true);

  it("gives each environment a delivery role that only the pipelines' own roles may assume", () => {
    for (const stage of multi.stages) {
      const env = stage.naming.env as 'dev' | 'staging' | 'prod';
      expect(stage.deliveryAccess?.stackName).toBe(`ias-${env}-delivery-access`);
      expect(stage.deliveryAccess?.account).toBe(ACCOUNTS[env]);
      const t = Template.fromStack(stage.deliveryAccess as never);
      const role = Object.values(t.findResources('AWS::IAM::Role'))[0]?.Properties;
      expect(role.RoleName).toBe(`ias-${env}-delivery`);
      const trust = role.AssumeRolePolicyDocument.Statement[0];
      expect(JSON.stringify(trust.Principal)).toContain(`:iam::${ACCOUNTS.tooling}:root`);
      expect(
        trust.Condition.ArnEquals['aws:PrincipalArn'].map((a: unknown) => JSON.stringify(a)).join(' '),
      ).toMatch(
        /role\/ias-allocate-order-pipeline-steps.*role\/ias-allocate-order-check.*role\/ias-inventory-api-pipeline-steps.*role\/ias-inventory-api-pipeline"/,
      );
      const updates = statementsOf(t).find((s) => [s.Action].flat().includes('lambda:UpdateFunctionCode'));
      expect(JSON.stringify(updates?.Resource)).toContain(`function:ias-${env}-allocate-order`);
      expect(JSON.stringify(updates?.Resource)).not.toMatch(
        /ias-(dev|staging|prod)-/.source.replace(env, 'x'),
      );
    }
  });

  it('has the pipelines assume those roles instead of acting in the other accounts themselves', () => {
    const t = Template.fromStack(multi.delivery?.pipelines.function.get('allocate-order') as never);
    const statements = statementsOf(t);
    const assume = statements.filter((s) => [s.Action].flat().includes('sts:AssumeRole'));
    const assumed = JSON.stringify(assume.map((s) => s.Resource));
    for (const env of ['dev', 'staging', 'prod'] as const) {
      expect(assumed).toContain(`arn:aws:iam::${ACCOUNTS[env]}:role/ias-${env}-delivery`);
    }
    expect(statements.some((s) => [s.Action].flat().includes('lambda:UpdateFunctionCode'))).toBe(false);
    const pipeline = Object.values(t.findResources('AWS::CodePipeline::Pipeline'))[0]?.Properties as {
      Stages: { Name: string; Actions: { Name: string; Configuration: Record<string, unknown> }[] }[];
    };
    const deploy = pipeline.Stages.find((s) => s.Name === 'Deploy-prod')?.Actions.find(
      (a) => a.Name === 'Deploy',
    );
    expect(JSON.parse(deploy?.Configuration.UserParameters as string).roleArn).toBe(
      `arn:aws:iam::${ACCOUNTS.prod}:role/ias-prod-delivery`,
    );
  });

  it("runs the service's deploy actions as the environment's delivery role, and lets the tooling build push", () => {
    const t = Template.fromStack(multi.delivery?.pipelines.service.get('inventory-api') as never);
    const pipeline = Object.values(t.findResources('AWS::CodePipeline::Pipeline'))[0]?.Properties as {
      Stages: { Name: string; Actions: { Name: string; RoleArn?: unknown }[] }[];
    };
    const deploy = pipeline.Stages.find((s) => s.Name === 'Deploy-prod')?.Actions.find(
      (a) => a.Name === 'Deploy',
    );
    expect(deploy?.RoleArn).toBe(`arn:aws:iam::${ACCOUNTS.prod}:role/ias-prod-delivery`);
    const prod = multi.stages.find((s) => s.naming.env === 'prod');
    const repo = Object.values(
      Template.fromStack(prod?.foundation as never).findResources('AWS::ECR::Repository'),
    )[0]?.Properties;
    const push = repo.RepositoryPolicyText.Statement[0];
    expect(JSON.stringify(push.Principal)).toContain(`:iam::${ACCOUNTS.tooling}:root`);
    expect(JSON.stringify(push.Condition)).toContain(
      `:iam::${ACCOUNTS.tooling}:role/ias-inventory-api-build`,
    );
  });

  it("deploys the EC2 revision as the environment's delivery role, and lets only that fleet's instances read it", () => {
    const t = Template.fromStack(multi.delivery?.pipelines.service.get('inventory-api') as never);
    const pipeline = Object.values(t.findResources('AWS::CodePipeline::Pipeline'))[0]?.Properties as {
      Stages: {
        Name: string;
        Actions: { Name: string; RoleArn?: unknown; ActionTypeId: { Provider: string } }[];
      }[];
    };
    const deploy = pipeline.Stages.find((s) => s.Name === 'Deploy-prod')?.Actions.find(
      (a) => a.Name === 'DeployEc2',
    );
    expect(deploy?.ActionTypeId.Provider).toBe('CodeDeploy');
    expect(deploy?.RoleArn).toBe(`arn:aws:iam::${ACCOUNTS.prod}:role/ias-prod-delivery`);
    // The artifact store admits each environment's instance role by ARN (the role may not exist yet).
    const policy = Object.values(t.findResources('AWS::S3::BucketPolicy'))
      .flatMap(
        (p) =>
          p.Properties.PolicyDocument.Statement as {
            Principal?: unknown;
            Condition?: unknown;
            Action: unknown;
          }[],
      )
      .filter((st) => JSON.stringify(st.Condition ?? {}).includes('-inventory-api-instance'));
    expect(policy.map((st) => JSON.stringify(st.Condition)).sort()).toEqual(
      (['dev', 'staging', 'prod'] as const)
        .map((env) =>
          JSON.stringify({
            ArnEquals: {
              'aws:PrincipalArn': `arn:aws:iam::${ACCOUNTS[env]}:role/ias-${env}-inventory-api-instance`,
            },
          }),
        )
        .sort(),
    );
    // And the pipelines' key, through S3 only, in the delivery stack's key policy.
    const keyPolicy = JSON.stringify(
      Object.values(Template.fromStack(multi.delivery?.shared as never).findResources('AWS::KMS::Key'))[0]
        ?.Properties.KeyPolicy,
    );
    for (const env of ['dev', 'staging', 'prod'] as const) {
      expect(keyPolicy).toContain(`arn:aws:iam::${ACCOUNTS[env]}:role/ias-${env}-inventory-api-instance`);
    }
    expect(keyPolicy).toContain('s3.ap-northeast-1.amazonaws.com');
    // The environment's instances read the tooling account's store and key.
    const prod = multi.stages.find((s) => s.naming.env === 'prod');
    const fleet = prod?.node.findChild('ec2-inventory-api');
    const reads = statementsOf(Template.fromStack(fleet as never))
      .filter((st) => [st.Action].flat().includes('s3:GetObject'))
      .flatMap((st) => [st.Resource].flat().map((r) => JSON.stringify(r)));
    expect(reads.join(' ')).toContain(`ias-inventory-api-artifact-store-${ACCOUNTS.tooling}/*`);
  });

  it('refuses accounts named on one side only', () => {
    const envs = profiles(true);
    expect(() => parseDelivery(delivery, envs)).toThrow(ConfigError);
    expect(() => parseDelivery(delivery, envs)).toThrow(
      /the dev profile names account 222222222222; name the tooling account the pipelines live in too/,
    );
    expect(() => parseDelivery({ ...delivery, account: ACCOUNTS.tooling }, profiles(false))).toThrow(
      /the pipelines live in 111111111111 but the dev profile names no account/,
    );
  });

  it('refuses a notification address that is not an e-mail address, naming its place', () => {
    expect(() => parseDelivery({ ...delivery, notificationEmails: ['team'] }, profiles(false))).toThrow(
      /notificationEmails\.0: must be an e-mail address/,
    );
  });
});
