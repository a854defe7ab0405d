import type { KubernetesStrategy } from '@ias/targets';
import { describe, expect, it } from 'vitest';
import { type KubernetesObject, renderColor, renderShared } from '../../../src/kinds/kubernetes/manifests.js';
import { validateManifests } from '../../../src/kinds/kubernetes/validate.js';
import { appInput, IMAGE, type Json } from './render-fixture.js';

/** Shared objects and both colors, as a deploy applies them. */
function application(strategy: KubernetesStrategy = 'service-switch'): KubernetesObject[] {
  const input = appInput(strategy);
  return [
    ...renderShared(input),
    ...renderColor(input, 'blue', IMAGE),
    ...renderColor(input, 'green', IMAGE),
  ];
}

/** The objects with one of them changed by `edit` (a copy: the rendered ones stay as they are). */
function broken(kind: string, edit: (object: Json) => void, objects = application()): KubernetesObject[] {
  const copy = structuredClone(objects) as Json[];
  const target = copy.find((object) => object['kind'] === kind);
  if (!target) throw new Error(`no ${kind}`);
  edit(target);
  return copy as KubernetesObject[];
}

const container = (deployment: Json): Json => deployment['spec'].template.spec.containers[0];

describe('validateManifests', () => {
  it('finds nothing wrong with what the manifests render, for either strategy', async () => {
    expect(await validateManifests(application('service-switch'))).toEqual([]);
    expect(await validateManifests(application('ingress-switch'))).toEqual([]);
  });

  it('reports a field of the wrong type, naming the kind, name and path', async () => {
    const objects = broken('Deployment', (d) => {
      d['spec'].replicas = '2';
      container(d)['resources'].limits.cpu = 'lots';
    });
    expect(await validateManifests(objects)).toEqual([
      'Deployment inventory-api-blue: spec.replicas: must be integer',
      'Deployment inventory-api-blue: spec.template.spec.containers[0].resources.limits.cpu: must be number or must match format "quantity"',
    ]);
  });

  it('reports a field the schema does not know, at any depth', async () => {
    const objects = broken('Deployment', (d) => {
      d['spec'].bogus = 1;
      container(d)['securityContext'].runAsUsr = 5;
      d['metadata'].labels = { ...d['metadata'].labels, 'fine/key': 'value' };
    });
    expect(await validateManifests(objects)).toEqual([
      'Deployment inventory-api-blue: spec.template.spec.containers[0].securityContext.runAsUsr: unknown field (not in the Deployment schema)',
      'Deployment inventory-api-blue: spec.bogus: unknown field (not in the Deployment schema)',
    ]);
  });

  it('reports a missing required field', async () => {
    const objects = broken('HorizontalPodAutoscaler', (h) => delete h['spec'].scaleTargetRef);
    expect(await validateManifests(objects)).toEqual([
      'HorizontalPodAutoscaler inventory-api-blue: spec: must have required property scaleTargetRef',
    ]);
  });

  it('reports a probe port out of range, or named but not a port of the container', async () => {
    const objects = broken('Deployment', (d) => {
      container(d)['readinessProbe'].httpGet.port = 70000;
      container(d)['livenessProbe'].httpGet.port = 'metrics';
      container(d)['startupProbe'].httpGet.port = 'http';
    });
    expect(await validateManifests(objects)).toEqual([
      'Deployment inventory-api-blue: spec.template.spec.containers[0].readinessProbe: port 70000 must be from 1 to 65535',
      'Deployment inventory-api-blue: spec.template.spec.containers[0].livenessProbe: port name metrics is not a port of the container',
    ]);
  });

  it('reports what the API server refuses beyond the schema', async () => {
    const objects = broken('Deployment', (d) => {
      d['metadata'].name = 'Inventory_API';
      d['metadata'].labels.version = 'blue green';
      d['spec'].selector.matchLabels.version = 'purple';
      container(d)['volumeMounts'][0].name = 'scratch';
      container(d)['env'][0].name = 'NODE ENV';
    });
    const problems = await validateManifests(objects);
    expect(problems).toEqual(
      expect.arrayContaining([
        'Deployment Inventory_API: metadata.name: must be a DNS subdomain: lowercase letters, digits, - and ., starting and ending with a letter or digit',
        'Deployment Inventory_API: metadata.labels: value of version must be at most 63 letters, digits, -, _ and ., starting and ending with a letter or digit',
        'Deployment Inventory_API: spec.selector: does not match the pod template labels',
        'Deployment Inventory_API: spec.template.spec.containers[0].volumeMounts[0].name: no volume scratch',
        'Deployment Inventory_API: spec.template.spec.containers[0].env[0].name: is not a valid variable name',
      ]),
    );
  });

  it('reports an object in the wrong scope', async () => {
    const inNamespace = broken('IngressClass', (c) => (c['metadata'].namespace = 'ias-dev'));
    expect(await validateManifests(inNamespace)).toEqual([
      'IngressClass ias-dev-alb: metadata.namespace: must be absent: IngressClass is cluster-wide',
    ]);
    const nowhere = broken('ConfigMap', (c) => delete c['metadata'].namespace);
    expect(await validateManifests(nowhere)).toEqual([
      'ConfigMap inventory-api-config: metadata.namespace: is missing',
    ]);
  });

  it('checks the custom resources against their documented fields', async () => {
    const objects = broken('SecretProviderClass', (s) => {
      s['spec'].parameters.objects = '- objectNam: x\n';
      s['spec'].parameters.usePodIdentity = 'yes';
      s['spec'].rotation = true;
    });
    const params = broken('IngressClassParams', (p) => (p['spec'].scheme = 'public'), objects);
    expect(await validateManifests(params)).toEqual([
      'IngressClassParams ias-dev-alb: spec.scheme: Invalid option: expected one of "internal"|"internet-facing"',
      'SecretProviderClass inventory-api-db: spec.parameters.objects[0].objectName: Invalid input: expected string, received undefined',
      'SecretProviderClass inventory-api-db: spec.parameters.objects[0]: Unrecognized key: "objectNam"',
      'SecretProviderClass inventory-api-db: spec.parameters.usePodIdentity: Invalid option: expected one of "true"|"false"',
      'SecretProviderClass inventory-api-db: spec: Unrecognized key: "rotation"',
    ]);
  });

  it('reports references to objects the set does not hold', async () => {
    let objects = broken('Deployment', (d) => {
      d['spec'].template.spec.serviceAccountName = 'default';
      container(d)['envFrom'][0].configMapRef.name = 'other-config';
      d['spec'].template.spec.volumes[1].csi.volumeAttributes.secretProviderClass = 'other-db';
    });
    objects = broken(
      'HorizontalPodAutoscaler',
      (h) => (h['spec'].scaleTargetRef.name = 'inventory-api'),
      objects,
    );
    objects = broken('Service', (s) => (s['spec'].selector.version = 'purple'), objects);
    objects = broken('Ingress', (i) => (i['spec'].ingressClassName = 'alb'), objects);
    expect(await validateManifests(objects)).toEqual([
      'Service inventory-api: spec.selector: selects the pods of no Deployment in the set',
      'Ingress inventory-api: spec.ingressClassName: no IngressClass alb in the set',
      'Deployment inventory-api-blue: spec.template.spec.serviceAccountName: no ServiceAccount default in the set',
      'Deployment inventory-api-blue: spec.template.spec.containers[0].envFrom[0]: no ConfigMap other-config in the set',
      'Deployment inventory-api-blue: spec.template.spec.volumes[1]: no SecretProviderClass other-db in the set',
      'HorizontalPodAutoscaler inventory-api-blue: spec.scaleTargetRef.name: no Deployment inventory-api in the set',
    ]);
  });

  it('checks the weighted action: its Services, their ports, and weights summing to 100', async () => {
    const at = 'Ingress inventory-api: metadata.annotations["alb.ingress.kubernetes.io/actions.blue-green"]';
    const objects = broken(
      'Ingress',
      (i) =>
        (i['metadata'].annotations['alb.ingress.kubernetes.io/actions.blue-green'] = JSON.stringify({
          type: 'forward',
          forwardConfig: {
            targetGroups: [
              { serviceName: 'inventory-api-blue', servicePort: 8080, weight: 50 },
              { serviceName: 'inventory-api-purple', servicePort: 'http', weight: 40 },
            ],
          },
        })),
      application('ingress-switch'),
    );
    expect(await validateManifests(objects)).toEqual([
      `${at}: Service inventory-api-blue has no port 8080`,
      `${at}: forwards to Service inventory-api-purple, which is not in the set`,
      `${at}: the weights must sum to 100 (they are percentages of user traffic)`,
    ]);
    const missing = broken(
      'Ingress',
      (i) => delete i['metadata'].annotations['alb.ingress.kubernetes.io/actions.blue-green'],
      application('ingress-switch'),
    );
    expect(await validateManifests(missing)).toEqual([
      'Ingress inventory-api: spec.rules[0].http.paths[0].backend: no annotation alb.ingress.kubernetes.io/actions.blue-green for its action',
    ]);
  });

  it('checks references only against kinds the set holds, so either half validates alone', async () => {
    const input = appInput();
    expect(await validateManifests(renderShared(input))).toEqual([]);
    expect(await validateManifests(renderColor(input, 'green', IMAGE))).toEqual([]);
  });

  it('reports a kind it has no schema for', async () => {
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate', namespace: 'ias-dev' } };
    expect(await validateManifests([job])).toEqual([
      'Job migrate: (root): no schema for batch/v1 Job: add it to validate.ts',
    ]);
  });
});
