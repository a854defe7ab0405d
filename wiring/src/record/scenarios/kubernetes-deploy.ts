/**
 * `kubernetes:deploy`: a Kubernetes application's deploy project, running the delivery's deploy CLI
 * (delivery/src/kinds/kubernetes/deploy-cli.ts) as its buildspec does: `deploy` of a new image to the
 * color that does not serve, and `switch-back`. The cluster's API is delivery's fake (the calls that
 * matter here are AWS's); EKS, SSM and CloudWatch are the CLI's own clients, recorded.
 *
 * The names the CLI takes from the deploy file in the project's source are recorded as that file's
 * fields (`${source:deploy.json:target.clusterName}`, each alarm as `${source:deploy.json:alarms.*}`,
 * each SSM parameter — a path, `/…` — as `${source:deploy.json:parameters.*}`, the release ledger
 * table as `${source:deploy.json:input.prefix}-${source:deploy.json:environment}-releases`): the check
 * reads them from the deploy file the assembly holds for each project.
 *
 * A deploy judged by the canary judge (a deploy file with `canary`, `ingress-weights` routing) is its
 * own recording, `kubernetes:deploy-judged`: the check holds a project to it only where its deploy
 * file has the judge (wiring/src/check/kubernetes.ts). It reads the color target groups' load
 * balancer (elbv2), both sides' metrics (CloudWatch), and keeps each look in the ledger table under
 * the build's ID (DynamoDB).
 */
import { EKSClient } from '@aws-sdk/client-eks';
import { type DeployFile, deployFileSchema, type KubernetesObject } from '@ias/delivery';
import {
  type Color,
  type KubernetesDeploymentSettings,
  kubernetesTarget,
  ledgerTableName,
  type TargetEnvironment,
} from '@ias/targets';
// The CLI's module and the delivery's fake cluster are not in @ias/delivery's public API: the
// scenario runs them from the workspace's sources.
import { runKubernetesCli } from '../../../../delivery/src/kinds/kubernetes/deploy-cli';
import { connectEks } from '../../../../delivery/src/kinds/kubernetes/eks-client';
import { renderColor } from '../../../../delivery/src/kinds/kubernetes/manifests';
import { TARGET_GROUP_BINDING } from '../../../../delivery/src/kinds/kubernetes/target-groups';
import { DEPLOY_ID_VARIABLE } from '../../../../delivery/src/kinds/kubernetes/canary-evidence';
import { fakeClock, servingCluster } from '../../../../delivery/test/kinds/kubernetes/fake-api';
import { KUBERNETES_DEPLOY_JUDGED } from '../../check/kubernetes';
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

/** The ingress switch the judged deploy makes: 5 % for 5 minutes (the judge's 4 looks), then 100 %. */
const JUDGED_SETTINGS: KubernetesDeploymentSettings = {
  strategy: 'ingress-switch',
  steps: [5, 100],
  bakeMinutes: 5,
  oldColorRetentionMinutes: 30,
};

/** The deploy file of a judged application: ingress weights, and the canary judge's analysis. */
const JUDGED_FILE: DeployFile = deployFileSchema.parse({
  ...DEPLOY_FILE,
  target: { ...DEPLOY_FILE.target, switches: 'ingress-weights' },
  settings: JUDGED_SETTINGS,
  canary: { analysis: { judge: {}, bakeMinutes: 4, inconclusive: 'continue', earlyPromotion: true } },
});

/** The render input of the judged application's current objects. */
const JUDGED_INPUT = { ...INPUT, target: JUDGED_FILE.target };

/** The deploy project's build, as CodeBuild names it: the id the looks are kept under. */
const BUILD_ID = `${TARGET.deployProject}:0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b`;

const ELB_ARN = `arn:aws:elasticloadbalancing:${FIXTURE.region}:${FIXTURE.account}`;
const LOAD_BALANCER = `${ELB_ARN}:loadbalancer/app/k8s-wiringfx-fixture/50dc6c495c0c9188`;
const TARGET_GROUPS: Readonly<Record<Color, string>> = {
  blue: `${ELB_ARN}:targetgroup/k8s-wiringfx-fixtureb-1a2b3c4d5e/73e2d6bc24d8a067`,
  green: `${ELB_ARN}:targetgroup/k8s-wiringfx-fixtureg-6f7a8b9c0d/0f1e2d3c4b5a6978`,
};

