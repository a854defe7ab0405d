import { z } from 'zod';
import { INGRESS_WEIGHTS_ANNOTATION, type KubernetesObject } from './manifests.js';

// What the API server checks beyond the OpenAPI schema, and the references between an application's
// objects: the second half of validateManifests (validate.ts).

/** Reports a problem of one object at a field. */
export type Report = (pointer: readonly (string | number)[], message: string) => void;

/** Kinds that belong to no namespace. */
const CLUSTER_SCOPED = new Set(['Namespace', 'IngressClass', 'IngressClassParams']);

/** The ALB controller's forward action (the weighted one the manifests write). */
const forwardActionSchema = z.object({
  type: z.literal('forward'),
  forwardConfig: z.object({
    targetGroups: z
      .array(
        z
          .object({
            serviceName: z.string(),
            servicePort: z.union([z.string(), z.number()]),
            weight: z.number().int().min(0).max(999),
          })
          .strict(),
      )
      .min(1),
    targetGroupStickinessConfig: z.unknown().optional(),
  }),
});

// Each name is checked as its characters, then its ends (one pattern for both would nest quantifiers).
const edges = (text: string) => /^[A-Za-z0-9]/.test(text) && /[A-Za-z0-9]$/.test(text);

const isDnsLabel = (text: string) => text.length <= 63 && /^[-a-z0-9]+$/.test(text) && edges(text);
const isLabelName = (text: string) => text.length <= 63 && /^[-A-Za-z0-9_.]+$/.test(text) && edges(text);

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

function dnsSubdomainProblem(name: string): string | undefined {
  return name.length <= 253 && name.split('.').every(isDnsLabel)
    ? undefined
    : 'must be a DNS subdomain: lowercase letters, digits, - and ., starting and ending with a letter or digit';
}

function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const name = key.slice(slash + 1);
  if (slash >= 0 && dnsSubdomainProblem(key.slice(0, slash)))
    return `key ${key} has a prefix that is not a DNS subdomain`;
  return isLabelName(name) ? undefined : `key ${key} is not a valid label key`;
}

function portProblem(port: unknown, names?: readonly string[]): string | undefined {
  if (typeof port === 'number') {
    return Number.isInteger(port) && port >= 1 && port <= 65_535
      ? undefined
      : `port ${port} must be from 1 to 65535`;
  }
  if (typeof port === 'string') {
    if (port.length > 15 || !isDnsLabel(port) || !/[a-z]/.test(port) || port.includes('--')) {
      return `port name ${port} must be at most 15 lowercase letters, digits and single hyphens, with a letter`;
    }
    return names && !names.includes(port) ? `port name ${port} is not a port of the container` : undefined;
  }
  return undefined;
}

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json =>
  value !== null && typeof value === 'object' ? (value as Json) : {};

const asArray = (value: unknown): Json[] => (Array.isArray(value) ? value.map(asObject) : []);
const asLabels = (value: unknown) => asObject(value) as Record<string, string>;

