import {
  type Color,
  type KubernetesDeploymentSettings,
  kubernetesTarget,
  type TargetEnvironment,
} from '@ias/targets';
import {
  describeRef,
  type KubernetesApi,
  KubernetesApiError,
  type KubernetesObject,
  type ObjectKind,
  type ObjectPatch,
  type ObjectRef,
  type ProxyAnswer,
  refOf,
  type RolloutStatus,
} from '../../../src/kinds/kubernetes/api.js';
import {
  COLOR_LABEL,
  INGRESS_WEIGHTS_ANNOTATION,
  type KubernetesAppInput,
  renderColor,
  renderShared,
} from '../../../src/kinds/kubernetes/manifests.js';
import { type AlarmWatch, switchTarget } from '../../../src/kinds/kubernetes/switch.js';
import type { Clock } from '../../../src/time.js';

/** One call the fake answered (or refused), in order. */
export interface FakeCall {
  readonly op: 'get' | 'list' | 'apply' | 'patch' | 'rolloutStatus' | 'scale' | 'proxyGet';
  /**
   * The object, as messages name it (`Service ias-dev/inventory-api`), the kind listed
   * (`TargetGroupBinding ias-dev`), or the proxied path.
   */
  readonly target: string;
  /** What was written: the applied object, the patch, the replicas. */
  readonly body?: unknown;
  /** The fake clock's time of the call. */
  readonly at: number;
}

/** How a Deployment rolls out: ready after this many looks, never, or stopped by its progress deadline. */
export type Readiness = number | 'never' | 'stuck';

/** Options of {@link FakeKubernetesApi}. */
export interface FakeKubernetesOptions {
  /** Stamps the calls. @default - time stands at 0 */
  readonly clock?: Clock;
  /** How each Deployment (by name) rolls out after a change. @default - ready at the second look */
  readonly readiness?: Readonly<Record<string, Readiness>>;
  /** What a color's pods answer through the service proxy. @default - 200 `ok` */
  readonly answer?: (color: string | undefined, path: string) => ProxyAnswer;
  /** The error a call fails with (nothing is changed), or undefined to answer it. */
  readonly fail?: (call: FakeCall) => KubernetesApiError | undefined;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** RFC 7386: objects merged key by key, `null` removes, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const current: Json = isObject(target) ? target : {};
  const keys = new Set([...Object.keys(current), ...Object.keys(patch)]);
  return Object.fromEntries(
    [...keys]
      .filter((key) => patch[key] !== null)
      .map((key) => [key, key in patch ? mergePatch(current[key], patch[key]) : current[key]]),
  );
}

function keyOf(ref: ObjectRef): string {
  return `${ref.apiVersion}|${ref.kind}|${ref.namespace ?? ''}|${ref.name}`;
}

/**
 * An in-memory Kubernetes API server: objects by identity, server-side apply and merge patches as
 * merges, Deployments that become ready after a number of looks at their rollout (or never), a
 * service proxy that answers for the color a Service selects, calls that can be made to fail, and a
 * record of every call.
 */
export class FakeKubernetesApi implements KubernetesApi {
  /** Every call, in order. */
  readonly calls: FakeCall[] = [];
  private readonly objects = new Map<string, KubernetesObject>();
  /** Looks at each Deployment's rollout since its last change. */
  private readonly looks = new Map<string, number>();

  constructor(private readonly options: FakeKubernetesOptions = {}) {}

  /** Stores `objects` as they are, their Deployments rolled out: a cluster where a color already serves. */
  seed(objects: readonly KubernetesObject[]): this {
    for (const object of objects) {
      this.objects.set(keyOf(refOf(object)), {
        ...structuredClone(object),
        metadata: { ...object.metadata, generation: 1 },
      });
      if (object.kind === 'Deployment') this.looks.set(object.metadata.name, Number.POSITIVE_INFINITY);
    }
    return this;
  }

  /** The stored object of `kind` named `name`. */
  find(kind: string, name: string): KubernetesObject | undefined {
    return [...this.objects.values()].find((o) => o.kind === kind && o.metadata.name === name);
  }

  /** The `version` a Service selects. */
  selects(service: string): string | undefined {
    return (this.find('Service', service)?.['spec'] as { selector?: Record<string, string> } | undefined)
      ?.selector?.[COLOR_LABEL];
  }

  /** A Deployment's wanted replicas. */
  replicas(deployment: string): number | undefined {
    return (this.find('Deployment', deployment)?.['spec'] as { replicas?: number } | undefined)?.replicas;
  }

