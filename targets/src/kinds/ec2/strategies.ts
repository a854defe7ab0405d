import type { Naming } from '../../naming';

/**
 * How CodeDeploy updates an EC2 application's Auto Scaling group, chosen per environment (seed 001):
 *
 * - `in-place`: the revision is installed on the instances that serve, some at a time (the hosts
 *   setting), each taken out of the load balancer while its hooks run, then put back once
 *   `ValidateService` passes.
 * - `blue-green`: CodeDeploy copies the Auto Scaling group (the green fleet), installs the revision
 *   there, moves the load balancer's target group to the green instances (the hosts setting says how
 *   many at a time) and terminates the blue fleet after the profile's wait.
 *
 * Either way a failed hook or one of the application's alarms rolls the deployment back: CodeDeploy
 * redeploys the last good revision (in place) or moves the load balancer back to the blue fleet.
 */
export const EC2_STYLES = ['in-place', 'blue-green'] as const;

/** An EC2 deployment style. */
export type Ec2Style = (typeof EC2_STYLES)[number];

/** CodeDeploy's predefined EC2 deployment configurations (`CodeDeployDefault.<name>`). */
export const EC2_PREDEFINED_HOSTS = ['AllAtOnce', 'HalfAtATime', 'OneAtATime'] as const;

/** A predefined EC2 deployment configuration. */
export type Ec2PredefinedHosts = (typeof EC2_PREDEFINED_HOSTS)[number];

/** The units of a custom minimum of healthy hosts: a count of instances, or a percentage of the fleet. */
export const EC2_HEALTHY_HOST_UNITS = ['HOST_COUNT', 'FLEET_PERCENT'] as const;

/**
 * How many instances are updated (in place) or given traffic (blue/green) at a time: one of
 * CodeDeploy's predefined configurations, or a custom minimum of instances that stay healthy.
 */
export type Ec2Hosts =
  | Ec2PredefinedHosts
  | {
      readonly minimumHealthyHosts: {
        readonly type: (typeof EC2_HEALTHY_HOST_UNITS)[number];
        readonly value: number;
      };
    };

/** The profile's EC2 deployment settings. */
export type Ec2DeploymentSettings =
  | { readonly style: 'in-place'; readonly hosts: Ec2Hosts }
  | {
      readonly style: 'blue-green';
      readonly hosts: Ec2Hosts;
      /** Minutes the blue fleet keeps running after the switch (for a fast way back), then terminated. */
      readonly terminateBlueAfterMinutes: number;
    };

/** The name of CodeDeploy's deployment configuration for `hosts`: predefined, or the application's own. */
export function ec2DeploymentConfigName(hosts: Ec2Hosts, naming: Naming, app: string): string {
  return typeof hosts === 'string' ? `CodeDeployDefault.${hosts}` : naming.name(`${app}-ec2-hosts`);
}

/** How the plan reads `hosts`. */
export function ec2HostsWords(hosts: Ec2Hosts): string {
  if (typeof hosts === 'string') {
    return { AllAtOnce: 'all at once', HalfAtATime: 'half at a time', OneAtATime: 'one at a time' }[hosts];
  }
  const { type, value } = hosts.minimumHealthyHosts;
  return type === 'HOST_COUNT'
    ? `at least ${value} healthy host${value === 1 ? '' : 's'}`
    : `at least ${value} % of the fleet healthy`;
}

/** What one EC2 style is, for the deployment group, the CLI and the plan. */
export interface Ec2StyleTraits {
  /** CodeDeploy's deployment type. */
  readonly deploymentType: 'IN_PLACE' | 'BLUE_GREEN';
  /** How the plan names it, with the environment's settings. */
  readonly words: (settings: Ec2DeploymentSettings) => string;
}

/** Every style's traits, in one table. */
export const EC2_STYLE_TRAITS: Readonly<Record<Ec2Style, Ec2StyleTraits>> = {
  'in-place': {
    deploymentType: 'IN_PLACE',
    words: (d) => `in place, ${ec2HostsWords(d.hosts)}`,
  },
  'blue-green': {
    deploymentType: 'BLUE_GREEN',
    words: (d) =>
      `blue/green (copied Auto Scaling group), ${ec2HostsWords(d.hosts)}, blue fleet terminated after ${d.style === 'blue-green' ? d.terminateBlueAfterMinutes : 0} min`,
  },
};
