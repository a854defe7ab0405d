/**
 * The blue/green switch of a Kubernetes application on EKS, over {@link KubernetesApi} only.
 *
 * A deployment applies the shared objects (keeping the routing as it is), rolls the color that does
 * not serve out with the new image, tests it through the internal test Service, then moves the users
 * (`routing.ts`): the stable Service's selector all at once, or the Ingress's weights through the
 * profile's steps. The alarms are watched after each step and while the old color is kept; one in
 * ALARM switches back. With a canary judge, a step that splits users is judged once a minute too
 * (`canary-watch.ts`): its look switches back, ends the bake early, or lets it run. A color that never
 * became ready or failed its tests is scaled to zero and no user ever reached it.
 */
import {
  type Color,
  type KubernetesDeploymentSettings,
  KUBERNETES_STRATEGIES,
  otherColor,
} from '@ias/targets';
import { createHash } from 'node:crypto';
import type { CanaryLook } from '../../canary/watch.js';
import { DeliveryError, describeError, oneLine } from '../../errors.js';
import { type Clock, now as realNow, sleep as realSleep } from '../../time.js';
import {
  asDeliveryError,
  calling,
  describeRef,
  type KubernetesApi,
  type KubernetesObject,
  refOf,
  type RolloutStatus,
} from './api.js';
import {
  bakeJudged,
  type CanaryWatch,
  checkJudgeable,
  FIRST_LOOK_MS,
  type SplitJudging,
} from './canary-watch.js';
import {
  readRouting,
  routedObjects,
  type RoutedObjects,
  routeTo,
  sameObject,
  type SwitchTarget,
} from './routing.js';

export { readRouting, type Routing, servingColor, type SwitchTarget, switchTarget } from './routing.js';

/** The application's alarms: any one in ALARM means unhealthy. */
export interface AlarmWatch {
  /** The names of the watched alarms in ALARM now; empty when all are OK (or lack data). */
  firing(): Promise<readonly string[]>;
}

/** How long the switch waits, and how often it looks. */
export interface SwitchTimeouts {
  /** Seconds the new color has to roll out (every pod updated and ready). @default 600 */
  readonly rolloutSeconds?: number;
  /** Seconds between two looks at a rollout. @default 5 */
  readonly rolloutPollSeconds?: number;
  /** Seconds between two looks at the alarms during a bake or the retention. @default 30 */
  readonly alarmPollSeconds?: number;
  /** Requests at most per test path before the test fails (the Service's endpoints may lag). @default 5 */
  readonly testAttempts?: number;
  /** Seconds between two test requests. @default 5 */
  readonly testIntervalSeconds?: number;
}

/** Paths tested through the test Service when the Deployment names no HTTP probes. */
export const DEFAULT_TEST_PATHS = ['/ready', '/health'] as const;

/** What every step of a switch works with. */
interface Context {
  readonly api: KubernetesApi;
  readonly clock: Clock;
  readonly target: SwitchTarget;
  readonly say: (line: string) => void;
  readonly rolloutMs: number;
  readonly rolloutPollMs: number;
  readonly alarmPollMs: number;
  readonly testAttempts: number;
  readonly testIntervalMs: number;
}

function context(
  o: { api: KubernetesApi; clock: Clock; target: SwitchTarget; onProgress?: (line: string) => void },
  t: SwitchTimeouts = {},
): Context {
  return {
    api: o.api,
    clock: o.clock,
    target: o.target,
    say: o.onProgress ?? (() => undefined),
    rolloutMs: (t.rolloutSeconds ?? 600) * 1000,
    rolloutPollMs: (t.rolloutPollSeconds ?? 5) * 1000,
    alarmPollMs: (t.alarmPollSeconds ?? 30) * 1000,
    testAttempts: t.testAttempts ?? 5,
    testIntervalMs: (t.testIntervalSeconds ?? 5) * 1000,
  };
}

// ---------------------------------------------------------------------------------------------------
// One color: its rollout, its scale, its tests; the alarms.

function isRolledOut(s: RolloutStatus): boolean {
  return (
    s.desiredReplicas > 0 &&
    s.observedGeneration >= s.generation &&
    s.updatedReplicas === s.desiredReplicas &&
    s.replicas === s.desiredReplicas &&
    s.readyReplicas === s.desiredReplicas &&
    s.availableReplicas === s.desiredReplicas
  );
}

