/**
 * Where the users of a Kubernetes application go, read and moved: the stable Service's `version`
 * selector (`service-selector`), or the weights of the Ingress's forward action over the two color
 * Services (`ingress-weights`, which the AWS Load Balancer Controller turns into the listener rule's
 * weighted target groups). The stable Service, when there is one, always follows the serving color for
 * in-cluster clients.
 *
 * @see https://kubernetes.io/docs/concepts/services-networking/service/
 * @see https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/annotations/#actions
 */
import { type Color, otherColor } from '@ias/targets';
import { DeliveryError } from '../../errors.js';
import {
  calling,
  describeRef,
  type KubernetesApi,
  type KubernetesObject,
  type ObjectRef,
  refOf,
} from './api.js';
import { COLOR_LABEL, forwardAction, INGRESS_WEIGHTS_ANNOTATION } from './manifests.js';

/** The names the switch reads and moves (a `KubernetesTarget` of @ias/targets has them all). */
export interface SwitchTarget {
  readonly app: string;
  readonly namespace: string;
  /** The Deployment of each color (its HorizontalPodAutoscaler has the same name). */
  readonly deployments: Readonly<Record<Color, string>>;
  /** The Service of each color, the Ingress's weighted backends. */
  readonly colorServices: Readonly<Record<Color, string>>;
  /** The Service users (and in-cluster clients) reach; its `version` selector names the serving color. */
  readonly stableService: string;
  /** The internal Service that reaches the new color only. */
  readonly testService: string;
  readonly ingress: string;
  /** Which object users move in. */
  readonly switches: 'service-selector' | 'ingress-weights';
}

/**
 * The switch's names of an application's target (`kubernetesTarget` of @ias/targets).
 *
 * @throws DeliveryError `BAD_INPUT` when its environment's profile has no Kubernetes deployment settings
 */
export function switchTarget(
  target: Omit<SwitchTarget, 'switches'> & { readonly switches?: SwitchTarget['switches'] },
): SwitchTarget {
  if (target.switches === undefined) {
    throw new DeliveryError(
      'BAD_INPUT',
      `the environment of ${target.app} has no kubernetes deployment settings in its profile: nothing says how to switch`,
    );
  }
  const { app, namespace, deployments, colorServices, stableService, testService, ingress, switches } =
    target;
  return { app, namespace, deployments, colorServices, stableService, testService, ingress, switches };
}

const SERVICE = { apiVersion: 'v1', kind: 'Service' } as const;
const INGRESS = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' } as const;

function ref(target: SwitchTarget, kind: typeof SERVICE | typeof INGRESS, name: string): ObjectRef {
  return { ...kind, namespace: target.namespace, name };
}

/** Whether `object` is the `kind` named `name`. */
export function sameObject(object: KubernetesObject, kind: string, name: string): boolean {
  return object.kind === kind && object.metadata.name === name;
}

function selectorColor(service: KubernetesObject): string | undefined {
  return ((service['spec'] ?? {}) as { selector?: Record<string, string> }).selector?.[COLOR_LABEL];
}

/**
 * The Ingress's weights of the color Services, from its weighted forward action; `BAD_INPUT` when it
 * has none over both color Services.
 */
function ingressWeights(ingress: KubernetesObject, target: SwitchTarget): Record<Color, number> {
  let groups: readonly { serviceName?: string; weight?: number }[] = [];
  try {
    const action = JSON.parse(ingress.metadata.annotations?.[INGRESS_WEIGHTS_ANNOTATION] ?? '{}') as {
      forwardConfig?: { targetGroups?: { serviceName?: string; weight?: number }[] };
    };
    groups = action.forwardConfig?.targetGroups ?? [];
  } catch {
    groups = [];
  }
  const weight = (color: Color) => groups.find((g) => g.serviceName === target.colorServices[color])?.weight;
  const blue = weight('blue');
  const green = weight('green');
  if (blue === undefined || green === undefined) {
    throw new DeliveryError(
      'BAD_INPUT',
      `${describeRef(refOf(ingress))} has no ${INGRESS_WEIGHTS_ANNOTATION} forward action over Services ${target.colorServices.blue} and ${target.colorServices.green}: ingress-weights cannot move its users`,
    );
  }
  return { blue, green };
}

/** `color` at `percent`, the other color the rest. */
function shares(color: Color, percent: number): Record<Color, number> {
  return { [color]: percent, [otherColor(color)]: 100 - percent } as Record<Color, number>;
}

/** Where users go now. */
export interface Routing {
  /** The color that serves (the one at 100 %, or the larger share); undefined before the first deployment. */
  readonly serving?: Color;
  /** Each color's share of the Ingress's users (`ingress-weights` only). */
  readonly weights?: Readonly<Record<Color, number>>;
  /** Whether users are split between the colors (a weighted switch in flight, or interrupted). */
  readonly split: boolean;
}

/** Where users go now: the stable Service's selector, or the Ingress's weights. */
export async function readRouting(api: KubernetesApi, target: SwitchTarget): Promise<Routing> {
  if (target.switches === 'service-selector') {
    const stable = ref(target, SERVICE, target.stableService);
    const service = await calling(`reading ${describeRef(stable)}`, () => api.get(stable));
    if (!service) return { split: false };
    const version = selectorColor(service);
    if (version !== 'blue' && version !== 'green') {
      throw new DeliveryError(
        'BAD_INPUT',
        `${describeRef(stable)} selects ${COLOR_LABEL}=${JSON.stringify(version)}, neither blue nor green: switch it back by hand`,
      );
    }
    return { serving: version, split: false };
  }
  const ingressRef = ref(target, INGRESS, target.ingress);
  const ingress = await calling(`reading ${describeRef(ingressRef)}`, () => api.get(ingressRef));
  if (!ingress) return { split: false };
  const weights = ingressWeights(ingress, target);
  if (weights.blue === 0 && weights.green === 0) return { weights, split: false };
  const split = weights.blue > 0 && weights.green > 0;
  if (weights.blue !== weights.green) {
    return { serving: weights.blue > weights.green ? 'blue' : 'green', weights, split };
  }
  // Half and half: the serving color is the one the test Service does not reach.
  const testRef = ref(target, SERVICE, target.testService);
  const test = await calling(`reading ${describeRef(testRef)}`, () => api.get(testRef));
  return { serving: test && selectorColor(test) === 'blue' ? 'green' : 'blue', weights, split };
}

