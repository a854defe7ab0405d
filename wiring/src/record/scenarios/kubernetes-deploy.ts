/**
 * `kubernetes:deploy`: a Kubernetes application's deploy project, running the delivery's deploy CLI
 * (delivery/src/kinds/kubernetes/deploy-cli.ts) as its buildspec does: `deploy` of a new image to the
 * color that does not serve, and `switch-back`. The cluster's API is delivery's fake (the calls that
 * matter here are AWS's); EKS, SSM and CloudWatch are the CLI's own clients, recorded.
 *
 * The names the CLI takes from the deploy file in the project's source are recorded as that file's
 * fields (`${source:deploy.json:target.clusterName}`, each alarm as `${source:deploy.json:alarms.*}`,
 * each SSM parameter — a path, `/…` — as `${source:deploy.json:parameters.*}`): the check reads them
 * from the deploy file the assembly holds for each project.
 */
import { EKSClient } from '@aws-sdk/client-eks';
import { type DeployFile, deployFileSchema } from '@ias/delivery';
import { type KubernetesDeploymentSettings, kubernetesTarget, type TargetEnvironment } from '@ias/targets';
// The CLI's module and the delivery's fake cluster are not in @ias/delivery's public API: the
// scenario runs them from the workspace's sources.
import { runKubernetesCli } from '../../../../delivery/src/kinds/kubernetes/deploy-cli';
import { connectEks } from '../../../../delivery/src/kinds/kubernetes/eks-client';
import { renderColor } from '../../../../delivery/src/kinds/kubernetes/manifests';
import { fakeClock, servingCluster } from '../../../../delivery/test/kinds/kubernetes/fake-api';
import { responder } from '../respond';
import { FIXTURE, type Scenario } from '../scenario';

const SOURCE = 'wiring/src/record/scenarios/kubernetes-deploy.ts';
const FILE = 'deploy.json';

const SETTINGS: KubernetesDeploymentSettings = {
  strategy: 'service-switch',
  steps: [100],
  bakeMinutes: 5,
  oldColorRetentionMinutes: 30,
};

const ENVIRONMENT: TargetEnvironment = {
  prefix: 'wiringfx',
  name: 'fixture',
  profile: {
    lambda: { deployment: 'all-at-once' },
    service: { deployment: { strategy: 'rolling', traffic: 'all-at-once' } },
    kubernetes: { enabled: true, deployment: SETTINGS },
  },
};

const TARGET = kubernetesTarget(ENVIRONMENT, { name: 'fixture-app' });

/** The SSM parameters the ConfigMap's settings are read from, and their values. */
const PARAMETERS: Readonly<Record<string, { name: string; value: string }>> = {
  PGHOST: { name: '/wiring-fixture/db/endpoint', value: 'db.wiring-fixture.internal' },
  PGPORT: { name: '/wiring-fixture/db/port', value: '5432' },
  PGDATABASE: { name: '/wiring-fixture/db/name', value: 'inventory' },
};

/** The deploy file infra/lib/kinds/kubernetes/deploy-file.ts writes, for the fixture application. */
const DEPLOY_FILE: DeployFile = deployFileSchema.parse({
  version: 1,
  environment: ENVIRONMENT.name,
  region: FIXTURE.region,
  target: { ...TARGET, switches: 'service-selector' },
  settings: SETTINGS,
  alarms: ['wiring-fixture-app-k8s-health'],
  parameters: Object.fromEntries(Object.entries(PARAMETERS).map(([key, p]) => [key, p.name])),
  input: {
    prefix: ENVIRONMENT.prefix,
    manifest: {
      description: 'The wiring fixture application',
      resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
      livenessPath: '/health',
      readinessPath: '/ready',
    },
    container: { containerPort: 3000, environment: { LOG_LEVEL: 'info' } },
    replicas: { min: 2, max: 4, cpuTargetPercent: 60 },
    config: { PGSSLMODE: 'verify-full' },
    region: FIXTURE.region,
  },
});

