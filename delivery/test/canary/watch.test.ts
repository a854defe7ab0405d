import { describe, expect, it } from 'vitest';
import {
  type CanaryAnalysis,
  type CanaryMinute,
  DeliveryError,
  lookLevel,
  parseCanaryAnalysis,
  watchLook,
} from '../../src/canary/index.js';

/** `minutes` minutes of a side serving `requests` a minute with `errors` errors, latency shaped alike. */
function side(minutes: number, requests: number, errors: number, p99Factor = 1) {
  return {
    minutes: Array.from({ length: minutes }, (_, i): CanaryMinute => {
      const trend = 1 + 0.2 * Math.sin(i / 2);
      const own = 1 + 0.05 * Math.sin(2.7 * i + 1);
      return { requests, errors, p50Ms: 100 * trend * own, p99Ms: 250 * trend * own * p99Factor };
    }),
  };
}

const analysis = (over: Partial<CanaryAnalysis> = {}): CanaryAnalysis => ({
  judge: {},
  bakeMinutes: 10,
  inconclusive: 'rollback',
  earlyPromotion: true,
  ...over,
});

describe('lookLevel', () => {
  it('spends alpha over the looks: the levels add up to alpha, the last look keeps the most', () => {
    const levels = Array.from({ length: 10 }, (_, i) => lookLevel(i + 1, 10, 0.05));
    expect(levels.reduce((a, b) => a + b, 0)).toBeCloseTo(0.05, 12);
    expect(levels[0]).toBeLessThan(levels[9] ?? 0);
    expect([...levels].sort((a, b) => a - b)).toEqual(levels);
  });

  it('gives a single look the whole alpha', () => {
    expect(lookLevel(1, 1, 0.05)).toBeCloseTo(0.05, 12);
  });

  it('refuses a look that is not a whole number from 1', () => {
    expect(() => lookLevel(0, 10, 0.05)).toThrow(/look 0 of 10: both must be whole numbers, from 1/);
  });
});

describe('watchLook', () => {
  it('rolls back a canary with many times the errors as soon as the evidence shows it', () => {
    const look = watchLook(side(4, 900, 9), side(4, 100, 20), analysis());
    expect(look.action).toBe('rollback');
    expect(look.look).toBe(4);
    expect(look.final).toBe(false);
    expect(look.judgement.verdict).toBe('fail');
    expect(look.level).toBeCloseTo(lookLevel(4, 10, 0.05), 12);
    expect(look.reason).toMatch(/^look 4 of 10 \(level .*\): fail/);
  });

  it('waits while the evidence is thin, and holds each look to its own level, not alpha', () => {
    const look = watchLook(side(2, 900, 9), side(2, 100, 1), analysis());
    expect(look.action).toBe('wait');
    expect(look.judgement.settings.alpha).toBeCloseTo(lookLevel(2, 10, 0.05), 12);
  });

  it('promotes a canary that passes before the end when early promotion is on, and goes on at the end when it is off', () => {
    const baseline = side(10, 9000, 90);
    const canary = side(10, 3000, 0);
    expect(watchLook(baseline, canary, analysis()).action).toBe('promote');
    const off = watchLook(baseline, canary, analysis({ earlyPromotion: false }));
    expect(off.final).toBe(true);
    expect(off.action).toBe('continue');
    const early = watchLook(side(9, 9000, 90), side(9, 3000, 0), analysis({ earlyPromotion: false }));
    expect(early.action).toBe('wait');
  });

  it('at the end of the bake, does with an inconclusive verdict what the profile says', () => {
    // Too few canary requests to tell anything: inconclusive whatever the look.
    const baseline = side(10, 900, 9);
    const canary = side(10, 10, 0);
    const back = watchLook(baseline, canary, analysis());
    expect(back.judgement.verdict).toBe('inconclusive');
    expect(back.action).toBe('rollback');
    expect(back.reason).toMatch(/still inconclusive at the end of the bake, so rolling back/);
    expect(watchLook(baseline, canary, analysis({ inconclusive: 'continue' })).action).toBe('continue');
    expect(watchLook(side(9, 900, 9), side(9, 10, 0), analysis()).action).toBe('wait');
  });

  it('counts looks past the bake as its last one', () => {
    const look = watchLook(side(14, 900, 9), side(14, 10, 0), analysis());
    expect(look.look).toBe(10);
    expect(look.final).toBe(true);
  });
});

describe('parseCanaryAnalysis', () => {
  it('fills the judge options and refuses what is out of range, naming it', () => {
    expect(
      parseCanaryAnalysis({ bakeMinutes: 5, inconclusive: 'continue', earlyPromotion: false }, 'CANARY')
        .judge,
    ).toEqual({});
    expect(() =>
      parseCanaryAnalysis({ bakeMinutes: 0, inconclusive: 'continue', earlyPromotion: false }, 'CANARY'),
    ).toThrow(DeliveryError);
    expect(() =>
      parseCanaryAnalysis({ bakeMinutes: 5, inconclusive: 'maybe', earlyPromotion: false }, 'CANARY'),
    ).toThrow(/CANARY: .*inconclusive/);
  });
});