  /** The weights of the Ingress's weighted action, by Service name. */
  weights(ingress: string): Record<string, number> {
    const value = this.find('Ingress', ingress)?.metadata.annotations?.[INGRESS_WEIGHTS_ANNOTATION];
    const groups =
      (
        JSON.parse(value ?? '{}') as {
          forwardConfig?: { targetGroups?: { serviceName: string; weight: number }[] };
        }
      ).forwardConfig?.targetGroups ?? [];
    return Object.fromEntries(groups.map((g) => [g.serviceName, g.weight]));
  }

  /** The calls that change something (apply, patch, scale). */
  writes(): FakeCall[] {
    return this.calls.filter((c) => c.op === 'apply' || c.op === 'patch' || c.op === 'scale');
  }

  async get(ref: ObjectRef): Promise<KubernetesObject | undefined> {
    this.record({ op: 'get', target: describeRef(ref) });
    const object = this.objects.get(keyOf(ref));
    return object === undefined ? undefined : structuredClone(object);
  }

  async list(kind: ObjectKind): Promise<readonly KubernetesObject[]> {
    this.record({ op: 'list', target: `${kind.kind} ${kind.namespace ?? ''}`.trim() });
    return [...this.objects.values()]
      .filter(
        (o) =>
          o.apiVersion === kind.apiVersion && o.kind === kind.kind && o.metadata.namespace === kind.namespace,
      )
      .map((o) => structuredClone(o));
  }

  async apply(object: KubernetesObject): Promise<KubernetesObject> {
    // As sent over the wire: a field set to undefined is not there.
    const sent = JSON.parse(JSON.stringify(object)) as KubernetesObject;
    this.record({ op: 'apply', target: describeRef(refOf(object)), body: sent });
    return this.store(refOf(object), sent);
  }

  async patch(ref: ObjectRef, patch: ObjectPatch): Promise<KubernetesObject> {
    this.record({ op: 'patch', target: describeRef(ref), body: structuredClone(patch) });
    const current = this.objects.get(keyOf(ref));
    if (!current) {
      throw new KubernetesApiError(404, `${ref.kind.toLowerCase()}s "${ref.name}" not found`, 'NotFound');
    }
    if (patch.type !== 'merge') {
      throw new KubernetesApiError(415, 'the fake answers merge patches only', 'UnsupportedMediaType');
    }
    return this.store(ref, patch.patch);
  }

  async rolloutStatus(namespace: string, name: string): Promise<RolloutStatus | undefined> {
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name };
    this.record({ op: 'rolloutStatus', target: describeRef(ref) });
    const deployment = this.objects.get(keyOf(ref));
    if (!deployment) return undefined;
    const looks = (this.looks.get(name) ?? 0) + 1;
    this.looks.set(name, looks);
    const desired = this.replicas(name) ?? 1;
    const generation = deployment.metadata.generation ?? 1;
    const readiness = this.options.readiness?.[name] ?? 2;
    const ready = typeof readiness === 'number' && looks >= readiness ? desired : 0;
    return {
      generation,
      observedGeneration: generation,
      desiredReplicas: desired,
      replicas: desired,
      updatedReplicas: desired,
      readyReplicas: ready,
      availableReplicas: ready,
      conditions:
        readiness === 'stuck'
          ? [
              {
                type: 'Progressing',
                status: 'False',
                reason: 'ProgressDeadlineExceeded',
                message: `ReplicaSet "${name}-5d8f" has timed out progressing.`,
              },
            ]
          : [],
    };
  }

  async scale(namespace: string, name: string, replicas: number): Promise<void> {
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name };
    this.record({ op: 'scale', target: describeRef(ref), body: replicas });
    if (!this.objects.has(keyOf(ref))) {
      throw new KubernetesApiError(404, `deployments.apps "${name}" not found`, 'NotFound');
    }
    this.store(ref, { spec: { replicas } });
  }

  async proxyGet(
    namespace: string,
    service: string,
    port: number | string,
    path: string,
  ): Promise<ProxyAnswer> {
    this.record({ op: 'proxyGet', target: `Service ${namespace}/${service}:${port}${path}` });
    const color = this.selects(service);
    const deployment = [...this.objects.values()].find(
      (o) => o.kind === 'Deployment' && o.metadata.labels?.[COLOR_LABEL] === color,
    );
    const looks = deployment ? (this.looks.get(deployment.metadata.name) ?? 0) : 0;
    const readiness = deployment ? (this.options.readiness?.[deployment.metadata.name] ?? 2) : 'never';
    if (!deployment || typeof readiness !== 'number' || looks < readiness) {
      return { status: 503, body: `no endpoints available for service "${service}"` };
    }
    return this.options.answer?.(color, path) ?? { status: 200, body: 'ok' };
  }

  private record(call: Omit<FakeCall, 'at'>): void {
    const stamped = { ...call, at: this.options.clock?.now() ?? 0 };
    this.calls.push(stamped);
    const error = this.options.fail?.(stamped);
    if (error) throw error;
  }

  /** Merges `change` into the stored object; a Deployment whose spec changes rolls out again. */
  private store(ref: ObjectRef, change: unknown): KubernetesObject {
    const key = keyOf(ref);
    const current = this.objects.get(key);
    const merged = mergePatch(current, change) as KubernetesObject;
    const specChanged = JSON.stringify(current?.['spec']) !== JSON.stringify(merged['spec']);
    const generation = (current?.metadata.generation ?? 0) + (current === undefined || specChanged ? 1 : 0);
    const stored = { ...merged, metadata: { ...merged.metadata, generation } };
    this.objects.set(key, stored);
    if (ref.kind === 'Deployment' && specChanged) this.looks.set(ref.name, 0);
    return structuredClone(stored);
  }
}

