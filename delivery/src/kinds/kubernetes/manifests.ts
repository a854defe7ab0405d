import type { KubernetesObject } from './api.js';
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import {
  COLORS,
  type Color,
  DATABASE_SECRET_DIR,
  DATABASE_SECRET_FILE,
  type KubernetesTarget,
  otherColor,
} from '@ias/targets';
import { ApiObject, App, Chart, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import { k8s } from 'cdk8s-plus-33';
import { stringify } from 'yaml';
import { DeliveryError } from '../../errors.js';
import type { KubernetesManifest } from './manifest.js';

/** The names of an application's target (`kubernetesTarget` of @ias/targets) the manifests use. */
export type KubernetesNames = Pick<
  KubernetesTarget,
  | 'app'
  | 'namespace'
  | 'serviceAccount'
  | 'loadBalancerName'
  | 'deployments'
  | 'colorServices'
  | 'stableService'
  | 'testService'
  | 'ingress'
  | 'configMap'
  | 'secretProviderClass'
  | 'databaseSecret'
  | 'switches'
>;

/** The profile's `kubernetes.replicas`: the serving color's pods, as its autoscaler keeps them. */
export interface KubernetesReplicas {
  readonly min: number;
  readonly max: number;
  /** The average CPU use, as a percentage of the pods' request, the autoscaler keeps them at. */
  readonly cpuTargetPercent: number;
}

/** What `service.json` says of the container: its port and plain settings. */
export interface KubernetesContainerSettings {
  readonly containerPort: number;
  readonly environment: Readonly<Record<string, string>>;
}

/** What the manifests of one Kubernetes application in one environment are made from. */
export interface KubernetesAppInput {
  /** The project prefix: the `app.kubernetes.io/part-of` label. */
  readonly prefix: string;
  readonly target: KubernetesNames;
  /** The application's `kubernetes.json`. */
  readonly manifest: KubernetesManifest;
  /** From the application's `service.json`. */
  readonly container: KubernetesContainerSettings;
  readonly replicas: KubernetesReplicas;
  /**
   * Settings the deploy reads from the environment's SSM parameters (e.g. `PGHOST`, `PGSSLMODE`), which
   * the ConfigMap holds beside `service.json`'s environment. Never a secret.
   */
  readonly config: Readonly<Record<string, string>>;
  /** The color users are served by now; the test Service selects the other one. */
  readonly servingColor: Color;
  /**
   * The Ingress's share of user traffic per color, in percent, summing to 100 (`ingress-weights` only:
   * the deploy passes the weights in force so that applying the shared objects does not move traffic).
   * @default - every user on the serving color
   */
  readonly weights?: Readonly<Record<Color, number>>;
  /**
   * The Region of the database secret.
   * @default - the secrets provider looks up its node's Region (one more call per mount)
   */
  readonly region?: string;
}

/** A Kubernetes object as applied: plain JSON (the client boundary's type, one for both). */
export type { KubernetesObject } from './api.js';

/** The label naming the application (with {@link COLOR_LABEL}, what the Services select). */
export const APP_LABEL = 'app.kubernetes.io/name';
/** The label naming the project (its prefix). */
export const PART_OF_LABEL = 'app.kubernetes.io/part-of';
/** The label naming a pod's color: the stable Service's selector moves between `blue` and `green`. */
export const COLOR_LABEL = 'version';
/** The port every Service of the application listens on, and its name. */
export const SERVICE_PORT = 80;
export const SERVICE_PORT_NAME = 'http';
/** The pod annotation holding the ConfigMap's hash, so that new settings make new pods. */
export const CONFIG_HASH_ANNOTATION = 'checksum/config';
/**
 * The RDS certificate authorities the image carries (its Dockerfile fetches them), which Node.js
 * trusts besides its own for `PGSSLMODE=verify-full`: the same file the ECS task definition names.
 */
export const RDS_CA_BUNDLE = '/app/dist/certs/rds-global-bundle.pem';
/** The user the image's process runs as: the `node` user of the official Node.js images. */
export const RUN_AS_USER = 1000;
/**
 * The ALB action the `ingress-weights` Ingress forwards through: its annotation holds the weighted
 * target groups (one per color Service), and the switch moves traffic by rewriting it.
 * @see https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/annotations/#actions
 */
export const WEIGHTED_ACTION = 'blue-green';
export const INGRESS_WEIGHTS_ANNOTATION = `alb.ingress.kubernetes.io/actions.${WEIGHTED_ACTION}`;
const SECRETS_STORE_DRIVER = 'secrets-store.csi.k8s.io';

/** The labels that select an application's pods of one color. */
export function colorSelector(target: Pick<KubernetesNames, 'app'>, color: Color): Record<string, string> {
  return { [APP_LABEL]: target.app, [COLOR_LABEL]: color };
}

/** The environment's IngressClass (and its IngressClassParams): `<namespace>-alb`. */
export function ingressClassName(target: Pick<KubernetesNames, 'namespace'>): string {
  return `${target.namespace}-alb`;
}

/** The {@link INGRESS_WEIGHTS_ANNOTATION} value: forward to each color's Service with its weight. */
export function forwardAction(
  target: Pick<KubernetesNames, 'colorServices'>,
  weights: Readonly<Record<Color, number>>,
): string {
  return JSON.stringify({
    type: 'forward',
    forwardConfig: {
      targetGroups: COLORS.map((color) => ({
        serviceName: target.colorServices[color],
        servicePort: SERVICE_PORT_NAME,
        weight: weights[color],
      })),
    },
  });
}

/** What is wrong with `image` as the image of a color's pods, or undefined when nothing is. */
export function imageDigestProblem(image: string): string | undefined {
  const at = image.lastIndexOf('@');
  const name = at < 0 ? image : image.slice(0, at);
  if (!/^[a-z0-9][a-z0-9._/:-]*$/.test(name)) {
    return 'is not an image reference';
  }
  if (at < 0 || !/^sha256:[0-9a-f]{64}$/.test(image.slice(at + 1))) {
    return 'is not pinned by its digest: give <repository>@sha256:<64 hex digits> (a tag can move; the digest is what was built and recorded)';
  }
  return undefined;
}

/** The ConfigMap's data: `service.json`'s environment and the deploy's settings, which may not overlap. */
export function configData(input: KubernetesAppInput): Record<string, string> {
  const reserved = Object.keys(containerEnv(input));
  for (const name of Object.keys(input.config)) {
    if (Object.hasOwn(input.container.environment, name)) {
      throw new DeliveryError(
        'BAD_INPUT',
        `setting ${name} comes from both service.json's environment and the deploy's settings: keep one`,
      );
    }
    if (reserved.includes(name)) {
      throw new DeliveryError('BAD_INPUT', `setting ${name} is set by the manifests themselves: remove it`);
    }
  }
  return sortedRecord({ ...input.container.environment, ...input.config });
}

/**
 * The objects an application's colors share: Namespace, IngressClassParams and IngressClass (EKS Auto
 * Mode's ALB), ServiceAccount, ConfigMap, SecretProviderClass, the Services (`service-selector`: the
 * stable one on the serving color; `ingress-weights`: one per color) with the test Service on the
 * other color, and the Ingress. Pure: nothing is read or written.
 *
 * @throws DeliveryError `BAD_INPUT` on weights that are not whole percentages summing to 100, or settings that clash
 */
export function renderShared(input: KubernetesAppInput): KubernetesObject[] {
  const { target, manifest } = input;
  const switches = switchesOf(target);
  const { app, cluster, namespaced } = charts(input);

  new kplus.Namespace(cluster, 'Namespace', {
    metadata: {
      name: target.namespace,
      // Every pod of the namespace must meet the Restricted Pod Security Standard (the pods below do).
      labels: { 'pod-security.kubernetes.io/enforce': 'restricted' },
    },
  });
  const className = ingressClassName(target);
  new ApiObject(cluster, 'IngressClassParams', {
    apiVersion: 'eks.amazonaws.com/v1',
    kind: 'IngressClassParams',
    metadata: { name: className },
    spec: {
      scheme: 'internet-facing',
      // Only the environment's namespace may open a public load balancer through this class.
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': target.namespace } },
    },
  });
  new k8s.KubeIngressClass(cluster, 'IngressClass', {
    metadata: { name: className },
    spec: {
      controller: 'eks.amazonaws.com/alb',
      parameters: { apiGroup: 'eks.amazonaws.com', kind: 'IngressClassParams', name: className },
    },
  });

  new kplus.ServiceAccount(namespaced, 'ServiceAccount', {
    metadata: { name: target.serviceAccount },
    automountToken: false,
  });
  new kplus.ConfigMap(namespaced, 'ConfigMap', {
    metadata: { name: target.configMap },
    data: configData(input),
  });
  new ApiObject(namespaced, 'SecretProviderClass', {
    apiVersion: 'secrets-store.csi.x-k8s.io/v1',
    kind: 'SecretProviderClass',
    metadata: { name: target.secretProviderClass },
    spec: {
      provider: 'aws',
      parameters: {
        ...(input.region === undefined ? {} : { region: input.region }),
        usePodIdentity: 'true',
        objects: stringify([
          {
            objectName: target.databaseSecret,
            objectType: 'secretsmanager',
            objectAlias: posix.basename(DATABASE_SECRET_FILE),
          },
        ]),
      },
    },
  });

  const newColor = otherColor(input.servingColor);
  const annotations: Record<string, string> = {
    'alb.ingress.kubernetes.io/load-balancer-name': target.loadBalancerName,
    'alb.ingress.kubernetes.io/target-type': 'ip',
    'alb.ingress.kubernetes.io/healthcheck-path': manifest.readinessPath,
  };
  let backend: kplus.Service;
  if (switches === 'service-selector') {
    backend = service(namespaced, input, target.stableService, input.servingColor);
  } else {
    const services = COLORS.map((color) =>
      service(namespaced, input, target.colorServices[color], color, { [COLOR_LABEL]: color }),
    );
    backend = services[0] as kplus.Service;
    annotations[INGRESS_WEIGHTS_ANNOTATION] = forwardAction(target, weightsOf(input));
  }
  service(namespaced, input, target.testService, newColor);

  const ingress = new kplus.Ingress(namespaced, 'Ingress', {
    metadata: { name: target.ingress, annotations },
    className,
  });
  ingress.addRule('/', kplus.IngressBackend.fromService(backend), kplus.HttpIngressPathType.PREFIX);
  if (switches === 'ingress-weights') {
    // cdk8s-plus names a backend's port by number; the ALB controller's action is a backend whose
    // port is named `use-annotation`, so the rule's backend is written as the controller documents it.
    ApiObject.of(ingress).addJsonPatch(
      JsonPatch.replace('/spec/rules/0/http/paths/0/backend', {
        service: { name: WEIGHTED_ACTION, port: { name: 'use-annotation' } },
      }),
    );
  }
  return synth(app, [cluster, namespaced]);
}

/** Options of {@link renderColor}. */
export interface RenderColorOptions {
  /**
   * The pods the color starts with (the autoscaler takes over from there): e.g. as many as the
   * serving color runs, so that an all-at-once switch does not land on fewer pods.
   * @default - the profile's minimum
   */
  readonly replicas?: number;
}

/**
 * One color's objects: its Deployment, PodDisruptionBudget and HorizontalPodAutoscaler. Pure.
 *
 * The Deployment states its replicas although an autoscaler scales it: a color scaled to zero after
 * the switch must come back when it is deployed again, and the deploy never re-applies the color
 * that serves.
 *
 * @param image - the image, pinned by digest (`<repository>@sha256:<hex>`)
 * @throws DeliveryError `BAD_INPUT` when `image` is not pinned by digest, or replicas are out of range
 */
export function renderColor(
  input: KubernetesAppInput,
  color: Color,
  image: string,
  options: RenderColorOptions = {},
): KubernetesObject[] {
  const { target, manifest, replicas: range } = input;
  const problem = imageDigestProblem(image);
  if (problem) {
    throw new DeliveryError('BAD_INPUT', `image ${JSON.stringify(image)} ${problem}`);
  }
  const replicas = options.replicas ?? range.min;
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > range.max) {
    throw new DeliveryError(
      'BAD_INPUT',
      `replicas ${replicas} must be a whole number from 0 to ${range.max}`,
    );
  }
  const { app, namespaced } = charts(input);
  const selector = colorSelector(target, color);
  const name = target.deployments[color];
  const port = input.container.containerPort;
  const data = configData(input);

  const tmp = kplus.Volume.fromEmptyDir(namespaced, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(64) });
  const secrets = kplus.Volume.fromCsi(namespaced, 'DatabaseSecret', SECRETS_STORE_DRIVER, {
    name: 'database-secret',
    readOnly: true,
    attributes: { secretProviderClass: target.secretProviderClass },
  });
  const deployment = new kplus.Deployment(namespaced, 'Deployment', {
    metadata: { name, labels: { [COLOR_LABEL]: color } },
    select: false,
    podMetadata: {
      labels: { ...selector, [PART_OF_LABEL]: input.prefix },
      annotations: { [CONFIG_HASH_ANNOTATION]: sha256(JSON.stringify(data)) },
    },
    serviceAccount: kplus.ServiceAccount.fromServiceAccountName(
      namespaced,
      'ServiceAccount',
      target.serviceAccount,
    ),
    // The application calls no Kubernetes API; the secrets driver gets its own token from the kubelet.
    automountServiceAccountToken: false,
    securityContext: { ensureNonRoot: true, user: RUN_AS_USER, group: RUN_AS_USER },
    containers: [
      {
        name: target.app,
        image,
        // A digest never points at other bytes: pull once per node.
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        ports: [{ number: port, name: SERVICE_PORT_NAME }],
        readiness: kplus.Probe.fromHttpGet(manifest.readinessPath, { port }),
        liveness: kplus.Probe.fromHttpGet(manifest.livenessPath, { port }),
        // Up to two minutes to start (migrations, the first database connection) before liveness counts.
        startup: kplus.Probe.fromHttpGet(manifest.livenessPath, {
          port,
          periodSeconds: Duration.seconds(5),
          failureThreshold: 24,
        }),
        securityContext: {
          ensureNonRoot: true,
          user: RUN_AS_USER,
          group: RUN_AS_USER,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          privileged: false,
          capabilities: { drop: [kplus.Capability.ALL] },
          seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
        },
        envFrom: [
          kplus.Env.fromConfigMap(kplus.ConfigMap.fromConfigMapName(namespaced, 'Config', target.configMap)),
        ],
        envVariables: Object.fromEntries(
          Object.entries(containerEnv(input)).map(([key, value]) => [key, kplus.EnvValue.fromValue(value)]),
        ),
        volumeMounts: [
          { path: '/tmp', volume: tmp },
          { path: DATABASE_SECRET_DIR, volume: secrets, readOnly: true },
        ],
      },
    ],
  });
  deployment.select(kplus.LabelSelector.of({ labels: selector }));
  ApiObject.of(deployment).addJsonPatch(
    JsonPatch.add('/spec/replicas', replicas),
    // kubernetes.json's quantities as written (cdk8s-plus would restate memory in Mi and refuse 1G); the
    // patch goes through the Deployment's typed serializer, which reads quantities as k8s.Quantity.
    JsonPatch.replace('/spec/template/spec/containers/0/resources', {
      requests: quantities(manifest.resources.requests),
      limits: quantities(manifest.resources.limits),
    }),
    // cdk8s-plus labels pods with their construct path; the selector above is what identifies them.
    JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'),
  );

  new kplus.HorizontalPodAutoscaler(namespaced, 'Autoscaler', {
    metadata: { name, labels: { [COLOR_LABEL]: color } },
    target: deployment,
    minReplicas: range.min,
    maxReplicas: range.max,
    metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(range.cpuTargetPercent))],
  });
  // One pod at a time may be evicted, whatever the count: with minAvailable 1, a color of one pod
  // would block every node drain (EKS Auto Mode replaces its nodes at least every 21 days). A pod that
  // is not ready serves nothing and may always be evicted.
  new k8s.KubePodDisruptionBudget(namespaced, 'DisruptionBudget', {
    metadata: { name, labels: { [COLOR_LABEL]: color } },
    spec: {
      maxUnavailable: k8s.IntOrString.fromNumber(1),
      selector: { matchLabels: selector },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  });
  return synth(app, [namespaced]);
}

