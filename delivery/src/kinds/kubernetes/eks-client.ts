/**
 * {@link KubernetesApi} over HTTPS to one Amazon EKS cluster's API server, with nothing but Node:
 * the endpoint and certificate authority from EKS `DescribeCluster`, an IAM bearer token made the way
 * `aws eks get-token` makes it, and `node:https` trusting that authority only.
 *
 * The token is `k8s-aws-v1.` + the base64url (unpadded) of an STS `GetCallerIdentity` URL presigned with
 * SigV4 for 60 seconds, its signed headers including `x-k8s-aws-id: <cluster>` (which binds it to the
 * cluster). EKS accepts one for 15 minutes after signing; this client makes a new one before 14.
 *
 * @see https://docs.aws.amazon.com/eks/latest/userguide/cluster-auth.html
 * @see https://github.com/kubernetes-sigs/aws-iam-authenticator#api-authorization-from-outside-a-cluster
 */
import { DescribeClusterCommand, type EKSClient } from '@aws-sdk/client-eks';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DeliveryError, describeError, isAwsError } from '../../errors.js';
import {
  type DeploymentCondition,
  FIELD_MANAGER,
  type KubernetesApi,
  KubernetesApiError,
  type KubernetesObject,
  type ObjectKind,
  type ObjectPatch,
  type ObjectRef,
  type ProxyAnswer,
  type RolloutStatus,
  refOf,
} from './api.js';

/** The prefix of an EKS bearer token. */
export const TOKEN_PREFIX = 'k8s-aws-v1.';

/** The header that binds a token to its cluster. */
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';

/** Seconds the presigned URL is valid for (what `aws eks get-token` signs). */
export const TOKEN_URL_EXPIRES_SECONDS = 60;

/** A token is replaced once it is this old: EKS accepts it for 15 minutes after signing. */
export const TOKEN_MAX_AGE_MS = 14 * 60_000;

/** AWS credentials, or a provider of them: what SigV4 signs with. */
export type Credentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

/** Options of {@link eksToken}. */
export interface EksTokenOptions {
  /** The cluster's name, signed into the token. */
  readonly clusterName: string;
  /** The region of the cluster, whose STS endpoint is signed for. */
  readonly region: string;
  readonly credentials: Credentials;
  /**
   * The signing time in ms since the epoch.
   * @default - the real time
   */
  readonly now?: () => number;
}

/** The STS endpoint of `region` (aws-iam-authenticator accepts the regional ones). */
function stsHost(region: string): string {
  return `sts.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

/** RFC 3986 encoding, as SigV4 canonicalizes query values. */
function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * An EKS bearer token for `clusterName`: `k8s-aws-v1.` + base64url of the presigned STS
 * `GetCallerIdentity` URL (see the file's header).
 */
export async function eksToken(options: EksTokenOptions): Promise<string> {
  const host = stsHost(options.region);
  const signer = new SignatureV4({
    service: 'sts',
    region: options.region,
    credentials: options.credentials,
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.presign(
    new HttpRequest({
      method: 'GET',
      protocol: 'https:',
      hostname: host,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host, [CLUSTER_ID_HEADER]: options.clusterName },
    }),
    {
      expiresIn: TOKEN_URL_EXPIRES_SECONDS,
      signingDate: new Date((options.now ?? Date.now)()),
    },
  );
  const query = Object.entries(signed.query ?? {})
    .flatMap(([key, value]) =>
      (Array.isArray(value) ? value : [value]).map((v) => `${rfc3986(key)}=${rfc3986(v ?? '')}`),
    )
    .sort()
    .join('&');
  const url = `https://${host}/?${query}`;
  return `${TOKEN_PREFIX}${Buffer.from(url, 'utf8').toString('base64url')}`;
}

