import { Tags } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { Naming } from '@ias/targets';

/** The tags every taggable resource of an environment carries. */
export function standardTags(naming: Naming): Record<string, string> {
  return { Project: naming.prefix, Environment: naming.env, ManagedBy: 'aws-cdk' };
}

/** Tags every taggable resource under `scope` with Project, Environment and ManagedBy. */
export function applyStandardTags(scope: IConstruct, naming: Naming): void {
  for (const [key, value] of Object.entries(standardTags(naming))) {
    Tags.of(scope).add(key, value);
  }
}