/**
 * The objects as one multi-document YAML file, in order, each with `apiVersion`, `kind` and
 * `metadata` first and every other key sorted, so that the same objects always read the same.
 * Written as YAML 1.1 (`"yes"`, `"on"` quoted), which kubectl reads.
 */
export function toYaml(objects: readonly KubernetesObject[]): string {
  return objects
    .map((object) => stringify(sortKeys(object, true), { version: '1.1', lineWidth: 0 }))
    .join('---\n');
}

function switchesOf(target: KubernetesNames): NonNullable<KubernetesNames['switches']> {
  if (target.switches === undefined) {
    throw new DeliveryError(
      'BAD_INPUT',
      `the environment of ${target.app} has no kubernetes section in its profile: no strategy to render for`,
    );
  }
  return target.switches;
}

function weightsOf(input: KubernetesAppInput): Readonly<Record<Color, number>> {
  const weights = input.weights ?? { [input.servingColor]: 100, [otherColor(input.servingColor)]: 0 };
  const values = COLORS.map((color) => weights[color] as number | undefined);
  if (
    values.some((w) => w === undefined || !Number.isInteger(w) || w < 0 || w > 100) ||
    values.reduce<number>((sum, w) => sum + (w ?? 0), 0) !== 100
  ) {
    throw new DeliveryError(
      'BAD_INPUT',
      `weights ${JSON.stringify(input.weights)} must give blue and green whole percentages summing to 100`,
    );
  }
  return weights as Record<Color, number>;
}

