import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { userParametersSchema } from '@ias/delivery';
import { parse } from 'yaml';
import { delivery } from '../../lib/config/delivery';
import { environments } from '../../lib/config/environments';
import { parseDelivery, parseEnvironments } from '../../lib/config/load';
import { cdkContext, REPO_ROOT } from '../../lib/config/project';
import { DeliveryStage } from '../../lib/delivery-stage';
import { SERVICE_BUILDSPEC } from '../../lib/pipelines/buildspecs';
import { SERVICES, TEST_PREFIX } from '../support/stages';
import { asInvoked, userParameters } from '../support/user-parameters';

const envs = parseEnvironments(environments, TEST_PREFIX);
const stage = new DeliveryStage(new App({ context: cdkContext() }), `${TEST_PREFIX}-delivery`, {
  prefix: TEST_PREFIX,
  delivery: parseDelivery(delivery, envs),
  environments: envs,
  functions: [],
  services: SERVICES,
});
const stack = stage.pipelines.service.get('inventory-api');
if (!stack) throw new Error('no inventory-api pipeline');
const t = Template.fromStack(stack);
const pipeline = Object.values(t.findResources('AWS::CodePipeline::Pipeline'))[0]?.Properties as {
  Name: string;
  PipelineType: string;
  Stages: {
    Name: string;
    Actions: {
      Name: string;
      ActionTypeId: { Provider: string };
      Configuration: Record<string, unknown>;
      RunOrder?: number;
    }[];
  }[];
  Triggers: { GitConfiguration: { Push: { FilePaths: { Includes: string[] } }[] } }[];
};