/** One HTTP request to the API server. */
export interface ApiRequest {
  readonly method: 'GET' | 'PATCH';
  /** The whole URL: the endpoint, the path and the query. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** The API server's answer. */
export interface ApiResponse {
  readonly status: number;
  readonly body: string;
}

/** Sends one request: {@link nodeTransport}, or a test's. */
export type HttpTransport = (request: ApiRequest) => Promise<ApiResponse>;

/**
 * Requests over `node:https` trusting `ca` only (the cluster's own authority), or over `node:http` for
 * an `http:` URL (a local test server).
 */
export function nodeTransport(
  options: { readonly ca?: string; readonly timeoutMs?: number } = {},
): HttpTransport {
  const timeout = options.timeoutMs ?? 30_000;
  return (request) =>
    new Promise<ApiResponse>((resolve, reject) => {
      const url = new URL(request.url);
      const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
      const req = send(
        url,
        {
          method: request.method,
          headers: request.headers,
          timeout,
          ...(url.protocol === 'https:' && options.ca !== undefined ? { ca: options.ca } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer in ${timeout} ms`)));
      req.on('error', reject);
      req.end(request.body);
    });
}

/**
 * The resources of the kinds the delivery applies, by kind (the API's plural names). Other kinds are
 * named by the usual English plural of their lowercased kind.
 */
const PLURALS: Readonly<Record<string, string>> = {
  Namespace: 'namespaces',
  ServiceAccount: 'serviceaccounts',
  ConfigMap: 'configmaps',
  Secret: 'secrets',
  Service: 'services',
  Deployment: 'deployments',
  PodDisruptionBudget: 'poddisruptionbudgets',
  HorizontalPodAutoscaler: 'horizontalpodautoscalers',
  Ingress: 'ingresses',
  IngressClass: 'ingressclasses',
  IngressClassParams: 'ingressclassparams',
  SecretProviderClass: 'secretproviderclasses',
  NetworkPolicy: 'networkpolicies',
};

function plural(kind: string): string {
  const known = PLURALS[kind];
  if (known) return known;
  const lower = kind.toLowerCase();
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  return `${lower}s`;
}

/**
 * The path of the objects of a kind: `/api/v1/…` for the core group, `/apis/<group>/<version>/…`
 * otherwise, under `namespaces/<ns>/` when it has a namespace.
 */
export function kindPath(kind: ObjectKind): string {
  const base = kind.apiVersion.includes('/') ? `/apis/${kind.apiVersion}` : `/api/${kind.apiVersion}`;
  const scope = kind.namespace === undefined ? '' : `/namespaces/${encodeURIComponent(kind.namespace)}`;
  return `${base}${scope}/${plural(kind.kind)}`;
}

/** The path of `ref`: {@link kindPath} and its name. */
export function objectPath(ref: ObjectRef): string {
  return `${kindPath(ref)}/${encodeURIComponent(ref.name)}`;
}

/** A page of a list: its items (without their `apiVersion` and `kind`) and where the next starts. */
interface ListPage {
  readonly items?: readonly {
    readonly metadata: KubernetesObject['metadata'];
    readonly [field: string]: unknown;
  }[];
  readonly metadata?: { readonly continue?: string };
}

/** Objects a list request asks for at most: the API server pages the rest with `continue`. */
const LIST_LIMIT = 500;

/** The API's `Status` answer, as far as the error reads it. */
interface StatusBody {
  readonly kind?: string;
  readonly message?: string;
  readonly reason?: string;
}

/** A call the client makes, before the endpoint and the token are added. */
interface OutgoingCall {
  readonly method: ApiRequest['method'];
  /** The path and query. */
  readonly path: string;
  readonly accept: string;
  readonly contentType?: string;
  readonly body?: string;
}

/** The error of a non-2xx answer to `call` (`PATCH /api/v1/…`), from its `Status` when it is one. */
function apiError(call: string, response: ApiResponse): KubernetesApiError {
  let status: StatusBody | undefined;
  try {
    status = JSON.parse(response.body) as StatusBody;
  } catch {
    status = undefined;
  }
  const message =
    status?.kind === 'Status' && status.message
      ? status.message
      : response.body.trim().slice(0, 200) || `HTTP ${response.status}`;
  return new KubernetesApiError(response.status, message, status?.reason, call);
}

/** Options of {@link EksKubernetesApi}. */
export interface EksKubernetesApiOptions {
  /** The API server's URL, e.g. `https://ABCD.gr7.ap-northeast-1.eks.amazonaws.com`. */
  readonly endpoint: string;
  /** Makes a bearer token (called again once the last is {@link TOKEN_MAX_AGE_MS} old, or refused). */
  readonly token: () => Promise<string>;
  /**
   * Sends the requests.
   * @default - {@link nodeTransport} with no authority of its own (Node's)
   */
  readonly transport?: HttpTransport;
  /**
   * The current time in ms since the epoch, for the token's age.
   * @default - the real time
   */
  readonly now?: () => number;
}

/** {@link KubernetesApi} over one API server's REST interface. */
export class EksKubernetesApi implements KubernetesApi {
  private readonly endpoint: string;
  private readonly transport: HttpTransport;
  private readonly now: () => number;
  private cached?: { readonly token: string; readonly at: number };

  constructor(private readonly options: EksKubernetesApiOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    this.transport = options.transport ?? nodeTransport();
    this.now = options.now ?? Date.now;
  }

  async get(ref: ObjectRef): Promise<KubernetesObject | undefined> {
    const answer = await this.call('GET', objectPath(ref), { allow404: true });
    return answer === undefined ? undefined : (JSON.parse(answer) as KubernetesObject);
  }

  async list(kind: ObjectKind): Promise<readonly KubernetesObject[]> {
    const objects: KubernetesObject[] = [];
    let next: string | undefined;
    do {
      const query = `limit=${LIST_LIMIT}${next ? `&continue=${encodeURIComponent(next)}` : ''}`;
      const answer = await this.call('GET', kindPath(kind), { query, allow404: true });
      if (answer === undefined) return [];
      const page = JSON.parse(answer) as ListPage;
      // A list's items leave out their apiVersion and kind: they are the list's.
      for (const item of page.items ?? []) {
        objects.push({ ...item, apiVersion: kind.apiVersion, kind: kind.kind });
      }
      next = page.metadata?.continue || undefined;
    } while (next);
    return objects;
  }

  async apply(object: KubernetesObject): Promise<KubernetesObject> {
    // JSON is YAML: server-side apply takes the object as is.
    const answer = await this.call('PATCH', objectPath(refOf(object)), {
      query: `fieldManager=${FIELD_MANAGER}&force=true`,
      contentType: 'application/apply-patch+yaml',
      body: JSON.stringify(object),
    });
    return JSON.parse(answer ?? '{}') as KubernetesObject;
  }

  async patch(ref: ObjectRef, patch: ObjectPatch): Promise<KubernetesObject> {
    const answer = await this.call('PATCH', objectPath(ref), {
      query: `fieldManager=${FIELD_MANAGER}`,
      contentType: patch.type === 'merge' ? 'application/merge-patch+json' : 'application/json-patch+json',
      body: JSON.stringify(patch.type === 'merge' ? patch.patch : patch.operations),
    });
    return JSON.parse(answer ?? '{}') as KubernetesObject;
  }

  async rolloutStatus(namespace: string, name: string): Promise<RolloutStatus | undefined> {
    const deployment = await this.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name });
    return deployment === undefined ? undefined : rolloutOf(deployment);
  }

  async scale(namespace: string, name: string, replicas: number): Promise<void> {
    const path = `${objectPath({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name })}/scale`;
    await this.call('PATCH', path, {
      query: `fieldManager=${FIELD_MANAGER}`,
      contentType: 'application/merge-patch+json',
      body: JSON.stringify({ spec: { replicas } }),
    });
  }

  async proxyGet(
    namespace: string,
    service: string,
    port: number | string,
    path: string,
  ): Promise<ProxyAnswer> {
    const target = `${encodeURIComponent(service)}:${encodeURIComponent(String(port))}`;
    const url = `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${target}/proxy/${path.replace(/^\/+/, '')}`;
    return this.send({ method: 'GET', path: url, accept: '*/*' });
  }

  /** Sends a call; a non-2xx answer throws {@link KubernetesApiError} (404 is undefined when allowed). */
  private async call(
    method: ApiRequest['method'],
    path: string,
    options: { query?: string; contentType?: string; body?: string; allow404?: boolean },
  ): Promise<string | undefined> {
    const response = await this.send({
      method,
      path: options.query ? `${path}?${options.query}` : path,
      accept: 'application/json',
      ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
      ...(options.body === undefined ? {} : { body: options.body }),
    });
    if (response.status === 404 && options.allow404) return undefined;
    if (response.status < 200 || response.status >= 300) {
      throw apiError(`${method} ${path}`, response);
    }
    return response.body;
  }

  /**
   * Sends a request with the bearer token; a 401 makes a new token and tries once more (the old one
   * may have expired). A request that gets no answer throws {@link KubernetesApiError} status 0.
   */
  private async send(request: OutgoingCall): Promise<ApiResponse> {
    let response = await this.sendWith(request, await this.token(false));
    if (response.status === 401) {
      response = await this.sendWith(request, await this.token(true));
    }
    return response;
  }

  private async sendWith(request: OutgoingCall, token: string): Promise<ApiResponse> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: request.accept };
    if (request.contentType !== undefined) headers['content-type'] = request.contentType;
    try {
      return await this.transport({
        method: request.method,
        url: `${this.endpoint}${request.path}`,
        headers,
        ...(request.body === undefined ? {} : { body: request.body }),
      });
    } catch (error) {
      throw new KubernetesApiError(
        0,
        `cannot reach the API server: ${describeError(error)}`,
        undefined,
        `${request.method} ${request.path.split('?')[0] ?? ''}`,
      );
    }
  }

  private async token(renew: boolean): Promise<string> {
    const now = this.now();
    if (renew || this.cached === undefined || now - this.cached.at >= TOKEN_MAX_AGE_MS) {
      this.cached = { token: await this.options.token(), at: now };
    }
    return this.cached.token;
  }
}

/** A Deployment's {@link RolloutStatus}; the counts the API leaves out are 0. */
export function rolloutOf(deployment: KubernetesObject): RolloutStatus {
  const spec = (deployment['spec'] ?? {}) as { replicas?: number };
  const status = (deployment['status'] ?? {}) as {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: DeploymentCondition[];
  };
  return {
    generation: deployment.metadata.generation ?? 0,
    observedGeneration: status.observedGeneration ?? 0,
    // The API defaults an omitted spec.replicas to 1.
    desiredReplicas: spec.replicas ?? 1,
    replicas: status.replicas ?? 0,
    updatedReplicas: status.updatedReplicas ?? 0,
    readyReplicas: status.readyReplicas ?? 0,
    availableReplicas: status.availableReplicas ?? 0,
    conditions: (status.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      ...(c.reason === undefined ? {} : { reason: c.reason }),
      ...(c.message === undefined ? {} : { message: c.message }),
    })),
  };
}