function counts(s: RolloutStatus): string {
  return `${s.readyReplicas}/${s.desiredReplicas} ready, ${s.updatedReplicas} updated, ${s.replicas} in all`;
}

/** Waits until `color`'s Deployment is rolled out; answers why not when it never is. */
async function waitRolledOut(c: Context, color: Color): Promise<string | undefined> {
  const name = c.target.deployments[color];
  const what = `Deployment ${c.target.namespace}/${name}`;
  const deadline = c.clock.now() + c.rolloutMs;
  let last = '';
  for (;;) {
    const status = await calling(`reading ${what}`, () => c.api.rolloutStatus(c.target.namespace, name));
    if (!status) return `${what} does not exist`;
    if (isRolledOut(status)) {
      c.say(`${color}: rolled out (${counts(status)})`);
      return undefined;
    }
    const stuck = status.conditions.find(
      (s) => s.type === 'Progressing' && s.reason === 'ProgressDeadlineExceeded',
    );
    if (stuck) return `${what} stopped progressing (${counts(status)}): ${stuck.message ?? stuck.reason}`;
    const now = counts(status);
    if (now !== last) c.say(`${color}: rolling out (${now})`);
    last = now;
    if (c.clock.now() >= deadline) return `${what} was not rolled out in ${c.rolloutMs / 1000} s (${now})`;
    await c.clock.sleep(Math.min(c.rolloutPollMs, Math.max(0, deadline - c.clock.now())));
  }
}

async function scaleColor(c: Context, color: Color, replicas: number): Promise<void> {
  const name = c.target.deployments[color];
  await calling(`scaling Deployment ${c.target.namespace}/${name}`, () =>
    c.api.scale(c.target.namespace, name, replicas),
  );
  c.say(`${color}: scaled to ${replicas}`);
}

/** GETs each path through the test Service until 2xx; answers why not when one never is. */
async function testColor(c: Context, port: number, paths: readonly string[]): Promise<string | undefined> {
  const via = `Service ${c.target.namespace}/${c.target.testService}:${port}`;
  for (const path of paths) {
    let last = '';
    let passed = false;
    for (let attempt = 1; attempt <= c.testAttempts && !passed; attempt += 1) {
      if (attempt > 1) await c.clock.sleep(c.testIntervalMs);
      const answer = await calling(`GET ${path} through ${via}`, () =>
        c.api.proxyGet(c.target.namespace, c.target.testService, port, path),
      );
      passed = answer.status >= 200 && answer.status < 300;
      last = `${answer.status}${answer.body.trim() ? ` ${oneLine(answer.body, 120)}` : ''}`;
    }
    if (!passed) return `GET ${path} through ${via} answered ${last} (${c.testAttempts} attempts)`;
    c.say(`test: GET ${path} through ${via} answered ${last}`);
  }
  return undefined;
}

/** Watches the alarms for `minutes` (at least one look); answers the ones in ALARM, if any. */
async function watchAlarms(c: Context, alarms: AlarmWatch, minutes: number): Promise<string | undefined> {
  const end = c.clock.now() + minutes * 60_000;
  for (;;) {
    const firing = await calling('reading the alarms', () => alarms.firing());
    if (firing.length > 0) return firing.join(', ');
    const left = end - c.clock.now();
    if (left <= 0) return undefined;
    await c.clock.sleep(Math.min(c.alarmPollMs, left));
  }
}

// ---------------------------------------------------------------------------------------------------
// The objects: the new color's, the test port, the revision.

/** JSON with every object's keys sorted: the same objects always give the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The manifest revision the ledger records: `sha256:` + the SHA-256 of the objects' canonical JSON, as
 * rendered (the routing fields the switch sets are not part of it).
 */
export function manifestRevision(objects: readonly KubernetesObject[]): string {
  return `sha256:${createHash('sha256').update(canonicalJson(objects)).digest('hex')}`;
}

interface ColorObjects {
  readonly objects: readonly KubernetesObject[];
  /** Replicas it starts from when its Deployment is at zero: the autoscaler's minimum, else the manifest's. */
  readonly minReplicas: number;
  /** The HTTP paths of its readiness and liveness probes. */
  readonly testPaths: readonly string[];
}

