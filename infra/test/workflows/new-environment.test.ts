/**
 * Adding an environment is one profile entry (README "Adding an environment"): given a copy of the
 * profiles with `qa` between dev and staging, on its own network range, and nothing else changed, the
 * app gives qa its stage with every stack dev has, a stage in every pipeline between dev and staging,
 * its operator policy and its GitHub deploy role, and the workflows' matrix (targets.yml over what
 * `ias-ops targets` prints) deploys to it after dev and before staging.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cdkContext, loadProject, parseDelivery, parseEnvironments, REPO_ROOT } from '@ias/infra/config';
import { SERVICE_BUILDSPEC, withServiceImageArtifacts } from '@ias/infra/pipelines';
import { synthesize } from '@ias/infra/synth';
import { parse } from 'yaml';
import { delivery } from '../../lib/config/delivery';
import { environments } from '../../lib/config/environments';
import { loadWorkflows, runStep, stepOf, targetsOf } from './support';

const QA_CIDR = '10.40.0.0/16';

/** The real profiles with one entry added: qa, staging's profile on its own network range. */
const profiles = {
  dev: environments.dev,
  qa: {
    ...environments.staging,
    network: { ...environments.staging.network, vpcCidr: QA_CIDR },
    alarms: { ...environments.staging.alarms, notificationEmails: ['platform-qa@example.com'] },
  },
  staging: environments.staging,
  prod: environments.prod,
};

const real = loadProject({});
const { prefix } = real;
const envs = parseEnvironments(profiles, prefix);
const project = { ...real, environments: envs, delivery: parseDelivery(delivery, envs) };

interface Template {
  readonly Resources: Record<
    string,
    { readonly Type: string; readonly Properties?: Record<string, unknown> }
  >;
}

let dir = '';

