import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ec2Target } from '@ias/targets';
import { describe, expect, it } from 'vitest';
import { loadEc2 } from '../../../lib/config/ec2';
import { environments } from '../../../lib/config/environments';
import { ConfigError } from '../../../lib/config/errors';
import { parseEnvironments, type EnvironmentConfig } from '../../../lib/config/load';
import { cdkContext, REPO_ROOT, SERVICES_DIR } from '../../../lib/config/project';
import { EnvironmentStage } from '../../../lib/environment-stage';
import { SERVICES, TEST_PREFIX } from '../../support/stages';

const EC2 = loadEc2(SERVICES_DIR, REPO_ROOT, SERVICES);

/** The real profiles with `change` applied to dev's EC2 section, validated. */
function devWith(change: (ec2: Record<string, unknown>) => void): EnvironmentConfig {
  const raw = structuredClone(environments) as unknown as Record<string, { ec2: Record<string, unknown> }>;
  change(raw['dev']?.ec2 as Record<string, unknown>);
  const dev = parseEnvironments(raw, TEST_PREFIX).find((e) => e.name === 'dev');
  if (!dev) throw new Error('no dev profile');
  return dev;
}

/** Why the profiles with `change` applied to dev's EC2 section are refused, one line each. */
function problems(change: (ec2: Record<string, unknown>) => void): string[] {
  try {
    devWith(change);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message.split('\n');
  }
  throw new Error('expected the profiles to be refused');
}

/** dev's EC2 stack, built alone with `config`. */
function ec2Template(config: EnvironmentConfig): Template {
  const app = new App({ context: cdkContext() });
  const stage = new EnvironmentStage(app, `${config.prefix}-${config.name}`, {
    config,
    services: SERVICES,
    ec2: EC2,
  });
  const stack = stage.node.findChild('ec2-inventory-api');
  return Template.fromStack(stack as never);
}

describe("an EC2 application's profile", () => {
  it('refuses an instance type that is not Graviton (the image is arm64), naming the fix', () => {
    expect(problems((ec2) => (ec2['instanceType'] = 't3.small'))).toContain(
      '  - dev.ec2.instanceType: must be a Graviton (ARM64) instance type such as t4g.small or m7g.large: the AMI is Amazon Linux 2023 arm64',
    );
  });

  it('refuses a minimum of healthy hosts that would never let an instance be updated', () => {
    expect(
      problems((ec2) => {
        ec2['capacity'] = { min: 2, max: 4 };
        ec2['deployment'] = {
          style: 'in-place',
          hosts: { minimumHealthyHosts: { type: 'HOST_COUNT', value: 2 } },
        };
      }).join('\n'),
    ).toMatch(/dev\.ec2\.deployment\.hosts\.minimumHealthyHosts\.value: must be below capacity\.min \(2\)/);
    expect(
      problems((ec2) => {
        ec2['deployment'] = {
          style: 'in-place',
          hosts: { minimumHealthyHosts: { type: 'FLEET_PERCENT', value: 100 } },
        };
      }).join('\n'),
    ).toMatch(/a FLEET_PERCENT minimum must be 1 to 99/);
  });

  it('refuses a blue/green style without the wait before the blue fleet goes, and a max not above min', () => {
    expect(
      problems((ec2) => (ec2['deployment'] = { style: 'blue-green', hosts: 'OneAtATime' })).join('\n'),
    ).toMatch(/dev\.ec2\.deployment\.terminateBlueAfterMinutes/);
    expect(problems((ec2) => (ec2['capacity'] = { min: 2, max: 2 })).join('\n')).toMatch(
      /dev\.ec2\.capacity\.max: max must be above min/,
    );
  });

  it("makes the application's own configuration for a custom minimum of healthy hosts, and the group uses it", () => {
    const config = devWith((ec2) => {
      ec2['capacity'] = { min: 3, max: 6 };
      ec2['deployment'] = {
        style: 'in-place',
        hosts: { minimumHealthyHosts: { type: 'HOST_COUNT', value: 2 } },
      };
    });
    const target = ec2Target(config, { name: 'inventory-api' });
    expect(target.deploymentConfig).toBe(`${TEST_PREFIX}-dev-inventory-api-ec2-hosts`);
    const t = ec2Template(config);
    t.hasResourceProperties('AWS::CodeDeploy::DeploymentConfig', {
      DeploymentConfigName: target.deploymentConfig,
      MinimumHealthyHosts: { Type: 'HOST_COUNT', Value: 2 },
    });
    t.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: Match.objectLike({ Ref: Match.anyValue() }),
    });
  });

  it('adds a weighted alias record to the fleet’s load balancer where the profile names a hosted zone', () => {
    const config = devWith((ec2) => {
      ec2['route53'] = {
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        zoneName: 'example.com',
        recordName: 'api',
        weight: 10,
      };
    });
    const t = ec2Template(config);
    t.hasResourceProperties('AWS::Route53::RecordSet', {
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      Name: 'api.example.com.',
      Type: 'A',
      Weight: 10,
      SetIdentifier: `${TEST_PREFIX}-dev-inventory-api-ec2`,
      AliasTarget: Match.objectLike({ DNSName: Match.anyValue() }),
    });
    // Without one, no record.
    expect(
      Object.keys(ec2Template(devWith(() => undefined)).findResources('AWS::Route53::RecordSet')),
    ).toEqual([]);
  });

  it('holds no EC2 stack where the profile turns EC2 off', () => {
    const config = devWith((ec2) => (ec2['enabled'] = false));
    const app = new App({ context: cdkContext() });
    const stage = new EnvironmentStage(app, `${config.prefix}-dev`, { config, services: SERVICES, ec2: EC2 });
    expect(stage.node.tryFindChild('ec2-inventory-api')).toBeUndefined();
  });
});