/** What the API server refuses although the OpenAPI schema allows it. */
export function checkApiServerRules(object: KubernetesObject, report: Report): void {
  const { kind, metadata } = object;
  const name = String(metadata?.name ?? '');
  const nameProblem =
    kind === 'Service' || kind === 'Namespace'
      ? isDnsLabel(name) && (kind === 'Namespace' || /^[a-z]/.test(name))
        ? undefined
        : 'must be a DNS label: at most 63 lowercase letters, digits and -, starting with a letter'
      : dnsSubdomainProblem(name);
  if (nameProblem) report(['metadata', 'name'], nameProblem);
  if (CLUSTER_SCOPED.has(kind) === (metadata?.namespace !== undefined)) {
    report(
      ['metadata', 'namespace'],
      CLUSTER_SCOPED.has(kind) ? `must be absent: ${kind} is cluster-wide` : 'is missing',
    );
  }
  const checkLabels = (labels: unknown, pointer: readonly (string | number)[]) => {
    for (const [key, value] of Object.entries(asObject(labels))) {
      const problem =
        labelKeyProblem(key) ??
        (typeof value === 'string' && (value === '' || isLabelName(value))
          ? undefined
          : `value of ${key} must be at most 63 letters, digits, -, _ and ., starting and ending with a letter or digit`);
      if (problem) report(pointer, problem);
    }
  };
  checkLabels(metadata?.labels, ['metadata', 'labels']);
  for (const key of Object.keys(asObject(metadata?.annotations))) {
    const problem = labelKeyProblem(key);
    if (problem) report(['metadata', 'annotations'], problem);
  }
  const spec = asObject(object['spec']);
  if (kind === 'Deployment') {
    const template = asObject(spec['template']);
    const podLabels = asLabels(asObject(template['metadata'])['labels']);
    checkLabels(podLabels, ['spec', 'template', 'metadata', 'labels']);
    const selector = asLabels(asObject(spec['selector'])['matchLabels']);
    if (Object.entries(selector).some(([key, value]) => podLabels[key] !== value)) {
      report(['spec', 'selector'], 'does not match the pod template labels');
    }
    const podSpec = asObject(template['spec']);
    const volumes = asArray(podSpec['volumes']).map((volume) => volume['name']);
    asArray(podSpec['containers']).forEach((container, index) => {
      const at = ['spec', 'template', 'spec', 'containers', index];
      const ports = asArray(container['ports']);
      const portNames = ports.map((port) => port['name']).filter((n): n is string => typeof n === 'string');
      ports.forEach((port, p) => {
        const problem = portProblem(port['containerPort']) ?? portProblem(port['name'] ?? 80);
        if (problem) report([...at, 'ports', p], problem);
      });
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        const handler = asObject(container[probe]);
        const port = asObject(handler['httpGet'])['port'] ?? asObject(handler['tcpSocket'])['port'];
        const problem = portProblem(port, portNames);
        if (problem) report([...at, probe], problem);
      }
      asArray(container['env']).forEach((variable, v) => {
        if (!ENV_NAME.test(String(variable['name'])))
          report([...at, 'env', v, 'name'], 'is not a valid variable name');
      });
      asArray(container['volumeMounts']).forEach((mount, m) => {
        if (!volumes.includes(mount['name']))
          report([...at, 'volumeMounts', m, 'name'], `no volume ${String(mount['name'])}`);
      });
    });
  }
  if (kind === 'Service') {
    checkLabels(spec['selector'], ['spec', 'selector']);
    asArray(spec['ports']).forEach((port, p) => {
      const problem = portProblem(port['port']) ?? portProblem(port['targetPort'] ?? port['port']);
      if (problem) report(['spec', 'ports', p], problem);
    });
  }
  if (kind === 'Ingress') {
    ingressBackends(object).forEach(({ service, pointer }) => {
      const problem = portProblem(asObject(service['port'])['number'] ?? asObject(service['port'])['name']);
      if (problem) report(pointer, problem);
    });
  }
}

function ingressBackends(ingress: KubernetesObject): { service: Json; pointer: (string | number)[] }[] {
  const spec = asObject(ingress['spec']);
  const found: { service: Json; pointer: (string | number)[] }[] = [
    { service: asObject(asObject(spec['defaultBackend'])['service']), pointer: ['spec', 'defaultBackend'] },
  ];
  asArray(spec['rules']).forEach((rule, r) =>
    asArray(asObject(rule['http'])['paths']).forEach((path, p) =>
      found.push({
        service: asObject(asObject(path['backend'])['service']),
        pointer: ['spec', 'rules', r, 'http', 'paths', p, 'backend'],
      }),
    ),
  );
  return found.filter(({ service }) => service['name'] !== undefined);
}