/** Options of {@link connectEks}. */
export interface ConnectEksOptions {
  /** The EKS client of the cluster's region. */
  readonly eks: EKSClient;
  readonly clusterName: string;
  readonly region: string;
  /**
   * Who the token authenticates (its access entry decides what it may do).
   * @default - the default credential chain (the CodeBuild project's role)
   */
  readonly credentials?: Credentials;
  /**
   * Sends the requests.
   * @default - {@link nodeTransport} trusting the cluster's certificate authority only
   */
  readonly transport?: HttpTransport;
  /**
   * The current time in ms since the epoch.
   * @default - the real time
   */
  readonly now?: () => number;
}

/**
 * A {@link KubernetesApi} for cluster `clusterName`: its endpoint and authority from EKS
 * `DescribeCluster`, its tokens signed with `credentials`.
 *
 * Throws {@link DeliveryError} `SERVICE_MISSING` when there is no such cluster or it is not `ACTIVE`.
 */
export async function connectEks(options: ConnectEksOptions): Promise<EksKubernetesApi> {
  let cluster;
  try {
    ({ cluster } = await options.eks.send(new DescribeClusterCommand({ name: options.clusterName })));
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) {
      throw new DeliveryError(
        'SERVICE_MISSING',
        `there is no EKS cluster ${options.clusterName} in ${options.region}: deploy the infrastructure first`,
        { cause: error },
      );
    }
    throw error;
  }
  const endpoint = cluster?.endpoint;
  const authority = cluster?.certificateAuthority?.data;
  if (cluster?.status !== 'ACTIVE' || !endpoint || !authority) {
    throw new DeliveryError(
      'SERVICE_MISSING',
      `EKS cluster ${options.clusterName} is ${cluster?.status ?? 'unknown'}, not ACTIVE with an endpoint: wait for it, or deploy the infrastructure`,
    );
  }
  const credentials = options.credentials ?? fromNodeProviderChain();
  const now = options.now ?? Date.now;
  return new EksKubernetesApi({
    endpoint,
    token: () => eksToken({ clusterName: options.clusterName, region: options.region, credentials, now }),
    transport: options.transport ?? nodeTransport({ ca: Buffer.from(authority, 'base64').toString('utf8') }),
    now,
  });
}
