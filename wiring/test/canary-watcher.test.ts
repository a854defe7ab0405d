import { canaryWatcherNames, codeDeployNames, functionTarget } from '@ias/targets';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { loadAssembly, type AssemblyModel } from '../src/check/assembly';
import { checkAssemblyModel } from '../src/index';
import { naming, project, removeAction, resources } from './support/mutate';

const region = project.environments[0]?.profile.region ?? 'ap-northeast-1';

let pristine: AssemblyModel;
beforeAll(() => {
  pristine = loadAssembly(inject('assemblyDir'), region);
});

const watcher = (env: string) => canaryWatcherNames(naming(env)).function;

describe("the environment's canary watcher", () => {
  it('is checked where the profile judges CodeDeploy deployments (staging, prod), and passes', async () => {
    const report = await checkAssemblyModel(structuredClone(pristine));
    const row = (env: string) =>
      report.stages
        .find((s) => s.stageId === naming(env).base)
        ?.rows.find((r) => r.workload === watcher(env));
    expect(row('prod')?.cells.permissions).toBe('ok');
    expect(row('staging')?.cells.permissions).toBe('ok');
    expect(row('dev')).toBeUndefined();
  });

  it("names each judged group's deployment group when a workload's stack stops granting the watcher", async () => {
    const broken = structuredClone(pristine);
    // The grants each judged workload's stack gives the watcher's role, by name.
    const grants = (
      _stack: { stackName: string },
      r: { Type: string; Properties?: Record<string, unknown> },
    ) =>
      r.Type === 'AWS::IAM::Policy' &&
      JSON.stringify(r.Properties?.Roles ?? []).includes(canaryWatcherNames(naming('prod')).role);
    expect(resources(broken, 'prod').filter(([s, , r]) => grants(s, r))).toHaveLength(4);
    expect(removeAction(broken, 'prod', 'codedeploy:ListDeployments', grants)).toBe(4);
    const findings = (await checkAssemblyModel(broken)).findings.filter(
      (f) => f.workload === watcher('prod'),
    );
    const groups = findings.flatMap((f) => /deploymentgroup:(\S+) is denied/.exec(f.fails)?.[1] ?? []).sort();
    const environment = project.environments.find((e) => e.name === 'prod');
    if (!environment) throw new Error('no prod');
    const functionGroups = (project.functions ?? []).map((fn) => {
      const names = codeDeployNames(functionTarget(environment, fn).functionName);
      return `${names.application}/${names.deploymentGroup}`;
    });
    // The functions', the container service's and the EC2 application's groups, each denied.
    expect(groups).toHaveLength(4);
    expect(groups).toEqual(expect.arrayContaining(functionGroups));
  });
});