interface ProbeSpec {
  readonly httpGet?: { readonly path?: string };
}

function colorObjects(
  objects: readonly KubernetesObject[],
  target: SwitchTarget,
  color: Color,
): ColorObjects {
  const name = target.deployments[color];
  const deployment = objects.find((o) => sameObject(o, 'Deployment', name));
  if (!deployment) {
    throw new DeliveryError('BAD_INPUT', `the ${color} objects hold no Deployment ${name}`);
  }
  const spec = deployment['spec'] as
    | {
        replicas?: number;
        template?: { spec?: { containers?: { readinessProbe?: ProbeSpec; livenessProbe?: ProbeSpec }[] } };
      }
    | undefined;
  const container = spec?.template?.spec?.containers?.[0];
  const paths = [container?.readinessProbe?.httpGet?.path, container?.livenessProbe?.httpGet?.path].filter(
    (p): p is string => p !== undefined,
  );
  const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler');
  const min = (hpa?.['spec'] as { minReplicas?: number } | undefined)?.minReplicas ?? spec?.replicas ?? 1;
  return {
    objects,
    minReplicas: Math.max(1, min),
    testPaths: paths.length > 0 ? [...new Set(paths)] : DEFAULT_TEST_PATHS,
  };
}

function testPort(shared: readonly KubernetesObject[], target: SwitchTarget): number {
  const service = shared.find((o) => sameObject(o, 'Service', target.testService));
  const port = ((service?.['spec'] ?? {}) as { ports?: { port?: number }[] }).ports?.[0]?.port;
  if (port === undefined) {
    throw new DeliveryError(
      'BAD_INPUT',
      `the shared objects hold no test Service ${target.testService} with a port`,
    );
  }
  return port;
}

// ---------------------------------------------------------------------------------------------------
// Deploy.

/** Options of {@link deploy}. */
export interface DeployOptions {
  readonly api: KubernetesApi;
  readonly alarms: AlarmWatch;
  readonly clock: Clock;
  readonly target: SwitchTarget;
  readonly settings: KubernetesDeploymentSettings;
  /**
   * The objects both colors share (Namespace, ServiceAccount, ConfigMap, Services, Ingress, …), in apply
   * order. Their routing fields are set by the deploy, whatever they were rendered with.
   */
  readonly shared: readonly KubernetesObject[];
  /** A color's objects (Deployment, PodDisruptionBudget, HorizontalPodAutoscaler) running {@link image}. */
  readonly renderColor: (color: Color) => readonly KubernetesObject[];
  /** The image the new color runs (`<repository URI>@sha256:…`). */
  readonly image: string;
  /** Receives one line per step. @default - nothing reported */
  readonly onProgress?: (line: string) => void;
  /** @default - see {@link SwitchTimeouts} */
  readonly timeouts?: SwitchTimeouts;
  /**
   * The canary judge: while a step splits users between the colors (the new one above 0 % and below
   * 100 %), it compares them once a minute over the whole split so far, besides the alarms; its look
   * switches back (`rollback`), ends the step's bake early (`promote`) or lets it run (`wait`,
   * `continue`). When the split ends before its final look, an `inconclusive` last look follows the
   * analysis's `inconclusive` policy (the rules: `canary-watch.ts`). `ingress-weights` routing only.
   * @default - no judge: the alarms alone
   */
  readonly canary?: CanaryWatch;
}

/** A deployment that went live: what the ledger records. */
export interface DeploySucceeded {
  readonly result: 'succeeded';
  /** The color that serves now. */
  readonly color: Color;
  readonly image: string;
  /** The color that served before; undefined for the first deployment. */
  readonly previousColor?: Color;
  /** {@link manifestRevision} of the shared and the new color's objects. */
  readonly revision: string;
  /** The new color's shares of the users, step by step. */
  readonly steps: readonly number[];
  /** What could not be tidied (the old color not scaled to zero): the deployment stands. */
  readonly warnings: readonly string[];
  /** The canary judge's last look, the evidence to record. @default - absent: nothing was judged */
  readonly canary?: CanaryLook;
}

