import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { environments } from '../../lib/config/environments';
import { parseEnvironments, type EnvironmentConfig } from '../../lib/config/load';
import { cdkContext, REPO_ROOT, SERVICES_DIR } from '../../lib/config/project';
import { loadServices } from '../../lib/config/services';
import { EnvironmentStage } from '../../lib/environment-stage';

/** The prefix the tests build with (the real one comes from README.md, tested elsewhere). */
export const TEST_PREFIX = 'ias';

/** The real profiles, validated, by environment name. */
export function environmentConfig(name: string, prefix = TEST_PREFIX): EnvironmentConfig {
  const env = parseEnvironments(environments, prefix).find((e) => e.name === name);
  if (!env) {
    throw new Error(`no environment ${name} in the profiles`);
  }
  return env;
}

/** The repository's container services (each app/services folder with a service.json). */
export const SERVICES = loadServices(SERVICES_DIR, REPO_ROOT);

/**
 * One environment built on its own, with the repository's services (no policy gates: those are
 * tested on the full synth).
 */
export function buildStage(name: string, config = environmentConfig(name)): EnvironmentStage {
  const app = new App({ context: cdkContext() });
  return new EnvironmentStage(app, `${config.prefix}-${config.name}`, { config, services: SERVICES });
}

/** The templates of one environment's stacks. */
export interface StageTemplates {
  readonly stage: EnvironmentStage;
  readonly foundation: Template;
  readonly network: Template;
  readonly data: Template;
  readonly observability: Template;
  readonly config: Template;
}

/** Builds an environment and returns every stack's template. */
export function stageTemplates(name: string, config?: EnvironmentConfig): StageTemplates {
  const stage = buildStage(name, config);
  return {
    stage,
    foundation: Template.fromStack(stage.foundation),
    network: Template.fromStack(stage.network),
    data: Template.fromStack(stage.data),
    observability: Template.fromStack(stage.observability),
    config: Template.fromStack(stage.configuration),
  };
}
