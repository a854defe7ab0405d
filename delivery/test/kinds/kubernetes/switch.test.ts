import type { Color, KubernetesDeploymentSettings } from '@ias/targets';
import { describe, expect, it } from 'vitest';
import { DeliveryError } from '../../../src/errors.js';
import { renderColor, renderShared } from '../../../src/kinds/kubernetes/manifests.js';
import {
  type AlarmWatch,
  deploy,
  manifestRevision,
  readRouting,
  servingColor,
  switchBack,
} from '../../../src/kinds/kubernetes/switch.js';
import {
  alarmsWhen,
  application,
  type FakeCall,
  FakeKubernetesApi,
  type FakeKubernetesOptions,
  fakeClock,
  IMAGE,
  INGRESS_SWITCH,
  refusal,
  SERVICE_SWITCH,
  servingCluster,
} from './fake-api.js';

const MINUTE = 60_000;

/** A deployment of {@link IMAGE} under `settings` to a cluster where `serving` serves (or nothing yet). */
function scenario(
  settings: KubernetesDeploymentSettings,
  serving: Color | undefined,
  options: FakeKubernetesOptions & {
    alarms?: (api: FakeKubernetesApi, clock: ReturnType<typeof fakeClock>) => AlarmWatch;
  } = {},
) {
  const clock = fakeClock();
  const { input, switchTarget: target } = application(settings);
  const api = serving
    ? servingCluster(input, serving, { clock, ...options })
    : new FakeKubernetesApi({ clock, ...options });
  const alarms = options.alarms?.(api, clock) ?? alarmsWhen('ias-dev-inventory-api-k8s-health');
  const progress: string[] = [];
  // Rendered as if the other color served: the deploy, not the renderer, decides where users go.
  const shared = renderShared({ ...input, servingColor: serving === 'blue' ? 'green' : 'blue' });
  const run = () =>
    deploy({
      api,
      alarms,
      clock,
      target,
      settings,
      shared,
      renderColor: (color) => renderColor(input, color, IMAGE),
      image: IMAGE,
      onProgress: (line) => progress.push(line),
    });
  return { api, clock, target, input, progress, alarms, run, shared };
}

function targets(calls: readonly FakeCall[]): string[] {
  return calls.map((c) => `${c.op} ${c.target}`);
}

describe('servingColor', () => {
  it('is undefined before the first deployment, then the stable Service’s color', async () => {
    const { input, switchTarget: target } = application(SERVICE_SWITCH);
    expect(await servingColor(new FakeKubernetesApi(), target)).toBeUndefined();
    expect(await servingColor(servingCluster(input, 'green'), target)).toBe('green');
  });

  it('reads the Ingress weights: the color at 100, or the larger share while split', async () => {
    const { input, switchTarget: target } = application(INGRESS_SWITCH);
    expect(await servingColor(servingCluster(input, 'blue'), target)).toBe('blue');
    const split = new FakeKubernetesApi().seed(
      renderShared({ ...input, servingColor: 'blue', weights: { blue: 95, green: 5 } }),
    );
    expect(await readRouting(split, target)).toEqual({
      serving: 'blue',
      weights: { blue: 95, green: 5 },
      split: true,
    });
  });

  it('fails on a stable Service that selects neither color, quoting what it selects', async () => {
    const { input, switchTarget: target } = application(SERVICE_SWITCH);
    const api = servingCluster(input, 'blue');
    await api.patch(
      { apiVersion: 'v1', kind: 'Service', namespace: 'ias-dev', name: 'inventory-api' },
      { type: 'merge', patch: { spec: { selector: { version: 'purple' } } } },
    );
    await expect(servingColor(api, target)).rejects.toThrow(
      'Service ias-dev/inventory-api selects version="purple", neither blue nor green',
    );
  });
});

