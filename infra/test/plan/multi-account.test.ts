import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { delivery } from '../../lib/config/delivery';
import { environments } from '../../lib/config/environments';
import { parseDelivery, parseEnvironments } from '../../lib/config/load';
import { cdkContext, loadProject } from '../../lib/config/project';
import { buildPlan, readAssembly } from '../../lib/plan';
import { expectSupplyChainGates } from '../support/supply-chain-gate';
import { gatesPassed } from '../../lib/plan/gates';
import { synthesize } from '../../lib/synth';

const ACCOUNTS = {
  tooling: '111111111111',
  dev: '222222222222',
  staging: '333333333333',
  prod: '444444444444',
};
const outdir = mkdtempSync(join(tmpdir(), 'multi-account-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('a profile with an account per environment and a tooling account', () => {
  const raw = structuredClone(environments) as unknown as Record<string, Record<string, unknown>>;
  for (const env of ['dev', 'staging', 'prod'] as const)
    (raw[env] as Record<string, unknown>).account = ACCOUNTS[env];
  // prod alone in its account: it may turn Amazon Inspector on.
  (raw.prod as { supplyChain: Record<string, unknown> }).supplyChain.scanning = 'enhanced';
  const base = loadProject({});
  // The prefix README.md holds: every name the plan shows starts with it.
  const { prefix } = base;
  const envs = parseEnvironments(raw, prefix);
  const config = {
    ...base,
    environments: envs,
    delivery: parseDelivery({ ...delivery, account: ACCOUNTS.tooling }, envs),
  };
  // cdk-nag and CloudFormation validation: their findings name accounts, which this profile
  // changes. The guard rules check resource properties only, the same in every account, and ran
  // on these resources in the global synth; they would double this test's time.
  const gates = synthesize(config, { outdir, context: cdkContext(), guardRules: false });
  const plan = buildPlan(config, outdir, outdir).text;

  it('synthesizes every stack offline and passes cdk-nag and CloudFormation validation', () => {
    expect(gates.errors).toEqual([]);
    expect(gatesPassed(gates)).toBe(true);
    expect(plan).toMatch(/^PASS: /m);
  });

  it('gates every deployment, reading the image scan through the environment’s delivery role', () => {
    expect(expectSupplyChainGates(readAssembly(outdir), envs)).toBeGreaterThan(0);
  });

  it('lets the delivery role read Amazon Inspector findings only where the profile turns enhanced scanning on', () => {
    const stacks = readAssembly(outdir).flatMap((stage) => stage.stacks);
    const readsInspector = (env: string) => {
      const access = stacks.find((s) => s.stackName === `${prefix}-${env}-delivery-access`);
      return JSON.stringify(access?.template).includes('"inspector2:ListFindings"');
    };
    expect(stacks.some((s) => s.stackName === `${prefix}-prod-delivery-access`)).toBe(true);
    expect(readsInspector('prod')).toBe(true);
    expect(readsInspector('dev')).toBe(false);
    expect(readsInspector('staging')).toBe(false);
    expect(plan).toContain('Amazon Inspector, continuous');
  });

  it('shows which account each environment, wave and pipeline stage goes to', () => {
    for (const env of ['dev', 'staging', 'prod'] as const) {
      expect(plan).toContain(`target: account ${ACCOUNTS[env]}, region ap-northeast-1`);
      expect(plan).toMatch(
        new RegExp(`${prefix}-${env}: Diff-${env} .*\\[account ${ACCOUNTS[env]}, ap-northeast-1\\]`),
      );
    }
    expect(plan).toContain(
      `tooling account: ${ACCOUNTS.tooling}, region ap-northeast-1 (every pipeline lives here)`,
    );
    expect(plan).toMatch(
      /Deploy-prod: SupplyChainGate \(Lambda\) → EnsureService .*\(account 444444444444\)/,
    );
    expect(plan).toContain(`${prefix}-prod-delivery-access`);
    expect(plan).toContain(`${prefix}-prod-github`);
  });
});
