import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { readTrafficHookConfig, userParametersSchema } from '@ias/delivery';
import { parse } from 'yaml';
import { EnvironmentStage } from '../../lib/environment-stage';
import { parseDelivery, parseEnvironments } from '../../lib/config/load';
import { environments } from '../../lib/config/environments';
import { delivery } from '../../lib/config/delivery';
import { loadFunctions, type FunctionDefinition } from '../../lib/config/functions';
import { cdkContext, FUNCTIONS_DIR, REPO_ROOT } from '../../lib/config/project';
import { ConfigError } from '../../lib/config/errors';
import { DeliveryStage } from '../../lib/delivery-stage';
import { BUILDSPECS, SUPPLY_CHAIN_ARTIFACT } from '../../lib/pipelines/buildspecs';
import { environmentConfig, TEST_PREFIX } from '../support/stages';
import { asInvoked, userParameters } from '../support/user-parameters';

const envs = parseEnvironments(environments, TEST_PREFIX);
const settings = parseDelivery(delivery, envs);
const functions = loadFunctions(FUNCTIONS_DIR, REPO_ROOT);

function deliveryStage(defs: readonly FunctionDefinition[] = functions, config = settings): DeliveryStage {
  return new DeliveryStage(new App({ context: cdkContext() }), `${TEST_PREFIX}-delivery`, {
    prefix: TEST_PREFIX,
    delivery: config,
    environments: envs,
    functions: defs,
  });
}

const stage = deliveryStage();
const allocate = Template.fromStack(stage.pipelines.function.get('allocate-order') ?? stage.shared);
const shared = Template.fromStack(stage.shared);

