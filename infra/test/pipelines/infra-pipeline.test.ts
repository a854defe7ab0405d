import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app';
import { delivery } from '../../lib/config/delivery';
import { environments } from '../../lib/config/environments';
import { parseDelivery, parseEnvironments, type ProjectConfig } from '../../lib/config/load';
import { cdkContext } from '../../lib/config/project';
import { TEST_PREFIX } from '../support/stages';

interface Action {
  Name: string;
  ActionTypeId: { Category: string; Provider: string };
  Configuration: Record<string, unknown>;
  RunOrder: number;
  RoleArn?: unknown;
}
interface PipelineStage {
  Name: string;
  Actions: Action[];
}

const ACCOUNTS = {
  tooling: '111111111111',
  dev: '222222222222',
  staging: '333333333333',
  prod: '444444444444',
};

function infraPipeline(multiAccount: boolean) {
  const raw = structuredClone(environments) as unknown as Record<string, Record<string, unknown>>;
  if (multiAccount) {
    for (const env of ['dev', 'staging', 'prod'] as const) {
      (raw[env] as Record<string, unknown>).account = ACCOUNTS[env];
    }
  }
  const envs = parseEnvironments(raw, TEST_PREFIX);
  const config: ProjectConfig = {
    prefix: TEST_PREFIX,
    environments: envs,
    functions: [],
    services: [],
    delivery: parseDelivery({ ...delivery, ...(multiAccount ? { account: ACCOUNTS.tooling } : {}) }, envs),
  };
  const built = buildApp(config, { context: cdkContext(), policyGates: false });
  const stack = built.delivery?.infrastructure;
  if (!stack) throw new Error('no infrastructure pipeline');
  const template = Template.fromStack(stack);
  const pipeline = Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0]?.Properties as {
    Name: string;
    PipelineType: string;
    Stages: PipelineStage[];
  };
  return { stack, template, pipeline, shared: Template.fromStack(built.delivery?.shared as never) };
}

const single = infraPipeline(false);

describe('the infrastructure pipeline', () => {
  it('is <prefix>-infra-pipeline, V2: source, synth with every check, self-mutation, then a wave per environment', () => {
    expect(single.pipeline.Name).toBe('ias-infra-pipeline');
    expect(single.pipeline.PipelineType).toBe('V2');
    expect(single.pipeline.Stages.map((s) => s.Name)).toEqual([
      'Source',
      'Build',
      'UpdatePipeline',
      'Assets',
      'ias-dev',
      'ias-staging',
      'ias-prod',
    ]);
    const synth = Object.values(single.template.findResources('AWS::CodeBuild::Project'))
      .map((p) => JSON.stringify(p.Properties.Source.BuildSpec))
      .find((spec) => spec.includes('npm start'));
    for (const command of ['npm ci', 'npm run lint', 'npm test', 'npm start']) {
      expect(synth).toContain(command);
    }
    expect(synth).toContain('infra/cdk.out');
  });

  it('writes the diff of each environment before it deploys, and asks a person after the diff before prod', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const stage = single.pipeline.Stages.find((s) => s.Name === `ias-${env}`) as PipelineStage;
      const diff = stage.Actions.find((a) => a.Name === `Diff-${env}`) as Action;
      const approval = stage.Actions.find((a) => a.ActionTypeId.Category === 'Approval');
      const first = Math.min(
        ...stage.Actions.filter((a) => a.ActionTypeId.Provider === 'CloudFormation').map((a) => a.RunOrder),
      );
      expect(diff.RunOrder).toBeLessThan(first);
      if (env === 'prod') {
        expect(approval?.RunOrder).toBeGreaterThan(diff.RunOrder);
        expect(approval?.RunOrder).toBeLessThan(first);
      } else {
        expect(approval).toBeUndefined();
      }
    }
    const diffSpec = Object.values(single.template.findResources('AWS::CodeBuild::Project'))
      .map((p) => JSON.stringify(p.Properties.Source.BuildSpec))
      .find((spec) => spec.includes('diff-prod.txt'));
    expect(diffSpec).toContain("aws-cdk@2.1148.1 diff --app . --method template 'ias-prod/*'");
  });

  it('deploys only the environments’ stacks, through change sets, never a pipeline', () => {
    const stacks = single.pipeline.Stages.flatMap((s) => s.Actions)
      .filter((a) => a.ActionTypeId.Provider === 'CloudFormation')
      .map((a) => [a.Configuration.StackName, a.Configuration.ActionMode] as const);
    const names = new Set(stacks.map(([n]) => n));
    expect([...names].every((n) => /^ias-(dev|staging|prod)-/.test(String(n)))).toBe(true);
    expect(names.has('ias-prod-foundation')).toBe(true);
    expect(new Set(stacks.map(([, mode]) => mode))).toEqual(
      new Set(['CHANGE_SET_REPLACE', 'CHANGE_SET_EXECUTE']),
    );
  });

  it("lets each diff step assume only the CDK bootstrap's read-only lookup role", () => {
    const statements = Object.values(single.template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const lookups = statements.filter(
      (s) =>
        [s.Action].flat().includes('sts:AssumeRole') && JSON.stringify(s.Resource).includes('lookup-role'),
    );
    expect(lookups).toHaveLength(3);
    for (const s of lookups) expect(JSON.stringify(s.Resource)).toMatch(/cdk-hnb659fds-lookup-role-/);
  });
});

describe('across accounts', () => {
  const multi = infraPipeline(true);

  it('deploys each environment with the bootstrap roles of its own account', () => {
    for (const env of ['dev', 'staging', 'prod'] as const) {
      const stage = multi.pipeline.Stages.find((s) => s.Name === `ias-${env}`) as PipelineStage;
      for (const action of stage.Actions.filter((a) => a.ActionTypeId.Provider === 'CloudFormation')) {
        expect(JSON.stringify(action.RoleArn)).toContain(
          `:${ACCOUNTS[env]}:role/cdk-hnb659fds-deploy-role-${ACCOUNTS[env]}`,
        );
      }
    }
    expect(multi.stack.account).toBe(ACCOUNTS.tooling);
  });

  it('lets the target accounts decrypt the artifacts, through S3 only', () => {
    const key = Object.values(multi.shared.findResources('AWS::KMS::Key'))[0]?.Properties.KeyPolicy
      .Statement as {
      Principal: { AWS: unknown };
      Action: string[];
      Condition?: Record<string, Record<string, string>>;
    }[];
    const grant = key.find((s) => JSON.stringify(s.Principal).includes(ACCOUNTS.prod));
    expect(grant?.Action).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
    expect(grant?.Condition?.StringEquals?.['kms:ViaService']).toBe('s3.ap-northeast-1.amazonaws.com');
    for (const account of [ACCOUNTS.dev, ACCOUNTS.staging])
      expect(JSON.stringify(grant?.Principal)).toContain(account);
  });
});
