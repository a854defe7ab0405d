import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { KubernetesObject } from './manifests.js';
import {
  checkApiServerRules,
  checkReferences,
  escapePointer,
  fieldPath,
  fromPointer,
  type Report,
} from './validate-rules.js';

/**
 * A kubernetes-models class: its prototype's `validate()` runs the Kubernetes OpenAPI schema (compiled
 * with ajv) on `this` and throws an error whose `errors` are ajv's, each with its `instancePath`.
 */
interface Model {
  readonly prototype: { validate(this: object): void };
}

// kubernetes-models is published as ES modules only (its exports have no `require` condition), so it is
// loaded with import(), which works from this CommonJS package under Node, tsx and vitest alike.
const MODELS: Readonly<Record<string, () => Promise<Model>>> = {
  'v1 Namespace': async () => (await import('kubernetes-models/v1/Namespace')).Namespace,
  'v1 ServiceAccount': async () => (await import('kubernetes-models/v1/ServiceAccount')).ServiceAccount,
  'v1 ConfigMap': async () => (await import('kubernetes-models/v1/ConfigMap')).ConfigMap,
  'v1 Service': async () => (await import('kubernetes-models/v1/Service')).Service,
  'apps/v1 Deployment': async () => (await import('kubernetes-models/apps/v1/Deployment')).Deployment,
  'networking.k8s.io/v1 Ingress': async () =>
    (await import('kubernetes-models/networking.k8s.io/v1/Ingress')).Ingress,
  'networking.k8s.io/v1 IngressClass': async () =>
    (await import('kubernetes-models/networking.k8s.io/v1/IngressClass')).IngressClass,
  'policy/v1 PodDisruptionBudget': async () =>
    (await import('kubernetes-models/policy/v1/PodDisruptionBudget')).PodDisruptionBudget,
  'autoscaling/v2 HorizontalPodAutoscaler': async () =>
    (await import('kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler')).HorizontalPodAutoscaler,
};

const looseMetadata = z.looseObject({
  name: z.string(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

/**
 * The AWS provider's objects to mount.
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/ascp-examples.html
 */
const awsObjectsSchema = z
  .array(
    z
      .object({
        objectName: z.string().min(1),
        objectType: z.enum(['secretsmanager', 'ssmparameter']).optional(),
        objectAlias: z.string().min(1).optional(),
        objectVersion: z.string().optional(),
        objectVersionLabel: z.string().optional(),
        filePermission: z.string().optional(),
        jmesPath: z.array(z.looseObject({ path: z.string(), objectAlias: z.string() })).optional(),
        failoverObject: z.looseObject({ objectName: z.string() }).optional(),
      })
      .strict(),
  )
  .min(1);

/** The Secrets Store CSI driver's SecretProviderClass, with the AWS provider's parameters. */
const secretProviderClassSchema = z.object({
  apiVersion: z.literal('secrets-store.csi.x-k8s.io/v1'),
  kind: z.literal('SecretProviderClass'),
  metadata: looseMetadata,
  spec: z
    .object({
      provider: z.literal('aws'),
      parameters: z
        .object({
          objects: z.string().transform((text, ctx) => {
            const parsed = awsObjectsSchema.safeParse(parseYaml(text));
            parsed.error?.issues.forEach((issue) => ctx.addIssue({ ...issue, code: 'custom' }));
            return parsed.data;
          }),
          region: z.string().optional(),
          failoverRegion: z.string().optional(),
          pathTranslation: z.string().optional(),
          usePodIdentity: z.enum(['true', 'false']).optional(),
          preferredAddressType: z.enum(['ipv4', 'ipv6', 'auto']).optional(),
        })
        .strict(),
      secretObjects: z.array(z.looseObject({ secretName: z.string(), type: z.string() })).optional(),
    })
    .strict(),
});

/**
 * EKS Auto Mode's IngressClassParams (its documented fields).
 * @see https://docs.aws.amazon.com/eks/latest/userguide/auto-configure-alb.html
 */
const ingressClassParamsSchema = z.object({
  apiVersion: z.literal('eks.amazonaws.com/v1'),
  kind: z.literal('IngressClassParams'),
  metadata: looseMetadata,
  spec: z
    .object({
      scheme: z.enum(['internal', 'internet-facing']).optional(),
      namespaceSelector: z
        .object({
          matchLabels: z.record(z.string(), z.string()).optional(),
          matchExpressions: z.array(z.unknown()).optional(),
        })
        .strict()
        .optional(),
      group: z.object({ name: z.string() }).strict().optional(),
      ipAddressType: z.enum(['ipv4', 'dualstack', 'dualstack-without-public-ipv4']).optional(),
      subnets: z
        .object({ ids: z.array(z.string()).optional(), matchTags: z.unknown() })
        .strict()
        .optional(),
      certificateARNs: z.array(z.string()).optional(),
      tags: z.array(z.object({ key: z.string(), value: z.string() }).strict()).optional(),
      loadBalancerAttributes: z.array(z.object({ key: z.string(), value: z.string() }).strict()).optional(),
    })
    .strict(),
});

const CUSTOM_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  'secrets-store.csi.x-k8s.io/v1 SecretProviderClass': secretProviderClassSchema,
  'eks.amazonaws.com/v1 IngressClassParams': ingressClassParamsSchema,
};

/**
 * Every problem of `objects`, offline, each as `<Kind> <name>: <field path>: <message>`:
 *
 * - each built-in object against the Kubernetes API schema of kubernetes-models (types, formats,
 *   required fields) and for fields the schema does not know (kubectl's strict field validation refuses
 *   them; the schema itself allows any): a field its validator never reads is not in the schema;
 * - the SecretProviderClass and IngressClassParams (custom resources) against their documented fields;
 * - what the API server checks beyond the schema: names, labels, ports, the namespace scope, a
 *   Deployment's selector against its pod labels, its mounts against its volumes;
 * - references between the objects (ServiceAccount, ConfigMap, SecretProviderClass, the Services'
 *   pods, the Ingress's class, Services and weighted action, the autoscaler's and budget's
 *   Deployment), each checked when the set holds objects of the kind it names.
 *
 * The schema is kubernetes-models', which follows the newest Kubernetes release: a field added after the
 * cluster's version passes (the manifests are written with cdk8s-plus-33, typed for Kubernetes 1.33).
 */
export async function validateManifests(objects: readonly KubernetesObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const object of objects) {
    const report = (pointer: readonly (string | number)[], message: string) =>
      problems.push(
        `${object.kind} ${object.metadata?.name ?? '(no name)'}: ${fieldPath(pointer)}: ${message}`,
      );
    const type = `${object.apiVersion} ${object.kind}`;
    const model = MODELS[type];
    const custom = CUSTOM_SCHEMAS[type];
    if (model) {
      await checkModel(object, await model(), report);
    } else if (custom) {
      custom
        .safeParse(object)
        .error?.issues.forEach((issue) => report(issue.path as string[], issue.message));
    } else {
      report([], `no schema for ${type}: add it to validate.ts`);
      continue;
    }
    checkApiServerRules(object, report);
  }
  checkReferences(objects, problems);
  return problems;
}

interface AjvError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly message?: string;
}

