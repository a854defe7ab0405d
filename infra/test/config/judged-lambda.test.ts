import { judgedPlan } from '@ias/delivery';
import { judgedBakesMinutes } from '@ias/targets';
import { describe, expect, it } from 'vitest';
import { environments } from '../../lib/config/environments';
import { ConfigError } from '../../lib/config/errors';
import { judgedLambdaSettings } from '../../lib/config/judged-lambda';
import { parseEnvironments } from '../../lib/config/load';

type Raw = Record<string, { lambda: Record<string, unknown> } & Record<string, unknown>>;

/** The real profiles, dev's functions deployed judged with `lambda` merged in. */
function judgedDev(lambda: Record<string, unknown>): Raw {
  const raw = structuredClone(environments) as unknown as Raw;
  const dev = raw.dev as Raw[string];
  dev.lambda = { ...dev.lambda, deployment: 'judged', ...lambda };
  return raw;
}

const JUDGED = { enabled: true, inconclusive: 'rollback', bakeMinutes: 10 };

function problems(raw: unknown): string[] {
  try {
    parseEnvironments(raw, 'ias');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message.split('\n').slice(1);
  }
  throw new Error('expected the profiles to be rejected');
}

describe('the judged function strategy in a profile', () => {
  it('takes the steps [10, 50, 100] by default and gives the step twice the bakes as its time-out', () => {
    const dev = parseEnvironments(judgedDev({ canaryAnalysis: JUDGED }), 'ias')[0];
    expect(dev?.profile.lambda.judgedSteps).toEqual([10, 50, 100]);
    expect(judgedLambdaSettings(dev?.profile.lambda as never)).toEqual({
      steps: [10, 50, 100],
      analysis: { judge: {}, bakeMinutes: 10, inconclusive: 'rollback', earlyPromotion: true },
      // Two steps below 100 of 10 minutes, each plus 3 until its minutes are in CloudWatch, twice.
      timeoutMinutes: 52,
    });
  });

  it('takes steps of its own, and has no judged settings under the CodeDeploy strategies', () => {
    const [dev, staging] = parseEnvironments(
      judgedDev({ judgedSteps: [5, 25, 100], canaryAnalysis: { ...JUDGED, bakeMinutes: 4 } }),
      'ias',
    );
    expect(judgedLambdaSettings(dev?.profile.lambda as never)).toMatchObject({
      steps: [5, 25, 100],
      timeoutMinutes: 28,
    });
    expect(judgedLambdaSettings(staging?.profile.lambda as never)).toBeUndefined();
  });

  it('fails without the canary judge, naming the field', () => {
    expect(problems(judgedDev({}))).toEqual([
      '  - dev.lambda.canaryAnalysis.enabled: must be true with deployment judged: the canary judge is what moves a judged deployment from one step to the next',
    ]);
    expect(problems(judgedDev({ canaryAnalysis: { ...JUDGED, enabled: false } }))).toEqual([
      '  - dev.lambda.canaryAnalysis.enabled: must be true with deployment judged: the canary judge is what moves a judged deployment from one step to the next',
    ]);
  });

  it('fails without an explicit bake, which each step takes', () => {
    expect(problems(judgedDev({ canaryAnalysis: { enabled: true } }))).toEqual([
      '  - dev.lambda.canaryAnalysis.bakeMinutes: must be set with deployment judged: each step of judgedSteps below 100 bakes that many minutes (a judged deployment has no split of its own to take it from)',
    ]);
  });

  it('fails on steps the judged step would refuse, with its own words', () => {
    expect(problems(judgedDev({ judgedSteps: [50, 10, 100], canaryAnalysis: JUDGED }))).toEqual([
      "  - dev.lambda.judgedSteps: must be the new version's weights in percent, each above the one before, ending at 100 with at least one below it, e.g. [10, 50, 100] (got [50,10,100])",
    ]);
    expect(problems(judgedDev({ judgedSteps: [100], canaryAnalysis: JUDGED }))).toHaveLength(1);
  });

  it('fails on bakes longer than a Lambda action may run', () => {
    expect(
      problems(
        judgedDev({ judgedSteps: [10, 20, 50, 100], canaryAnalysis: { ...JUDGED, bakeMinutes: 600 } }),
      ),
    ).toEqual([
      '  - dev.lambda.judgedSteps: take up to 1809 minutes with canaryAnalysis.bakeMinutes 600 (each step below 100 bakes, plus 3 minutes until its minutes are in CloudWatch), more than the 1380 a judged deployment may run (CodePipeline ends a Lambda action after 24 hours): fewer steps or a shorter bake',
    ]);
  });

  it('gives time-outs the delivery step accepts, counting the bakes as it does', () => {
    for (const bakeMinutes of [2, 5, 10, 30, 200]) {
      const dev = parseEnvironments(judgedDev({ canaryAnalysis: { ...JUDGED, bakeMinutes } }), 'ias')[0];
      const settings = judgedLambdaSettings(dev?.profile.lambda as never);
      expect(settings).toBeDefined();
      const { steps, analysis, timeoutMinutes } = settings as NonNullable<typeof settings>;
      expect(() => judgedPlan({ steps, analysis, timeoutMinutes }, 'UserParameters')).not.toThrow();
      // The same overhead per step: one minute less than the bakes is refused by the step.
      const bakes = judgedBakesMinutes(steps, bakeMinutes);
      expect(() => judgedPlan({ steps, analysis, timeoutMinutes: bakes - 1 }, 'UserParameters')).toThrow(
        /is shorter than the bakes/,
      );
      expect(() => judgedPlan({ steps, analysis, timeoutMinutes: bakes }, 'UserParameters')).not.toThrow();
    }
  });
});
