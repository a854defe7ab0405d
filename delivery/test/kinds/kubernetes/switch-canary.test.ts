import type { KubernetesDeploymentSettings } from '@ias/targets';
import { describe, expect, it } from 'vitest';
import { DeliveryError } from '../../../src/errors.js';
import type { CanaryWatch } from '../../../src/kinds/kubernetes/canary-watch.js';
import { renderColor, renderShared } from '../../../src/kinds/kubernetes/manifests.js';
import { type AlarmWatch, deploy } from '../../../src/kinds/kubernetes/switch.js';
import {
  alarmsWhen,
  application,
  FakeKubernetesApi,
  fakeClock,
  IMAGE,
  INGRESS_SWITCH,
  SERVICE_SWITCH,
  servingCluster,
} from './fake-api.js';
import { analysis, FAILING, fakeCanaryWatch, HEALTHY, THIN } from './fake-canary.js';

const MINUTE = 60_000;
const ALARM = 'ias-dev-inventory-api-k8s-health';

/** A judged deployment of {@link IMAGE} under `settings` to a cluster where blue serves. */
function judged(
  settings: KubernetesDeploymentSettings,
  canary: CanaryWatch,
  alarms?: (api: FakeKubernetesApi, clock: ReturnType<typeof fakeClock>) => AlarmWatch,
) {
  const clock = fakeClock();
  const { input, switchTarget: target } = application(settings);
  const api = servingCluster(input, 'blue', { clock });
  const progress: string[] = [];
  const run = () =>
    deploy({
      api,
      alarms: alarms?.(api, clock) ?? alarmsWhen(ALARM),
      clock,
      target,
      settings,
      shared: renderShared({ ...input, servingColor: 'green' }),
      renderColor: (color) => renderColor(input, color, IMAGE),
      image: IMAGE,
      onProgress: (line) => progress.push(line),
      canary,
    });
  /** When the Ingress's weights were patched, by green's share, in order. */
  const steps = () =>
    api.calls
      .filter((c) => c.op === 'patch' && c.target === 'Ingress ias-dev/inventory-api')
      .map((c) => ({ at: c.at, body: JSON.stringify(c.body) }));
  return { api, clock, progress, run, steps };
}