describe('deploy', () => {
  it('deploys blue first, tests it, then creates the routing to it', async () => {
    const { api, run, progress } = scenario(SERVICE_SWITCH, undefined);
    const result = await run();
    expect(result).toEqual({
      result: 'succeeded',
      color: 'blue',
      image: IMAGE,
      revision: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      steps: [100],
      warnings: [],
    });
    expect(api.selects('inventory-api')).toBe('blue');
    expect(api.selects('inventory-api-test')).toBe('blue');
    expect(api.replicas('inventory-api-blue')).toBe(2);
    // The stable Service and the Ingress are created only after blue passed its tests.
    const order = targets(
      api
        .writes()
        .concat(api.calls.filter((c) => c.op === 'proxyGet'))
        .sort((a, b) => api.calls.indexOf(a) - api.calls.indexOf(b)),
    );
    const lastTest = order.map((c) => c.startsWith('proxyGet')).lastIndexOf(true);
    expect(order.indexOf('apply Service ias-dev/inventory-api')).toBeGreaterThan(lastTest);
    expect(order.indexOf('apply Ingress ias-dev/inventory-api')).toBeGreaterThan(lastTest);
    expect(order.filter((c) => c.startsWith('proxyGet'))).toEqual([
      'proxyGet Service ias-dev/inventory-api-test:80/ready',
      'proxyGet Service ias-dev/inventory-api-test:80/health',
    ]);
    expect(progress).toContain('first deployment: deploying blue');
    expect(progress).toContain('every user on blue');
  });

  it('creates the Ingress at 100 % blue after the tests on a first ingress-switch deployment', async () => {
    const { api, run } = scenario(INGRESS_SWITCH, undefined);
    expect(await run()).toMatchObject({ result: 'succeeded', color: 'blue', steps: [5, 100] });
    expect(api.weights('inventory-api')).toEqual({ 'inventory-api-blue': 100, 'inventory-api-green': 0 });
    expect(api.find('Deployment', 'inventory-api-green')).toBeUndefined();
  });

  it('switches the stable Service to green after its tests, bakes, keeps blue for the retention, then scales blue to 0', async () => {
    const { api, clock, run, progress, alarms, shared } = scenario(SERVICE_SWITCH, 'blue');
    const result = await run();
    expect(result).toEqual({
      result: 'succeeded',
      color: 'green',
      image: IMAGE,
      previousColor: 'blue',
      revision: manifestRevision([
        ...shared,
        ...renderColor(application(SERVICE_SWITCH).input, 'green', IMAGE),
      ]),
      steps: [100],
      warnings: [],
    });
    expect(api.selects('inventory-api')).toBe('green');
    expect(api.selects('inventory-api-test')).toBe('green');
    expect(api.replicas('inventory-api-green')).toBe(2);
    expect(api.replicas('inventory-api-blue')).toBe(0);
    // Applying the shared objects kept the stable Service on blue; blue's own objects were not touched.
    const appliedStable = api.writes().find((c) => c.target === 'Service ias-dev/inventory-api');
    expect(appliedStable).toMatchObject({ op: 'apply', body: { spec: { selector: { version: 'blue' } } } });
    expect(api.writes().filter((c) => c.target.endsWith('inventory-api-blue'))).toEqual([
      expect.objectContaining({ op: 'scale', body: 0 }),
    ]);
    const switched = api.writes().find((c) => c.op === 'patch');
    expect(switched).toMatchObject({
      target: 'Service ias-dev/inventory-api',
      body: { type: 'merge', patch: { spec: { selector: { version: 'green' } } } },
    });
    const scaledDown = api.writes().at(-1) as FakeCall;
    expect(scaledDown.at - (switched as FakeCall).at).toBe((5 + 30) * MINUTE);
    expect((alarms as ReturnType<typeof alarmsWhen>).looks()).toBeGreaterThan(35 * 2 - 1);
    expect(clock.now() - clock.start).toBeGreaterThanOrEqual(35 * MINUTE);
    expect(progress).toEqual(
      expect.arrayContaining([
        'blue serves; deploying green',
        'green: rolled out (2/2 ready, 2 updated, 2 in all)',
        'test: GET /ready through Service ias-dev/inventory-api-test:80 answered 200 ok',
        'green takes 100 % of the users (blue 0 %); baking 5 min',
        'blue kept 30 min for a fast switch back',
        'blue: scaled to 0',
        `succeeded: green serves ${IMAGE}`,
      ]),
    );
  });

  it('walks the Ingress weights 5 % then 100 %, baking after each step', async () => {
    const { api, run, progress } = scenario(INGRESS_SWITCH, 'blue');
    const result = await run();
    expect(result).toMatchObject({
      result: 'succeeded',
      color: 'green',
      previousColor: 'blue',
      steps: [5, 100],
    });
    const patches = api.writes().filter((c) => c.op === 'patch');
    expect(patches.map((p) => p.target)).toEqual([
      'Ingress ias-dev/inventory-api',
      'Ingress ias-dev/inventory-api',
    ]);
    const weightsOf = (call: FakeCall) =>
      JSON.parse(
        (call.body as { patch: { metadata: { annotations: Record<string, string> } } }).patch.metadata
          .annotations['alb.ingress.kubernetes.io/actions.blue-green'] as string,
      ).forwardConfig.targetGroups.map(
        (g: { serviceName: string; weight: number }) => `${g.serviceName}=${g.weight}`,
      );
    expect(patches.map(weightsOf)).toEqual([
      ['inventory-api-blue=95', 'inventory-api-green=5'],
      ['inventory-api-blue=0', 'inventory-api-green=100'],
    ]);
    expect((patches[1] as FakeCall).at - (patches[0] as FakeCall).at).toBe(10 * MINUTE);
    expect(api.weights('inventory-api')).toEqual({ 'inventory-api-blue': 0, 'inventory-api-green': 100 });
    expect(api.replicas('inventory-api-blue')).toBe(0);
    // Applying the shared objects kept the Ingress at 100 % blue.
    const appliedIngress = api
      .writes()
      .find((c) => c.op === 'apply' && c.target === 'Ingress ias-dev/inventory-api');
    expect(JSON.stringify(appliedIngress?.body)).toContain(
      '\\"serviceName\\":\\"inventory-api-blue\\",\\"servicePort\\":\\"http\\",\\"weight\\":100',
    );
    expect(progress).toEqual(
      expect.arrayContaining([
        'green takes 5 % of the users (blue 95 %); baking 10 min',
        'green takes 100 % of the users (blue 0 %); baking 10 min',
      ]),
    );
  });

  it('fails without switching when green never becomes ready, and scales green to 0', async () => {
    const { api, run, clock } = scenario(SERVICE_SWITCH, 'blue', {
      readiness: { 'inventory-api-green': 'never' },
    });
    const result = await run();
    expect(result).toEqual({
      result: 'failed',
      color: 'green',
      image: IMAGE,
      previousColor: 'blue',
      reason:
        'Deployment ias-dev/inventory-api-green was not rolled out in 600 s (0/2 ready, 2 updated, 2 in all)',
    });
    expect(clock.now() - clock.start).toBe(600_000);
    expect(api.selects('inventory-api')).toBe('blue');
    expect(api.replicas('inventory-api-green')).toBe(0);
    expect(api.replicas('inventory-api-blue')).toBe(2);
    expect(api.calls.filter((c) => c.op === 'patch' || c.op === 'proxyGet')).toEqual([]);
  });

  it('fails at once when green stops progressing (its progress deadline exceeded)', async () => {
    const { api, run } = scenario(INGRESS_SWITCH, 'blue', { readiness: { 'inventory-api-green': 'stuck' } });
    const result = await run();
    expect(result).toMatchObject({
      result: 'failed',
      reason: expect.stringContaining('stopped progressing (0/2 ready, 2 updated, 2 in all): ReplicaSet'),
    });
    expect(api.weights('inventory-api')).toEqual({ 'inventory-api-blue': 100, 'inventory-api-green': 0 });
    expect(api.replicas('inventory-api-green')).toBe(0);
  });

  it('fails without switching when green fails its tests through the test Service', async () => {
    const { api, run } = scenario(SERVICE_SWITCH, 'blue', {
      answer: (color, path) =>
        color === 'green' && path === '/health'
          ? { status: 500, body: 'database unreachable\n' }
          : { status: 200, body: 'ok' },
    });
    const result = await run();
    expect(result).toMatchObject({
      result: 'failed',
      color: 'green',
      reason:
        'GET /health through Service ias-dev/inventory-api-test:80 answered 500 database unreachable (5 attempts)',
    });
    expect(api.calls.filter((c) => c.op === 'proxyGet')).toHaveLength(1 + 5);
    expect(api.selects('inventory-api')).toBe('blue');
    expect(api.replicas('inventory-api-green')).toBe(0);
    expect(api.calls.filter((c) => c.op === 'patch')).toEqual([]);
  });

  it('switches back to blue when an alarm fires during the 5 % bake', async () => {
    const { api, run, progress } = scenario(INGRESS_SWITCH, 'blue', {
      alarms: (fake) =>
        alarmsWhen(
          'ias-dev-inventory-api-k8s-errors',
          () => (fake.weights('inventory-api')['inventory-api-green'] ?? 0) > 0,
        ),
    });
    const result = await run();
    expect(result).toEqual({
      result: 'rolled-back',
      color: 'green',
      image: IMAGE,
      previousColor: 'blue',
      alarm: 'ias-dev-inventory-api-k8s-errors',
      during: 'bake',
      atPercent: 5,
    });
    expect(api.weights('inventory-api')).toEqual({ 'inventory-api-blue': 100, 'inventory-api-green': 0 });
    expect(api.replicas('inventory-api-green')).toBe(0);
    expect(api.replicas('inventory-api-blue')).toBe(2);
    expect(progress).toContain(
      'alarm: ias-dev-inventory-api-k8s-errors with green at 5 %: switching back to blue',
    );
  });

  it('switches back to blue when an alarm fires while blue is kept (after the bake)', async () => {
    const { api, run } = scenario(SERVICE_SWITCH, 'blue', {
      alarms: (fake, clock) => {
        let switchedAt: number | undefined;
        return alarmsWhen('ias-dev-inventory-api-k8s-restarts', () => {
          if (fake.selects('inventory-api') !== 'green') return false;
          switchedAt ??= clock.now();
          return clock.now() - switchedAt >= 12 * MINUTE;
        });
      },
    });
    expect(await run()).toMatchObject({
      result: 'rolled-back',
      alarm: 'ias-dev-inventory-api-k8s-restarts',
      during: 'retention',
      atPercent: 100,
    });
    expect(api.selects('inventory-api')).toBe('blue');
    expect(api.replicas('inventory-api-green')).toBe(0);
    expect(api.replicas('inventory-api-blue')).toBe(2);
  });

  it('fails before changing anything when an alarm is already in ALARM', async () => {
    const { api, run } = scenario(SERVICE_SWITCH, 'blue', {
      alarms: () => alarmsWhen('ias-dev-inventory-api-k8s-health', () => true),
    });
    expect(await run()).toMatchObject({
      result: 'failed',
      reason: 'alarm(s) in ALARM before the deployment: ias-dev-inventory-api-k8s-health; nothing changed',
    });
    expect(api.writes()).toEqual([]);
  });

  it('fails on an Ingress that splits users (a switch in flight), changing nothing', async () => {
    const { input, switchTarget: target } = application(INGRESS_SWITCH);
    const api = new FakeKubernetesApi().seed([
      ...renderShared({ ...input, servingColor: 'blue', weights: { blue: 95, green: 5 } }),
      ...renderColor(input, 'blue', IMAGE),
      ...renderColor(input, 'green', IMAGE),
    ]);
    const run = deploy({
      api,
      alarms: alarmsWhen('x'),
      clock: fakeClock(),
      target,
      settings: INGRESS_SWITCH,
      shared: renderShared(input),
      renderColor: (color) => renderColor(input, color, IMAGE),
      image: IMAGE,
    });
    await expect(run).rejects.toMatchObject({
      code: 'UPDATE_CONFLICT',
      message: expect.stringContaining('Ingress ias-dev/inventory-api splits users (blue 95 %, green 5 %)'),
    });
    expect(api.writes()).toEqual([]);
  });

  it('fails naming the Service when the API refuses the switch patch, leaving blue serving and green at 0', async () => {
    const { api, run } = scenario(SERVICE_SWITCH, 'blue', {
      fail: (call) =>
        call.op === 'patch' && call.target === 'Service ias-dev/inventory-api'
          ? refusal('Service "inventory-api" is invalid: spec.selector: Forbidden: field is immutable')
          : undefined,
    });
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({
      code: 'DEPLOYMENT_FAILED',
      message: expect.stringMatching(
        /^patching Service ias-dev\/inventory-api: the Kubernetes API answered 422 Invalid: Service "inventory-api" is invalid: .*; routing unchanged: blue serves; green scaled to 0$/,
      ),
    });
    expect(api.selects('inventory-api')).toBe('blue');
    expect(api.replicas('inventory-api-green')).toBe(0);
    expect(api.replicas('inventory-api-blue')).toBe(2);
  });

  it('switches back to blue when the API refuses the second Ingress step, and names the Ingress', async () => {
    let patches = 0;
    const { api, run } = scenario(INGRESS_SWITCH, 'blue', {
      fail: (call) => {
        if (call.op !== 'patch') return undefined;
        patches += 1;
        return patches === 2
          ? refusal('admission webhook "vingress.elbv2.k8s.aws" denied the request', 400, 'BadRequest')
          : undefined;
      },
    });
    await expect(run()).rejects.toMatchObject({
      message:
        'patching Ingress ias-dev/inventory-api: the Kubernetes API answered 400 BadRequest: admission webhook "vingress.elbv2.k8s.aws" denied the request; every user back on blue; green scaled to 0',
    });
    expect(api.weights('inventory-api')).toEqual({ 'inventory-api-blue': 100, 'inventory-api-green': 0 });
    expect(api.replicas('inventory-api-green')).toBe(0);
  });

  it('fails naming the object when the API refuses to apply it, routing untouched', async () => {
    const { api, run } = scenario(SERVICE_SWITCH, 'blue', {
      fail: (call) =>
        call.op === 'apply' && call.target === 'ConfigMap ias-dev/inventory-api-config'
          ? refusal('configmaps "inventory-api-config" is forbidden: User cannot patch', 403, 'Forbidden')
          : undefined,
    });
    await expect(run()).rejects.toThrow(
      'applying ConfigMap ias-dev/inventory-api-config: the Kubernetes API answered 403 Forbidden: configmaps "inventory-api-config" is forbidden: User cannot patch; routing unchanged: blue serves',
    );
    expect(api.selects('inventory-api')).toBe('blue');
    expect(api.calls.filter((c) => c.op === 'patch' || c.op === 'scale')).toEqual([]);
  });
});