/** Every statement of every identity policy in a template, with the role it is attached to. */
function statements(template: Template): { roles: unknown; Action: string | string[]; Resource: unknown }[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) =>
    (p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).map(
      (s) => ({
        ...s,
        roles: p.Properties.Roles,
      }),
    ),
  );
}
const actionsOf = (s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('the function pipeline (seed 003)', () => {
  it('is one CodePipeline V2 per function, named from the prefix and the function, with the seed’s stages', () => {
    expect([...stage.pipelines.function.values()].map((p) => p.stackName)).toEqual([
      'ias-allocate-order-pipeline',
      'ias-import-stock-pipeline',
    ]);
    const pipeline = stage.pipelines.function.get('allocate-order');
    expect(pipeline?.stages).toEqual([
      { name: 'Source', actions: ['Source'] },
      { name: 'CheckLambdaFunction', actions: ['CheckLambdaFunction'] },
      { name: 'Build', actions: ['Build'] },
      { name: 'Deploy-dev', actions: ['SupplyChainGate', 'CreateAppSpecFile', 'Deploy'] },
      {
        name: 'Deploy-staging',
        actions: ['SupplyChainGate', 'CheckLambdaFunction', 'CreateAppSpecFile', 'Deploy'],
      },
      { name: 'Approve-prod', actions: ['Approve'] },
      {
        name: 'Deploy-prod',
        actions: ['SupplyChainGate', 'CheckLambdaFunction', 'CreateAppSpecFile', 'Deploy'],
      },
    ]);
    allocate.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Name: 'ias-allocate-order-pipeline',
      PipelineType: 'V2',
      ExecutionMode: 'QUEUED',
      ArtifactStore: { Type: 'S3', Location: Match.anyValue(), EncryptionKey: Match.anyValue() },
    });
  });

  it('stores artifacts in the bucket the seed names, emptied and removed by cdk destroy', () => {
    allocate.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        BucketName: {
          'Fn::Join': ['', ['ias-allocate-order-artifact-store-', { Ref: 'AWS::AccountId' }]],
        },
      }),
      DeletionPolicy: 'Delete',
    });
  });

  it('starts only on pushes to the branch that touch the function’s folder or the shared code', () => {
    allocate.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Triggers: [
        {
          ProviderType: 'CodeStarSourceConnection',
          GitConfiguration: {
            SourceActionName: 'Source',
            Push: [
              {
                Branches: { Includes: ['main'] },
                FilePaths: {
                  Includes: ['app/functions/allocate-order/**', 'app/functions/common/**', 'app/core/**'],
                },
              },
            ],
          },
        },
      ],
      Stages: Match.arrayWith([
        Match.objectLike({
          Name: 'Source',
          Actions: [
            Match.objectLike({
              ActionTypeId: Match.objectLike({ Provider: 'CodeStarSourceConnection' }),
              Configuration: Match.objectLike({
                FullRepositoryId: 'your-org/aws-delivery-platform',
                BranchName: 'main',
                ConnectionArn: Match.anyValue(),
              }),
            }),
          ],
        }),
      ]),
    });
  });

  it('creates the GitHub connection unless the settings name one', () => {
    shared.hasResourceProperties('AWS::CodeConnections::Connection', {
      ConnectionName: 'ias-github',
      ProviderType: 'GitHub',
    });
    const arn =
      'arn:aws:codeconnections:ap-northeast-1:123456789012:connection/0b5b1e9e-1234-4d6e-9f00-123456789abc';
    const withArn = deliveryStage(functions, {
      ...settings,
      source: { ...settings.source, connectionArn: arn },
    });
    Template.fromStack(withArn.shared).resourceCountIs('AWS::CodeConnections::Connection', 0);
    Template.fromStack(
      withArn.pipelines.function.get('allocate-order') ?? withArn.shared,
    ).hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Stages: Match.arrayWith([
        Match.objectLike({
          Actions: [Match.objectLike({ Configuration: Match.objectLike({ ConnectionArn: arn }) })],
        }),
      ]),
    });
  });

  it('deploys the one built zip to every environment with the steps function, and asks before prod', () => {
    const template = allocate.toJSON();
    const pipeline = Object.values(
      template.Resources as Record<
        string,
        {
          Type: string;
          Properties: {
            Stages: {
              Name: string;
              Actions: {
                Name: string;
                InputArtifacts?: { Name: string }[];
                OutputArtifacts?: { Name: string }[];
                Configuration?: Record<string, unknown>;
              }[];
            }[];
          };
        }
      >,
    ).find((r) => r.Type === 'AWS::CodePipeline::Pipeline');
    const stages = pipeline?.Properties.Stages ?? [];
    const build = stages.find((s) => s.Name === 'Build')?.Actions[0];
    // The deployment package, and beside it the bundle's audit with the revision's exceptions.
    expect(build?.OutputArtifacts).toEqual([{ Name: 'BuildOutput' }, { Name: SUPPLY_CHAIN_ARTIFACT }]);
    for (const env of ['dev', 'staging', 'prod']) {
      const actions = stages.find((s) => s.Name === `Deploy-${env}`)?.Actions ?? [];
      const create = actions.find((a) => a.Name === 'CreateAppSpecFile');
      const deploy = actions.find((a) => a.Name === 'Deploy');
      expect(create?.InputArtifacts).toEqual([{ Name: 'BuildOutput' }]);
      expect(deploy?.InputArtifacts).toEqual(create?.OutputArtifacts);
      const parameters = userParameters(deploy?.Configuration?.UserParameters);
      expect(parameters).toEqual({
        step: 'deploy',
        environment: env,
        functionName: `ias-${env}-allocate-order`,
        alias: 'live',
        application: `ias-${env}-allocate-order-app`,
        deploymentGroup: `ias-${env}-allocate-order-group`,
        hooks: {
          beforeAllowTraffic: `ias-${env}-pre-traffic-hook`,
          afterAllowTraffic: `ias-${env}-post-traffic-hook`,
        },
        timeoutMinutes: 90,
        // What went live is recorded in the environment's ledger, with the source commit and the
        // SBOM the stage's gate stored.
        ledger: {
          table: `ias-${env}-releases`,
          name: `ias-${env}-allocate-order`,
          configurationPath: `/ias/${env}/`,
          commit: '#{SourceVariables.CommitId}',
          sbom: { bucket: `#{SupplyChain-${env}.SbomBucket}`, key: `#{SupplyChain-${env}.SbomKey}` },
        },
      });
    }
    const approve = stages.find((s) => s.Name === 'Approve-prod')?.Actions[0];
    expect(approve).toMatchObject({ ActionTypeId: { Category: 'Approval', Provider: 'Manual' } });
    expect(stages.findIndex((s) => s.Name === 'Approve-prod')).toBe(
      stages.findIndex((s) => s.Name === 'Deploy-prod') - 1,
    );
  });

  it('builds in CodeBuild from the buildspec files, with CodeArtifact and the function named', () => {
    for (const [name, spec] of [
      ['ias-allocate-order-build', BUILDSPECS.build],
      ['ias-allocate-order-check', BUILDSPECS.check],
    ] as const) {
      allocate.hasResourceProperties('AWS::CodeBuild::Project', {
        Name: name,
        Source: { Type: 'CODEPIPELINE', BuildSpec: spec },
        Environment: Match.objectLike({
          Type: 'ARM_CONTAINER',
          EnvironmentVariables: Match.arrayWith([
            { Name: 'FUNCTION_NAME', Type: 'PLAINTEXT', Value: 'allocate-order' },
            { Name: 'CODEARTIFACT_DOMAIN', Type: 'PLAINTEXT', Value: 'ias-dev-packages' },
            { Name: 'CODEARTIFACT_REPOSITORY', Type: 'PLAINTEXT', Value: 'ias-dev-npm' },
          ]),
        }),
      });
    }
  });

  it('has buildspecs with the seed’s phases: CodeArtifact install, tests and lint, bundle and zip, reports', () => {
    const build = parse(readFileSync(join(REPO_ROOT, BUILDSPECS.build), 'utf8')) as {
      version: number;
      phases: Record<string, { commands: string[] }>;
      reports: Record<string, { 'file-format': string }>;
      artifacts: { 'base-directory': string; 'secondary-artifacts': Record<string, unknown> };
    };
    expect(build.version).toBe(0.2);
    expect(Object.keys(build.phases)).toEqual(['install', 'pre_build', 'build']);
    expect(build.phases.install?.commands.join('\n')).toMatch(
      /aws codeartifact login --tool npm[\s\S]*npm ci/,
    );
    expect(build.phases.pre_build?.commands.join('\n')).toMatch(/eslint[\s\S]*npm test --workspace/);
    expect(build.phases.build?.commands.join('\n')).toMatch(/npm run build --workspace[\s\S]*zip -qr/);
    expect(build.reports['unit-tests']?.['file-format']).toBe('JUNITXML');
    expect(build.artifacts['base-directory']).toBe('package');
    // The audit travels beside the package, never inside the zip Lambda runs.
    expect(build.phases.build?.commands.join('\n')).toMatch(
      /npm audit --json --omit=dev --workspace "app\/functions\/\$\{FUNCTION_NAME\}" --registry=https:\/\/registry\.npmjs\.org\/ > supply-chain-out\/supply-chain\/audit\.json \|\| true[\s\S]*"error" in r[\s\S]*cp supply-chain\/exceptions\.json supply-chain-out\/supply-chain\//,
    );
    // The SBOM, built once from the installed tree with the bundle, travels beside it too.
    expect(build.phases.build?.commands).toContain(
      'npx tsx delivery/src/sbom/cli.ts --workspace "app/functions/${FUNCTION_NAME}" --output supply-chain-out/supply-chain/sbom.cdx.json',
    );
    expect(build.artifacts['secondary-artifacts']).toEqual({
      [SUPPLY_CHAIN_ARTIFACT]: { 'base-directory': 'supply-chain-out', files: ['**/*'] },
    });
    const check = parse(readFileSync(join(REPO_ROOT, BUILDSPECS.check), 'utf8')) as {
      phases: Record<string, { commands: string[] }>;
    };
    expect(check.phases.build?.commands).toEqual([
      'npx tsx infra/scripts/check-function.ts --env "$TARGET_ENV" --function "$FUNCTION_NAME"',
    ]);
  });
});