/** A deployment that never reached users (not rolled out, failed tests, an alarm already firing). */
export interface DeployFailed {
  readonly result: 'failed';
  readonly color: Color;
  readonly image: string;
  readonly previousColor?: Color;
  readonly reason: string;
}

/** A deployment an alarm or the canary judge switched back: users are on the previous color again. */
export interface DeployRolledBack {
  readonly result: 'rolled-back';
  readonly color: Color;
  readonly image: string;
  readonly previousColor: Color;
  /** The alarm(s) in ALARM. @default - absent: the canary judge switched back (see `canaryReason`) */
  readonly alarm?: string;
  /** Why the canary judge switched back. @default - absent: an alarm did */
  readonly canaryReason?: string;
  /** When: during a step's bake, or while the old color was kept. */
  readonly during: 'bake' | 'retention';
  /** The new color's share of the users when it fired. */
  readonly atPercent: number;
  /** The canary judge's last look, the evidence to record. @default - absent: nothing was judged */
  readonly canary?: CanaryLook;
}

/** What {@link deploy} answers. */
export type DeployResult = DeploySucceeded | DeployFailed | DeployRolledBack;

/** One deployment in progress. */
interface Run {
  readonly c: Context;
  readonly options: DeployOptions;
  readonly color: Color;
  readonly previous: Color | undefined;
  readonly steps: readonly number[];
  readonly port: number;
  readonly revision: string;
  readonly rendered: ColorObjects;
  readonly routed: RoutedObjects;
  /** What changed so far: the new color applied, users moved. */
  readonly live: { newApplied: boolean; usersMoved: boolean };
}

/**
 * Deploys `image` as the color that does not serve (blue for the first deployment), tests it, and
 * moves the users to it by `settings` (see the file's header).
 *
 * Answers `failed` (no user reached the new color, now at zero; or an alarm was in ALARM before, and
 * nothing changed) or `rolled-back` (an alarm fired, or the canary judge failed the new color: users
 * back on the previous color, the new one at zero). Throws {@link DeliveryError} when the API refuses a
 * call, or the canary judge cannot read, naming what failed, after putting the users back on the
 * previous color and scaling the new one to zero (the message says what it undid, or could not).
 * Throws `UPDATE_CONFLICT`, changing nothing, while the Ingress splits users; `BAD_INPUT`, changing
 * nothing, for a canary judge with `service-selector` routing or split steps too short to judge.
 */
export async function deploy(options: DeployOptions): Promise<DeployResult> {
  const c = context(options, options.timeouts);
  const { target, settings, image } = options;
  const strategy = KUBERNETES_STRATEGIES[settings.strategy];
  if (strategy.switches !== target.switches) {
    throw new DeliveryError(
      'BAD_INPUT',
      `strategy ${settings.strategy} switches by ${strategy.switches}, but the target by ${target.switches}`,
    );
  }
  const steps = strategy.weighted ? settings.steps : [100];
  if (options.canary) checkCanary(target, settings, steps);
  const port = testPort(options.shared, target);
  c.say(
    `deploy ${image} to ${target.namespace}/${target.app} (${settings.strategy}: ${steps.join(' % → ')} %)`,
  );

  const firing = await calling('reading the alarms', () => options.alarms.firing());
  const routing = await readRouting(c.api, target);
  const previous = routing.serving;
  const color: Color = previous ? otherColor(previous) : 'blue';
  if (firing.length > 0) {
    const reason = `alarm(s) in ALARM before the deployment: ${firing.join(', ')}; nothing changed`;
    c.say(`failed: ${reason}`);
    return { result: 'failed', color, image, ...(previous ? { previousColor: previous } : {}), reason };
  }
  if (routing.split) {
    throw new DeliveryError(
      'UPDATE_CONFLICT',
      `Ingress ${target.namespace}/${target.ingress} splits users (blue ${routing.weights?.blue} %, green ${routing.weights?.green} %): a switch is in flight or was interrupted; finish it or switch back first`,
    );
  }
  c.say(previous ? `${previous} serves; deploying ${color}` : `first deployment: deploying ${color}`);
  if (options.canary) c.say(judging(options.canary, previous ? steps : [], settings.bakeMinutes));
  const rendered = colorObjects(options.renderColor(color), target, color);
  const run: Run = {
    c,
    options,
    color,
    previous,
    steps,
    port,
    revision: manifestRevision([...options.shared, ...rendered.objects]),
    rendered,
    routed: routedObjects(options.shared, target, previous, color),
    live: { newApplied: false, usersMoved: false },
  };
  try {
    const notReady = await startColor(run);
    if (notReady) return await failed(run, notReady);
    return previous ? await moveUsers(run, previous) : await firstUsers(run);
  } catch (error) {
    const failure = asDeliveryError(`deploying ${color}`, error);
    const undone = await undo(run);
    throw new DeliveryError(failure.code, `${failure.message}; ${undone}`, { cause: error });
  }
}