describe('deploy, more paths', () => {
  it('fails a first deployment whose blue never becomes ready without creating any routing', async () => {
    const { api, run, target } = scenario(SERVICE_SWITCH, undefined, {
      readiness: { 'inventory-api-blue': 'never' },
    });
    expect(await run()).toMatchObject({ result: 'failed', color: 'blue' });
    expect(api.find('Service', 'inventory-api')).toBeUndefined();
    expect(api.find('Ingress', 'inventory-api')).toBeUndefined();
    expect(await servingColor(api, target)).toBeUndefined();
    expect(api.replicas('inventory-api-blue')).toBe(0);
  });

  it('fails a first deployment an alarm fires after, blue serving (there is nothing to switch back to)', async () => {
    const { api, run } = scenario(SERVICE_SWITCH, undefined, {
      alarms: (fake) =>
        alarmsWhen('ias-dev-inventory-api-k8s-health', () => fake.selects('inventory-api') === 'blue'),
    });
    expect(await run()).toEqual({
      result: 'failed',
      color: 'blue',
      image: IMAGE,
      reason:
        'alarm(s) in ALARM after the first deployment: ias-dev-inventory-api-k8s-health; there is no previous color to switch back to, blue serves',
    });
    expect(api.selects('inventory-api')).toBe('blue');
    expect(api.replicas('inventory-api-blue')).toBe(2);
  });

  it('goes blue → green → blue, starting a color scaled to zero again at its autoscaler minimum', async () => {
    const clock = fakeClock();
    const { input, switchTarget: target } = application(SERVICE_SWITCH);
    const api = new FakeKubernetesApi({ clock });
    // A renderer that leaves the replicas to the autoscaler: the deploy brings a color at zero back up.
    const withoutReplicas = (color: Color, image: string) =>
      renderColor(input, color, image).map((o) =>
        o.kind === 'Deployment' ? { ...o, spec: { ...(o['spec'] as object), replicas: undefined } } : o,
      );
    const once = (image: string) =>
      deploy({
        api,
        alarms: alarmsWhen('x'),
        clock,
        target,
        settings: SERVICE_SWITCH,
        shared: renderShared(input),
        renderColor: (color) => withoutReplicas(color, image),
        image,
      });
    expect(await once(IMAGE)).toMatchObject({ result: 'succeeded', color: 'blue' });
    expect(await once(IMAGE.replace(/a{64}$/, 'c'.repeat(64)))).toMatchObject({
      color: 'green',
      previousColor: 'blue',
    });
    expect(api.replicas('inventory-api-blue')).toBe(0);
    expect(await once(IMAGE.replace(/a{64}$/, 'd'.repeat(64)))).toMatchObject({
      color: 'blue',
      previousColor: 'green',
    });
    expect(
      api
        .writes()
        .filter((c) => c.op === 'scale')
        .map((c) => `${c.op} ${c.target} ${String(c.body)}`),
    ).toEqual([
      'scale Deployment ias-dev/inventory-api-blue 0',
      'scale Deployment ias-dev/inventory-api-blue 2',
      'scale Deployment ias-dev/inventory-api-green 0',
    ]);
    expect(api.selects('inventory-api')).toBe('blue');
    expect(api.replicas('inventory-api-green')).toBe(0);
  });

  it('succeeds with a warning when the old color cannot be scaled to zero', async () => {
    const { api, run } = scenario(SERVICE_SWITCH, 'blue', {
      fail: (call) =>
        call.op === 'scale' && call.target.endsWith('inventory-api-blue')
          ? refusal('quota', 403, 'Forbidden')
          : undefined,
    });
    expect(await run()).toMatchObject({
      result: 'succeeded',
      color: 'green',
      warnings: [
        'scaling Deployment ias-dev/inventory-api-blue: the Kubernetes API answered 403 Forbidden: quota: scale inventory-api-blue to 0 by hand',
      ],
    });
    expect(api.selects('inventory-api')).toBe('green');
  });

  it('fails on an ingress-switch Ingress without a weighted action over the color Services', async () => {
    const { input, switchTarget: target } = application(INGRESS_SWITCH);
    const shared = renderShared(input).map((o) =>
      o.kind === 'Ingress' ? { ...o, metadata: { ...o.metadata, annotations: {} } } : o,
    );
    await expect(
      deploy({
        api: new FakeKubernetesApi(),
        alarms: alarmsWhen('x'),
        clock: fakeClock(),
        target,
        settings: INGRESS_SWITCH,
        shared,
        renderColor: (color) => renderColor(input, color, IMAGE),
        image: IMAGE,
      }),
    ).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message:
        'Ingress ias-dev/inventory-api has no alb.ingress.kubernetes.io/actions.blue-green forward action over Services inventory-api-blue and inventory-api-green: ingress-weights cannot move its users',
    });
  });

  it('fails on settings whose strategy does not match the target', async () => {
    const { input, switchTarget: target } = application(SERVICE_SWITCH);
    await expect(
      deploy({
        api: new FakeKubernetesApi(),
        alarms: alarmsWhen('x'),
        clock: fakeClock(),
        target,
        settings: INGRESS_SWITCH,
        shared: renderShared(input),
        renderColor: (color) => renderColor(input, color, IMAGE),
        image: IMAGE,
      }),
    ).rejects.toThrow(
      'strategy ingress-switch switches by ingress-weights, but the target by service-selector',
    );
  });
});