/** The variables the container gets besides the ConfigMap's (these win over it, so it may not hold them). */
function containerEnv(input: KubernetesAppInput): Record<string, string> {
  return {
    NODE_ENV: 'production',
    PORT: String(input.container.containerPort),
    // The database login is the file the secrets driver mounts, read again for every new connection
    // (so a rotated password is used without a restart).
    DB_AUTH: 'secret-file',
    DB_SECRET_FILE: DATABASE_SECRET_FILE,
    NODE_EXTRA_CA_CERTS: RDS_CA_BUNDLE,
  };
}

function service(
  chart: Chart,
  input: KubernetesAppInput,
  name: string,
  selects: Color,
  labels: Record<string, string> = {},
): kplus.Service {
  const result = new kplus.Service(chart, `Service-${name}`, {
    metadata: { name, labels },
    ports: [{ name: SERVICE_PORT_NAME, port: SERVICE_PORT, targetPort: input.container.containerPort }],
  });
  for (const [key, value] of Object.entries(colorSelector(input.target, selects))) {
    result.selectLabel(key, value);
  }
  return result;
}

/** A fresh app with a chart for cluster-scoped objects and one for the namespace's, each labelled. */
function charts(input: KubernetesAppInput): { app: App; cluster: Chart; namespaced: Chart } {
  const app = new App();
  const partOf = { [PART_OF_LABEL]: input.prefix };
  return {
    app,
    cluster: new Chart(app, 'cluster', { labels: partOf }),
    namespaced: new Chart(app, 'namespaced', {
      namespace: input.target.namespace,
      labels: { [APP_LABEL]: input.target.app, ...partOf },
    }),
  };
}

