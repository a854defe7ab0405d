/**
 * What the workflow tests share: the repository's workflows parsed, the targets `ias-ops targets --json`
 * prints (built here from its contract, for a configuration of the test's choosing), and a runner of one
 * step's script with `npx` and `npm` replaced, so that a script's use of ias-ops is checked offline.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { functionTarget, serviceTarget, WORKLOAD_KIND_IDS, type WorkloadKindId } from '@ias/targets';
import { parse } from 'yaml';
import { REPO_ROOT, type ProjectConfig } from '@ias/infra/config';

export const WORKFLOWS_DIR = '.github/workflows';

export interface Step {
  readonly id?: string;
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly env?: Readonly<Record<string, unknown>>;
  readonly with?: Readonly<Record<string, unknown>>;
}

export type Permissions = string | Readonly<Record<string, string>>;

export interface Strategy {
  readonly matrix?: unknown;
  readonly 'max-parallel'?: unknown;
  readonly 'fail-fast'?: unknown;
}

export interface Job {
  readonly uses?: string;
  readonly with?: Readonly<Record<string, unknown>>;
  readonly needs?: string | readonly string[];
  readonly permissions?: Permissions;
  readonly environment?: string | { readonly name?: string };
  readonly concurrency?: string | { readonly group?: string; readonly 'cancel-in-progress'?: unknown };
  readonly strategy?: Strategy;
  readonly steps?: readonly Step[];
}

export interface Workflow {
  readonly on?: unknown;
  readonly permissions?: Permissions;
  readonly jobs?: Readonly<Record<string, Job>>;
}

/** One workflow file: its name under .github/workflows, its text and its parsed document. */
export interface WorkflowFile {
  readonly name: string;
  readonly text: string;
  readonly doc: Workflow;
}

export function workflowFile(name: string, text: string): WorkflowFile {
  return { name, text, doc: parse(text) as Workflow };
}

/** The repository's workflows. */
export function loadWorkflows(): WorkflowFile[] {
  const dir = join(REPO_ROOT, WORKFLOWS_DIR);
  return readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => workflowFile(name, readFileSync(join(dir, name), 'utf8')));
}

/** The step of a workflow's job with this name (or id); throws when there is none. */
export function stepOf(file: WorkflowFile | undefined, jobId: string, step: string): Step {
  const found = file?.doc.jobs?.[jobId]?.steps?.find((s) => s.name === step || s.id === step);
  if (!found) throw new Error(`no step "${step}" in job ${jobId} of ${file?.name ?? 'a missing workflow'}`);
  return found;
}

/** One line of `ias-ops targets --json`, as its contract has it. */
export interface TargetLine {
  readonly kind: WorkloadKindId;
  readonly name: string;
  readonly environment: string;
  /** The environment's supply-chain gate threshold. */
  readonly failOn: string;
  readonly target: Readonly<Record<string, unknown>>;
}

/**
 * What `ias-ops targets --json` prints for a configuration: one object per workload per environment,
 * environments in promotion order, then workloads in name order, each with its target from
 * `@ias/targets`.
 */
export function targetsOf(
  project: ProjectConfig,
  filter: { readonly kind?: WorkloadKindId; readonly env?: string } = {},
): TargetLine[] {
  return project.environments
    .filter((env) => filter.env === undefined || env.name === filter.env)
    .flatMap((env) =>
      [
        ...project.functions.map((f): TargetLine => ({
          kind: 'function',
          name: f.name,
          environment: env.name,
          failOn: env.profile.supplyChain.failOn,
          target: functionTarget(env, f),
        })),
        ...(project.services ?? []).map((s): TargetLine => ({
          kind: 'service',
          name: s.name,
          environment: env.name,
          failOn: env.profile.supplyChain.failOn,
          target: serviceTarget(env, s),
        })),
      ]
        .filter((line) => filter.kind === undefined || line.kind === filter.kind)
        .sort(
          (a, b) =>
            a.name.localeCompare(b.name) ||
            WORKLOAD_KIND_IDS.indexOf(a.kind) - WORKLOAD_KIND_IDS.indexOf(b.kind),
        ),
    );
}

/** What a step's script did: its arguments to each `npx` call, its outputs and its summary. */
export interface StepRun {
  /** The arguments of each `npx` call, without `npx` itself. */
  readonly npx: readonly (readonly string[])[];
  /** What it wrote to `$GITHUB_OUTPUT`, by name. */
  readonly outputs: Readonly<Record<string, string>>;
  /** What it wrote to `$GITHUB_STEP_SUMMARY`. */
  readonly summary: string;
}

/**
 * Runs a step's script as GitHub's `shell: bash` does (`-e -o pipefail`), with `npm` a no-op and `npx`
 * recording its arguments and printing `npxOutput` (what ias-ops would print), in a fresh
 * `$RUNNER_TEMP`; `files` are written there first (relative paths).
 */
export function runStep(
  step: Step,
  env: Readonly<Record<string, string>>,
  options: { readonly npxOutput?: string; readonly files?: Readonly<Record<string, string | Buffer>> } = {},
): StepRun {
  const dir = mkdtempSync(join(tmpdir(), 'step-'));
  const temp = join(dir, 'temp');
  mkdirSync(temp);
  for (const [path, content] of Object.entries(options.files ?? {})) {
    mkdirSync(dirname(join(temp, path)), { recursive: true });
    writeFileSync(join(temp, path), content);
  }
  const calls = join(dir, 'npx-calls');
  const npxOutput = join(dir, 'npx-output');
  writeFileSync(npxOutput, options.npxOutput ?? '');
  const stubs = [
    'npm() { :; }',
    // One line per call: its arguments, NUL-separated.
    `npx() { printf '%s\\0' "$@" >> "${calls}"; printf '\\n' >> "${calls}"; cat "${npxOutput}"; }`,
  ].join('\n');
  execFileSync('bash', ['-e', '-o', 'pipefail', '-c', `${stubs}\n${step.run ?? ''}`], {
    env: {
      PATH: process.env.PATH,
      RUNNER_TEMP: temp,
      GITHUB_OUTPUT: join(dir, 'output'),
      GITHUB_STEP_SUMMARY: join(dir, 'summary'),
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/ias',
      GITHUB_RUN_ID: '42',
      GITHUB_SHA: 'd'.repeat(40),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  const read = (file: string) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8') : '');
  return {
    npx: read('npx-calls')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.split('\0').slice(0, -1)),
    outputs: Object.fromEntries(
      read('output')
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    ),
    summary: read('summary'),
  };
}