/** Whether users are split between the colors with the new one at `percent`. */
const splits = (percent: number) => percent > 0 && percent < 100;

/**
 * Refuses a canary judge that could never look: with routing that moves every user at once, or
 * split steps too short for a first look.
 */
function checkCanary(target: SwitchTarget, settings: KubernetesDeploymentSettings, steps: readonly number[]) {
  checkJudgeable(target);
  const splitMinutes = steps.filter(splits).length * settings.bakeMinutes;
  if (splitMinutes > 0 && splitMinutes * 60_000 < FIRST_LOOK_MS) {
    throw new DeliveryError(
      'BAD_INPUT',
      `the steps short of 100 % (${steps.filter(splits).join(' %, ')} %) bake ${splitMinutes} min in all: the canary judge needs ${FIRST_LOOK_MS / 60_000} min of split users for its first look; bake longer or remove the canary setting`,
    );
  }
}

/**
 * How the steps that split users will be judged (none on a first deployment: nothing to compare
 * with), and whether the final look comes before they end.
 */
function judging(watch: CanaryWatch, steps: readonly number[], bakeMinutes: number): string {
  const { bakeMinutes: looks, inconclusive, earlyPromotion } = watch.analysis;
  const splitMinutes = steps.filter(splits).length * bakeMinutes;
  if (splitMinutes === 0) return 'canary judge: no step splits users between two colors, nothing to judge';
  // Look k comes k + 1 minutes into the split: the reader leaves the latest minute out.
  const reachable = splitMinutes >= looks + 1;
  const short = `; the split bakes ${splitMinutes} min, too short for the final look: an inconclusive last look then follows the same policy`;
  return `canary judge: each split step judged once a minute, ${looks} looks to the final one (inconclusive then: ${inconclusive}; early promotion: ${earlyPromotion ? 'yes' : 'no'})${reachable ? '' : short}`;
}

async function apply(c: Context, object: KubernetesObject): Promise<void> {
  const what = describeRef(refOf(object));
  await calling(`applying ${what}`, () => c.api.apply(object));
  c.say(`applied ${what}`);
}

/** Applies the shared objects and the new color, waits for its rollout and tests it; answers why not. */
async function startColor(run: Run): Promise<string | undefined> {
  const { c, color, rendered } = run;
  for (const object of run.routed.now) await apply(c, object);
  for (const object of rendered.objects) {
    await apply(c, object);
    run.live.newApplied = true;
  }
  const name = c.target.deployments[color];
  const status = await calling(`reading Deployment ${c.target.namespace}/${name}`, () =>
    c.api.rolloutStatus(c.target.namespace, name),
  );
  // A color scaled to zero after an earlier switch starts again from its minimum.
  if (status?.desiredReplicas === 0) await scaleColor(c, color, rendered.minReplicas);
  return (await waitRolledOut(c, color)) ?? (await testColor(c, run.port, rendered.testPaths));
}

async function failed(run: Run, reason: string): Promise<DeployFailed> {
  const { c, color, previous } = run;
  c.say(`failed: ${reason}`);
  await scaleColor(c, color, 0);
  c.say(`routing unchanged${previous ? `: ${previous} serves` : ''}`);
  const { image } = run.options;
  return { result: 'failed', color, image, ...(previous ? { previousColor: previous } : {}), reason };
}