async function checkModel(object: KubernetesObject, model: Model, report: Report): Promise<void> {
  const { proxy, read } = readTracker(object);
  let errors: readonly AjvError[] = [];
  try {
    model.prototype.validate.call(proxy);
  } catch (error) {
    errors = (error as { errors?: AjvError[] }).errors ?? [
      { instancePath: '', keyword: '', message: String(error) },
    ];
  }
  const byPath = new Map<string, string[]>();
  for (const error of errors) {
    // A union's own error ("must match exactly one schema in oneOf") adds nothing to its branches'.
    if (
      ['oneOf', 'anyOf'].includes(error.keyword) &&
      errors.some((e) => e !== error && e.instancePath === error.instancePath)
    ) {
      continue;
    }
    const messages = byPath.get(error.instancePath) ?? [];
    if (error.message && !messages.includes(error.message)) messages.push(error.message);
    byPath.set(error.instancePath, messages);
  }
  for (const [path, messages] of byPath) {
    report(fromPointer(path), messages.join(' or '));
  }
  const failed = [...byPath.keys()];
  for (const unknown of unreadFields(object, '', read)) {
    if (!failed.some((path) => unknown.startsWith(`${path}/`))) {
      report(fromPointer(unknown), `unknown field (not in the ${object.kind} schema)`);
    }
  }
}

/** A proxy of `root` that records the JSON pointer of every field read through it. */
function readTracker(root: object): { proxy: object; read: Set<string> } {
  const read = new Set<string>();
  const proxies = new WeakMap<object, object>();
  const wrap = (target: object, pointer: string): object => {
    const existing = proxies.get(target);
    if (existing) return existing;
    const proxy = new Proxy(target, {
      get(object, key, receiver) {
        const value: unknown = Reflect.get(object, key, receiver);
        if (typeof key !== 'string' || !Object.hasOwn(object, key)) return value;
        const child = `${pointer}/${escapePointer(key)}`;
        read.add(child);
        return value !== null && typeof value === 'object' ? wrap(value, child) : value;
      },
    });
    proxies.set(target, proxy);
    return proxy;
  };
  return { proxy: wrap(root, ''), read };
}

function unreadFields(value: unknown, pointer: string, read: ReadonlySet<string>): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => unreadFields(item, `${pointer}/${index}`, read));
  }
  if (value === null || typeof value !== 'object') {
    return [];
  }
  return Object.entries(value).flatMap(([key, child]) => {
    const path = `${pointer}/${escapePointer(key)}`;
    return read.has(path) ? unreadFields(child, path, read) : [path];
  });
}