/** The stacks of one stage of the assembly: stack name → template. */
function stage(name: string): Map<string, Template> {
  const stageDir = join(dir, `assembly-${prefix}-${name}`);
  const manifest = JSON.parse(readFileSync(join(stageDir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { stackName?: string; templateFile?: string } }>;
  };
  return new Map(
    Object.values(manifest.artifacts)
      .filter((a) => a.type === 'aws:cloudformation:stack')
      .map((a) => [
        a.properties?.stackName ?? '',
        JSON.parse(readFileSync(join(stageDir, a.properties?.templateFile ?? ''), 'utf8')) as Template,
      ]),
  );
}

function resources(template: Template | undefined, type: string) {
  return Object.values(template?.Resources ?? {})
    .filter((r) => r.Type === type)
    .map((r) => r.Properties ?? {});
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'new-environment-'));
  // The guard rules run over the real app's assembly (global setup); cdk-nag still runs here.
  synthesize(project, { outdir: dir, context: cdkContext(), guardRules: false });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a new environment, from one profile entry', () => {
  it('gets its stage with every stack dev has, on its own network range', () => {
    const dev = [...stage('dev').keys()];
    const qa = stage('qa');
    expect([...qa.keys()]).toEqual(dev.map((name) => name.replace(`${prefix}-dev-`, `${prefix}-qa-`)));
    expect(resources(qa.get(`${prefix}-qa-network`), 'AWS::EC2::VPC')).toEqual([
      expect.objectContaining({ CidrBlock: QA_CIDR }),
    ]);
  });

  it('gets a stage in every pipeline, after dev and before staging', () => {
    const pipelines = [...stage('delivery').values()].flatMap((t) =>
      resources(t, 'AWS::CodePipeline::Pipeline'),
    );
    const stages = pipelines.map((pipeline) =>
      (pipeline['Stages'] as { Name: string }[])
        .map((s) => s.Name)
        .filter((name) => /^(Deploy|Approve)-/.test(name) || name.startsWith(`${prefix}-`)),
    );
    // Each function's and service's pipeline deploys per environment; the infrastructure pipeline has a
    // stage per environment's stage.
    const application = ['Deploy-dev', 'Deploy-qa', 'Deploy-staging', 'Approve-prod', 'Deploy-prod'];
    const infrastructure = ['dev', 'qa', 'staging', 'prod'].map((env) => `${prefix}-${env}`);
    expect(stages.filter((s) => s.join() === application.join())).toHaveLength(
      real.functions.length + (real.services ?? []).length,
    );
    expect(stages.filter((s) => s.join() === infrastructure.join())).toHaveLength(1);
    expect(stages).toHaveLength(real.functions.length + (real.services ?? []).length + 1);
  });

  it('gets its operator policy and its GitHub deploy role, trusting its own GitHub environment', () => {
    expect(resources(stage('qa').get(`${prefix}-qa-config`), 'AWS::IAM::ManagedPolicy')).toEqual(
      expect.arrayContaining([expect.objectContaining({ ManagedPolicyName: `${prefix}-qa-operator` })]),
    );
    const roles = [...stage('delivery').values()].flatMap((t) => resources(t, 'AWS::IAM::Role'));
    const role = roles.find((r) => r['RoleName'] === `${prefix}-qa-github-deploy`);
    expect(JSON.stringify(role?.['AssumeRolePolicyDocument'])).toContain(
      `"repo:${delivery.source.repository}:environment:qa"`,
    );
  });

  // CodeBuild reads the service buildspec from the repository, so its per-environment image artifacts
  // are a file that `npm run buildspecs` writes from the profiles (README "Adding an environment").
  it('gets its image artifact from the service build once npm run buildspecs has written it', () => {
    const text = readFileSync(join(REPO_ROOT, SERVICE_BUILDSPEC), 'utf8');
    const names = (buildspec: string) =>
      Object.keys(
        (parse(buildspec) as { artifacts: { 'secondary-artifacts': Record<string, unknown> } }).artifacts[
          'secondary-artifacts'
        ],
      );
    expect(
      names(
        withServiceImageArtifacts(
          text,
          envs.map((e) => e.name),
        ),
      ),
    ).toEqual(['Image_dev', 'Image_qa', 'Image_staging', 'Image_prod']);
    // The file in the repository is what the script writes for the real profiles, to the byte.
    expect(
      withServiceImageArtifacts(
        text,
        real.environments.map((e) => e.name),
      ),
    ).toBe(text);
    expect(() => withServiceImageArtifacts('version: 0.2\n', ['dev'])).toThrow(/no "secondary-artifacts:"/);
  });

  it('gets a place in the workflows’ matrix: after dev, before staging, for every kind', () => {
    const workflows = loadWorkflows();
    const list = stepOf(
      workflows.find((f) => f.name === 'targets.yml'),
      'targets',
      'targets',
    );
    const expected = [
      { environment: 'dev', previous: '', failOn: 'CRITICAL' },
      { environment: 'qa', previous: 'dev', failOn: 'HIGH' },
      { environment: 'staging', previous: 'qa', failOn: 'HIGH' },
      { environment: 'prod', previous: 'staging', failOn: 'HIGH' },
    ];
    for (const kind of ['function', 'service', ''] as const) {
      const run = runStep(
        list,
        { KIND: kind },
        { npxOutput: JSON.stringify(targetsOf(project, kind === '' ? {} : { kind })) },
      );
      expect(run.npx).toEqual([['ias-ops', 'targets', ...(kind === '' ? [] : ['--kind', kind]), '--json']]);
      expect(JSON.parse(run.outputs['environments'] ?? '')).toEqual(expected);
    }
    // Lambda delivery: develop goes to the first environment, main to every later one, qa first.
    const branch = stepOf(
      workflows.find((f) => f.name === 'lambda-delivery.yml'),
      'plan',
      'environments',
    );
    const on = (ref: string) =>
      JSON.parse(
        runStep(branch, { GITHUB_REF: ref, ENVIRONMENTS: JSON.stringify(expected) }).outputs[
          'environments'
        ] ?? '',
      ) as unknown;
    expect(on('refs/heads/develop')).toEqual(expected.slice(0, 1));
    expect(on('refs/heads/main')).toEqual(expected.slice(1));
    expect(on('refs/heads/feature')).toEqual([]);
  });
});
