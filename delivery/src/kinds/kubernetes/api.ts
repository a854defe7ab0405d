/**
 * The Kubernetes API as the blue/green switch sees it: the few calls it makes, and nothing else.
 *
 * The switch (`switch.ts`) is written against {@link KubernetesApi} only, so that it is tested
 * against an in-memory fake (test/kinds/kubernetes/fake-api.ts) and runs against an EKS cluster through
 * `eks-client.ts`. Every call names its object by apiVersion, kind, namespace and name, as a
 * manifest does.
 *
 * @see https://kubernetes.io/docs/reference/using-api/api-concepts/
 */
import { DeliveryError, describeError } from '../../errors.js';

/** The field manager of every write the delivery makes (server-side apply and patches). */
export const FIELD_MANAGER = 'ias-delivery';

/** Which object: the identity a manifest gives it. */
export interface ObjectRef {
  /** `v1`, `apps/v1`, `networking.k8s.io/v1`, … */
  readonly apiVersion: string;
  /** `Service`, `Deployment`, `Ingress`, … */
  readonly kind: string;
  /**
   * The object's namespace.
   * @default - none: a cluster-scoped object (Namespace, IngressClass)
   */
  readonly namespace?: string;
  readonly name: string;
}

/** Which objects: a kind in a namespace (an {@link ObjectRef} without its name). */
export type ObjectKind = Omit<ObjectRef, 'name'>;

/** A Kubernetes object as plain JSON (what a manifest holds, or what the API answers). */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly generation?: number;
    readonly resourceVersion?: string;
    readonly [field: string]: unknown;
  };
  readonly [field: string]: unknown;
}

/**
 * A change to an object: an RFC 7386 JSON merge patch (`application/merge-patch+json`), or an
 * RFC 6902 JSON patch (`application/json-patch+json`) whose `test` operations make it conditional.
 */
export type ObjectPatch =
  | { readonly type: 'merge'; readonly patch: Readonly<Record<string, unknown>> }
  | { readonly type: 'json'; readonly operations: readonly JsonPatchOperation[] };

/** One RFC 6902 operation. */
export interface JsonPatchOperation {
  readonly op: 'add' | 'remove' | 'replace' | 'test';
  /** A JSON pointer, e.g. `/spec/selector/version`. */
  readonly path: string;
  readonly value?: unknown;
}

/** One condition of a Deployment's status (`Available`, `Progressing`, `ReplicaFailure`). */
export interface DeploymentCondition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}

/**
 * A Deployment's rollout as its status tells it: what `kubectl rollout status` reads.
 * Missing counts are 0 (the API leaves them out at zero).
 */
export interface RolloutStatus {
  /** `metadata.generation`: the version of the spec. */
  readonly generation: number;
  /** `status.observedGeneration`: the spec version the controller has acted on. */
  readonly observedGeneration: number;
  /** `spec.replicas`: the pods wanted. */
  readonly desiredReplicas: number;
  /** `status.replicas`: the pods there are, of any template. */
  readonly replicas: number;
  /** `status.updatedReplicas`: the pods of the current template. */
  readonly updatedReplicas: number;
  /** `status.readyReplicas`: the pods passing their readiness probe. */
  readonly readyReplicas: number;
  /** `status.availableReplicas`: the pods ready for at least `minReadySeconds`. */
  readonly availableReplicas: number;
  readonly conditions: readonly DeploymentCondition[];
}

/** What a service answered through the API server's proxy. */
export interface ProxyAnswer {
  /** The HTTP status, the service's own (or the API server's when it could not reach one: 503). */
  readonly status: number;
  /** The body as text. */
  readonly body: string;
}

/** The calls the blue/green switch makes to a cluster's API server. */
export interface KubernetesApi {
  /** The object, or undefined when there is none (404). */
  get(ref: ObjectRef): Promise<KubernetesObject | undefined>;
  /**
   * Every object of a kind in a namespace (e.g. the AWS Load Balancer Controller's
   * `TargetGroupBinding`s), each with its `apiVersion` and `kind`; empty when there is none, or the
   * API server does not know the kind (404: its custom resource definition is not installed).
   */
  list(kind: ObjectKind): Promise<readonly KubernetesObject[]>;
  /**
   * Server-side apply of `object` (field manager {@link FIELD_MANAGER}, conflicts forced): creates it,
   * or sets the fields it names. Answers the object as stored.
   */
  apply(object: KubernetesObject): Promise<KubernetesObject>;
  /** Patches the object (field manager {@link FIELD_MANAGER}). Answers the object as stored. */
  patch(ref: ObjectRef, patch: ObjectPatch): Promise<KubernetesObject>;
  /** The rollout of Deployment `name`, or undefined when there is no such Deployment. */
  rolloutStatus(namespace: string, name: string): Promise<RolloutStatus | undefined>;
  /** Sets Deployment `name`'s replicas (its `scale` subresource). */
  scale(namespace: string, name: string, replicas: number): Promise<void>;
  /**
   * GETs `path` of Service `service` on `port` through the API server's service proxy
   * (`/api/v1/namespaces/<ns>/services/<name>:<port>/proxy/<path>`): the way in to a Service that has no
   * route from outside the cluster. Answers any status; throws only when the API server cannot be asked.
   */
  proxyGet(namespace: string, service: string, port: number | string, path: string): Promise<ProxyAnswer>;
}

/**
 * A call the API server refused or failed: its HTTP status, and the reason and message of the
 * `Status` object it answered (e.g. 422 `Invalid`, 409 `Conflict`, 403 `Forbidden`).
 *
 * @see https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/
 */
export class KubernetesApiError extends Error {
  override readonly name = 'KubernetesApiError';

  /**
   * @param status - the HTTP status code
   * @param message - the `Status` message (or the start of the body when it is not a `Status`)
   * @param reason - the `Status` reason, e.g. `Invalid`, `Conflict`, `Forbidden`, `NotFound`
   * @param request - the call, e.g. `PATCH /api/v1/namespaces/ias-dev/services/inventory-api`
   */
  constructor(
    readonly status: number,
    message: string,
    readonly reason?: string,
    readonly request?: string,
  ) {
    super(message);
  }
}

/** `Kind namespace/name` (or `Kind name` when cluster-scoped): how messages name an object. */
export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** The identity of `object`. */
export function refOf(object: KubernetesObject): ObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name,
    ...(object.metadata.namespace === undefined ? {} : { namespace: object.metadata.namespace }),
  };
}

/**
 * `error` as a {@link DeliveryError} saying what was being done (`patching Service ias-dev/app`): a
 * refusal of the API keeps its status, reason and message; 409 is `UPDATE_CONFLICT` (someone else
 * changed the object), anything else `DEPLOYMENT_FAILED`. A DeliveryError stays as it is.
 */
export function asDeliveryError(what: string, error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  if (error instanceof KubernetesApiError) {
    const status = error.status === 0 ? '' : ` ${error.status}${error.reason ? ` ${error.reason}` : ''}`;
    return new DeliveryError(
      error.status === 409 ? 'UPDATE_CONFLICT' : 'DEPLOYMENT_FAILED',
      `${what}: the Kubernetes API answered${status}: ${error.message}`,
      { cause: error },
    );
  }
  return new DeliveryError('DEPLOYMENT_FAILED', `${what}: ${describeError(error)}`, { cause: error });
}

/** Runs `call`; what it throws becomes {@link asDeliveryError}`(what, …)`. */
export async function calling<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw asDeliveryError(what, error);
  }
}
