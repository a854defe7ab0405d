import { join } from 'node:path';
import type { DeliveryCode } from './delivery-code';
import { readCdkJsonContext } from './cdk-json';
import { delivery } from './delivery';
import { environments } from './environments';
import { loadFunctions } from './functions';
import { loadServices } from './services';
import { loadKubernetes } from './kubernetes';
import { loadEc2 } from './ec2';
import { governance } from './governance';
import { parseGovernance } from './governance-schema';
import { loadProjectConfig, parseDelivery, type ProjectConfig } from './load';
import { ConfigError } from './errors';
import { pipelineNameProblems, WORKLOAD_KINDS } from '@ias/targets';

/** The infra workspace folder (holds cdk.json). */
export const INFRA_DIR = join(__dirname, '..', '..');
/** The repository root (holds README.md). */
export const REPO_ROOT = join(INFRA_DIR, '..');
/** Where the Lambda functions live, one folder each with a `function.json`. */
export const FUNCTIONS_DIR = join(REPO_ROOT, WORKLOAD_KINDS.function.folder);
/** Where the container services live, one folder each with a `service.json` and a Dockerfile. */
export const SERVICES_DIR = join(REPO_ROOT, WORKLOAD_KINDS.service.folder);
/** Where `npm start` and `npm run synth` write the cloud assembly. */
export const DEFAULT_OUTDIR = join(INFRA_DIR, 'cdk.out');

/**
 * The README that holds the prefix line. `PROJECT_README` points elsewhere (used by tests of the
 * error paths); normally it is the repository's own README.md.
 */
export function readmePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PROJECT_README ?? join(REPO_ROOT, 'README.md');
}

/** Loads the project configuration from README.md and the environment profiles. */
export function loadProject(env: NodeJS.ProcessEnv = process.env): ProjectConfig {
  const project = loadProjectConfig(readmePath(env), environments);
  const functions = loadFunctions(FUNCTIONS_DIR, REPO_ROOT);
  const services = loadServices(SERVICES_DIR, REPO_ROOT);
  const kubernetes = loadKubernetes(SERVICES_DIR, REPO_ROOT, services);
  const ec2 = loadEc2(SERVICES_DIR, REPO_ROOT, services);
  const tooLong = pipelineNameProblems(
    project.prefix,
    [...functions, ...services].map((d) => d.name),
  );
  if (tooLong.length > 0) {
    throw new ConfigError(
      `${tooLong.length} name${tooLong.length === 1 ? '' : 's'} too long for the prefix in README.md; shorten the folder under app/functions or app/services, or the prefix:\n${tooLong.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  return {
    ...project,
    governance: parseGovernance(governance, {
      prefix: project.prefix,
      regions: [...new Set(project.environments.map((e) => e.profile.region))],
      environments: project.environments.map((e) => e.name),
    }),
    functions,
    services,
    kubernetes,
    ec2,
    delivery: parseDelivery(delivery, project.environments),
  };
}

/** The context cdk.json gives the CLI, for in-process synths. */
export function cdkContext(): Record<string, unknown> {
  return readCdkJsonContext(join(INFRA_DIR, 'cdk.json'));
}

/** The delivery workspace: the traffic hooks' and pipeline steps' code, bundled at synth time. */
export const DELIVERY_CODE: DeliveryCode = {
  entry: (handler) => join(REPO_ROOT, 'delivery', 'src', 'handlers', `${handler}.ts`),
};
