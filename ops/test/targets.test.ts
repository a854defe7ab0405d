import { functionTarget, serviceTarget, WORKLOAD_KIND_IDS } from '@ias/targets';
import { describe, expect, it } from 'vitest';
import { prefix, project, runMain, stubbedAws } from './helpers';

describe('ias-ops targets', () => {
  it('prints every workload of every environment as JSON, in promotion order then name order, with no AWS call', async () => {
    const aws = stubbedAws();
    const run = await runMain(['targets', '--json'], aws);
    expect(run.code).toBe(0);
    const entries = JSON.parse(run.stdout) as {
      kind: string;
      name: string;
      environment: string;
      target: unknown;
    }[];
    expect(entries.map((e) => `${e.environment} ${e.kind} ${e.name}`)).toEqual(
      ['dev', 'staging', 'prod'].flatMap((env) => [
        `${env} function allocate-order`,
        `${env} function import-stock`,
        `${env} service inventory-api`,
      ]),
    );
    const prod = project.environments.find((e) => e.name === 'prod');
    const api = project.services?.find((s) => s.name === 'inventory-api');
    const allocate = project.functions.find((f) => f.name === 'allocate-order');
    expect(prod && api && allocate).toBeTruthy();
    if (!prod || !api || !allocate) return;
    expect(entries.find((e) => e.environment === 'prod' && e.name === 'inventory-api')?.target).toEqual(
      JSON.parse(JSON.stringify(serviceTarget(prod, api, project.delivery?.account))),
    );
    expect(entries.find((e) => e.environment === 'prod' && e.name === 'allocate-order')?.target).toEqual(
      JSON.parse(JSON.stringify(functionTarget(prod, allocate, project.delivery?.account))),
    );
    expect(aws.calls()).toEqual([]);
  });

  it("gives each entry its environment's supply-chain threshold, from the profile, beside the fields it had", async () => {
    const run = await runMain(['targets', '--json'], stubbedAws());
    const entries = JSON.parse(run.stdout) as Record<string, unknown>[];
    expect(entries.every((e) => Object.keys(e).join() === 'kind,name,environment,failOn,target')).toBe(true);
    const byEnvironment = Object.fromEntries(entries.map((e) => [e.environment, e.failOn]));
    expect(byEnvironment).toEqual(
      Object.fromEntries(project.environments.map((env) => [env.name, env.profile.supplyChain.failOn])),
    );
    // The profiles: dev stops on CRITICAL findings, staging and prod on HIGH ones already.
    expect(byEnvironment).toEqual({ dev: 'CRITICAL', staging: 'HIGH', prod: 'HIGH' });
  });

  it('keeps one environment and one kind', async () => {
    const run = await runMain(['targets', '--env', 'staging', '--kind', 'service', '--json'], stubbedAws());
    const entries = JSON.parse(run.stdout) as { environment: string; target: { serviceName: string } }[];
    expect(entries.map((e) => [e.environment, e.target.serviceName])).toEqual([
      ['staging', `${prefix}-staging-inventory-api`],
    ]);
  });

  it('prints a table without --json', async () => {
    const run = await runMain(['targets', '--env', 'dev'], stubbedAws());
    expect(run.stdout.split('\n')[0]).toMatch(/^ENVIRONMENT +KIND +NAME +DEPLOYS$/);
    expect(run.stdout).toContain(
      `dev          service   inventory-api   ${prefix}-dev-cluster / ${prefix}-dev-inventory-api (`,
    );
  });

  it('fails with exit 2 on an unknown environment or kind', async () => {
    expect(await runMain(['targets', '--env', 'qa'], stubbedAws())).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: unknown environment "qa": use one of dev, staging, prod\n',
    });
    expect(await runMain(['targets', '--kind', 'cluster'], stubbedAws())).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: unknown kind "cluster": use one of ${WORKLOAD_KIND_IDS.join(', ')}\n`,
    });
  });
});
