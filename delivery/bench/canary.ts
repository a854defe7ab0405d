/**
 * `npm run bench` (delivery part): the canary judge on generated series with known truth
 * (`bench/traffic.ts` says how they are made), beside the platform's static alarms on the same series.
 *
 * A 10 % canary: 1,000 canary requests expected over 10 minutes (the baseline serving 9×), 1 % of
 * requests failing, p50 60 ms and p99 250 ms, in three scenarios of BENCH_CANARY_TRIALS trials each
 * (default 1,000; seed BENCH_CANARY_SEED, default 1):
 *
 * - (a) same: the canary is the baseline. Targets: fails ≤ 1 %, passes ≥ 80 %.
 * - (b) errors 3×: the canary fails 3 % of its requests. Target: fails ≥ 95 %.
 * - (c) p99 1.5×: the canary's p99 is 375 ms (its p50 unchanged). Target: fails ≥ 95 %.
 *
 * Each is judged on the whole window, and (d) minute by minute as a watcher would (the first k
 * minutes for k = 1..10, the first verdict that is not `inconclusive` taken): the median minute of
 * that verdict, and what it was. (e) The static alarms of infra/lib/config/environments.ts, each
 * one datapoint a minute, at or over the threshold in any minute of the window, computed on two
 * views of the same series: what they watch today (the function's alias `live`, the service's load
 * balancer: both versions together) and the canary's version alone (as an alarm on `ExecutedVersion`
 * or on the green target group would).
 *
 * Exits 1 when a target is missed (after printing every figure, MISSED beside it), 2 when it cannot
 * measure.
 */
import {
  judgeCanary,
  SPENDING_POWER,
  watchLook,
  type CanaryAnalysis,
  type CanaryVerdict,
} from '../src/canary/index.js';
import { Draws, generateTrial, seededRandom, type Minute, type Scenario, type Trial } from './traffic.js';

const TRIALS = Number(process.env.BENCH_CANARY_TRIALS ?? 1000);
const SEED = Number(process.env.BENCH_CANARY_SEED ?? 1);
if (!Number.isInteger(TRIALS) || TRIALS < 1 || !Number.isInteger(SEED)) {
  process.stderr.write(
    'BENCH_CANARY_TRIALS must be a whole number of at least 1, BENCH_CANARY_SEED a whole number\n',
  );
  process.exit(2);
}

const HEALTHY = { errorRate: 0.01, p50Ms: 100, p99Ms: 250 };
const WINDOW = { canaryRequests: 1000, canaryShare: 0.1, minutes: 10 };
const SCENARIOS = {
  a: { name: '(a) same', scenario: { ...WINDOW, baseline: HEALTHY, canary: HEALTHY } },
  b: {
    name: '(b) errors 3×',
    scenario: { ...WINDOW, baseline: HEALTHY, canary: { ...HEALTHY, errorRate: 0.03 } },
  },
  c: { name: '(c) p99 1.5×', scenario: { ...WINDOW, baseline: HEALTHY, canary: { ...HEALTHY, p99Ms: 375 } } },
} satisfies Record<string, { name: string; scenario: Scenario }>;
type ScenarioId = keyof typeof SCENARIOS;

/**
 * (c) again with a heavier tail (p50 60 ms: p99/p50 4.2 instead of 2.5), judged on the window only
 * and with no target: how far the p99 detection rests on the tail's shape, since a minute's p99 of
 * ~100 requests is one of its slowest two.
 */
const HEAVY_TAIL = { ...HEALTHY, p50Ms: 60 };
const HEAVY_TAIL_SCENARIO: Scenario = {
  ...WINDOW,
  baseline: HEAVY_TAIL,
  canary: { ...HEAVY_TAIL, p99Ms: 375 },
};

/**
 * The static alarms that stop a deployment today, with their thresholds per environment as
 * infra/lib/config/environments.ts sets them (lambda.errorsPerMinute and p99DurationPercentOfTimeout
 * of allocate-order's 30 s timeout; service.alarms.target5xxPerMinute and p99LatencyMs). Copied, not
 * imported: delivery sits below infra. Each fires on one minute at or over its threshold.
 */