describe('switchBack', () => {
  it('scales blue back up to its autoscaler minimum, waits until ready, and moves the stable Service to it', async () => {
    const { api, run, target, clock } = scenario(SERVICE_SWITCH, 'blue');
    await run();
    expect(api.replicas('inventory-api-blue')).toBe(0);
    const progress: string[] = [];
    const result = await switchBack({
      api,
      target,
      to: 'blue',
      clock,
      onProgress: (line) => progress.push(line),
    });
    expect(result).toEqual({ color: 'blue', previousColor: 'green', scaledUp: true });
    expect(api.replicas('inventory-api-blue')).toBe(2);
    expect(api.selects('inventory-api')).toBe('blue');
    expect(api.replicas('inventory-api-green')).toBe(2);
    expect(progress).toEqual([
      'switch back to blue: green serves',
      'blue: scaled to 2',
      'blue: rolling out (0/2 ready, 2 updated, 2 in all)',
      'blue: rolled out (2/2 ready, 2 updated, 2 in all)',
      'every user on blue',
    ]);
  });

  it('moves the Ingress weights back in full', async () => {
    const { input, switchTarget: target } = application(INGRESS_SWITCH);
    const api = servingCluster(input, 'blue');
    await api.apply(renderColor(input, 'green', IMAGE)[0] as never);
    await api.patch(
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: 'ias-dev', name: 'inventory-api' },
      {
        type: 'merge',
        patch: {
          metadata: {
            annotations: {
              'alb.ingress.kubernetes.io/actions.blue-green': renderShared({
                ...input,
                weights: { blue: 95, green: 5 },
              }).find((o) => o.kind === 'Ingress')?.metadata.annotations?.[
                'alb.ingress.kubernetes.io/actions.blue-green'
              ] as string,
            },
          },
        },
      },
    );
    expect(await switchBack({ api, target, to: 'blue', clock: fakeClock() })).toEqual({
      color: 'blue',
      scaledUp: false,
    });
    expect(api.weights('inventory-api')).toEqual({ 'inventory-api-blue': 100, 'inventory-api-green': 0 });
  });

  it('fails on a color that has no Deployment, changing nothing', async () => {
    const { input, switchTarget: target } = application(SERVICE_SWITCH);
    const api = servingCluster(input, 'blue');
    await expect(switchBack({ api, target, to: 'green', clock: fakeClock() })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: 'there is no Deployment ias-dev/inventory-api-green: nothing to switch back to',
    });
    expect(api.writes()).toEqual([]);
  });

  it('fails without moving users when the color does not roll out', async () => {
    const { input, switchTarget: target } = application(SERVICE_SWITCH);
    const api = servingCluster(input, 'green', { readiness: { 'inventory-api-blue': 'never' } });
    await api.apply(renderColor(input, 'blue', IMAGE)[0] as never);
    await expect(switchBack({ api, target, to: 'blue', clock: fakeClock() })).rejects.toMatchObject({
      code: 'TIMED_OUT',
      message: expect.stringContaining(
        'was not rolled out in 600 s (0/2 ready, 2 updated, 2 in all): routing unchanged',
      ),
    });
    expect(api.selects('inventory-api')).toBe('green');
  });
});
