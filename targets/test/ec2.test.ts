import { describe, expect, it } from 'vitest';
import {
  codeDeployCopyPrefix,
  EC2_STYLE_TRAITS,
  ec2DeploymentConfigName,
  ec2HostsWords,
  ec2Target,
  Naming,
  type Ec2DeploymentSettings,
  type TargetEnvironment,
} from '../src';

function env(deployment: Ec2DeploymentSettings, account?: string): TargetEnvironment {
  return {
    prefix: 'ias',
    name: 'prod',
    profile: {
      account,
      lambda: { deployment: 'all-at-once' },
      service: { deployment: { strategy: 'rolling', traffic: 'all-at-once' } },
      ec2: { enabled: true, deployment },
    },
  } as TargetEnvironment;
}

describe('an EC2 application’s names', () => {
  it('names its fleet, role, load balancer, CodeDeploy application and group, logs and association from the prefix', () => {
    const t = ec2Target(env({ style: 'in-place', hosts: 'OneAtATime' }), { name: 'inventory-api' });
    expect(t).toMatchObject({
      stackName: 'ias-prod-ec2-inventory-api',
      autoScalingGroupName: 'ias-prod-inventory-api-ec2',
      launchTemplateName: 'ias-prod-inventory-api-ec2',
      instanceRoleName: 'ias-prod-inventory-api-instance',
      application: 'ias-prod-inventory-api-ec2-app',
      deploymentGroup: 'ias-prod-inventory-api-ec2-group',
      deploymentConfig: 'CodeDeployDefault.OneAtATime',
      deploymentType: 'IN_PLACE',
      groupResourceFunction: 'ias-prod-inventory-api-ec2-group-resource',
      agentAssociation: 'ias-prod-inventory-api-ec2-codedeploy-agent',
      logGroups: {
        application: '/aws/ec2/ias-prod-inventory-api-ec2/application',
        deployments: '/aws/ec2/ias-prod-inventory-api-ec2/codedeploy',
      },
      host: { user: 'inventory-api', environmentFile: '/etc/inventory-api/app.env' },
    });
    expect(t.roleArn).toBeUndefined();
  });

  it('keeps the load balancer and target group names within 32 characters, without a trailing hyphen', () => {
    const t = ec2Target(env({ style: 'in-place', hosts: 'AllAtOnce' }), {
      name: 'a-very-long-application-name',
    });
    expect(t.loadBalancerName.length).toBeLessThanOrEqual(32);
    expect(t.loadBalancerName).not.toMatch(/-$/);
    expect(t.targetGroupName).toBe(t.loadBalancerName);
  });

  it('uses a predefined configuration, or the application’s own for a custom minimum of healthy hosts', () => {
    const naming = new Naming('ias', 'prod');
    expect(ec2DeploymentConfigName('HalfAtATime', naming, 'inventory-api')).toBe(
      'CodeDeployDefault.HalfAtATime',
    );
    expect(
      ec2DeploymentConfigName(
        { minimumHealthyHosts: { type: 'FLEET_PERCENT', value: 75 } },
        naming,
        'inventory-api',
      ),
    ).toBe('ias-prod-inventory-api-ec2-hosts');
  });

  it('says each style and hosts setting in the plan’s words', () => {
    expect(ec2HostsWords({ minimumHealthyHosts: { type: 'HOST_COUNT', value: 1 } })).toBe(
      'at least 1 healthy host',
    );
    expect(ec2HostsWords({ minimumHealthyHosts: { type: 'FLEET_PERCENT', value: 75 } })).toBe(
      'at least 75 % of the fleet healthy',
    );
    const blueGreen = { style: 'blue-green', hosts: 'OneAtATime', terminateBlueAfterMinutes: 30 } as const;
    expect(EC2_STYLE_TRAITS['blue-green'].words(blueGreen)).toBe(
      'blue/green (copied Auto Scaling group), one at a time, blue fleet terminated after 30 min',
    );
    expect(ec2Target(env(blueGreen), { name: 'inventory-api' }).deploymentType).toBe('BLUE_GREEN');
  });

  it('names the copies CodeDeploy makes of a blue/green group', () => {
    expect(codeDeployCopyPrefix('ias-prod-inventory-api-ec2-group')).toBe(
      'CodeDeploy_ias-prod-inventory-api-ec2-group_',
    );
  });

  it('acts in another account through its delivery role', () => {
    const t = ec2Target(
      env({ style: 'in-place', hosts: 'AllAtOnce' }, '444444444444'),
      { name: 'inventory-api' },
      '111111111111',
    );
    expect(t.roleArn).toBe('arn:aws:iam::444444444444:role/ias-prod-delivery');
  });
});