describe('the contract between the infrastructure and the delivery code', () => {
  it('gives every step action UserParameters that the steps function accepts', () => {
    const pipeline = Object.values(
      allocate.findResources('AWS::CodePipeline::Pipeline') as Record<
        string,
        {
          Properties: {
            Stages: {
              Actions: { ActionTypeId: { Provider: string }; Configuration?: { UserParameters?: unknown } }[];
            }[];
          };
        }
      >,
    )[0];
    const invokes = (pipeline?.Properties.Stages ?? [])
      .flatMap((s) => s.Actions)
      .filter((a) => a.ActionTypeId.Provider === 'Lambda');
    expect(invokes).toHaveLength(9);
    for (const action of invokes) {
      const parsed = userParametersSchema.safeParse(
        asInvoked(userParameters(action.Configuration?.UserParameters)),
      );
      expect(parsed.error).toBeUndefined();
    }
  });

  it('configures each traffic hook the way the hook handler reads it', () => {
    const deployment = new EnvironmentStage(new App({ context: cdkContext() }), 'ias-dev', {
      config: environmentConfig('dev'),
    }).deployment;
    const hooks = Template.fromStack(deployment).findResources('AWS::Lambda::Function', {
      Properties: { FunctionName: Match.stringLikeRegexp('traffic-hook$') },
    });
    const phases = Object.values(hooks).map((h) => {
      const env = (h.Properties as { Environment: { Variables: Record<string, string> } }).Environment
        .Variables;
      return readTrafficHookConfig(env);
    });
    expect(phases).toEqual([
      { phase: 'pre-traffic', smokeEventsPath: '/ias/dev/smoke-events/' },
      { phase: 'post-traffic', smokeEventsPath: '/ias/dev/smoke-events/' },
    ]);
  });
});

