import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { loadAssembly, type AssemblyModel } from '../src/check/assembly';
import type { Finding } from '../src/check/check';
import { checkAssemblyModel } from '../src/index';
import { naming, project, removeAction, resources, stackOf } from './support/mutate';

const region = project.environments[0]?.profile.region ?? 'ap-northeast-1';
const WIRING_DIR = join(__dirname, '..');

let pristine: AssemblyModel;
beforeAll(() => {
  pristine = loadAssembly(inject('assemblyDir'), region);
});

/** A fresh copy of the synthesized assembly to break. */
function model(): AssemblyModel {
  return structuredClone(pristine);
}

function findingsFor(findings: readonly Finding[], workload: string): Finding[] {
  return findings.filter((f) => f.workload === workload);
}

describe('the synthesized platform', () => {
  it('is wired: every workload of every environment and of the delivery stage passes every check', async () => {
    const report = await checkAssemblyModel(model());
    expect(
      report.findings.map((f) => `${f.stage} ${f.workload} [${f.check}] ${f.fails} — ${f.missing}`),
    ).toEqual([]);
    const names = report.stages.flatMap((s) => s.rows.map((r) => r.workload));
    for (const env of ['dev', 'staging', 'prod']) {
      for (const fn of project.functions) {
        expect(names).toContain(naming(env).name(fn.name));
      }
      for (const svc of project.services ?? []) {
        expect(names).toContain(naming(env).name(svc.name));
      }
      expect(names).toContain(naming(env).name('pre-traffic-hook'));
    }
  });
});

