import { describe, expect, it } from 'vitest';
import { cidrsOverlap } from '../../lib/config/cidr';
import { environments } from '../../lib/config/environments';
import { ConfigError } from '../../lib/config/errors';
import { parseEnvironments } from '../../lib/config/load';

/** A deep copy of the real profiles to break. */
function profiles(): Record<string, Record<string, unknown>> {
  return structuredClone(environments) as unknown as Record<string, Record<string, unknown>>;
}

function problems(raw: unknown): string[] {
  try {
    parseEnvironments(raw, 'ias');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message.split('\n');
  }
  throw new Error('expected the profiles to be rejected');
}

describe('environment profiles', () => {
  it('defines dev, staging and prod, in promotion order', () => {
    expect(parseEnvironments(environments, 'ias').map((e) => e.name)).toEqual(['dev', 'staging', 'prod']);
  });

  it('fills in the defaults: region ap-northeast-1 and retainData false', () => {
    const raw = profiles();
    delete raw.dev?.region;
    const [dev, staging, prod] = parseEnvironments(raw, 'ias');
    expect(dev?.profile.region).toBe('ap-northeast-1');
    expect(dev?.profile.retainData).toBe(false);
    expect(staging?.profile.retainData).toBe(false);
    // prod retains on purpose, with its reason written next to the setting.
    expect(prod?.profile.retainData).toBe(true);
  });

  it('gives dev no NAT gateway (VPC endpoints instead) and the others at least one', () => {
    const byName = Object.fromEntries(parseEnvironments(environments, 'ias').map((e) => [e.name, e.profile]));
    expect(byName.dev?.network.natGateways).toBe(0);
    expect(byName.staging?.network.natGateways).toBeGreaterThan(0);
    expect(byName.prod?.network.natGateways).toBe(byName.prod?.network.availabilityZones.length);
  });

  it('keeps every VPC CIDR distinct and non-overlapping', () => {
    const cidrs = parseEnvironments(environments, 'ias').map((e) => e.profile.network.vpcCidr);
    for (const [i, a] of cidrs.entries()) {
      for (const b of cidrs.slice(i + 1)) {
        expect(cidrsOverlap(a, b)).toBe(false);
      }
    }
  });

  it('leaves the account out, so stacks are environment-agnostic until one is set', () => {
    for (const env of parseEnvironments(environments, 'ias')) {
      expect(env.profile.account).toBeUndefined();
    }
  });

  it('fails on a broken profile reporting every problem at once, each with its path', () => {
    const raw = profiles();
    const dev = raw.dev as {
      network: Record<string, unknown>;
      database: Record<string, unknown>;
      alarms: Record<string, unknown>;
    } & Record<string, unknown>;
    dev.network.vpcCidr = '10.10.0.0/33';
    dev.network.natGateways = 5;
    dev.database.maxCapacity = 0.5;
    dev.alarms.notificationEmails = ['not-an-email'];
    dev.logRetentionDays = 10;
    dev.retainDta = true;
    const staging = raw.staging as { network: Record<string, unknown> };
    staging.network.vpcCidr = '10.20.0.0/22';
    staging.network.availabilityZones = ['us-east-1a', 'ap-northeast-1c'];

    const lines = problems(raw);
    expect(lines[0]).toBe(
      'infra/lib/config/environments.ts: 8 problems in the environment profiles; fix each and run again:',
    );
    expect(lines.slice(1).sort()).toEqual(
      [
        '  - dev.network.vpcCidr: must be an IPv4 CIDR block such as 10.10.0.0/16',
        '  - dev.network.natGateways: must not exceed the number of availability zones (2)',
        '  - dev.database.maxCapacity: must be at least 1 ACU',
        '  - dev.alarms.notificationEmails.0: must be an e-mail address',
        '  - dev.logRetentionDays: must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653',
        '  - dev: Unrecognized key: "retainDta"',
        "  - staging.network.availabilityZones.0: must be in the profile's region ap-northeast-1",
        '  - staging.network.vpcCidr: must be between /16 and the size that holds 2 AZs of public /24, private /22 and isolated /24 subnets (3072 addresses)',
      ].sort(),
    );
  });

  it('fails on overlapping VPC CIDRs, naming both environments', () => {
    const raw = profiles();
    (raw.prod as { network: Record<string, unknown> }).network.vpcCidr = '10.10.0.0/16';
    expect(problems(raw)).toContain(
      "  - prod.network.vpcCidr: 10.10.0.0/16 overlaps dev's 10.10.0.0/16: give every environment its own range",
    );
  });

  it('fails on an environment name that cannot be part of resource names', () => {
    const raw = profiles();
    raw.Prod_1 = raw.prod as Record<string, unknown>;
    delete raw.prod;
    expect(problems(raw).join('\n')).toContain(
      '  - Prod_1: environment name "Prod_1": use 2 to 10 lowercase letters or digits, a letter first (it becomes part of every resource name)',
    );
  });

  it('fails on a maximum capacity below the minimum and an account that is not 12 digits', () => {
    const raw = profiles();
    const prod = raw.prod as { database: Record<string, unknown> } & Record<string, unknown>;
    prod.database.minCapacity = 8;
    prod.database.maxCapacity = 4;
    prod.account = '1234';
    const lines = problems(raw);
    expect(lines).toContain('  - prod.database.maxCapacity: must be at least minCapacity');
    expect(lines).toContain('  - prod.account: must be a 12-digit AWS account ID');
  });

  it('fails on monitoring thresholds out of range or missing, naming each path', () => {
    const raw = profiles();
    const prod = raw.prod as {
      lambda: { watch: Record<string, unknown> };
      service: { watch: Record<string, unknown> };
      alarms: Record<string, unknown>;
    };
    prod.lambda.watch.queueOldestMessageSeconds = 10;
    prod.service.watch.cpuPercent = 150;
    delete prod.alarms.databaseConnections;
    const lines = problems(raw);
    expect(lines).toContain(
      '  - prod.lambda.watch.queueOldestMessageSeconds: Too small: expected number to be >=60',
    );
    expect(lines).toContain('  - prod.service.watch.cpuPercent: Too big: expected number to be <=100');
    expect(lines.some((l) => l.startsWith('  - prod.alarms.databaseConnections: '))).toBe(true);
  });

  it('fails on a chat channel that is not one, naming its path and the form expected', () => {
    const raw = profiles();
    const staging = raw.staging as { observability: Record<string, unknown> };
    staging.observability.chat = {
      slack: { workspaceId: 'my workspace', channelId: 'C0123456789' },
      teams: { teamId: 'team', tenantId: '0a1b2c3d-4e5f-4789-abcd-ef0123456789', channelId: 'general' },
    };
    const lines = problems(raw);
    expect(lines).toContain(
      '  - staging.observability.chat.slack.workspaceId: must be a Slack workspace ID such as T0123456789',
    );
    expect(lines).toContain(
      '  - staging.observability.chat.teams.teamId: must be a GUID such as 0a1b2c3d-4e5f-6789-abcd-ef0123456789',
    );
    expect(lines).toContain(
      '  - staging.observability.chat.teams.channelId: must be a Teams channel ID such as 19:abc...@thread.tacv2',
    );
  });

  it('fails on two environments recording AWS Config in one account and region, and accepts them in two accounts', () => {
    const raw = profiles();
    const staging = raw.staging as { observability: { detective: Record<string, unknown> } } & Record<
      string,
      unknown
    >;
    staging.observability.detective.config = true;
    expect(problems(raw)).toContain(
      '  - prod.observability.detective.config: staging already records AWS Config in the deploying account (no account named) and ap-northeast-1, and an account has one recorder per region: turn it off here or give the environments their own accounts',
    );
    staging.account = '111111111111';
    (raw.prod as Record<string, unknown>).account = '222222222222';
    expect(() => parseEnvironments(raw, 'ias')).not.toThrow();
  });

  it('fails on enhanced scanning in an environment that shares its account and region, and accepts it alone', () => {
    const raw = profiles();
    const prod = raw.prod as { supplyChain: Record<string, unknown> } & Record<string, unknown>;
    prod.supplyChain.scanning = 'enhanced';
    expect(problems(raw)).toContain(
      "  - prod.supplyChain.scanning: prod and dev share the deploying account (no account named) and ap-northeast-1, and ECR's scanning mode is the whole registry's: enhanced scanning needs an environment alone in its account and region (use basic in both, or give them their own accounts)",
    );
    prod.account = '222222222222';
    expect(() => parseEnvironments(raw, 'ias')).not.toThrow();
  });

  it('fails on a gate severity that is not one, naming the ones there are', () => {
    const raw = profiles();
    (raw.dev as { supplyChain: Record<string, unknown> }).supplyChain.failOn = 'SEVERE';
    expect(
      problems(raw).some((l) => l.startsWith('  - dev.supplyChain.failOn: ') && l.includes('"CRITICAL"')),
    ).toBe(true);
  });
});
