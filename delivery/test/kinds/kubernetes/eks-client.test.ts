import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KubernetesApiError } from '../../../src/kinds/kubernetes/api.js';
import {
  connectEks,
  EksKubernetesApi,
  eksToken,
  objectPath,
  TOKEN_MAX_AGE_MS,
} from '../../../src/kinds/kubernetes/eks-client.js';

const CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session/token+with=odd',
};
const SIGNED_AT = Date.UTC(2026, 0, 5, 9, 30, 15);

function hmac(key: string | Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text, 'utf8').digest();
}

/** The SigV4 signature of the presigned URL `url`, computed here from the specification. */
function expectedSignature(url: URL, clusterName: string): string {
  const params = [...url.searchParams.entries()].filter(([key]) => key !== 'X-Amz-Signature');
  const encode = (value: string) =>
    encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const query = params
    .map(([k, v]) => `${encode(k)}=${encode(v)}`)
    .sort()
    .join('&');
  const canonical = [
    'GET',
    '/',
    query,
    `host:${url.host}\nx-k8s-aws-id:${clusterName}\n`,
    'host;x-k8s-aws-id',
    createHash('sha256').update('').digest('hex'),
  ].join('\n');
  const date = url.searchParams.get('X-Amz-Date') as string;
  const scope = `${date.slice(0, 8)}/ap-northeast-1/sts/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonical).digest('hex')].join(
    '\n',
  );
  let key: Buffer = hmac(`AWS4${CREDENTIALS.secretAccessKey}`, date.slice(0, 8));
  for (const part of ['ap-northeast-1', 'sts', 'aws4_request']) key = hmac(key, part);
  return createHmac('sha256', key).update(toSign).digest('hex');
}

describe('eksToken', () => {
  it('is k8s-aws-v1. and the unpadded base64url of a 60 s presigned STS GetCallerIdentity URL bound to the cluster', async () => {
    const token = await eksToken({
      clusterName: 'ias-dev-eks',
      region: 'ap-northeast-1',
      credentials: CREDENTIALS,
      now: () => SIGNED_AT,
    });
    expect(token.startsWith('k8s-aws-v1.')).toBe(true);
    const encoded = token.slice('k8s-aws-v1.'.length);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    const url = new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
    expect(url.origin).toBe('https://sts.ap-northeast-1.amazonaws.com');
    expect(url.pathname).toBe('/');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIAIOSFODNN7EXAMPLE/20260105/ap-northeast-1/sts/aws4_request',
      'X-Amz-Date': '20260105T093015Z',
      'X-Amz-Expires': '60',
      'X-Amz-Security-Token': CREDENTIALS.sessionToken,
      'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
      'X-Amz-Signature': expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(url.searchParams.get('X-Amz-Signature')).toBe(expectedSignature(url, 'ias-dev-eks'));
  });

  it('signs a different token for another cluster', async () => {
    const of = (clusterName: string) =>
      eksToken({ clusterName, region: 'ap-northeast-1', credentials: CREDENTIALS, now: () => SIGNED_AT });
    expect(await of('ias-dev-eks')).not.toBe(await of('ias-prod-eks'));
  });
});

describe('objectPath', () => {
  it('names core, grouped, namespaced and cluster-scoped objects by their resource', () => {
    expect(objectPath({ apiVersion: 'v1', kind: 'Namespace', name: 'ias-dev' })).toBe(
      '/api/v1/namespaces/ias-dev',
    );
    expect(objectPath({ apiVersion: 'v1', kind: 'Service', namespace: 'ias-dev', name: 'app' })).toBe(
      '/api/v1/namespaces/ias-dev/services/app',
    );
    expect(
      objectPath({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', name: 'ias-dev-alb' }),
    ).toBe('/apis/networking.k8s.io/v1/ingressclasses/ias-dev-alb');
    expect(
      objectPath({
        apiVersion: 'secrets-store.csi.x-k8s.io/v1',
        kind: 'SecretProviderClass',
        namespace: 'n',
        name: 'db',
      }),
    ).toBe('/apis/secrets-store.csi.x-k8s.io/v1/namespaces/n/secretproviderclasses/db');
    expect(
      objectPath({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', namespace: 'n', name: 'p' }),
    ).toBe('/apis/policy/v1/namespaces/n/poddisruptionbudgets/p');
    expect(objectPath({ apiVersion: 'example.com/v1', kind: 'Policy', namespace: 'n', name: 'p' })).toBe(
      '/apis/example.com/v1/namespaces/n/policies/p',
    );
  });
});

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly contentType?: string;
  readonly authorization?: string;
  readonly body: string;
}

/** A local API server: answers by `answer`, records each request. */
function apiServer() {
  const seen: Seen[] = [];
  let answer: (request: Seen) => { status: number; body: unknown } = () => ({ status: 200, body: {} });
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        ...(req.headers['content-type'] === undefined ? {} : { contentType: req.headers['content-type'] }),
        ...(req.headers.authorization === undefined ? {} : { authorization: req.headers.authorization }),
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(request);
      const { status, body } = answer(request);
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
  });
  return {
    seen,
    server,
    answer: (fn: typeof answer) => {
      answer = fn;
    },
  };
}

describe('EksKubernetesApi', () => {
  const local = apiServer();
  let endpoint = '';
  let tokens = 0;
  let now = 0;
  const api = () =>
    new EksKubernetesApi({
      endpoint: `${endpoint}/`,
      token: async () => `k8s-aws-v1.token-${(tokens += 1)}`,
      now: () => now,
    });

  beforeAll(async () => {
    await new Promise<void>((resolve) => local.server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(local.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => local.server.close(() => resolve()));
  });
  beforeEach(() => {
    local.seen.length = 0;
    tokens = 0;
    now = 0;
    local.answer(() => ({ status: 200, body: {} }));
  });

  it('server-side applies as ias-delivery with force, the object as the apply-patch+yaml body', async () => {
    const object = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'inventory-api-config', namespace: 'ias-dev' },
      data: { A: '1' },
    };
    local.answer(() => ({
      status: 201,
      body: { ...object, metadata: { ...object.metadata, resourceVersion: '7' } },
    }));
    const stored = await api().apply(object);
    expect(stored.metadata.resourceVersion).toBe('7');
    expect(local.seen).toEqual([
      {
        method: 'PATCH',
        url: '/api/v1/namespaces/ias-dev/configmaps/inventory-api-config?fieldManager=ias-delivery&force=true',
        contentType: 'application/apply-patch+yaml',
        authorization: 'Bearer k8s-aws-v1.token-1',
        body: JSON.stringify(object),
      },
    ]);
  });

  it('sends merge patches and JSON patches with their content types', async () => {
    const client = api();
    const ref = { apiVersion: 'v1', kind: 'Service', namespace: 'ias-dev', name: 'inventory-api' };
    await client.patch(ref, { type: 'merge', patch: { spec: { selector: { version: 'green' } } } });
    await client.patch(ref, {
      type: 'json',
      operations: [{ op: 'replace', path: '/spec/selector/version', value: 'blue' }],
    });
    expect(local.seen.map((s) => [s.method, s.url, s.contentType, s.body])).toEqual([
      [
        'PATCH',
        '/api/v1/namespaces/ias-dev/services/inventory-api?fieldManager=ias-delivery',
        'application/merge-patch+json',
        '{"spec":{"selector":{"version":"green"}}}',
      ],
      [
        'PATCH',
        '/api/v1/namespaces/ias-dev/services/inventory-api?fieldManager=ias-delivery',
        'application/json-patch+json',
        '[{"op":"replace","path":"/spec/selector/version","value":"blue"}]',
      ],
    ]);
  });

  it('answers undefined for a missing object, and the object otherwise', async () => {
    local.answer((r) =>
      r.url.endsWith('/missing')
        ? {
            status: 404,
            body: { kind: 'Status', reason: 'NotFound', message: 'services "missing" not found', code: 404 },
          }
        : { status: 200, body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'found' } } },
    );
    const client = api();
    expect(
      await client.get({ apiVersion: 'v1', kind: 'Service', namespace: 'n', name: 'missing' }),
    ).toBeUndefined();
    expect(
      await client.get({ apiVersion: 'v1', kind: 'Service', namespace: 'n', name: 'found' }),
    ).toMatchObject({
      metadata: { name: 'found' },
    });
    expect(local.seen.map((s) => [s.method, s.url])).toEqual([
      ['GET', '/api/v1/namespaces/n/services/missing'],
      ['GET', '/api/v1/namespaces/n/services/found'],
    ]);
  });

  it('lists a custom kind page by page, giving each item its apiVersion and kind', async () => {
    local.answer((r) =>
      r.url.includes('continue=')
        ? { status: 200, body: { items: [{ metadata: { name: 'b', namespace: 'ias-dev' } }], metadata: {} } }
        : {
            status: 200,
            body: {
              apiVersion: 'elbv2.k8s.aws/v1beta1',
              kind: 'TargetGroupBindingList',
              items: [{ metadata: { name: 'a', namespace: 'ias-dev' }, spec: { targetGroupARN: 'arn:a' } }],
              metadata: { continue: 'next/page' },
            },
          },
    );
    const listed = await api().list({
      apiVersion: 'elbv2.k8s.aws/v1beta1',
      kind: 'TargetGroupBinding',
      namespace: 'ias-dev',
    });
    expect(listed).toEqual([
      {
        apiVersion: 'elbv2.k8s.aws/v1beta1',
        kind: 'TargetGroupBinding',
        metadata: { name: 'a', namespace: 'ias-dev' },
        spec: { targetGroupARN: 'arn:a' },
      },
      {
        apiVersion: 'elbv2.k8s.aws/v1beta1',
        kind: 'TargetGroupBinding',
        metadata: { name: 'b', namespace: 'ias-dev' },
      },
    ]);
    expect(local.seen.map((s) => [s.method, s.url])).toEqual([
      ['GET', '/apis/elbv2.k8s.aws/v1beta1/namespaces/ias-dev/targetgroupbindings?limit=500'],
      [
        'GET',
        '/apis/elbv2.k8s.aws/v1beta1/namespaces/ias-dev/targetgroupbindings?limit=500&continue=next%2Fpage',
      ],
    ]);
  });

  it('lists nothing of a kind the API server does not know (its definition not installed)', async () => {
    local.answer(() => ({
      status: 404,
      body: {
        kind: 'Status',
        reason: 'NotFound',
        message: 'the server could not find the requested resource',
      },
    }));
    expect(
      await api().list({ apiVersion: 'elbv2.k8s.aws/v1beta1', kind: 'TargetGroupBinding', namespace: 'n' }),
    ).toEqual([]);
  });

  it('reads a Deployment’s rollout, the counts the API leaves out as 0', async () => {
    local.answer(() => ({
      status: 200,
      body: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'inventory-api-green', generation: 4 },
        spec: { replicas: 2 },
        status: {
          observedGeneration: 4,
          replicas: 2,
          updatedReplicas: 2,
          conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }],
        },
      },
    }));
    expect(await api().rolloutStatus('ias-dev', 'inventory-api-green')).toEqual({
      generation: 4,
      observedGeneration: 4,
      desiredReplicas: 2,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 0,
      availableReplicas: 0,
      conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }],
    });
    expect(local.seen[0]?.url).toBe('/apis/apps/v1/namespaces/ias-dev/deployments/inventory-api-green');
  });

  it('scales through the scale subresource', async () => {
    await api().scale('ias-dev', 'inventory-api-blue', 0);
    expect(local.seen.map((s) => [s.method, s.url, s.contentType, s.body])).toEqual([
      [
        'PATCH',
        '/apis/apps/v1/namespaces/ias-dev/deployments/inventory-api-blue/scale?fieldManager=ias-delivery',
        'application/merge-patch+json',
        '{"spec":{"replicas":0}}',
      ],
    ]);
  });

  it('GETs through the service proxy and answers any status with its body', async () => {
    local.answer(() => ({ status: 503, body: 'not ready' }));
    expect(await api().proxyGet('ias-dev', 'inventory-api-test', 80, '/ready')).toEqual({
      status: 503,
      body: 'not ready',
    });
    expect(local.seen[0]?.url).toBe('/api/v1/namespaces/ias-dev/services/inventory-api-test:80/proxy/ready');
  });

  it('fails with the API Status’s code, reason and message, naming the call', async () => {
    local.answer(() => ({
      status: 422,
      body: {
        kind: 'Status',
        status: 'Failure',
        reason: 'Invalid',
        code: 422,
        message: 'Service "inventory-api" is invalid: spec.ports[0].port: Invalid value: 0',
      },
    }));
    const error = await api()
      .patch(
        { apiVersion: 'v1', kind: 'Service', namespace: 'ias-dev', name: 'inventory-api' },
        { type: 'merge', patch: {} },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubernetesApiError);
    expect(error).toMatchObject({
      status: 422,
      reason: 'Invalid',
      message: 'Service "inventory-api" is invalid: spec.ports[0].port: Invalid value: 0',
      request: 'PATCH /api/v1/namespaces/ias-dev/services/inventory-api',
    });
  });

  it('fails with the start of a body that is not a Status', async () => {
    local.answer(() => ({ status: 502, body: 'upstream connect error' }));
    await expect(api().scale('n', 'd', 1)).rejects.toMatchObject({
      status: 502,
      message: 'upstream connect error',
    });
  });

  it('fails with status 0 when the API server cannot be reached', async () => {
    const offline = new EksKubernetesApi({ endpoint: 'http://127.0.0.1:1', token: async () => 't' });
    await expect(offline.get({ apiVersion: 'v1', kind: 'Namespace', name: 'x' })).rejects.toMatchObject({
      status: 0,
      message: expect.stringContaining('cannot reach the API server'),
    });
  });

  it('keeps its token for 14 minutes, then makes a new one', async () => {
    const client = api();
    const ns = { apiVersion: 'v1', kind: 'Namespace', name: 'ias-dev' };
    await client.get(ns);
    now = TOKEN_MAX_AGE_MS - 1;
    await client.get(ns);
    now = TOKEN_MAX_AGE_MS;
    await client.get(ns);
    expect(local.seen.map((s) => s.authorization)).toEqual([
      'Bearer k8s-aws-v1.token-1',
      'Bearer k8s-aws-v1.token-1',
      'Bearer k8s-aws-v1.token-2',
    ]);
  });

  it('makes a new token and tries once more when the token is refused', async () => {
    local.answer((r) =>
      r.authorization === 'Bearer k8s-aws-v1.token-1'
        ? { status: 401, body: { kind: 'Status', reason: 'Unauthorized', message: 'Unauthorized' } }
        : { status: 200, body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ias-dev' } } },
    );
    expect(await api().get({ apiVersion: 'v1', kind: 'Namespace', name: 'ias-dev' })).toBeDefined();
    expect(local.seen.map((s) => s.authorization)).toEqual([
      'Bearer k8s-aws-v1.token-1',
      'Bearer k8s-aws-v1.token-2',
    ]);
  });
});

describe('connectEks', () => {
  const eks = new EKSClient({ region: 'ap-northeast-1' });
  const mock = mockClient(eks);
  beforeEach(() => mock.reset());

  it('reaches the endpoint DescribeCluster gives with a token for the cluster', async () => {
    const local = apiServer();
    await new Promise<void>((resolve) => local.server.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(local.server.address() as AddressInfo).port}`;
      mock.on(DescribeClusterCommand, { name: 'ias-dev-eks' }).resolves({
        cluster: {
          status: 'ACTIVE',
          endpoint,
          certificateAuthority: { data: Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64') },
        },
      });
      const client = await connectEks({
        eks,
        clusterName: 'ias-dev-eks',
        region: 'ap-northeast-1',
        credentials: CREDENTIALS,
        now: () => SIGNED_AT,
      });
      await client.get({ apiVersion: 'v1', kind: 'Namespace', name: 'ias-dev' });
      const token = local.seen[0]?.authorization?.replace(/^Bearer /, '') ?? '';
      const url = new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8'));
      expect(url.searchParams.get('X-Amz-Signature')).toBe(expectedSignature(url, 'ias-dev-eks'));
    } finally {
      await new Promise<void>((resolve) => local.server.close(() => resolve()));
    }
  });

  it('fails with SERVICE_MISSING when there is no such cluster', async () => {
    mock.on(DescribeClusterCommand).rejects(
      Object.assign(new Error('No cluster found for name: ias-dev-eks.'), {
        name: 'ResourceNotFoundException',
      }),
    );
    await expect(
      connectEks({ eks, clusterName: 'ias-dev-eks', region: 'ap-northeast-1', credentials: CREDENTIALS }),
    ).rejects.toMatchObject({
      code: 'SERVICE_MISSING',
      message: 'there is no EKS cluster ias-dev-eks in ap-northeast-1: deploy the infrastructure first',
    });
  });

  it('fails with SERVICE_MISSING while the cluster is still being created', async () => {
    mock.on(DescribeClusterCommand).resolves({ cluster: { status: 'CREATING' } });
    await expect(
      connectEks({ eks, clusterName: 'ias-dev-eks', region: 'ap-northeast-1', credentials: CREDENTIALS }),
    ).rejects.toThrow('EKS cluster ias-dev-eks is CREATING, not ACTIVE with an endpoint');
  });
});
