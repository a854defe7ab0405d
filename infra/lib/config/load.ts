import type { z } from 'zod';
import { deliverySchema, type DeliveryConfig } from './delivery-schema';
import { ConfigError } from './errors';
import type { FunctionDefinition } from './functions';
import type { KubernetesDefinition } from './kubernetes';
import type { Ec2Definition } from './ec2';
import type { ServiceDefinition } from './services';
import type { GovernanceConfig } from './governance-schema';
import { readPrefix } from './prefix';
import { environmentsSchema, type EnvironmentProfile } from './profile-schema';

/** One environment, validated, with the names derived from the prefix. */
export interface EnvironmentConfig {
  /** The project prefix from README.md. */
  readonly prefix: string;
  /** The environment's name (`dev`, `staging`, `prod`). */
  readonly name: string;
  /** The validated profile. */
  readonly profile: EnvironmentProfile;
}

/** The whole project configuration: the prefix and every environment, in promotion order. */
export interface ProjectConfig {
  /** The project prefix from README.md. */
  readonly prefix: string;
  /** Every environment, in promotion order. */
  readonly environments: readonly EnvironmentConfig[];
  /** Every Lambda function under app/functions that has a manifest. */
  readonly functions: readonly FunctionDefinition[];
  /** Every container service under app/services that has a manifest. @default - none */
  readonly services?: readonly ServiceDefinition[];
  /** The Kubernetes applications: service folders that also hold a kubernetes.json. */
  readonly kubernetes?: readonly KubernetesDefinition[];
  /** The EC2 applications: service folders that also hold an ec2.json. */
  readonly ec2?: readonly Ec2Definition[];
  /** The organization's guardrails and personas. @default - off */
  readonly governance?: GovernanceConfig;
  /**
   * Where the application pipelines live and what they listen to.
   * @default - no pipelines are synthesized
   */
  readonly delivery?: DeliveryConfig;
}

/** Where the delivery settings live, for error messages. */
export const DELIVERY_FILE = 'infra/lib/config/delivery.ts';

/** Where the profiles live, for error messages. */
export const PROFILES_FILE = 'infra/lib/config/environments.ts';

function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
  return `  - ${path}: ${issue.message}`;
}

/**
 * Validates raw environment profiles.
 *
 * @throws ConfigError listing every problem at once, one line each with its path
 */
export function parseEnvironments(raw: unknown, prefix: string, source = PROFILES_FILE): EnvironmentConfig[] {
  const result = environmentsSchema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues;
    throw new ConfigError(
      [
        `${source}: ${issues.length} problem${issues.length === 1 ? '' : 's'} in the environment profiles; fix each and run again:`,
        ...issues.map(formatIssue),
      ].join('\n'),
    );
  }
  return Object.entries(result.data).map(([name, profile]) => ({ prefix, name, profile }));
}

/**
 * Validates the delivery settings against the environments: every environment deploys in the
 * pipelines' region; accounts are named everywhere (tooling and every environment) or nowhere
 * (everything in the deploying credentials' account).
 *
 * @throws ConfigError listing every problem at once, one line each with its path
 */
export function parseDelivery(
  raw: unknown,
  environments: readonly EnvironmentConfig[],
  source = DELIVERY_FILE,
): DeliveryConfig {
  const result = deliverySchema.safeParse(raw);
  const problems = result.success ? [] : result.error.issues.map(formatIssue);
  if (result.success) {
    result.data.approvalBefore.forEach((name, i) => {
      if (!environments.some((e) => e.name === name)) {
        problems.push(
          `  - approvalBefore.${i}: ${name} is not an environment (known: ${environments.map((e) => e.name).join(', ')})`,
        );
      }
    });
    for (const env of environments) {
      if (env.profile.region !== result.data.region) {
        problems.push(
          `  - region: ${result.data.region} differs from the ${env.name} profile's region ${env.profile.region}; pipelines deploy in their own region, so set both to the same region`,
        );
      }
      // Pipelines may deliver into other accounts (through each one's delivery role), but then
      // they must know their own: the target accounts trust it by number.
      if (env.profile.account !== undefined && result.data.account === undefined) {
        problems.push(
          `  - account: the ${env.name} profile names account ${env.profile.account}; name the tooling account the pipelines live in too (delivery.account), which the environments' deploy roles trust`,
        );
      }
      if (env.profile.account === undefined && result.data.account !== undefined) {
        problems.push(
          `  - account: the pipelines live in ${result.data.account} but the ${env.name} profile names no account; give it its account (the same one for a single account)`,
        );
      }
    }
  }
  if (!result.success || problems.length > 0) {
    throw new ConfigError(
      [
        `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the delivery settings; fix each and run again:`,
        ...problems,
      ].join('\n'),
    );
  }
  return result.data;
}

/**
 * Loads the project configuration: the prefix from README.md and the validated profiles.
 *
 * @param readmePath path of the root README.md
 * @param rawEnvironments the profiles as written (normally `environments` from `environments.ts`)
 * @param functions the functions found under app/functions (see `loadFunctions`)
 * @throws ConfigError with a message ready to print
 */
export function loadProjectConfig(
  readmePath: string,
  rawEnvironments: unknown,
  functions: readonly FunctionDefinition[] = [],
): ProjectConfig {
  const prefix = readPrefix(readmePath);
  return { prefix, environments: parseEnvironments(rawEnvironments, prefix), functions };
}