/** The first deployment: the stable Service and the Ingress created on the tested color, then a bake. */
async function firstUsers(run: Run): Promise<DeployResult> {
  const { c, color, options } = run;
  for (const object of run.routed.atSwitch) {
    await apply(c, object);
    run.live.usersMoved = true;
  }
  c.say(`every user on ${color}`);
  const alarm = await watchAlarms(c, options.alarms, options.settings.bakeMinutes);
  if (alarm) {
    const reason = `alarm(s) in ALARM after the first deployment: ${alarm}; there is no previous color to switch back to, ${color} serves`;
    c.say(`failed: ${reason}`);
    return { result: 'failed', color, image: options.image, reason };
  }
  c.say(`succeeded: ${color} serves ${options.image}`);
  return {
    result: 'succeeded',
    color,
    image: options.image,
    revision: run.revision,
    steps: run.steps,
    warnings: [],
  };
}

/** Moves users step by step with a bake after each, keeps `previous` for the retention, then scales it to 0. */
async function moveUsers(run: Run, previous: Color): Promise<DeployResult> {
  const { c, color, options } = run;
  const { bakeMinutes, oldColorRetentionMinutes } = options.settings;
  // The judging of the split, from its first step on; it keeps the last look once the split ends.
  let split: SplitJudging | undefined;
  const evidence = () => (split?.last ? { canary: split.last } : {});
  const rolledBack = (
    why: { alarm: string } | { canaryReason: string },
    during: 'bake' | 'retention',
    atPercent: number,
  ) =>
    rollBack(run, {
      color,
      image: options.image,
      previousColor: previous,
      ...why,
      during,
      atPercent,
      ...evidence(),
    });
  for (const [index, percent] of run.steps.entries()) {
    await routeTo(c.api, c.target, color, percent, run.routed.stableService);
    // Only once the API took the change: a refused one leaves the users where they were.
    run.live.usersMoved = true;
    c.say(
      `${color} takes ${percent} % of the users (${previous} ${100 - percent} %); baking ${bakeMinutes} min`,
    );
    const watch = options.canary;
    if (!watch || !splits(percent)) {
      const alarm = await watchAlarms(c, options.alarms, bakeMinutes);
      if (alarm) return rolledBack({ alarm }, 'bake', percent);
      continue;
    }
    split ??= { sides: { baseline: previous, canary: color }, since: c.clock.now(), settled: false };
    const next = run.steps[index + 1];
    const baked = await bakeJudged({
      clock: c.clock,
      alarms: options.alarms,
      watch,
      split,
      minutes: bakeMinutes,
      alarmPollMs: c.alarmPollMs,
      lastSplitStep: next === undefined || !splits(next),
      say: c.say,
    });
    if (baked.end === 'alarm') return rolledBack({ alarm: baked.alarm }, 'bake', percent);
    if (baked.end === 'rollback') return rolledBack({ canaryReason: baked.reason }, 'bake', percent);
    if (baked.end === 'promote') c.say(`canary: promoted at ${percent} %, on to the next step`);
  }
  c.say(`${previous} kept ${oldColorRetentionMinutes} min for a fast switch back`);
  const alarm = await watchAlarms(c, options.alarms, oldColorRetentionMinutes);
  if (alarm) return rolledBack({ alarm }, 'retention', 100);
  const warnings: string[] = [];
  try {
    await scaleColor(c, previous, 0);
  } catch (error) {
    warnings.push(`${describeError(error)}: scale ${c.target.deployments[previous]} to 0 by hand`);
    c.say(`warning: ${warnings[0]}`);
  }
  c.say(`succeeded: ${color} serves ${options.image}`);
  const { revision, steps } = run;
  return {
    result: 'succeeded',
    color,
    image: options.image,
    previousColor: previous,
    revision,
    steps,
    warnings,
    ...evidence(),
  };
}

async function rollBack(run: Run, o: Omit<DeployRolledBack, 'result'>): Promise<DeployRolledBack> {
  const { c } = run;
  const why = o.alarm === undefined ? `canary judge: ${o.canaryReason ?? ''}` : `alarm: ${o.alarm}`;
  c.say(`${why} with ${o.color} at ${o.atPercent} %: switching back to ${o.previousColor}`);
  await routeTo(c.api, c.target, o.previousColor, 100, run.routed.stableService);
  c.say(`every user on ${o.previousColor}`);
  await scaleColor(c, o.color, 0);
  c.say(`rolled back: ${o.previousColor} serves`);
  return { result: 'rolled-back', ...o };
}

