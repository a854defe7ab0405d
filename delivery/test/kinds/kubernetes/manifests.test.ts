import { DATABASE_SECRET_DIR, DATABASE_SECRET_FILE, kubernetesTarget } from '@ias/targets';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import {
  forwardAction,
  INGRESS_WEIGHTS_ANNOTATION,
  renderColor,
  renderShared,
  toYaml,
} from '../../../src/kinds/kubernetes/manifests.js';
import { failureOf } from '../../support.js';
import { appInput, environment, find, IMAGE, type Json, kindsAndNames } from './render-fixture.js';

const APP = { 'app.kubernetes.io/name': 'inventory-api', 'app.kubernetes.io/part-of': 'ias' };

describe('renderShared', () => {
  it('service-selector: a stable Service on the serving color and a test Service on the other', () => {
    const objects = renderShared(appInput('service-switch'));
    expect(kindsAndNames(objects)).toEqual([
      'Namespace ias-dev',
      'IngressClassParams ias-dev-alb',
      'IngressClass ias-dev-alb',
      'ServiceAccount inventory-api',
      'ConfigMap inventory-api-config',
      'SecretProviderClass inventory-api-db',
      'Service inventory-api',
      'Service inventory-api-test',
      'Ingress inventory-api',
    ]);
    expect(find(objects, 'Service', 'inventory-api')['spec']).toEqual({
      externalIPs: [],
      type: 'ClusterIP',
      ports: [{ name: 'http', port: 80, targetPort: 3000 }],
      selector: { 'app.kubernetes.io/name': 'inventory-api', version: 'blue' },
    });
    expect(find(objects, 'Service', 'inventory-api-test')['spec'].selector).toEqual({
      'app.kubernetes.io/name': 'inventory-api',
      version: 'green',
    });
    const ingress = find(objects, 'Ingress');
    expect(ingress['spec']).toEqual({
      ingressClassName: 'ias-dev-alb',
      rules: [
        {
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'inventory-api', port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    });
    expect(ingress['metadata'].annotations).toEqual({
      'alb.ingress.kubernetes.io/load-balancer-name': 'ias-dev-inventory-api',
      'alb.ingress.kubernetes.io/target-type': 'ip',
      'alb.ingress.kubernetes.io/healthcheck-path': '/ready',
    });
  });

  it('service-selector with green serving: the stable Service selects green, the test Service blue', () => {
    const objects = renderShared(appInput('service-switch', { servingColor: 'green' }));
    expect(find(objects, 'Service', 'inventory-api')['spec'].selector.version).toBe('green');
    expect(find(objects, 'Service', 'inventory-api-test')['spec'].selector.version).toBe('blue');
  });

  it('ingress-weights: a Service per color, the test Service, and the Ingress forwarding by weight', () => {
    const objects = renderShared(appInput('ingress-switch'));
    expect(kindsAndNames(objects).filter((n) => n.startsWith('Service '))).toEqual([
      'Service inventory-api-blue',
      'Service inventory-api-green',
      'Service inventory-api-test',
    ]);
    for (const color of ['blue', 'green']) {
      const service = find(objects, 'Service', `inventory-api-${color}`);
      expect(service['metadata'].labels).toEqual({ ...APP, version: color });
      expect(service['spec'].selector).toEqual({ 'app.kubernetes.io/name': 'inventory-api', version: color });
    }
    const ingress = find(objects, 'Ingress');
    expect(ingress['spec'].rules[0].http.paths[0].backend).toEqual({
      service: { name: 'blue-green', port: { name: 'use-annotation' } },
    });
    expect(JSON.parse(ingress['metadata'].annotations[INGRESS_WEIGHTS_ANNOTATION])).toEqual({
      type: 'forward',
      forwardConfig: {
        targetGroups: [
          { serviceName: 'inventory-api-blue', servicePort: 'http', weight: 100 },
          { serviceName: 'inventory-api-green', servicePort: 'http', weight: 0 },
        ],
      },
    });
    expect(INGRESS_WEIGHTS_ANNOTATION).toBe('alb.ingress.kubernetes.io/actions.blue-green');
  });

  it('ingress-weights: keeps the weights in force, and the default follows the serving color', () => {
    const weighted = renderShared(appInput('ingress-switch', { weights: { blue: 90, green: 10 } }));
    const target = kubernetesTarget(environment('ingress-switch'), { name: 'inventory-api' });
    expect(find(weighted, 'Ingress')['metadata'].annotations[INGRESS_WEIGHTS_ANNOTATION]).toBe(
      forwardAction(target, { blue: 90, green: 10 }),
    );
    const green = renderShared(appInput('ingress-switch', { servingColor: 'green' }));
    const action = JSON.parse(find(green, 'Ingress')['metadata'].annotations[INGRESS_WEIGHTS_ANNOTATION]);
    expect(action.forwardConfig.targetGroups.map((g: Json) => g['weight'])).toEqual([0, 100]);
    expect(find(green, 'Service', 'inventory-api-test')['spec'].selector.version).toBe('blue');
  });

  it('fails on weights that are not whole percentages summing to 100', () => {
    for (const weights of [
      { blue: 90, green: 20 },
      { blue: 50.5, green: 49.5 },
      { blue: 110, green: -10 },
    ]) {
      expect(failureOf(() => renderShared(appInput('ingress-switch', { weights })))).toBe(
        `BAD_INPUT: weights ${JSON.stringify(weights)} must give blue and green whole percentages summing to 100`,
      );
    }
  });

  it('fails for an environment whose profile has no kubernetes section', () => {
    const env = environment();
    const target = kubernetesTarget(
      { ...env, profile: { ...env.profile, kubernetes: undefined } },
      {
        name: 'inventory-api',
      },
    );
    expect(failureOf(() => renderShared(appInput('service-switch', { target })))).toMatch(
      /^BAD_INPUT: the environment of inventory-api has no kubernetes section in its profile/,
    );
  });

  it('makes an internet-facing ALB class of EKS Auto Mode that only the namespace may use', () => {
    const objects = renderShared(appInput());
    expect(find(objects, 'IngressClassParams')).toEqual({
      apiVersion: 'eks.amazonaws.com/v1',
      kind: 'IngressClassParams',
      metadata: { name: 'ias-dev-alb', labels: { 'app.kubernetes.io/part-of': 'ias' } },
      spec: {
        scheme: 'internet-facing',
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ias-dev' } },
      },
    });
    expect(find(objects, 'IngressClass')['spec']).toEqual({
      controller: 'eks.amazonaws.com/alb',
      parameters: { apiGroup: 'eks.amazonaws.com', kind: 'IngressClassParams', name: 'ias-dev-alb' },
    });
    expect(find(objects, 'Namespace')['metadata'].labels).toEqual({
      'app.kubernetes.io/part-of': 'ias',
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
    for (const kind of ['Namespace', 'IngressClassParams', 'IngressClass']) {
      expect(find(objects, kind)['metadata'].namespace, kind).toBeUndefined();
    }
  });

  it('labels every namespaced object with the application and the project', () => {
    for (const object of renderShared(appInput()).filter((o) => o.metadata.namespace !== undefined)) {
      expect(object.metadata.namespace).toBe('ias-dev');
      expect(object.metadata.labels, object.kind).toMatchObject(APP);
    }
  });

  it('mounts the database login from Secrets Manager through Pod Identity, as login.json', () => {
    const spc = find(
      renderShared(appInput('service-switch', { region: 'ap-northeast-1' })),
      'SecretProviderClass',
    );
    expect(spc['apiVersion']).toBe('secrets-store.csi.x-k8s.io/v1');
    expect(spc['spec'].provider).toBe('aws');
    expect(spc['spec'].parameters.usePodIdentity).toBe('true');
    expect(spc['spec'].parameters.region).toBe('ap-northeast-1');
    expect(parse(spc['spec'].parameters.objects)).toEqual([
      {
        objectName: '/ias/dev/db/inventory-api-login',
        objectType: 'secretsmanager',
        objectAlias: 'login.json',
      },
    ]);
    expect(DATABASE_SECRET_FILE).toBe(`${DATABASE_SECRET_DIR}/login.json`);
  });

  it('holds service.json’s environment and the deploy’s settings in the ConfigMap, never both for one', () => {
    const objects = renderShared(appInput());
    expect(find(objects, 'ConfigMap')['data']).toEqual({
      LOG_LEVEL: 'info',
      PGDATABASE: 'inventory',
      PGHOST: 'db.example',
      PGSSLMODE: 'verify-full',
    });
    expect(
      failureOf(() => renderShared(appInput('service-switch', { config: { LOG_LEVEL: 'debug' } }))),
    ).toBe(
      "BAD_INPUT: setting LOG_LEVEL comes from both service.json's environment and the deploy's settings: keep one",
    );
    expect(
      failureOf(() => renderShared(appInput('service-switch', { config: { DB_AUTH: 'password' } }))),
    ).toBe('BAD_INPUT: setting DB_AUTH is set by the manifests themselves: remove it');
  });
});

describe('renderColor', () => {
  const objects = renderColor(appInput(), 'green', IMAGE);
  const deployment = find(objects, 'Deployment');
  const pod = deployment['spec'].template.spec;
  const container = pod.containers[0];

  it('makes the color’s Deployment, autoscaler and disruption budget', () => {
    expect(kindsAndNames(objects)).toEqual([
      'Deployment inventory-api-green',
      'HorizontalPodAutoscaler inventory-api-green',
      'PodDisruptionBudget inventory-api-green',
    ]);
    for (const object of objects) {
      expect(object.metadata.labels).toEqual({ ...APP, version: 'green' });
    }
  });

  it('selects the color’s pods, which run as the application’s service account without its token', () => {
    const selector = { 'app.kubernetes.io/name': 'inventory-api', version: 'green' };
    expect(deployment['spec'].replicas).toBe(2);
    expect(deployment['spec'].selector).toEqual({ matchLabels: selector });
    expect(deployment['spec'].template.metadata.labels).toEqual({ ...APP, version: 'green' });
    expect(pod.serviceAccountName).toBe('inventory-api');
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('runs the image by digest on the container port, with the manifest’s resources as written', () => {
    expect(container).toMatchObject({
      name: 'inventory-api',
      image: IMAGE,
      imagePullPolicy: 'IfNotPresent',
      ports: [{ containerPort: 3000, name: 'http' }],
      resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    });
  });

  it('probes readiness on readinessPath and liveness (after a startup allowance) on livenessPath', () => {
    expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port: 3000, scheme: 'HTTP' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: 3000, scheme: 'HTTP' });
    expect(container.startupProbe).toMatchObject({
      httpGet: { path: '/health', port: 3000 },
      periodSeconds: 5,
      failureThreshold: 24,
    });
  });

  it('runs as the node user, non-root, on a read-only root, without privileges or capabilities', () => {
    expect(container.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
  });

  it('mounts a scratch /tmp and the database login read-only from the secrets store', () => {
    expect(pod.volumes).toEqual([
      { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
      {
        name: 'database-secret',
        csi: {
          driver: 'secrets-store.csi.k8s.io',
          readOnly: true,
          volumeAttributes: { secretProviderClass: 'inventory-api-db' },
        },
      },
    ]);
    expect(container.volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'database-secret', mountPath: DATABASE_SECRET_DIR, readOnly: true },
    ]);
  });

  it('reads settings from the ConfigMap and the login from the mounted file', () => {
    expect(container.envFrom).toEqual([{ configMapRef: { name: 'inventory-api-config' } }]);
    expect(container.env).toEqual([
      { name: 'NODE_ENV', value: 'production' },
      { name: 'PORT', value: '3000' },
      { name: 'DB_AUTH', value: 'secret-file' },
      { name: 'DB_SECRET_FILE', value: DATABASE_SECRET_FILE },
      { name: 'NODE_EXTRA_CA_CERTS', value: '/app/dist/certs/rds-global-bundle.pem' },
    ]);
  });

  it('labels pods with what identifies them only, and makes new pods when the settings change', () => {
    expect(Object.keys(deployment['spec'].template.metadata.labels)).not.toContain('cdk8s.io/metadata.addr');
    const hash = (config: Record<string, string>) =>
      find(renderColor(appInput('service-switch', { config }), 'green', IMAGE), 'Deployment')['spec'].template
        .metadata.annotations['checksum/config'];
    expect(hash({ PGHOST: 'a' })).toMatch(/^[0-9a-f]{64}$/);
    expect(hash({ PGHOST: 'a' })).toBe(hash({ PGHOST: 'a' }));
    expect(hash({ PGHOST: 'a' })).not.toBe(hash({ PGHOST: 'b' }));
  });

  it('scales on CPU within the profile’s range, and lets one pod at a time be evicted', () => {
    expect(find(objects, 'HorizontalPodAutoscaler')['spec']).toMatchObject({
      minReplicas: 2,
      maxReplicas: 4,
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'inventory-api-green' },
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
        },
      ],
    });
    expect(find(objects, 'PodDisruptionBudget')).toMatchObject({
      apiVersion: 'policy/v1',
      spec: {
        maxUnavailable: 1,
        selector: { matchLabels: { 'app.kubernetes.io/name': 'inventory-api', version: 'green' } },
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });
  });

  it('starts with the replicas asked for, from 0 to the maximum', () => {
    expect(find(renderColor(appInput(), 'blue', IMAGE, { replicas: 4 }), 'Deployment')['spec'].replicas).toBe(
      4,
    );
    expect(find(renderColor(appInput(), 'blue', IMAGE, { replicas: 0 }), 'Deployment')['spec'].replicas).toBe(
      0,
    );
    expect(failureOf(() => renderColor(appInput(), 'blue', IMAGE, { replicas: 5 }))).toBe(
      'BAD_INPUT: replicas 5 must be a whole number from 0 to 4',
    );
  });

  it('fails on an image not pinned by its digest, quoting it', () => {
    const repository = IMAGE.slice(0, IMAGE.indexOf('@'));
    for (const image of [`${repository}:3f2c1ab`, repository, `${repository}@sha256:abc`]) {
      expect(failureOf(() => renderColor(appInput(), 'blue', image))).toBe(
        `BAD_INPUT: image "${image}" is not pinned by its digest: give <repository>@sha256:<64 hex digits> (a tag can move; the digest is what was built and recorded)`,
      );
    }
    expect(failureOf(() => renderColor(appInput(), 'blue', `Not An Image@sha256:${'a'.repeat(64)}`))).toMatch(
      /is not an image reference$/,
    );
    expect(
      failureOf(() => renderColor(appInput(), 'blue', `${repository}:3f2c1ab@sha256:${'a'.repeat(64)}`)),
    ).toBeUndefined();
  });
});

describe('toYaml', () => {
  const objects = [...renderShared(appInput('ingress-switch')), ...renderColor(appInput(), 'blue', IMAGE)];

  it('writes one document per object, which read back as the objects', () => {
    const documents = parseAllDocuments(toYaml(objects));
    expect(documents).toHaveLength(objects.length);
    expect(documents.map((d) => d.toJS() as unknown)).toEqual(objects);
  });

  it('puts apiVersion, kind and metadata first and sorts every other key, the same every time', () => {
    const yaml = toYaml(objects);
    expect(yaml).toBe(
      toYaml(renderShared(appInput('ingress-switch')).concat(renderColor(appInput(), 'blue', IMAGE))),
    );
    const configMap = yaml.split('---\n').find((d) => d.includes('kind: ConfigMap')) ?? '';
    expect(configMap.split('\n').filter((line) => /^\S/.test(line))).toEqual([
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      'data:',
      'immutable: false',
    ]);
    expect(yaml).toContain('usePodIdentity: "true"');
  });
});