describe("a container service's pipeline", () => {
  it('is ias-<service>-pipeline, V2, triggered only by the service folder or the shared core', () => {
    expect(pipeline.Name).toBe('ias-inventory-api-pipeline');
    expect(pipeline.PipelineType).toBe('V2');
    expect(pipeline.Triggers[0]?.GitConfiguration.Push[0]?.FilePaths.Includes).toEqual([
      'app/services/inventory-api/**',
      'app/core/**',
    ]);
  });

  it('builds once, then per environment ensures the service, deploys by its strategy and records the image; prod after approval', () => {
    expect(stack.stages).toEqual([
      { name: 'Source', actions: ['Source'] },
      { name: 'Build', actions: ['Build'] },
      { name: 'Deploy-dev', actions: ['SupplyChainGate', 'EnsureService', 'Deploy', 'RecordImage'] },
      { name: 'Deploy-staging', actions: ['SupplyChainGate', 'EnsureService', 'Deploy', 'RecordImage'] },
      { name: 'Approve-prod', actions: ['Approve'] },
      { name: 'Deploy-prod', actions: ['SupplyChainGate', 'EnsureService', 'Deploy', 'RecordImage'] },
    ]);
    const deploy = (env: string) =>
      pipeline.Stages.find((s) => s.Name === `Deploy-${env}`)?.Actions.find((a) => a.Name === 'Deploy');
    // dev rolls and staging runs Amazon ECS blue/green: both through the ECS action.
    expect(deploy('dev')?.ActionTypeId.Provider).toBe('ECS');
    expect(deploy('dev')?.Configuration).toMatchObject({
      ClusterName: 'ias-dev-cluster',
      ServiceName: 'ias-dev-inventory-api',
      FileName: 'imagedefinitions.json',
    });
    expect(deploy('staging')?.ActionTypeId.Provider).toBe('ECS');
    expect(deploy('prod')?.ActionTypeId.Provider).toBe('CodeDeployToECS');
    expect(deploy('prod')?.Configuration).toMatchObject({
      ApplicationName: 'ias-prod-inventory-api-app',
      DeploymentGroupName: 'ias-prod-inventory-api-group',
      TaskDefinitionTemplatePath: 'taskdef-prod.json',
      AppSpecTemplatePath: 'appspec-prod.yaml',
      Image1ContainerName: 'IMAGE1_NAME',
      Image1ArtifactName: 'Image_prod',
    });
  });

  it("passes the steps UserParameters that the delivery code's own schema accepts", () => {
    const steps = pipeline.Stages.flatMap((s) => s.Actions).filter(
      (a) => a.ActionTypeId.Provider === 'Lambda',
    );
    expect(steps).toHaveLength(9);
    for (const step of steps) {
      const params = userParametersSchema.parse(asInvoked(userParameters(step.Configuration.UserParameters)));
      expect(['supply-chain-gate', 'ensure-service', 'record-service-image']).toContain(params.step);
    }
    const first = userParameters(steps[1]?.Configuration.UserParameters);
    expect(first).toMatchObject({
      stackName: 'ias-dev-svc-inventory-api',
      imageParameter: '/ias/dev/services/inventory-api/image',
    });
  });

  it('builds in a privileged ARM container from the buildspec file, whose per-environment artifacts match the profiles', () => {
    t.hasResourceProperties('AWS::CodeBuild::Project', {
      Name: 'ias-inventory-api-build',
      Source: Match.objectLike({ BuildSpec: SERVICE_BUILDSPEC }),
      Environment: Match.objectLike({ PrivilegedMode: true, Type: 'ARM_CONTAINER' }),
    });
    const spec = parse(readFileSync(join(REPO_ROOT, SERVICE_BUILDSPEC), 'utf8')) as {
      phases: Record<string, { commands: string[] }>;
      artifacts: { 'secondary-artifacts': Record<string, unknown> };
    };
    expect(Object.keys(spec.phases)).toEqual(['install', 'pre_build', 'build', 'post_build']);
    expect(Object.keys(spec.artifacts['secondary-artifacts']).sort()).toEqual(
      envs.map((e) => `Image_${e.name}`).sort(),
    );
    const text = JSON.stringify(spec);
    expect(text).toContain('CODEBUILD_RESOLVED_SOURCE_VERSION');
    expect(text).not.toMatch(/:latest\b/);
    expect(text).toContain('delivery/src/ecs/write-build-files.ts');
    // Each environment's artifact carries the service's audit and the revision's exceptions.
    const post = spec.phases.post_build?.commands.join('\n') ?? '';
    expect(post).toMatch(
      /npm audit --json --omit=dev --workspace "app\/services\/\$\{SERVICE_NAME\}" --registry=https:\/\/registry\.npmjs\.org\/ > supply-chain-out\/audit\.json \|\| true[\s\S]*"error" in r/,
    );
    expect(post).toContain(
      'npx tsx delivery/src/sbom/cli.ts --workspace "app/services/${SERVICE_NAME}" --output supply-chain-out/sbom.cdx.json',
    );
    expect(post).toContain(
      'cp supply-chain-out/audit.json supply-chain-out/sbom.cdx.json supply-chain/exceptions.json "build-files/${env}/supply-chain/"',
    );
  });

  it('lets the build push only to this service’s repositories and the steps touch only its stacks and image parameters', () => {
    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const of = (action: string) => statements.filter((s) => [s.Action].flat().includes(action));
    const pushTo = JSON.stringify(of('ecr:PutImage').map((s) => s.Resource));
    for (const env of ['dev', 'staging', 'prod']) expect(pushTo).toContain(`ias-${env}-inventory-api`);
    expect(pushTo).not.toContain('"*"');
    for (const s of of('cloudformation:UpdateStack')) {
      expect(JSON.stringify(s.Resource)).toMatch(/stack\/ias-(dev|staging|prod)-svc-inventory-api\/\*/);
      expect(s.Resource).not.toBe('*');
    }
    for (const s of of('ssm:PutParameter')) {
      expect(JSON.stringify(s.Resource)).toContain('parameter/ias/prod/services/inventory-api/image');
    }
  });

  it("writes CodeDeploy's appspec hooks per environment: the green check, then the canary gate after production traffic moves", () => {
    const build = Object.values(t.findResources('AWS::CodeBuild::Project')).find(
      (p) => p.Properties.Name === 'ias-inventory-api-build',
    );
    const variables = build?.Properties.Environment.EnvironmentVariables as {
      Name: string;
      Value: unknown;
    }[];
    const value = variables.find((v) => v.Name === 'TARGETS')?.Value as { 'Fn::Join': [string, unknown[]] };
    // The account and URL suffix are references; the hooks are plain names.
    const text = value['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : '<ref>')).join('');
    const targets = JSON.parse(text) as Record<string, { hooks?: Record<string, string> }>;
    // dev rolls and staging is Amazon ECS's own blue/green (the service's hooks): no appspec hooks.
    expect(Object.fromEntries(Object.entries(targets).map(([env, target]) => [env, target.hooks]))).toEqual({
      dev: undefined,
      staging: undefined,
      prod: {
        afterAllowTestTraffic: 'ias-prod-inventory-api-green-check',
        afterAllowTraffic: 'ias-prod-inventory-api-canary-gate',
      },
    });
  });
});