/** The charts' objects, after the checks cdk8s runs at synth (e.g. an autoscaled Deployment's replicas). */
function synth(app: App, charts: readonly Chart[]): KubernetesObject[] {
  const errors = app.node
    .findAll()
    .flatMap((construct) => construct.node.validate().map((error) => `${construct.node.path}: ${error}`));
  if (errors.length > 0) {
    throw new Error(`the Kubernetes objects are inconsistent: ${errors.join('; ')}`);
  }
  return charts.flatMap((chart) => chart.toJson() as KubernetesObject[]);
}

const LEADING_KEYS = ['apiVersion', 'kind', 'metadata'];

function sortKeys(value: unknown, top = false): unknown {
  if (Array.isArray(value)) {
    return value.map((item) => sortKeys(item));
  }
  if (value === null || typeof value !== 'object') {
    return value;
  }
  const keys = Object.keys(value).sort((a, b) => {
    const rank = (key: string) => (top && LEADING_KEYS.includes(key) ? LEADING_KEYS.indexOf(key) : 3);
    return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
  });
  return Object.fromEntries(keys.map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]));
}

function quantities(record: Readonly<Record<string, string | undefined>>): Record<string, k8s.Quantity> {
  return Object.fromEntries(
    Object.entries(record).flatMap(([key, value]) =>
      value === undefined ? [] : [[key, k8s.Quantity.fromString(value)]],
    ),
  );
}

function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  return sortKeys(record) as Record<string, string>;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