/** References between the objects, each checked when the set holds objects of the kind it names. */
export function checkReferences(objects: readonly KubernetesObject[], problems: string[]): void {
  const byKind = (kind: string) => objects.filter((object) => object.kind === kind);
  const refer = (from: KubernetesObject, path: readonly (string | number)[], kind: string, name: unknown) => {
    const candidates = byKind(kind);
    // An absent name is the schema's to report.
    if (name !== undefined && candidates.length > 0 && !candidates.some((o) => o.metadata.name === name)) {
      problems.push(
        `${from.kind} ${from.metadata.name}: ${fieldPath(path)}: no ${kind} ${String(name)} in the set`,
      );
    }
  };
  const deployments = byKind('Deployment');
  const selectsPods = (selector: Record<string, string>) =>
    deployments.some((deployment) => {
      const labels = asLabels(
        asObject(asObject(asObject(deployment['spec'])['template'])['metadata'])['labels'],
      );
      return Object.entries(selector).every(([key, value]) => labels[key] === value);
    });
  for (const object of objects) {
    const spec = asObject(object['spec']);
    if (object.metadata.namespace !== undefined)
      refer(object, ['metadata', 'namespace'], 'Namespace', object.metadata.namespace);
    if (object.kind === 'Deployment') {
      const pod = asObject(asObject(spec['template'])['spec']);
      refer(
        object,
        ['spec', 'template', 'spec', 'serviceAccountName'],
        'ServiceAccount',
        pod['serviceAccountName'],
      );
      asArray(pod['containers']).forEach((container, c) =>
        asArray(container['envFrom']).forEach((source, s) => {
          const ref = asObject(source['configMapRef']);
          if (ref['name'] !== undefined) {
            refer(
              object,
              ['spec', 'template', 'spec', 'containers', c, 'envFrom', s],
              'ConfigMap',
              ref['name'],
            );
          }
        }),
      );
      asArray(pod['volumes']).forEach((volume, v) => {
        const attributes = asObject(asObject(volume['csi'])['volumeAttributes']);
        if (attributes['secretProviderClass'] !== undefined) {
          refer(
            object,
            ['spec', 'template', 'spec', 'volumes', v],
            'SecretProviderClass',
            attributes['secretProviderClass'],
          );
        }
      });
    }
    if (object.kind === 'Service' && deployments.length > 0 && !selectsPods(asLabels(spec['selector']))) {
      problems.push(
        `Service ${object.metadata.name}: spec.selector: selects the pods of no Deployment in the set`,
      );
    }
    if (
      object.kind === 'PodDisruptionBudget' &&
      deployments.length > 0 &&
      !selectsPods(asLabels(asObject(spec['selector'])['matchLabels']))
    ) {
      problems.push(
        `PodDisruptionBudget ${object.metadata.name}: spec.selector: selects the pods of no Deployment in the set`,
      );
    }
    if (object.kind === 'HorizontalPodAutoscaler') {
      refer(
        object,
        ['spec', 'scaleTargetRef', 'name'],
        'Deployment',
        asObject(spec['scaleTargetRef'])['name'],
      );
    }
    if (object.kind === 'IngressClass') {
      refer(
        object,
        ['spec', 'parameters', 'name'],
        'IngressClassParams',
        asObject(spec['parameters'])['name'],
      );
    }
    if (object.kind === 'Ingress') {
      refer(object, ['spec', 'ingressClassName'], 'IngressClass', spec['ingressClassName']);
      for (const { service, pointer } of ingressBackends(object)) {
        if (asObject(service['port'])['name'] === 'use-annotation') {
          checkAction(object, String(service['name']), pointer, objects, problems);
        } else {
          refer(object, pointer, 'Service', service['name']);
        }
      }
    }
  }
}

/** A `use-annotation` backend: its action annotation, and the Services it forwards to. */
function checkAction(
  ingress: KubernetesObject,
  action: string,
  pointer: readonly (string | number)[],
  objects: readonly KubernetesObject[],
  problems: string[],
): void {
  const key = `alb.ingress.kubernetes.io/actions.${action}`;
  const at = `${ingress.kind} ${ingress.metadata.name}: ${fieldPath(['metadata', 'annotations', key])}`;
  const text = ingress.metadata.annotations?.[key];
  if (text === undefined) {
    problems.push(
      `${ingress.kind} ${ingress.metadata.name}: ${fieldPath(pointer)}: no annotation ${key} for its action`,
    );
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    problems.push(`${at}: is not JSON`);
    return;
  }
  const result = forwardActionSchema.safeParse(parsed);
  if (!result.success) {
    result.error.issues.forEach((issue) =>
      problems.push(`${at}: ${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
    return;
  }
  const services = objects.filter((object) => object.kind === 'Service');
  for (const group of result.data.forwardConfig.targetGroups) {
    const service = services.find((object) => object.metadata.name === group.serviceName);
    const ports = asArray(asObject(service?.['spec'])['ports']);
    if (services.length > 0 && !service) {
      problems.push(`${at}: forwards to Service ${group.serviceName}, which is not in the set`);
    } else if (
      service &&
      !ports.some((port) => port['name'] === group.servicePort || port['port'] === group.servicePort)
    ) {
      problems.push(`${at}: Service ${group.serviceName} has no port ${group.servicePort}`);
    }
  }
  if (
    key === INGRESS_WEIGHTS_ANNOTATION &&
    result.data.forwardConfig.targetGroups.reduce((sum, g) => sum + g.weight, 0) !== 100
  ) {
    problems.push(`${at}: the weights must sum to 100 (they are percentages of user traffic)`);
  }
}

/** A key as one token of a JSON pointer (`/` and `~` escaped), as ajv's `instancePath` writes it. */
export function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The keys of a JSON pointer (`/spec/template` → `spec`, `template`). */
export function fromPointer(pointer: string): string[] {
  return pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * A field's path as people read it: `spec.template.spec.containers[0].ports`,
 * `metadata.labels["app.kubernetes.io/name"]`; `(root)` for the object itself.
 */
export function fieldPath(pointer: readonly (string | number)[]): string {
  const text = pointer
    .map((part) =>
      typeof part === 'number' || /^\d+$/.test(part)
        ? `[${part}]`
        : /^[A-Za-z_$][\w$-]*$/.test(part)
          ? `.${part}`
          : `[${JSON.stringify(part)}]`,
    )
    .join('')
    .replace(/^\./, '');
  return text || '(root)';
}
