/**
 * The canary judge in a weighted switch: while the Ingress splits users between the colors, the judge
 * compares the new color (the canary) with the color that served (the baseline) once a minute over
 * the whole split so far, and each look rolls back, ends the step's bake early, or lets it run. The
 * alarms are watched all the while, as in any bake.
 *
 * The rules, in the order a step's bake meets them (see {@link bakeJudged}):
 *
 * - the window of every look starts when users were first split (the first step short of 100 %) and
 *   ends now: a later step's looks see the earlier steps' minutes too;
 * - a look at each whole minute of the bake and at its end, none before the reader has a complete
 *   minute of the split (at most {@link FIRST_LOOK_MS} after it began);
 * - `rollback`: the switch goes back as for an alarm; `promote`: the step's bake ends now, the next
 *   step follows (and is judged in turn while it still splits users); `wait`: the bake goes on;
 *   `continue` (a final look): the rest of the split bakes on alarms alone;
 * - when the split ends (its last step's bake is over) before the judge's final look, the last look
 *   stands as it is, not final: `inconclusive` follows the analysis's `inconclusive` policy, a
 *   `pass` goes on.
 */
import type { Color } from '@ias/targets';
import type { CanaryWindow } from '../../canary/cloudwatch.js';
import type { CanaryAnalysis, CanaryLook } from '../../canary/watch.js';
import { DeliveryError } from '../../errors.js';
import type { Clock } from '../../time.js';
import { calling } from './api.js';
import type { SwitchTarget } from './routing.js';
import type { AlarmWatch } from './switch.js';

/** The two colors a look compares. */
export interface CanarySides {
  /** The color that served before, which keeps the rest of the users. */
  readonly baseline: Color;
  /** The new color. */
  readonly canary: Color;
}

/**
 * The canary judge of a weighted switch: one look at the two colors, on demand.
 * `targetGroupCanaryWatch` (target-groups.ts) builds it from the Ingress's target groups and CloudWatch.
 */
export interface CanaryWatch {
  /**
   * How it judges: the switch reads `bakeMinutes` (the looks to a final one) and `inconclusive` (when
   * the split ends before the final look).
   */
  readonly analysis: CanaryAnalysis;
  /**
   * Judges the side-by-side minutes of `window` (from when users were first split to now): one look,
   * numbered by the window's whole minutes, final at `analysis.bakeMinutes`.
   */
  judge(window: CanaryWindow, sides: CanarySides): Promise<CanaryLook>;
}

const MINUTE_MS = 60_000;

/** The longest a split waits for its first look: two minutes hold a complete one, wherever it began. */
export const FIRST_LOOK_MS = 2 * MINUTE_MS;

/**
 * Whether the reader has a minute of the split to judge: the minute it began in, complete, and not
 * the latest (which CloudWatch is still filling; `readCanarySeries` leaves it out).
 */
function readable(since: number, now: number): boolean {
  return Math.floor(now / MINUTE_MS) - Math.floor(since / MINUTE_MS) >= 2;
}

/**
 * Refuses a canary judge where users cannot be split.
 *
 * @throws DeliveryError `BAD_INPUT` unless `switches` is `ingress-weights`
 */
export function checkJudgeable(target: Pick<SwitchTarget, 'app' | 'switches'>): void {
  if (target.switches !== 'ingress-weights') {
    throw new DeliveryError(
      'BAD_INPUT',
      `${target.app} switches by ${target.switches}, which moves every user at once: there are never two colors serving side by side for the canary judge to compare; judge only ingress-weights routing (an ingress-switch strategy), or remove the canary setting`,
    );
  }
}

/** The judging of one split of users, across its steps. */
export interface SplitJudging {
  readonly sides: CanarySides;
  /** When users were first split (ms since the epoch): every look's window starts there. */
  readonly since: number;
  /** The last look. @default - none yet */
  last?: CanaryLook;
  /** A final look let the deployment go on (`continue`): the rest of the split bakes on alarms alone. */
  settled: boolean;
}

/** How a judged bake ended. */
export type JudgedBake =
  | { readonly end: 'alarm'; readonly alarm: string }
  | { readonly end: 'rollback'; readonly reason: string }
  | { readonly end: 'promote' }
  | { readonly end: 'baked' };

/** Options of {@link bakeJudged}. */
export interface JudgedBakeOptions {
  readonly clock: Clock;
  readonly alarms: AlarmWatch;
  readonly watch: CanaryWatch;
  /** The split this step is part of (its last look is updated). */
  readonly split: SplitJudging;
  readonly minutes: number;
  readonly alarmPollMs: number;
  /** Whether the split ends with this step (the next one moves every user, or there is none). */
  readonly lastSplitStep: boolean;
  readonly say: (line: string) => void;
}

/**
 * One step's bake while users are split: the alarms every `alarmPollMs`, a look each minute and at
 * the end (see the file's header for the rules).
 */
export async function bakeJudged(o: JudgedBakeOptions): Promise<JudgedBake> {
  const { clock, split } = o;
  const end = clock.now() + o.minutes * MINUTE_MS;
  let nextLook = clock.now() + MINUTE_MS;
  let lookedAt: number | undefined;
  for (;;) {
    const firing = await calling('reading the alarms', () => o.alarms.firing());
    if (firing.length > 0) return { end: 'alarm', alarm: firing.join(', ') };
    const now = clock.now();
    const due = now >= nextLook || now >= end;
    while (nextLook <= now) nextLook += MINUTE_MS;
    if (due && !split.settled && lookedAt !== now && readable(split.since, now)) {
      lookedAt = now;
      const window = { start: new Date(split.since), end: new Date(now) };
      const look = await calling('judging the canary', () => o.watch.judge(window, split.sides));
      split.last = look;
      o.say(`canary: ${look.reason}`);
      if (look.action === 'rollback') return { end: 'rollback', reason: look.reason };
      if (look.action === 'promote') return { end: 'promote' };
      if (look.action === 'continue') {
        split.settled = true;
        o.say('canary: judged, going on; the rest of the split bakes on the alarms alone');
      }
    }
    if (now >= end) return o.lastSplitStep ? splitEnded(o) : { end: 'baked' };
    const wake = Math.min(end, now + o.alarmPollMs, split.settled ? end : nextLook);
    await clock.sleep(wake - now);
  }
}

/** The split ends undecided or decided: its last look as it stands (see the file's header). */
function splitEnded(o: JudgedBakeOptions): JudgedBake {
  const { split } = o;
  const look = split.last;
  if (split.settled || (look !== undefined && look.judgement.verdict !== 'inconclusive')) {
    return { end: 'baked' };
  }
  const policy = o.watch.analysis.inconclusive;
  const where = look
    ? `at look ${look.look} of ${look.looks}, before the final one, still inconclusive`
    : 'before any look';
  o.say(
    `canary: the split ended ${where}: ${policy === 'rollback' ? 'rolling back' : 'going on'} as the profile says`,
  );
  if (policy === 'continue') return { end: 'baked' };
  return {
    end: 'rollback',
    reason: `the split ended ${where}, and the profile rolls an inconclusive canary back${look ? ` (${look.reason})` : ''}`,
  };
}