const REPOSITORY = `${FIXTURE.account}.dkr.ecr.${FIXTURE.region}.amazonaws.com/${TARGET.repositoryName}`;
const IMAGE = `${REPOSITORY}@sha256:${'a'.repeat(64)}`;
const OLD_IMAGE = `${REPOSITORY}@sha256:${'b'.repeat(64)}`;

/** The render input of the cluster's current objects (what an earlier deploy applied). */
const INPUT = {
  ...DEPLOY_FILE.input,
  target: DEPLOY_FILE.target,
  config: {
    ...DEPLOY_FILE.input.config,
    ...Object.fromEntries(Object.entries(PARAMETERS).map(([key, p]) => [key, p.value])),
  },
  servingColor: 'blue' as const,
};

/** The deploy file's fields the calls name, as tokens. */
const TOKENS: Readonly<Record<string, string>> = {
  [TARGET.clusterName]: `\${source:${FILE}:target.clusterName}`,
  ...Object.fromEntries(DEPLOY_FILE.alarms.map((alarm) => [alarm, `\${source:${FILE}:alarms.*}`])),
  ...Object.fromEntries(Object.values(PARAMETERS).map((p) => [p.name, `\${source:${FILE}:parameters.*}`])),
};

const respond = responder({
  'EKS DescribeCluster': (input: { name: string }) => ({
    cluster: {
      name: input.name,
      status: 'ACTIVE',
      endpoint: 'https://wiring-fixture.gr7.eu-west-3.eks.amazonaws.com',
      certificateAuthority: { data: Buffer.from('wiring fixture authority').toString('base64') },
    },
  }),
  'SSM GetParameters': (input: { Names: string[] }) => ({
    Parameters: input.Names.map((name) => ({
      Name: name,
      Type: 'String',
      Value: Object.values(PARAMETERS).find((p) => p.name === name)?.value,
    })),
    InvalidParameters: [],
  }),
  'CloudWatch DescribeAlarms': (input: { AlarmNames: string[] }) => ({
    MetricAlarms: [],
    CompositeAlarms: input.AlarmNames.map((name) => ({ AlarmName: name, StateValue: 'OK' })),
  }),
});

/** One run of the CLI as the project's buildspec makes it, against `cluster`; fails unless it exits 0. */
function kubernetesScenario(id: string, args: readonly string[], serving: 'blue' | 'green'): Scenario {
  return {
    workload: 'kubernetes:deploy',
    id: `kubernetes:${id}`,
    source: SOURCE,
    tokens: TOKENS,
    respond,
    async run() {
      const cluster = servingCluster(INPUT, serving);
      // The color switched away from, kept (scaled) for a switch back.
      if (serving === 'green') cluster.seed(renderColor(INPUT, 'blue', OLD_IMAGE));
      const errors: string[] = [];
      const code = await runKubernetesCli(
        [...args, '--env', DEPLOY_FILE.environment, '--app', TARGET.app, '--target-file', FILE],
        {
          env: {},
          out: () => undefined,
          err: (line) => errors.push(line),
          readFile: (path) =>
            path === FILE
              ? Promise.resolve(JSON.stringify(DEPLOY_FILE))
              : Promise.reject(new Error(`ENOENT: ${path}`)),
          writeFile: () => Promise.resolve(),
          // As the CLI connects (EKS DescribeCluster for the endpoint), then the fake cluster's API.
          kubernetes: async (clusterName, region) => {
            await connectEks({ eks: new EKSClient({ region }), clusterName, region });
            return cluster;
          },
          clock: fakeClock(),
        },
      );
      if (code !== 0) {
        throw new Error(`deploy-cli ${args[0] ?? ''} exited ${code}: ${errors.join('; ')}`);
      }
    },
  };
}

/** A deploy of a new image (blue serving), and a switch back to blue (green serving, blue kept). */
export const kubernetesDeployScenarios: readonly Scenario[] = [
  kubernetesScenario('deploy', ['deploy', '--image', IMAGE, '--result-file', 'result.json'], 'blue'),
  kubernetesScenario('switch-back', ['switch-back', '--to', 'blue', '--result-file', 'result.json'], 'green'),
];