/** Which color serves now; undefined before the first deployment. */
export async function servingColor(api: KubernetesApi, target: SwitchTarget): Promise<Color | undefined> {
  return (await readRouting(api, target)).serving;
}

async function select(api: KubernetesApi, target: SwitchTarget, color: Color): Promise<void> {
  const stable = ref(target, SERVICE, target.stableService);
  await calling(`patching ${describeRef(stable)}`, () =>
    api.patch(stable, { type: 'merge', patch: { spec: { selector: { [COLOR_LABEL]: color } } } }),
  );
}

async function weigh(
  api: KubernetesApi,
  target: SwitchTarget,
  weights: Record<Color, number>,
): Promise<void> {
  const ingressRef = ref(target, INGRESS, target.ingress);
  const ingress = await calling(`reading ${describeRef(ingressRef)}`, () => api.get(ingressRef));
  if (!ingress) {
    throw new DeliveryError('SERVICE_MISSING', `${describeRef(ingressRef)} does not exist: deploy first`);
  }
  ingressWeights(ingress, target);
  await calling(`patching ${describeRef(ingressRef)}`, () =>
    api.patch(ingressRef, {
      type: 'merge',
      patch: { metadata: { annotations: { [INGRESS_WEIGHTS_ANNOTATION]: forwardAction(target, weights) } } },
    }),
  );
}

/**
 * Sends `percent` of the users to `color`, the rest to the other: the stable Service's selector (all
 * at once: `percent` is 100), or the Ingress's weights, the stable Service following at 100 when
 * `stableService` says there is one.
 */
export async function routeTo(
  api: KubernetesApi,
  target: SwitchTarget,
  color: Color,
  percent: number,
  stableService: boolean,
): Promise<void> {
  if (target.switches === 'service-selector') {
    await select(api, target, color);
    return;
  }
  await weigh(api, target, shares(color, percent));
  if (percent === 100 && stableService) await select(api, target, color);
}

/** `object` with its Service selector's color set to `color`. */
function selecting(object: KubernetesObject, color: Color): KubernetesObject {
  const spec = (object['spec'] ?? {}) as { selector?: Record<string, string> };
  return { ...object, spec: { ...spec, selector: { ...spec.selector, [COLOR_LABEL]: color } } };
}

/** `ingress` with every user on `color` (with ingress-weights; else as it is). */
function weighing(ingress: KubernetesObject, target: SwitchTarget, color: Color): KubernetesObject {
  if (target.switches !== 'ingress-weights') return ingress;
  ingressWeights(ingress, target);
  const annotations = { ...ingress.metadata.annotations };
  annotations[INGRESS_WEIGHTS_ANNOTATION] = forwardAction(target, shares(color, 100));
  return { ...ingress, metadata: { ...ingress.metadata, annotations } };
}

/** The shared objects with their routing set: what to apply now, and what at the switch. */
export interface RoutedObjects {
  /** Applied before the new color: the routing ones keep users where they are. */
  readonly now: readonly KubernetesObject[];
  /** Applied at the first deployment's switch: the stable Service and the Ingress, on the new color. */
  readonly atSwitch: readonly KubernetesObject[];
  /** Whether there is a stable Service (with ingress-weights, it follows the serving color). */
  readonly stableService: boolean;
}

/**
 * The shared objects as the deploy applies them, whatever routing they were rendered with: the test
 * Service on the new color `color`; the stable Service and the Ingress on the serving color, or — before
 * the first deployment — held back until the switch, then on `color` (no user can reach a color that
 * is not tested yet).
 *
 * @throws DeliveryError `BAD_INPUT` when the object the strategy moves is missing, or the Ingress has no weighted action
 */
export function routedObjects(
  shared: readonly KubernetesObject[],
  target: SwitchTarget,
  serving: Color | undefined,
  color: Color,
): RoutedObjects {
  const [kind, name] =
    target.switches === 'service-selector'
      ? (['Service', target.stableService] as const)
      : (['Ingress', target.ingress] as const);
  if (!shared.some((o) => sameObject(o, kind, name))) {
    throw new DeliveryError(
      'BAD_INPUT',
      `the shared objects hold no ${kind} ${name}, which ${target.switches} moves`,
    );
  }
  const now: KubernetesObject[] = [];
  const atSwitch: KubernetesObject[] = [];
  let stableService = false;
  for (const object of shared) {
    if (sameObject(object, 'Service', target.testService)) {
      now.push(selecting(object, color));
    } else if (sameObject(object, 'Service', target.stableService)) {
      stableService = true;
      if (serving) now.push(selecting(object, serving));
      else atSwitch.push(selecting(object, color));
    } else if (sameObject(object, 'Ingress', target.ingress)) {
      if (serving) now.push(weighing(object, target, serving));
      else atSwitch.push(weighing(object, target, color));
    } else {
      now.push(object);
    }
  }
  return { now, atSwitch, stableService };
}