/** A clock that moves only when slept on: no test waits for real. */
export function fakeClock(start = Date.UTC(2026, 0, 5, 9, 0, 0)): Clock & { readonly start: number } {
  let now = start;
  return {
    start,
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
}

/** Alarms in ALARM while `when` holds (checked at each look), named `name`; every look counted. */
export function alarmsWhen(
  name: string,
  when: () => boolean = () => false,
): AlarmWatch & { readonly looks: () => number } {
  let looks = 0;
  return {
    looks: () => looks,
    firing: async () => {
      looks += 1;
      return when() ? [name] : [];
    },
  };
}

/** A refusal, as the API server answers one: `422 Invalid` with its message. */
export function refusal(
  message = 'the object is invalid',
  status = 422,
  reason = 'Invalid',
): KubernetesApiError {
  return new KubernetesApiError(status, message, reason);
}

// ---------------------------------------------------------------------------------------------------
// The application the tests deploy: inventory-api in dev, rendered by the real manifests.

/** The image a deployment delivers, pinned by digest. */
export const IMAGE = `123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/ias-dev-inventory-api@sha256:${'a'.repeat(64)}`;

/** The image the serving color runs before it. */
export const OLD_IMAGE = `123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/ias-dev-inventory-api@sha256:${'b'.repeat(64)}`;

/** The dev environment with `deployment` as its Kubernetes settings. */
export function environment(deployment: KubernetesDeploymentSettings): TargetEnvironment {
  return {
    prefix: 'ias',
    name: 'dev',
    profile: {
      lambda: { deployment: 'all-at-once' },
      service: { deployment: { strategy: 'rolling', traffic: 'all-at-once' } },
      kubernetes: { enabled: true, deployment },
    },
  };
}

/** Service switch: all at once, 5 min bake, old color kept 30 min. */
export const SERVICE_SWITCH: KubernetesDeploymentSettings = {
  strategy: 'service-switch',
  steps: [100],
  bakeMinutes: 5,
  oldColorRetentionMinutes: 30,
};

/** Ingress switch: 5 % then 100 %, 10 min bake each, old color kept 60 min. */
export const INGRESS_SWITCH: KubernetesDeploymentSettings = {
  strategy: 'ingress-switch',
  steps: [5, 100],
  bakeMinutes: 10,
  oldColorRetentionMinutes: 60,
};

/** The application's target and manifest input under `settings` (serving blue, for the renderer). */
export function application(settings: KubernetesDeploymentSettings) {
  const target = kubernetesTarget(environment(settings), { name: 'inventory-api' });
  const input: KubernetesAppInput = {
    prefix: 'ias',
    target,
    manifest: {
      description: 'Inventory API',
      resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } },
      livenessPath: '/health',
      readinessPath: '/ready',
    },
    container: { containerPort: 8080, environment: { LOG_LEVEL: 'info' } },
    replicas: { min: 2, max: 4, cpuTargetPercent: 60 },
    config: { PGHOST: 'db.internal' },
    servingColor: 'blue',
  };
  return { target, input, switchTarget: switchTarget(target) };
}

/** A cluster where `serving` serves {@link OLD_IMAGE}, as a deployment to it left it. */
export function servingCluster(
  input: KubernetesAppInput,
  serving: Color,
  options: FakeKubernetesOptions = {},
): FakeKubernetesApi {
  return new FakeKubernetesApi(options).seed([
    ...renderShared({ ...input, servingColor: serving }),
    ...renderColor(input, serving, OLD_IMAGE),
  ]);
}