const STATIC_ALARMS: readonly { name: string; fires: (minute: Minute) => boolean }[] = [
  ...(
    [
      ['dev', 5],
      ['staging', 1],
      ['prod', 1],
    ] as const
  ).map(([env, errors]) => ({
    name: `function errors ≥ ${errors}/min (${env})`,
    fires: (m: Minute) => m.errors >= errors,
  })),
  // 70 % (prod) to 90 % (dev) of the 30 s timeout: the lowest, prod's, stands for all three.
  { name: 'function p99 ≥ 21-27 s (every env)', fires: (m: Minute) => (m.p99Ms ?? 0) >= 21_000 },
  ...(
    [
      ['dev', 10, 2000],
      ['staging', 5, 1000],
      ['prod', 1, 500],
    ] as const
  ).flatMap(([env, errors, p99]) => [
    { name: `service 5xx ≥ ${errors}/min (${env})`, fires: (m: Minute) => m.errors >= errors },
    { name: `service p99 ≥ ${p99} ms (${env})`, fires: (m: Minute) => (m.p99Ms ?? 0) >= p99 },
  ]),
];

/** What one scenario's trials gave. */
interface Outcome {
  /** Verdicts on the whole window. */
  readonly final: Record<CanaryVerdict, number>;
  /** Per trial judged minute by minute: the minute and the first verdict that is not inconclusive. */
  readonly first: { minute: number; verdict: CanaryVerdict }[];
  /** Per trial, the watcher (alpha spent over the looks): the minute it acted and on what verdict. */
  readonly watched: { minute: number; verdict: CanaryVerdict }[];
  /** Per static alarm: trials where it fired, on the whole alias and on the canary alone. */
  readonly alarms: { whole: number; canary: number }[];
}

/** The first `k` minutes of a side. */
const head = (minutes: readonly Minute[], k: number) => ({ minutes: minutes.slice(0, k) });

/** The watcher of (d'): a 10-minute bake, early promotion, inconclusive at the end rolled back. */
const WATCHER: CanaryAnalysis = {
  judge: {},
  bakeMinutes: 10,
  inconclusive: 'rollback',
  earlyPromotion: true,
};

/** Runs a scenario's trials; `everyMinute` false judges the whole window only (no (d)). */
function run(scenario: Scenario, draws: Draws, everyMinute = true): Outcome {
  const outcome: Outcome = {
    final: { pass: 0, fail: 0, inconclusive: 0 },
    first: [],
    watched: [],
    alarms: STATIC_ALARMS.map(() => ({ whole: 0, canary: 0 })),
  };
  for (let t = 0; t < TRIALS; t += 1) {
    const trial: Trial = generateTrial(scenario, draws);
    let first: { minute: number; verdict: CanaryVerdict } | undefined;
    let watched: { minute: number; verdict: CanaryVerdict } | undefined;
    for (let k = everyMinute ? 1 : scenario.minutes; k <= scenario.minutes; k += 1) {
      const { verdict } = judgeCanary(head(trial.baseline, k), head(trial.canary, k));
      if (first === undefined && verdict !== 'inconclusive') first = { minute: k, verdict };
      if (k === scenario.minutes) outcome.final[verdict] += 1;
      if (everyMinute && watched === undefined) {
        const look = watchLook(head(trial.baseline, k), head(trial.canary, k), WATCHER);
        if (look.action !== 'wait') watched = { minute: k, verdict: look.judgement.verdict };
      }
    }
    if (first) outcome.first.push(first);
    if (watched) outcome.watched.push(watched);
    STATIC_ALARMS.forEach((alarm, i) => {
      const counts = outcome.alarms[i];
      if (counts && trial.whole.some(alarm.fires)) counts.whole += 1;
      if (counts && trial.canary.some(alarm.fires)) counts.canary += 1;
    });
  }
  return outcome;
}

const pct = (count: number) => `${((100 * count) / TRIALS).toFixed(1)} %`;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN;
}

const started = performance.now();
const draws = new Draws(seededRandom(SEED));
const { outcomes, heavyTail } = (() => {
  try {
    const measured = {} as Record<ScenarioId, Outcome>;
    for (const id of Object.keys(SCENARIOS) as ScenarioId[])
      measured[id] = run(SCENARIOS[id].scenario, draws);
    return { outcomes: measured, heavyTail: run(HEAVY_TAIL_SCENARIO, draws, false) };
  } catch (err) {
    process.stderr.write(
      `delivery canary bench: cannot measure: ${err instanceof Error ? err.stack : String(err)}\n`,
    );
    return process.exit(2);
  }
})();
const seconds = (performance.now() - started) / 1000;

