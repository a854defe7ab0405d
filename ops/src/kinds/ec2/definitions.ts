/**
 * What the EC2 kind reads of the project: its applications (service folders that also hold an
 * `ec2.json`), none where the environment's profile turns the kind off.
 */
import type { EnvironmentConfig, ProjectConfig } from '@ias/infra/config';
import type { Ec2TargetDefinition } from '@ias/targets';

/**
 * The project's EC2 applications, none in an environment whose profile turns the kind off
 * (`ec2.enabled: false`).
 */
export function ec2Applications(
  project: ProjectConfig,
  env: EnvironmentConfig,
): readonly Ec2TargetDefinition[] {
  return env.profile.ec2.enabled ? (project.ec2 ?? []) : [];
}