/** The TargetGroupBindings the AWS Load Balancer Controller made for the color Services. */
const BINDINGS: readonly KubernetesObject[] = (['blue', 'green'] as const).map((color) => ({
  ...TARGET_GROUP_BINDING,
  metadata: { name: `k8s-${color}`, namespace: TARGET.namespace },
  spec: {
    serviceRef: { name: TARGET.colorServices[color], port: 80 },
    targetGroupARN: TARGET_GROUPS[color],
    targetType: 'ip',
  },
}));

/** A healthy canary: each side's requests, errors and latency (seconds) of every minute asked for. */
const MINUTE = {
  baseline: { requests: 2000, errors: 0, p50: 0.1, p99: 0.25 },
  canary: { requests: 1000, errors: 0, p50: 0.09, p99: 0.2 },
} as const;

/** The deploy file's fields the calls name, as tokens. */
const TOKENS: Readonly<Record<string, string>> = {
  [TARGET.clusterName]: `\${source:${FILE}:target.clusterName}`,
  [ledgerTableName(DEPLOY_FILE.input.prefix, DEPLOY_FILE.environment)]:
    `\${source:${FILE}:input.prefix}-\${source:${FILE}:environment}-releases`,
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
  'Elastic Load Balancing v2 DescribeTargetGroups': (input: { TargetGroupArns: string[] }) => ({
    TargetGroups: input.TargetGroupArns.map((arn) => ({
      TargetGroupArn: arn,
      TargetType: 'ip',
      LoadBalancerArns: [LOAD_BALANCER],
    })),
  }),
  'CloudWatch GetMetricData': (input: {
    StartTime: Date;
    EndTime: Date;
    MetricDataQueries: { Id: string }[];
  }) => {
    const start = new Date(input.StartTime).getTime();
    const count = (new Date(input.EndTime).getTime() - start) / 60_000;
    const times = Array.from({ length: count }, (_, i) => new Date(start + i * 60_000));
    return {
      MetricDataResults: input.MetricDataQueries.map((q) => {
        const [side, field] = q.Id.split('_') as [keyof typeof MINUTE, keyof (typeof MINUTE)['canary']];
        return {
          Id: q.Id,
          StatusCode: 'Complete',
          Timestamps: times,
          Values: times.map(() => MINUTE[side][field]),
        };
      }),
    };
  },
  'DynamoDB PutItem': {},
});

/** A run of a judged application: its recording, deploy file, objects and the build's environment. */
interface Judged {
  readonly workload: string;
  readonly file: DeployFile;
  readonly input: typeof INPUT;
  readonly env: Readonly<Record<string, string>>;
}

/**
 * One run of the CLI as the project's buildspec makes it, against a cluster where `serving` serves
 * (with the color Services' TargetGroupBindings when `judged`); fails unless it exits 0.
 */
function kubernetesScenario(
  id: string,
  args: readonly string[],
  serving: 'blue' | 'green',
  judged?: Judged,
): Scenario {
  const input = judged?.input ?? INPUT;
  const file = judged?.file ?? DEPLOY_FILE;
  return {
    workload: judged?.workload ?? 'kubernetes:deploy',
    id: `kubernetes:${id}`,
    source: SOURCE,
    tokens: TOKENS,
    respond,
    async run() {
      const cluster = servingCluster(input, serving);
      // The color switched away from, kept (scaled) for a switch back.
      if (serving === 'green') cluster.seed(renderColor(input, 'blue', OLD_IMAGE));
      if (judged) cluster.seed(BINDINGS);
      const errors: string[] = [];
      const code = await runKubernetesCli(
        [...args, '--env', file.environment, '--app', TARGET.app, '--target-file', FILE],
        {
          env: judged?.env ?? {},
          out: () => undefined,
          err: (line) => errors.push(line),
          readFile: (path) =>
            path === FILE
              ? Promise.resolve(JSON.stringify(file))
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

/**
 * A deploy of a new image (blue serving), and a switch back to blue (green serving, blue kept); a
 * judged deploy (ingress weights, the canary judge at 5 %) as the deploy project runs it.
 */
export const kubernetesDeployScenarios: readonly Scenario[] = [
  kubernetesScenario('deploy', ['deploy', '--image', IMAGE, '--result-file', 'result.json'], 'blue'),
  kubernetesScenario('switch-back', ['switch-back', '--to', 'blue', '--result-file', 'result.json'], 'green'),
  kubernetesScenario('deploy-judged', ['deploy', '--image', IMAGE, '--result-file', 'result.json'], 'blue', {
    workload: KUBERNETES_DEPLOY_JUDGED,
    file: JUDGED_FILE,
    input: JUDGED_INPUT,
    env: { [DEPLOY_ID_VARIABLE]: BUILD_ID },
  }),
];