/** After a thrown error: the users back on the previous color, the new one at zero; says what it did. */
async function undo(run: Run): Promise<string> {
  const { c, color, previous, live } = run;
  const done: string[] = [];
  if (previous && live.usersMoved) {
    try {
      await routeTo(c.api, c.target, previous, 100, run.routed.stableService);
      done.push(`every user back on ${previous}`);
    } catch (error) {
      done.push(
        `switching back to ${previous} failed too (${describeError(error)}): run switch-back --to ${previous}`,
      );
    }
  } else if (previous) {
    done.push(`routing unchanged: ${previous} serves`);
  }
  // The first deployment's color keeps running once users reach it: there is nothing else to serve.
  if (live.newApplied && !(live.usersMoved && !previous)) {
    try {
      await scaleColor(c, color, 0);
      done.push(`${color} scaled to 0`);
    } catch (error) {
      done.push(`${color} not scaled to 0 (${describeError(error)})`);
    }
  }
  const line = done.join('; ') || 'nothing to undo';
  c.say(line);
  return line;
}

// ---------------------------------------------------------------------------------------------------
// Switch back.

/** Options of {@link switchBack}. */
export interface SwitchBackOptions {
  readonly api: KubernetesApi;
  readonly target: SwitchTarget;
  /** The color every user goes to. */
  readonly to: Color;
  /** @default - the real clock */
  readonly clock?: Clock;
  /** Receives one line per step. @default - nothing reported */
  readonly onProgress?: (line: string) => void;
  /** @default - see {@link SwitchTimeouts} */
  readonly timeouts?: SwitchTimeouts;
}

/** What {@link switchBack} did. */
export interface SwitchBackResult {
  readonly color: Color;
  /** The color that served before (undefined when nothing did, or it already was `to`). */
  readonly previousColor?: Color;
  /** Whether `to` had to be scaled up from zero first. */
  readonly scaledUp: boolean;
}

/**
 * Sends every user to `to`: scales it up to its HorizontalPodAutoscaler's minimum first when it is at
 * zero and waits until it is rolled out, then moves the routing. The other color keeps running.
 *
 * Throws {@link DeliveryError}: `BAD_INPUT` when `to` has no Deployment, `TIMED_OUT` when it does not
 * roll out (routing unchanged), or the API's refusal naming the object.
 */
export async function switchBack(options: SwitchBackOptions): Promise<SwitchBackResult> {
  const c = context(
    { ...options, clock: options.clock ?? { now: realNow, sleep: realSleep } },
    options.timeouts,
  );
  const { target, to } = options;
  const name = target.deployments[to];
  const routing = await readRouting(c.api, target);
  const split = routing.split ? ' (users split)' : '';
  c.say(`switch back to ${to}: ${routing.serving ? `${routing.serving} serves` : 'nothing serves'}${split}`);
  const what = `Deployment ${target.namespace}/${name}`;
  const status = await calling(`reading ${what}`, () => c.api.rolloutStatus(target.namespace, name));
  if (!status) {
    throw new DeliveryError('BAD_INPUT', `there is no ${what}: nothing to switch back to`);
  }
  const scaledUp = status.desiredReplicas === 0;
  if (scaledUp) {
    const hpa = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      namespace: target.namespace,
      name,
    };
    const found = await calling(`reading ${describeRef(hpa)}`, () => c.api.get(hpa));
    const min = (found?.['spec'] as { minReplicas?: number } | undefined)?.minReplicas ?? 1;
    await scaleColor(c, to, Math.max(1, min));
  }
  const notReady = await waitRolledOut(c, to);
  if (notReady) {
    throw new DeliveryError('TIMED_OUT', `${notReady}: routing unchanged`);
  }
  // With ingress-weights, the stable Service (when there is one) follows for in-cluster clients.
  const stableRef = {
    apiVersion: 'v1',
    kind: 'Service',
    namespace: target.namespace,
    name: target.stableService,
  };
  const stableService =
    target.switches === 'ingress-weights' &&
    (await calling(`reading ${describeRef(stableRef)}`, () => c.api.get(stableRef))) !== undefined;
  await routeTo(c.api, target, to, 100, stableService);
  c.say(`every user on ${to}`);
  const previous = routing.serving !== to ? routing.serving : undefined;
  return { color: to, ...(previous ? { previousColor: previous } : {}), scaledUp };
}