describe('least privilege of the pipeline roles (seed 003 §5.1)', () => {
  it('never lets the build role touch Lambda (the seed’s build updates the code; ours only builds)', () => {
    const build = statements(allocate).filter((s) => JSON.stringify(s.roles).includes('BuildRole'));
    expect(build.length).toBeGreaterThan(0);
    expect(build.flatMap(actionsOf).filter((a) => a.startsWith('lambda:'))).toEqual([]);
  });

  it('lets the steps update, publish and deploy only this function, in each environment', () => {
    const steps = statements(allocate).filter((s) => JSON.stringify(s.roles).includes('StepsRole'));
    const lambda = steps.find((s) => actionsOf(s).includes('lambda:UpdateFunctionCode'));
    const resources = JSON.stringify(lambda?.Resource);
    for (const env of ['dev', 'staging', 'prod']) {
      expect(resources).toContain(`:function:ias-${env}-allocate-order"`);
    }
    expect(resources).not.toMatch(/import-stock|function:\*/);
    const deploy = steps.find((s) => actionsOf(s).includes('codedeploy:CreateDeployment'));
    expect(JSON.stringify(deploy?.Resource)).toMatch(
      /deploymentgroup:ias-dev-allocate-order-app\/ias-dev-allocate-order-group/,
    );
    const unscoped = steps.filter((s) => s.Resource === '*').flatMap(actionsOf);
    // StopDeployment takes a deployment ID, no resource: IAM authorizes it on * only.
    expect(unscoped.sort()).toEqual([
      'codedeploy:StopDeployment',
      'codepipeline:PutJobFailureResult',
      'codepipeline:PutJobSuccessResult',
      'secretsmanager:ListSecrets',
    ]);
    // The release ledger: each environment's table, appended to, nothing else.
    const ledger = steps.find((s) => actionsOf(s).includes('dynamodb:PutItem'));
    expect(actionsOf(ledger as never).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
    ]);
    for (const env of ['dev', 'staging', 'prod']) {
      expect(JSON.stringify(ledger?.Resource)).toContain(`:table/ias-${env}-releases`);
    }
  });

  it('lets the check create only this function’s stacks, passing only the CDK execution role', () => {
    const check = statements(allocate).filter((s) => JSON.stringify(s.roles).includes('CheckRole'));
    const cfn = check.find((s) => actionsOf(s).includes('cloudformation:CreateStack'));
    expect(JSON.stringify(cfn?.Resource)).toMatch(/stack\/ias-dev-fn-allocate-order\/\*/);
    expect(JSON.stringify(cfn?.Resource)).not.toMatch(/import-stock/);
    const pass = check.find((s) => actionsOf(s).includes('iam:PassRole'));
    expect(JSON.stringify(pass?.Resource)).toMatch(/cdk-hnb659fds-cfn-exec-role-/);
    expect(pass).toMatchObject({
      Condition: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
    });
  });
});

describe('adding a function', () => {
  it('gives a new function folder its own pipeline with no other edit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'new-function-'));
    mkdirSync(join(dir, 'notify-customer', 'events'), { recursive: true });
    writeFileSync(join(dir, 'notify-customer', 'events', 'smoke.json'), '{"smoke":true}');
    writeFileSync(
      join(dir, 'notify-customer', 'function.json'),
      JSON.stringify({
        description: 'Tells customers',
        trigger: { type: 'sqs' },
        smokeEvent: 'events/smoke.json',
      }),
    );
    const added = deliveryStage([...functions, ...loadFunctions(dir, dir)]);
    const template = Template.fromStack(added.pipelines.function.get('notify-customer') ?? added.shared);
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', { Name: 'ias-notify-customer-pipeline' });
    template.hasResourceProperties('AWS::CodeBuild::Project', { Name: 'ias-notify-customer-build' });
  });
});

describe('delivery settings', () => {
  it('fails on bad settings, listing each problem with its path', () => {
    const bad = () =>
      parseDelivery(
        { region: 'us-east-1', source: { repository: 'nope', branch: 'main' }, approvalBefore: ['qa'] },
        envs,
      );
    expect(bad).toThrow(ConfigError);
    const message = (() => {
      try {
        bad();
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(message.split('\n')[0]).toBe(
      'infra/lib/config/delivery.ts: 1 problem in the delivery settings; fix each and run again:',
    );
    expect(message).toContain('source.repository: must be owner/name of a GitHub repository');
  });

  it('requires every environment in the pipelines’ region and names unknown approval environments', () => {
    const message = (() => {
      try {
        parseDelivery({ ...delivery, region: 'us-east-1', approvalBefore: ['qa'] }, envs);
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(message).toContain('approvalBefore.0: qa is not an environment (known: dev, staging, prod)');
    expect(message).toContain("region: us-east-1 differs from the dev profile's region ap-northeast-1");
  });

  it('owns the report group its build writes test results to, which CodeBuild would otherwise create and keep', () => {
    const groups = Object.values(allocate.findResources('AWS::CodeBuild::ReportGroup'));
    expect(groups.map((g) => g.Properties.Name)).toEqual(['ias-allocate-order-build-unit-tests']);
    expect(groups[0]).toMatchObject({
      Properties: { Type: 'TEST', DeleteReports: true },
      DeletionPolicy: 'Delete',
    });
  });
});