const targets: [string, number, '≤' | '≥', number][] = [
  ['(a) same: fails (false failures)', outcomes.a.final.fail, '≤', 1],
  ['(a) same: passes', outcomes.a.final.pass, '≥', 80],
  ['(b) errors 3×: fails (detected)', outcomes.b.final.fail, '≥', 95],
  ['(c) p99 1.5×: fails (detected)', outcomes.c.final.fail, '≥', 95],
];
const out: string[] = [
  '',
  `delivery: canary judge on generated traffic, ${TRIALS} trials a scenario (seed ${SEED}, ${seconds.toFixed(1)} s)`,
  `  10 % canary: 1,000 canary and 9,000 baseline requests expected over 10 minutes; 1 % errors, p50 ${HEALTHY.p50Ms} ms, p99 ${HEALTHY.p99Ms} ms`,
  '  judged on the 10 minutes                          measured   target',
];
let missed = false;
for (const [name, count, sense, target] of targets) {
  const share = (100 * count) / TRIALS;
  const ok = sense === '≤' ? share <= target : share >= target;
  missed ||= !ok;
  out.push(
    `  ${name.padEnd(48)} ${pct(count).padStart(8)}   ${`${sense} ${target} %`.padEnd(7)} ${ok ? 'met' : 'MISSED'}`,
  );
}
out.push(
  `  ${"(c') p99 1.5×, heavier tail (p50 60 ms): fails".padEnd(48)} ${pct(heavyTail.final.fail).padStart(8)}   no target`,
  '',
  '  (d) judged every minute, the first verdict that is not inconclusive',
  `  ${'scenario'.padEnd(16)} ${'median minute'.padStart(13)} ${'fail'.padStart(8)} ${'pass'.padStart(8)} ${'none by 10'.padStart(11)}`,
);
for (const id of Object.keys(SCENARIOS) as ScenarioId[]) {
  const { first } = outcomes[id];
  const count = (v: CanaryVerdict) => first.filter((f) => f.verdict === v).length;
  const minute = first.length > 0 ? String(median(first.map((f) => f.minute))) : '-';
  out.push(
    `  ${SCENARIOS[id].name.padEnd(16)} ${minute.padStart(13)} ${pct(count('fail')).padStart(8)} ${pct(count('pass')).padStart(8)} ${pct(TRIALS - first.length).padStart(11)}`,
  );
}
out.push(
  "      (the same alpha at every minute: a watcher has to spend it over its looks, see (a)'s fail column)",
  '',
  `  (d') the watcher: alpha spent over 10 looks (alpha·t^${SPENDING_POWER}, see src/canary/watch.ts), early promotion,`,
  '       inconclusive at minute 10 rolled back',
  `  ${'scenario'.padEnd(16)} ${'median minute'.padStart(13)} ${'fail'.padStart(8)} ${'pass'.padStart(8)} ${'inconcl.'.padStart(11)}`,
);
for (const id of Object.keys(SCENARIOS) as ScenarioId[]) {
  const { watched } = outcomes[id];
  const count = (v: CanaryVerdict) => watched.filter((f) => f.verdict === v).length;
  out.push(
    `  ${SCENARIOS[id].name.padEnd(16)} ${String(median(watched.map((f) => f.minute))).padStart(13)} ${pct(count('fail')).padStart(8)} ${pct(count('pass')).padStart(8)} ${pct(count('inconclusive')).padStart(11)}`,
  );
}
out.push(
  '',
  '  (e) static alarms on the same series: trials where the alarm fired in any minute of the 10',
  '      whole = what it watches today (alias live / load balancer, both versions); canary = the new version alone',
  `  ${'alarm'.padEnd(34)} ${'(a) whole'.padStart(9)} ${'canary'.padStart(8)}  ${'(b) whole'.padStart(9)} ${'canary'.padStart(8)}  ${'(c) whole'.padStart(9)} ${'canary'.padStart(8)}`,
);
STATIC_ALARMS.forEach((alarm, i) => {
  const cells = (['a', 'b', 'c'] as const).map((id) => {
    const counts = outcomes[id].alarms[i] ?? { whole: 0, canary: 0 };
    return `${pct(counts.whole).padStart(9)} ${pct(counts.canary).padStart(8)}`;
  });
  out.push(`  ${alarm.name.padEnd(34)} ${cells.join('  ')}`);
});
out.push(
  `  ${'the judge (fail verdict)'.padEnd(34)} ${pct(outcomes.a.final.fail).padStart(18)}  ${pct(outcomes.b.final.fail).padStart(18)}  ${pct(outcomes.c.final.fail).padStart(18)}`,
);
process.stdout.write(`${out.join('\n')}\n`);
if (missed) process.exitCode = 1;