describe('deploy with the canary judge', () => {
  it('switches back to blue on a failing judgement, as an alarm does, naming the judge’s reason', async () => {
    const watch = fakeCanaryWatch(analysis(), FAILING);
    const { api, run, progress, steps } = judged(INGRESS_SWITCH, watch);
    const result = await run();
    expect(result).toMatchObject({
      result: 'rolled-back',
      color: 'green',
      image: IMAGE,
      previousColor: 'blue',
      during: 'bake',
      atPercent: 5,
      canaryReason: expect.stringMatching(/^look 2 of 10 \(level .*\): fail — error-rate worse than 1.1×/),
      canary: { look: 2, final: false, action: 'rollback', judgement: { verdict: 'fail' } },
    });
    expect(result).not.toHaveProperty('alarm');
    expect(api.weights('inventory-api')).toEqual({ 'inventory-api-blue': 100, 'inventory-api-green': 0 });
    expect(api.replicas('inventory-api-green')).toBe(0);
    expect(api.replicas('inventory-api-blue')).toBe(2);
    // Judged over the split from its start, blue against green; the first look once a minute is complete.
    const [split] = steps();
    expect(watch.looks.map((l) => l.window.start.getTime())).toEqual([split?.at, split?.at]);
    expect(watch.looks.map((l) => l.window.end.getTime() - (split?.at ?? 0))).toEqual([
      2 * MINUTE,
      3 * MINUTE,
    ]);
    expect(watch.looks[0]?.sides).toEqual({ baseline: 'blue', canary: 'green' });
    expect(progress).toContainEqual(
      expect.stringMatching(/^canary judge: look 2 of 10 .* with green at 5 %: switching back to blue$/),
    );
  });

  it('still switches back on an alarm while the judge waits, the alarm named and the last look kept', async () => {
    const watch = fakeCanaryWatch(analysis(), THIN);
    const { api, run } = judged(INGRESS_SWITCH, watch, (fake, clock) => {
      let splitAt: number | undefined;
      return alarmsWhen(ALARM, () => {
        if ((fake.weights('inventory-api')['inventory-api-green'] ?? 0) === 0) return false;
        splitAt ??= clock.now();
        return clock.now() - splitAt >= 2.5 * MINUTE;
      });
    });
    const result = await run();
    expect(result).toMatchObject({
      result: 'rolled-back',
      alarm: ALARM,
      during: 'bake',
      atPercent: 5,
      canary: { look: 1, action: 'wait' },
    });
    expect(result).not.toHaveProperty('canaryReason');
    expect(api.weights('inventory-api')).toEqual({ 'inventory-api-blue': 100, 'inventory-api-green': 0 });
  });

  it('ends the bake early on a pass with early promotion and goes on to the next step', async () => {
    const watch = fakeCanaryWatch(analysis(), HEALTHY);
    const { api, run, progress, steps } = judged(INGRESS_SWITCH, watch);
    const result = await run();
    expect(result).toMatchObject({
      result: 'succeeded',
      color: 'green',
      canary: { look: 8, final: false, action: 'promote', judgement: { verdict: 'pass' } },
    });
    const [split, all] = steps();
    // Look 8 reads 8 whole minutes: 9 after the split began, a minute before the 10 min bake's end.
    expect((all?.at ?? 0) - (split?.at ?? 0)).toBe(9 * MINUTE);
    expect(watch.looks).toHaveLength(8);
    expect(progress).toContain('canary: promoted at 5 %, on to the next step');
    expect(progress).toContain(
      'canary judge: each split step judged once a minute, 10 looks to the final one (inconclusive then: rollback; early promotion: yes); the split bakes 10 min, too short for the final look: an inconclusive last look then follows the same policy',
    );
    expect(api.weights('inventory-api')).toEqual({ 'inventory-api-blue': 0, 'inventory-api-green': 100 });
  });

  it('goes on after a final inconclusive look under the continue policy, the rest of the bake on alarms alone', async () => {
    const watch = fakeCanaryWatch(analysis({ inconclusive: 'continue' }), THIN);
    const { run, steps } = judged({ ...INGRESS_SWITCH, bakeMinutes: 13 }, watch);
    const result = await run();
    expect(result).toMatchObject({
      result: 'succeeded',
      canary: { look: 10, final: true, action: 'continue', judgement: { verdict: 'inconclusive' } },
    });
    // The final look 11 min in; no look after it; the step's whole 13 min baked.
    expect(watch.looks).toHaveLength(10);
    const [split, all] = steps();
    expect((all?.at ?? 0) - (split?.at ?? 0)).toBe(13 * MINUTE);
  });

  it('switches back after a final inconclusive look under the rollback policy', async () => {
    const watch = fakeCanaryWatch(analysis({ inconclusive: 'rollback' }), THIN);
    const { api, run } = judged({ ...INGRESS_SWITCH, bakeMinutes: 13 }, watch);
    expect(await run()).toMatchObject({
      result: 'rolled-back',
      atPercent: 5,
      canaryReason: expect.stringContaining('still inconclusive at the end of the bake, so rolling back'),
      canary: { look: 10, final: true, action: 'rollback' },
    });
    expect(api.weights('inventory-api')).toEqual({ 'inventory-api-blue': 100, 'inventory-api-green': 0 });
  });

  it('applies the inconclusive policy to the last look as it stands when the split ends before the final look', async () => {
    // A 10 min bake holds looks 1 to 9 of 10: the last one is not final, and stays so.
    const rollback = fakeCanaryWatch(analysis({ inconclusive: 'rollback' }), THIN);
    const rolledBack = await judged(INGRESS_SWITCH, rollback).run();
    expect(rolledBack).toMatchObject({
      result: 'rolled-back',
      canaryReason: expect.stringMatching(
        /^the split ended at look 9 of 10, before the final one, still inconclusive, and the profile rolls an inconclusive canary back \(look 9 of 10/,
      ),
      canary: { look: 9, final: false, action: 'wait' },
    });

    const goOn = fakeCanaryWatch(analysis({ inconclusive: 'continue' }), THIN);
    const { run, progress } = judged(INGRESS_SWITCH, goOn);
    expect(await run()).toMatchObject({
      result: 'succeeded',
      canary: { look: 9, final: false, action: 'wait', judgement: { verdict: 'inconclusive' } },
    });
    expect(progress).toContain(
      'canary: the split ended at look 9 of 10, before the final one, still inconclusive: going on as the profile says',
    );
  });

  it('goes on when the split ends on a pass that early promotion was not allowed to act on', async () => {
    const watch = fakeCanaryWatch(analysis({ earlyPromotion: false, inconclusive: 'rollback' }), HEALTHY);
    expect(await judged(INGRESS_SWITCH, watch).run()).toMatchObject({
      result: 'succeeded',
      canary: { look: 9, final: false, action: 'wait', judgement: { verdict: 'pass' } },
    });
  });

  it('judges the whole split across its steps, every window from the split’s start', async () => {
    const watch = fakeCanaryWatch(analysis({ bakeMinutes: 6, inconclusive: 'continue' }), THIN);
    const settings = { ...INGRESS_SWITCH, steps: [5, 50, 100], bakeMinutes: 4 };
    const { run, steps } = judged(settings, watch);
    expect(await run()).toMatchObject({ result: 'succeeded', canary: { look: 6, final: true } });
    const [split, half] = steps();
    expect(new Set(watch.looks.map((l) => l.window.start.getTime()))).toEqual(new Set([split?.at]));
    expect(watch.looks.map((l) => l.look.look)).toEqual([1, 2, 3, 4, 5, 6]);
    // Looks 1 to 3 in the 5 % step, 4 to 6 in the 50 % one.
    const inHalf = watch.looks.filter((l) => l.window.end.getTime() > (half?.at ?? 0));
    expect(inHalf.map((l) => l.look.look)).toEqual([4, 5, 6]);
  });

  it('fails naming the look when the judge cannot read, with users back on blue', async () => {
    const watch: CanaryWatch = {
      analysis: analysis(),
      judge: async () => {
        throw new DeliveryError('TIMED_OUT', 'CloudWatch did not return all of query canary_requests');
      },
    };
    const { api, run } = judged(INGRESS_SWITCH, watch);
    await expect(run()).rejects.toMatchObject({
      code: 'TIMED_OUT',
      message:
        'CloudWatch did not return all of query canary_requests; every user back on blue; green scaled to 0',
    });
    expect(api.weights('inventory-api')).toEqual({ 'inventory-api-blue': 100, 'inventory-api-green': 0 });
  });

  it('does not judge a first deployment: nothing serves to compare with', async () => {
    const watch = fakeCanaryWatch(analysis(), FAILING);
    const clock = fakeClock();
    const progress: string[] = [];
    const { input, switchTarget: target } = application(INGRESS_SWITCH);
    const result = await deploy({
      api: new FakeKubernetesApi({ clock }),
      alarms: alarmsWhen(ALARM),
      clock,
      target,
      settings: INGRESS_SWITCH,
      shared: renderShared(input),
      renderColor: (color) => renderColor(input, color, IMAGE),
      image: IMAGE,
      canary: watch,
      onProgress: (line) => progress.push(line),
    });
    expect(result).toMatchObject({ result: 'succeeded', color: 'blue' });
    expect(result).not.toHaveProperty('canary');
    expect(watch.looks).toEqual([]);
    expect(progress).toContain('canary judge: no step splits users between two colors, nothing to judge');
  });

  it('fails with service-selector routing, changing nothing: users are never split', async () => {
    const { input, switchTarget: target } = application(SERVICE_SWITCH);
    const api = servingCluster(input, 'blue');
    await expect(
      deploy({
        api,
        alarms: alarmsWhen(ALARM),
        clock: fakeClock(),
        target,
        settings: SERVICE_SWITCH,
        shared: renderShared(input),
        renderColor: (color) => renderColor(input, color, IMAGE),
        image: IMAGE,
        canary: fakeCanaryWatch(analysis(), HEALTHY),
      }),
    ).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining(
        'inventory-api switches by service-selector, which moves every user at once: there are never two colors serving side by side for the canary judge to compare',
      ),
    });
    expect(api.writes()).toEqual([]);
  });

  it('fails on split steps too short for a first look, changing nothing', async () => {
    const settings = { ...INGRESS_SWITCH, bakeMinutes: 1 };
    const { input, switchTarget: target } = application(settings);
    const api = servingCluster(input, 'blue');
    await expect(
      deploy({
        api,
        alarms: alarmsWhen(ALARM),
        clock: fakeClock(),
        target,
        settings,
        shared: renderShared(input),
        renderColor: (color) => renderColor(input, color, IMAGE),
        image: IMAGE,
        canary: fakeCanaryWatch(analysis(), HEALTHY),
      }),
    ).rejects.toThrow(
      'the steps short of 100 % (5 %) bake 1 min in all: the canary judge needs 2 min of split users for its first look',
    );
    expect(api.writes()).toEqual([]);
  });
});