describe('it catches what it claims', () => {
  it('names the hook and the call when the statement granting a recorded call is removed', async () => {
    const broken = model();
    expect(removeAction(broken, 'dev', 'codedeploy:PutLifecycleEventHookExecutionStatus')).toBeGreaterThan(0);
    const findings = findingsFor(
      (await checkAssemblyModel(broken)).findings,
      naming('dev').name('pre-traffic-hook'),
    );
    expect(findings).toContainEqual(
      expect.objectContaining({
        check: 'permissions',
        fails: expect.stringContaining('codedeploy:PutLifecycleEventHookExecutionStatus'),
      }),
    );
  });

  it('names the function and the variable when a setting its code needs is removed', async () => {
    const broken = model();
    const fn = naming('dev').name('pre-traffic-hook');
    const [, , hook] =
      resources(broken, 'dev').find(
        ([, , r]) => r.Type === 'AWS::Lambda::Function' && r.Properties?.FunctionName === fn,
      ) ?? [];
    const variables = (hook?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
    delete variables.HOOK_PHASE;
    const findings = findingsFor((await checkAssemblyModel(broken)).findings, fn);
    expect(findings).toContainEqual(
      expect.objectContaining({ check: 'configuration', missing: expect.stringContaining('HOOK_PHASE') }),
    );
  });

  it('names the function and the database setting when the template stops setting it', async () => {
    const broken = model();
    const fn = naming('staging').name(project.functions[0]?.name ?? 'allocate-order');
    const [, , resource] =
      resources(broken, 'staging').find(
        ([, , r]) => r.Type === 'AWS::Lambda::Function' && r.Properties?.FunctionName === fn,
      ) ?? [];
    delete (resource?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables.PGUSER;
    const findings = findingsFor((await checkAssemblyModel(broken)).findings, fn);
    expect(findings).toContainEqual(
      expect.objectContaining({ check: 'configuration', missing: expect.stringContaining('PGUSER') }),
    );
  });

  it("names every client of the proxy when the proxy's own grant to log in to the cluster is removed", async () => {
    const broken = model();
    const touched = removeAction(
      broken,
      'prod',
      'rds-db:connect',
      (stack) => stack.stackName === naming('prod').stackName('data'),
    );
    expect(touched).toBeGreaterThan(0);
    const findings = (await checkAssemblyModel(broken)).findings;
    for (const fn of project.functions) {
      expect(findingsFor(findings, naming('prod').name(fn.name))).toContainEqual(
        expect.objectContaining({
          check: 'database',
          fails: expect.stringMatching(/the proxy .* logs in to .* with IAM/),
        }),
      );
    }
  });

  it('names the provisioner when its grant on the key that encrypts the secret it reads is removed', async () => {
    const broken = model();
    const touched = removeAction(
      broken,
      'dev',
      'kms:Decrypt',
      (stack) => stack.stackName === naming('dev').stackName('data'),
    );
    expect(touched).toBeGreaterThan(0);
    const findings = findingsFor((await checkAssemblyModel(broken)).findings, naming('dev').name('db-roles'));
    expect(findings).toContainEqual(
      expect.objectContaining({
        check: 'permissions',
        fails: expect.stringMatching(/secretsmanager:GetSecretValue .*kms:Decrypt/),
      }),
    );
  });

  it('names the pipeline steps when their grant on the environment key through S3, for the SBOM they store, is removed', async () => {
    const broken = model();
    const pipelineStack = (stack: { stackName: string }) =>
      stack.stackName === `${project.prefix}-allocate-order-pipeline`;
    const steps = `${project.prefix}-allocate-order-pipeline-steps`;
    // Untouched, the steps role may store each environment's SBOM (an S3 ARN names no region: the
    // key use is checked through S3 of the key's region).
    expect(findingsFor((await checkAssemblyModel(model())).findings, steps)).toEqual([]);
    expect(removeAction(broken, undefined, 'kms:GenerateDataKey', pipelineStack)).toBeGreaterThan(0);
    const findings = findingsFor((await checkAssemblyModel(broken)).findings, steps);
    expect(findings).toContainEqual(
      expect.objectContaining({
        check: 'permissions',
        fails: expect.stringMatching(
          /s3:PutObject on arn:aws:s3:::[a-z0-9-]+-artifact-store-.*\/sbom\/allocate-order\/.*kms:GenerateDataKey/,
        ),
      }),
    );
  });

  it('names the service and the endpoint when a VPC endpoint it calls through is removed where there is no NAT gateway', async () => {
    const broken = model();
    const network = stackOf(broken, 'dev', 'network');
    const endpoint = Object.entries(network.template.Resources ?? {}).find(
      ([, r]) =>
        r.Type === 'AWS::EC2::VPCEndpoint' && JSON.stringify(r.Properties?.ServiceName).includes('.ecr.api'),
    );
    expect(endpoint).toBeDefined();
    delete network.template.Resources?.[endpoint?.[0] ?? ''];
    const service = project.services?.[0]?.name ?? 'inventory-api';
    const findings = findingsFor((await checkAssemblyModel(broken)).findings, naming('dev').name(service));
    expect(findings).toContainEqual(
      expect.objectContaining({
        check: 'network',
        missing: expect.stringContaining(`com.amazonaws.${region}.ecr.api`),
      }),
    );
  });

  it('names each function when the database ingress rule from the workloads is removed', async () => {
    const broken = model();
    const data = stackOf(broken, 'dev', 'data');
    const ingress = Object.entries(data.template.Resources ?? {}).filter(
      ([, r]) =>
        r.Type === 'AWS::EC2::SecurityGroupIngress' &&
        r.Properties?.FromPort === 5432 &&
        JSON.stringify(r.Properties.SourceSecurityGroupId).includes('AppSecurityGroup'),
    );
    expect(ingress.length).toBeGreaterThan(0);
    for (const [id] of ingress) {
      delete data.template.Resources?.[id];
    }
    const findings = (await checkAssemblyModel(broken)).findings;
    for (const fn of project.functions) {
      expect(findingsFor(findings, naming('dev').name(fn.name))).toContainEqual(
        expect.objectContaining({ check: 'network', missing: expect.stringContaining('port 5432') }),
      );
    }
  });

  it('names the function when its grant to connect through the proxy is removed', async () => {
    const broken = model();
    const fn = project.functions[0]?.name ?? 'allocate-order';
    const touched = removeAction(
      broken,
      'staging',
      'rds-db:connect',
      (stack) => stack.stackName === naming('staging').stackName(`fn-${fn}`),
    );
    expect(touched).toBeGreaterThan(0);
    const findings = findingsFor((await checkAssemblyModel(broken)).findings, naming('staging').name(fn));
    expect(findings).toContainEqual(
      expect.objectContaining({ check: 'database', fails: expect.stringContaining('rds-db:connect') }),
    );
  });
});

describe('npm run wiring', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(WIRING_DIR, 'src', 'cli.ts'), ...args], {
      cwd: WIRING_DIR,
      encoding: 'utf8',
      env: { ...process.env, INIT_CWD: WIRING_DIR },
    });

  it('exits 0 and prints a table per stage on the synthesized assembly', () => {
    const result = run('--assembly', inject('assemblyDir'));
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`== wiring: ${naming('dev').base} ==`);
    expect(result.stdout).toMatch(/^PASS: wiring of \d+ workloads in 4 stages/m);
    expect(result.status).toBe(0);
  });

  it('exits 1 naming the workload when a statement is missing from the assembly on disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wiring-broken-'));
    try {
      cpSync(inject('assemblyDir'), dir, { recursive: true });
      const stageDir = join(dir, `assembly-${naming('dev').base}`);
      let replaced = 0;
      for (const file of readdirSync(stageDir).filter((f) => f.endsWith('.template.json'))) {
        const path = join(stageDir, file);
        const text = readFileSync(path, 'utf8');
        const broken = text.replaceAll(
          '"codedeploy:PutLifecycleEventHookExecutionStatus"',
          '"codedeploy:GetDeployment"',
        );
        replaced += broken === text ? 0 : 1;
        writeFileSync(path, broken);
      }
      expect(replaced).toBeGreaterThan(0);
      const result = run('--assembly', dir);
      expect(result.stdout).toContain(`${naming('dev').name('pre-traffic-hook')} [permissions]`);
      expect(result.status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 with one line saying to synthesize when there is no assembly', () => {
    const result = run('--assembly', join(tmpdir(), 'no-such-assembly'));
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('run npm run synth');
    expect(result.status).toBe(2);
  });

  it('exits 2 on an unknown option, with the usage', () => {
    const result = run('--assmbly', 'x');
    expect(result.stderr).toContain('usage: npm run wiring [-- --assembly DIR]');
    expect(result.status).toBe(2);
  });
});
